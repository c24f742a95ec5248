"""Letters of a case: the register, drafting by hand with an HTML preview, changing a draft,
approval by someone other than the drafter, sending, and the Word and PDF downloads.

Who may do what is decided by the letters service (letters/access.py); these pages only hide the
buttons a user could not use, and show the service's refusal when they try anyway."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlmodel import col, select
from starlette.datastructures import FormData
from starlette.responses import Response

from dhr_engine.audit.reads import Interface, letter_kind, record_read
from dhr_engine.errors import Conflict, DhrError, PermissionDenied, ValidationFailed
from dhr_engine.letters import access as letter_access
from dhr_engine.letters import service as letter_service
from dhr_engine.letters.catalogue import CATALOGUE, LetterSpec, spec_for
from dhr_engine.letters.form import MergeField, absorb, merge_fields, prefill, read_fields
from dhr_engine.persistence.tables import Agency, Case, Person
from dhr_engine.persistence.tables_letters import Letter
from dhr_engine.web import access
from dhr_engine.web.deps import Page, WebRoute, checked_form, signed_in
from dhr_engine.web.forms import FormState

router = APIRouter(route_class=WebRoute)
FILE_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
STATUS_COLOURS = {"draft": "yellow", "approved": "blue", "sent": "green", "cancelled": "grey"}
FAMILY_ROLES = ("family", "friend")


@dataclass(frozen=True)
class Choices:
    """What the user may draft on this case, and for whom."""

    specs: list[LetterSpec]
    agencies: list[Agency]
    family: list[Person]


def _choices(page: Page, ref: str) -> tuple[Case, Choices, bool]:
    with page.ctx.reader() as uow:
        case, acting = access.open_case(uow.session, page.me, ref)
        specs = []
        for spec in CATALOGUE.values():
            try:
                letter_access.require_draft(acting, spec.recipient_kind)
            except DhrError:
                continue
            specs.append(spec)
        agencies = list(uow.session.exec(select(Agency).order_by(col(Agency.name))).all())
        family = list(
            uow.session.exec(
                select(Person).where(Person.case_id == case.id, col(Person.role).in_(FAMILY_ROLES))
            ).all()
        )
    return case, Choices(specs, agencies, family), bool(specs)


@router.get("/cases/{ref}/letters")
def register(ref: str, page: Page = Depends(signed_in)) -> Response:
    case, _choices_made, may_draft = _choices(page, ref)
    letters = letter_service.list_letters(page.ctx, actor=page.me.actor, ref=ref)
    queued = letter_service.queued_letters(page.ctx, case_id=case.id) if may_draft else []
    deliveries = letter_service.delivery_of(page.ctx, [x.id for x in letters])
    return page.render(
        "web/letters/register.html",
        {
            "title": f"Letters: {case.ref}",
            "case": case,
            "letters": letters,
            "queued": queued,
            "may_draft": may_draft,
            "colours": STATUS_COLOURS,
            "spec_for": spec_for,
            "delivery": {k: letter_service.delivery_label(d) for k, d in deliveries.items()},
        },
    )


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text) if text else None
    except ValueError:
        return None


def _render_new(
    page: Page,
    ref: str,
    form: FormState,
    *,
    spec: LetterSpec | None,
    preview: str = "",
    status: int = 200,
) -> Response:
    case, choices, may_draft = _choices(page, ref)
    if preview and spec is not None:  # the letter as it would be drafted, from the case record
        record_read(
            page.ctx,
            actor=page.me.actor,
            interface=Interface.WEB,
            kind=letter_kind(spec.recipient_kind, spec.identity),
            case_id=case.id,
        )
    context: dict[str, Any] = {
        "title": f"Draft {spec.number}: {spec.title}" if spec else "Draft a letter",
        "case": case,
        "choices": choices,
        "may_draft": may_draft,
        "spec": spec,
        "fields": merge_fields(spec) if spec else [],
        "form": form,
        "preview": preview,
    }
    return page.render("web/letters/new.html", context, status=status)


@router.get("/cases/{ref}/letters/new")
def new_letter(ref: str, request: Request, page: Page = Depends(signed_in)) -> Response:
    form = FormState(values=dict(request.query_params))
    code = form.value("code")
    spec = None
    if code:
        try:
            spec = spec_for(code)
        except DhrError as err:
            form.absorb(err, {"code": "code"})
    if spec is not None:
        needs = {"agency": "agency_id", "family": "person_id"}.get(spec.recipient_kind)
        if needs and not _uuid(form.value(needs)):
            form.add(needs, "Choose who the letter is to")
            spec = None
    return _render_new(page, ref, form, spec=spec, status=200 if form.ok else 400)


@router.post("/cases/{ref}/letters/new")
def draft(ref: str, page: Page = Depends(signed_in), form_data: FormData = Depends(checked_form)) -> Response:
    form = FormState.from_form(form_data)
    spec = spec_for(form.value("code"))
    fields = merge_fields(spec)
    values = read_fields(fields, form)
    request = letter_service.DraftRequest(
        code=spec.code,
        fields=values,
        agency_id=_uuid(form.value("agency_id")),
        person_id=_uuid(form.value("person_id")),
    )
    if not form.ok:
        return _render_new(page, ref, form, spec=spec, status=400)
    try:
        if form.value("action") == "preview":
            rendered = letter_service.preview_letter(page.ctx, actor=page.me.actor, request=request, ref=ref)
            return _render_new(page, ref, form, spec=spec, preview=rendered.html)
        letter = letter_service.draft_letter(page.ctx, actor=page.me.actor, request=request, ref=ref)
    except DhrError as err:
        if err.status_code == 404:
            raise
        absorb(form, err, fields)
        return _render_new(page, ref, form, spec=spec, status=400)
    page.flash(f"{spec.number} drafted. Someone else must approve it before it is sent.")
    return page.redirect(f"/letters/{letter.id}")


# --- one letter ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LetterView:
    letter: Letter
    case: Case
    spec: LetterSpec
    html: str
    may_change: bool
    may_approve: bool
    is_drafter: bool
    may_send: bool
    approvers: list[str]
    email_to: str = ""  # the recipient's secure address, when the letter can be e-mailed
    delivery: str = ""  # how its e-mail fared (letter_service.delivery_label)

    @property
    def colour(self) -> str:
        return STATUS_COLOURS.get(self.letter.status, "grey")


def _view(page: Page, letter_id: uuid.UUID) -> LetterView:
    letter = letter_service.get_letter(page.ctx, actor=page.me.actor, letter_id=letter_id)
    spec = spec_for(letter.code)
    with page.ctx.reader() as uow:
        case = uow.session.get(Case, letter.case_id)
        assert case is not None
        _case, acting = access.open_case(uow.session, page.me, case.ref)
        email_to = letter_service.email_address(uow.session, letter)
    delivery = letter_service.delivery_of(page.ctx, [letter.id]).get(letter.id)
    open_letter = letter.status in {"draft", "approved"}
    may_change = open_letter
    try:
        letter_access.require_draft(acting, letter.recipient_kind)
    except DhrError:
        may_change = False
    is_drafter = letter.drafted_by is not None and letter.drafted_by == page.me.user_id
    may_send = letter.status == "approved"
    try:
        letter_access.require_send(acting, spec)
    except DhrError:
        may_send = False
    return LetterView(
        letter=letter,
        case=case,
        spec=spec,
        html=letter_service.letter_html(page.ctx, letter),
        may_change=may_change,
        may_approve=letter.status == "draft" and acting.has_any(spec.approvers) and not is_drafter,
        is_drafter=is_drafter,
        may_send=may_send,
        approvers=sorted(r.value.replace("_", " ") for r in spec.approvers),
        email_to=email_to,
        delivery=letter_service.delivery_label(delivery),
    )


def _record(page: Page, letter: Letter) -> None:
    """Record the read of a letter to the family or naming the subjects (audit/reads.py)."""
    record_read(
        page.ctx,
        actor=page.me.actor,
        interface=Interface.WEB,
        kind=letter_access.read_kind(letter),
        case_id=letter.case_id,
        record_id=letter.id,
    )


def _render_letter(page: Page, letter_id: uuid.UUID, form: FormState, status: int = 200) -> Response:
    view = _view(page, letter_id)
    _record(page, view.letter)
    return page.render(
        "web/letters/letter.html",
        {"title": f"{view.spec.number}: {view.spec.title}", "v": view, "case": view.case, "form": form},
        status=status,
    )


@router.get("/letters/{letter_id}")
def letter_page(letter_id: uuid.UUID, page: Page = Depends(signed_in)) -> Response:
    return _render_letter(page, letter_id, FormState())


def _render_edit(page: Page, view: LetterView, form: FormState, status: int = 200) -> Response:
    _record(page, view.letter)
    return page.render(
        "web/letters/edit.html",
        {
            "title": f"Change {view.spec.number}: {view.spec.title}",
            "v": view,
            "case": view.case,
            "fields": merge_fields(view.spec),
            "form": form,
        },
        status=status,
    )


def _editable(page: Page, letter_id: uuid.UUID) -> LetterView:
    view = _view(page, letter_id)
    if view.letter.status == "sent":
        raise letter_service.LetterSent(
            "this letter has been sent: it is the record of what went out and cannot be changed. "
            "Draft a new letter if something needs correcting",
            field="status",
        )
    if view.letter.status == "cancelled":
        raise Conflict("a cancelled letter cannot be changed; draft a new one", field="status")
    if not view.may_change:
        raise PermissionDenied("your role on this case does not let you change this letter", field="role")
    return view


@router.get("/letters/{letter_id}/edit")
def edit_form(letter_id: uuid.UUID, page: Page = Depends(signed_in)) -> Response:
    view = _editable(page, letter_id)
    return _render_edit(page, view, prefill(merge_fields(view.spec), view.letter.context))


@router.post("/letters/{letter_id}/edit")
def edit(
    letter_id: uuid.UUID, page: Page = Depends(signed_in), form_data: FormData = Depends(checked_form)
) -> Response:
    view = _editable(page, letter_id)
    form = FormState.from_form(form_data)
    fields: list[MergeField] = merge_fields(view.spec)
    values = read_fields(fields, form)
    if form.ok:
        try:
            letter_service.update_draft(page.ctx, actor=page.me.actor, letter_id=letter_id, fields=values)
        except DhrError as err:
            absorb(form, err, fields)
        else:
            page.flash("Draft changed. It needs approving again.")
            return page.redirect(f"/letters/{letter_id}")
    return _render_edit(page, view, form, 400)


@router.post("/letters/{letter_id}/approve")
def approve(
    letter_id: uuid.UUID, page: Page = Depends(signed_in), _f: FormData = Depends(checked_form)
) -> Response:
    letter_service.approve_letter(page.ctx, actor=page.me.actor, letter_id=letter_id)
    page.flash("Approved. The DHR coordinator can now send it.")
    return page.redirect(f"/letters/{letter_id}")


@router.post("/letters/{letter_id}/send")
def send(
    letter_id: uuid.UUID, page: Page = Depends(signed_in), form_data: FormData = Depends(checked_form)
) -> Response:
    form = FormState.from_form(form_data)
    via = form.value("via")
    if via not in letter_service.SEND_CHANNELS:
        form.add("via", "Choose how the letter was sent")
        return _render_letter(page, letter_id, form, 400)
    letter_service.send_letter(page.ctx, actor=page.me.actor, letter_id=letter_id, via=via)
    page.flash("Recorded as sent. The PDF and Word files are kept exactly as sent.")
    return page.redirect(f"/letters/{letter_id}")


@router.post("/letters/{letter_id}/email")
def email(
    letter_id: uuid.UUID, page: Page = Depends(signed_in), form_data: FormData = Depends(checked_form)
) -> Response:
    form = FormState.from_form(form_data)
    with_docx = form.value("with_docx") == "yes"
    letter_service.email_letter(page.ctx, actor=page.me.actor, letter_id=letter_id, with_docx=with_docx)
    page.flash("Sent. The e-mail is queued and goes out shortly; this page shows when it has gone.")
    return page.redirect(f"/letters/{letter_id}")


# --- the letters of a return request, all agencies at once ----------------------------------------

BULK_ACTIONS = {
    "draft": ("Draft the letters", "Drafted the letters to every agency of this request."),
    "approve": ("Approve the letters", "Approved every draft letter of this request."),
    "send": ("Send the letters by e-mail", "Sent: the e-mails are queued and go out shortly."),
}


def _render_request_letters(
    page: Page, request_id: uuid.UUID, form: FormState, status: int = 200
) -> Response:
    found, asked = letter_service.request_letters(page.ctx, actor=page.me.actor, request_id=request_id)
    spec = spec_for(found.code)
    deliveries = letter_service.delivery_of(page.ctx, [x.id for x in found.letters])
    return page.render(
        "web/letters/request.html",
        {
            "title": f"{spec.number} letters: {found.case_ref}",
            "found": found,
            "spec": spec,
            "asked": asked,
            "request_id": request_id,
            "actions": BULK_ACTIONS,
            "counts": {
                s: sum(1 for x in found.letters if x.status == s) for s in ("draft", "approved", "sent")
            },
            "delivery": {k: letter_service.delivery_label(d) for k, d in deliveries.items()},
            "colours": STATUS_COLOURS,
            "form": form,
        },
        status=status,
    )


@router.get("/returns/{request_id}/letters")
def request_letters(request_id: uuid.UUID, page: Page = Depends(signed_in)) -> Response:
    return _render_request_letters(page, request_id, FormState())


@router.post("/returns/{request_id}/letters/{action}")
def request_letters_action(
    request_id: uuid.UUID,
    action: str,
    page: Page = Depends(signed_in),
    form_data: FormData = Depends(checked_form),
) -> Response:
    form = FormState.from_form(form_data)
    if action not in BULK_ACTIONS:
        form.general.append("Choose draft, approve or send.")
        return _render_request_letters(page, request_id, form, 400)
    if form.value(f"confirm_{action}") != "yes":
        form.add(f"confirm_{action}", "Confirm that the action is for every agency of this request")
        return _render_request_letters(page, request_id, form, 400)
    commands = {
        "draft": letter_service.draft_for_request,
        "approve": letter_service.approve_for_request,
        "send": letter_service.send_for_request,
    }
    try:
        commands[action](page.ctx, actor=page.me.actor, request_id=request_id)
    except (Conflict, PermissionDenied, ValidationFailed) as err:
        form.absorb(err)
        return _render_request_letters(page, request_id, form, 400)
    page.flash(BULK_ACTIONS[action][1])
    return page.redirect(f"/returns/{request_id}/letters")


@router.post("/letters/{letter_id}/cancel")
def cancel(
    letter_id: uuid.UUID, page: Page = Depends(signed_in), form_data: FormData = Depends(checked_form)
) -> Response:
    form = FormState.from_form(form_data)
    reason = form.require("cancel_reason", "Say why the letter is cancelled")
    if not form.ok:
        return _render_letter(page, letter_id, form, 400)
    letter_service.cancel_letter(page.ctx, actor=page.me.actor, letter_id=letter_id, reason=reason)
    page.flash("Letter cancelled. It stays in the register.")
    return page.redirect(f"/letters/{letter_id}")


@router.get("/letters/{letter_id}/download/{fmt}")
def download(letter_id: uuid.UUID, fmt: str, page: Page = Depends(signed_in)) -> Response:
    letter = letter_service.get_letter(page.ctx, actor=page.me.actor, letter_id=letter_id)
    data = letter_service.letter_file(page.ctx, letter, fmt)
    _record(page, letter)
    with page.ctx.reader() as uow:
        case = uow.session.get(Case, letter.case_id)
    ref = case.ref if case else "letter"
    state = "" if letter.status == "sent" else f"-{letter.status}"
    name = f"{ref}-{spec_for(letter.code).number}-{letter.letter_date.isoformat()}{state}.{fmt}"
    return Response(
        data,
        media_type=FILE_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
