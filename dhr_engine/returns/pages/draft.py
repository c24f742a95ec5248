"""An agency's draft of a return: submitting it as a new version, its Word/PDF attachments, and
its chronology (entries typed in a form, or imported from a CSV/XLSX file or pasted rows, all
rows or none, with a row-by-row report of what is wrong).

The two upload forms are `async`: the file is read and parsed off the thread that serves every
sync page (returns/upload.py), and only the command that writes, and the page, run there."""

from __future__ import annotations

import uuid
from datetime import date
from functools import partial
from typing import Any

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from dhr_engine.audit.reads import Interface, ReadKind, record_read
from dhr_engine.errors import DhrError
from dhr_engine.persistence.tables_returns import ReturnAttachment
from dhr_engine.returns import attachments as attachment_service
from dhr_engine.returns import chronology as chronology_service
from dhr_engine.returns import service as return_service
from dhr_engine.returns.chronology_input import (
    ChronologyRejected,
    EntryInput,
    RowError,
    rows_from_text,
    rows_from_upload,
)
from dhr_engine.returns.pages.requests import render_request
from dhr_engine.returns.queries import load_request_view
from dhr_engine.returns.upload import off_request_thread
from dhr_engine.web.deps import Page, WebRoute, checked_form, signed_in
from dhr_engine.web.forms import FormState

router = APIRouter(route_class=WebRoute)


def _upload(form_data: FormData, name: str) -> UploadFile | None:
    """The file chosen in the form, not yet read (None when none was chosen)."""
    item = form_data.get(name)
    if not isinstance(item, UploadFile) or not item.filename:
        return None
    return item


def _check_draft_editor(page: Page, request_id: uuid.UUID) -> None:
    """Before an upload is read: may the user change the request's draft?"""
    with page.ctx.reader() as uow:
        attachment_service.check_draft_editor(uow.session, page.me.actor, request_id)


# --- submitting --------------------------------------------------------------------------------


def _render_submit(page: Page, request_id: uuid.UUID, form: FormState, status: int = 200) -> Response:
    with page.ctx.reader() as uow:
        view = load_request_view(uow, page.me.actor, request_id, page.ctx.clock.today())
    return page.render(
        "web/returns/submit.html",
        {"title": f"Submit the {view.kind_label.lower()}", "v": view, "case": view.case, "form": form},
        status=status,
    )


@router.get("/returns/{request_id}/submit")
def submit_form(request_id: uuid.UUID, page: Page = Depends(signed_in)) -> Response:
    return _render_submit(page, request_id, FormState())


@router.post("/returns/{request_id}/submit")
def submit(
    request_id: uuid.UUID, page: Page = Depends(signed_in), form_data: FormData = Depends(checked_form)
) -> Response:
    form = FormState.from_form(form_data)
    secured: date | None = form.date_value("records_secured_on", label="the day records were secured")
    contact = form.value("contact") or None
    if form.ok:
        try:
            return_service.submit_return(
                page.ctx.uow(),
                actor=page.me.actor,
                clock=page.ctx.clock,
                request_id=request_id,
                submission=return_service.Submission(
                    text=form.value("text"),
                    change_note=form.value("change_note"),
                    contact=contact,
                    records_secured_on=secured,
                ),
            )
        except DhrError as err:
            form.absorb(
                err,
                {
                    "text": "text",
                    "change_note": "change_note",
                    "contact": "contact",
                    "records_secured_on": "records_secured_on",
                },
            )
        else:
            page.flash("Submitted. Your agency's senior manager can now sign it off.")
            return page.redirect(f"/returns/{request_id}")
    return _render_submit(page, request_id, form, 400)


# --- attachments -------------------------------------------------------------------------------


@router.post("/returns/{request_id}/attachments")
async def upload(
    request_id: uuid.UUID, page: Page = Depends(signed_in), form_data: FormData = Depends(checked_form)
) -> Response:
    form = FormState.from_form(form_data)
    item = _upload(form_data, "file")
    if item is None:
        form.add("file", "Choose a Word (.docx) or PDF file")
    else:
        try:
            await run_in_threadpool(_check_draft_editor, page, request_id)
            checked = await off_request_thread(
                partial(attachment_service.read_checked_file, item.file, item.filename or "attachment")
            )
            add = partial(
                attachment_service.add_checked_file,
                page.ctx.uow(),
                actor=page.me.actor,
                clock=page.ctx.clock,
                storage_dir=page.ctx.settings.storage_dir,
                request_id=request_id,
                file=checked,
            )
            await run_in_threadpool(add)
        except DhrError as err:
            form.absorb(err, {"file": "file"})
        else:
            page.flash("File attached. It goes with the next version you submit.")
            return page.redirect(f"/returns/{request_id}#draft")
    return await run_in_threadpool(render_request, page, request_id, form, 400)


@router.post("/returns/{request_id}/attachments/{attachment_id}/remove")
def remove_attachment(
    request_id: uuid.UUID,
    attachment_id: uuid.UUID,
    page: Page = Depends(signed_in),
    _f: FormData = Depends(checked_form),
) -> Response:
    attachment_service.remove_attachment(
        page.ctx.uow(), actor=page.me.actor, clock=page.ctx.clock, attachment_id=attachment_id
    )
    page.flash("File taken out of the draft.")
    return page.redirect(f"/returns/{request_id}#draft")


@router.get("/returns/{request_id}/attachments/{attachment_id}")
def download_attachment(
    request_id: uuid.UUID, attachment_id: uuid.UUID, page: Page = Depends(signed_in)
) -> Response:
    with page.ctx.reader() as uow:
        found = attachment_service.read_attachment(
            uow.session, page.me.actor, page.ctx.settings.storage_dir, attachment_id
        )
        case_id = uow.session.get_one(ReturnAttachment, attachment_id).case_id
    record_read(
        page.ctx,
        actor=page.me.actor,
        interface=Interface.WEB,
        kind=ReadKind.ATTACHMENT,
        case_id=case_id,
        record_id=attachment_id,
    )
    return Response(
        found.content,
        media_type=found.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{_ascii(found.filename)}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


def _ascii(name: str) -> str:
    return "".join(ch if ch.isascii() and ch not in '"\\' else "_" for ch in name)


# --- chronology --------------------------------------------------------------------------------


def _render_chronology(
    page: Page,
    request_id: uuid.UUID,
    form: FormState,
    *,
    row_errors: list[RowError] | None = None,
    status: int = 200,
) -> Response:
    with page.ctx.reader() as uow:
        view = load_request_view(uow, page.me.actor, request_id, page.ctx.clock.today())
        entries = chronology_service.list_entries(uow.session, page.me.actor, request_id)
    record_read(
        page.ctx,
        actor=page.me.actor,
        interface=Interface.WEB,
        kind=ReadKind.CHRONOLOGY,
        case_id=view.case.id,
        record_id=request_id,
    )
    context: dict[str, Any] = {
        "title": f"Chronology: {view.agency}",
        "v": view,
        "case": view.case,
        "entries": entries,
        "form": form,
        "row_errors": row_errors or [],
    }
    return page.render("web/returns/chronology.html", context, status=status)


@router.get("/returns/{request_id}/chronology")
def chronology(request_id: uuid.UUID, page: Page = Depends(signed_in)) -> Response:
    return _render_chronology(page, request_id, FormState())


@router.post("/returns/{request_id}/chronology/entries")
def add_entry(
    request_id: uuid.UUID, page: Page = Depends(signed_in), form_data: FormData = Depends(checked_form)
) -> Response:
    form = FormState.from_form(form_data)
    when = form.date_value("when", required=True, label="the date of the contact")
    event = form.require("event", "Say what happened")
    clock_time = form.value("time").strip()
    if form.ok and when is not None:
        entry = EntryInput(
            when=when,
            time=clock_time or None,
            event=event,
            source_record=form.value("source_record").strip(),
            action_taken=form.value("action_taken").strip(),
            practitioner_role=form.value("practitioner_role").strip(),
        )
        try:
            chronology_service.add_entries(
                page.ctx.uow(),
                actor=page.me.actor,
                clock=page.ctx.clock,
                request_id=request_id,
                entries=[entry],
            )
        except ChronologyRejected as err:
            for problem in err.errors:
                name = {"date": "when"}.get(problem.field, problem.field)
                if name in {"when", "time", "event", "source_record", "action_taken", "practitioner_role"}:
                    form.add(name, _sentence(f"{_label(problem.field)} {problem.reason}"))
                else:
                    form.general.append(_sentence(f"{_label(problem.field)}: {problem.reason}"))
        except DhrError as err:
            form.absorb(err)
        else:
            page.flash("Entry added to the chronology draft.")
            return page.redirect(f"/returns/{request_id}/chronology")
    return _render_chronology(page, request_id, form, status=400)


def _label(field: str) -> str:
    return field.replace("_", " ")


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:]


@router.post("/returns/{request_id}/chronology/import")
async def import_rows(
    request_id: uuid.UUID, page: Page = Depends(signed_in), form_data: FormData = Depends(checked_form)
) -> Response:
    form = FormState.from_form(form_data)
    item = _upload(form_data, "file")
    pasted = form.value("pasted")
    replace = form.value("replace") == "yes"
    rerender = partial(_render_chronology, page, request_id, form, status=400)
    if item is None and not pasted.strip():
        form.add("file", "Choose a CSV or Excel (.xlsx) file, or paste the rows")
        return await run_in_threadpool(rerender)
    try:
        await run_in_threadpool(_check_draft_editor, page, request_id)
        if item is not None:
            rows = await off_request_thread(partial(rows_from_upload, item.file))
        else:
            rows = await off_request_thread(partial(rows_from_text, pasted))
        save = partial(
            chronology_service.import_rows,
            page.ctx.uow(),
            actor=page.me.actor,
            clock=page.ctx.clock,
            request_id=request_id,
            rows=rows,
            source="file" if item is not None else "pasted",
            replace=replace,
        )
        result = await run_in_threadpool(save)
    except ChronologyRejected as err:
        count = len(err.errors)
        form.add(
            "file" if item is not None else "pasted",
            f"{count} problem{'s' if count != 1 else ''} found in the rows; nothing was imported. "
            "Correct the rows listed below and import again",
        )
        return await run_in_threadpool(partial(rerender, row_errors=err.errors))
    except DhrError as err:
        form.absorb(err, {"file": "file", "text": "pasted"})
        return await run_in_threadpool(rerender)
    replaced = f", replacing {result.replaced}" if result.replaced else ""
    page.flash(f"Imported {result.imported} entries{replaced}. The draft now has {result.total}.")
    return page.redirect(f"/returns/{request_id}/chronology")


@router.post("/returns/{request_id}/chronology/entries/{entry_id}/remove")
def remove_entry(
    request_id: uuid.UUID,
    entry_id: uuid.UUID,
    page: Page = Depends(signed_in),
    _f: FormData = Depends(checked_form),
) -> Response:
    chronology_service.remove_entry(
        page.ctx.uow(), actor=page.me.actor, clock=page.ctx.clock, entry_id=entry_id
    )
    page.flash("Entry removed from the draft.")
    return page.redirect(f"/returns/{request_id}/chronology")
