"""Agency returns: ask agencies for returns, move each one through workflows/agency_return.yaml
(acknowledge, submit a version, sign off, send back, accept, ask for changes, withdraw), its
versions, Word/PDF attachments and chronology entries, and the chair's merged chronology.

Who may do what is decided by the returns services (returns/access.py and the workflow file): an
agency user sees only their own agency's requests, and another agency's request, version,
attachment or entry is "not found" (404), whatever id is tried. A case you may not see is 404.
"""

from __future__ import annotations

import uuid
from datetime import date
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile, status
from fastapi.responses import Response
from sqlmodel import Session, func, select
from starlette.concurrency import run_in_threadpool

from dhr_engine.api.deps import API_PREFIX, ActorDep, CaseAccess, CtxDep, PageDep, case_access, paginate_list
from dhr_engine.api.errors import ErrorBody
from dhr_engine.api.paging import Page
from dhr_engine.audit.reads import Interface, ReadKind, record_read
from dhr_engine.auth.policy import Action
from dhr_engine.context import AppContext
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.return_kinds import KINDS
from dhr_engine.domain.roles import Role
from dhr_engine.persistence.tables import Agency, Case, ReturnRequest
from dhr_engine.persistence.tables_returns import ChronologyEntry, ReturnAttachment, ReturnVersion
from dhr_engine.returns import attachments as attachment_service
from dhr_engine.returns import chronology as chronology_service
from dhr_engine.returns import service as return_service
from dhr_engine.returns.access import load_request, request_actor, visible_requests
from dhr_engine.returns.chronology_input import EntryInput, rows_from_upload
from dhr_engine.returns.compare import get_version, list_versions
from dhr_engine.returns.export import to_csv, to_docx
from dhr_engine.returns.merged import DEFAULT_GAP_DAYS, MergedRow, describe_when, merged_chronology
from dhr_engine.returns.schemas import (
    AttachmentOut,
    ChronologyEntryOut,
    EntriesIn,
    ImportOut,
    MergedEntryOut,
    ReturnKindName,
    ReturnRequestBatchOut,
    ReturnRequestIn,
    ReturnRequestOut,
    ReturnVersionOut,
    StepIn,
    StepName,
    SubmissionIn,
)
from dhr_engine.returns.upload import describe_bytes, off_request_thread
from dhr_engine.workflow.definition import WorkflowDefinition

router = APIRouter(prefix=API_PREFIX, tags=["returns"])

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CSV = "text/csv"


def _files(*media_types: str) -> dict[str, Any]:
    """The OpenAPI content of a file download: each media type a binary string."""
    return {media: {"schema": {"type": "string", "format": "binary"}} for media in media_types}


Viewing = Annotated[CaseAccess, Depends(case_access(Action.CASE_VIEW))]
RequestPath = Annotated[uuid.UUID, Path(description="The return request's id")]
VersionPath = Annotated[int, Path(ge=1, le=100_000, description="The version number")]
UPLOAD_LIMIT = describe_bytes(attachment_service.MAX_ATTACHMENT_BYTES)
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorBody, "description": f"The file is larger than {UPLOAD_LIMIT}; not read further"}
}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# --- bodies -------------------------------------------------------------------------------------


def _my_steps(definition: WorkflowDefinition, acting: Actor, request: ReturnRequest) -> list[str]:
    """The triggers of the request's stage that the (request-resolved) actor's roles may fire."""
    steps: list[str] = []
    for t in definition.transitions:
        if (
            request.stage in t.source
            and t.trigger not in steps
            and acting.has_any({Role(r) for r in t.roles})
        ):
            steps.append(t.trigger)
    return steps


def _request_out(
    session: Session, definition: WorkflowDefinition, acting: Actor, case: Case, request: ReturnRequest
) -> dict[str, Any]:
    agency = session.get(Agency, request.agency_id)
    due = return_service.due_row(session, request)
    versions = session.exec(
        select(func.count()).select_from(ReturnVersion).where(ReturnVersion.request_id == request.id)
    ).one()
    try:
        stage_label = definition.state(request.stage).label
    except Exception:  # a stage of a retired workflow version: show its name
        stage_label = request.stage.replace("_", " ")
    return {
        "id": request.id,
        "case_ref": case.ref,
        "agency_id": request.agency_id,
        "agency_name": agency.name if agency else "",
        "kind": request.kind,
        "kind_label": KINDS[request.kind].label if request.kind in KINDS else request.kind,
        "stage": request.stage,
        "stage_label": stage_label,
        "version": request.version,
        "requested_on": request.requested_on,
        "note": request.note,
        "due": due.adjusted_due if due else None,
        "due_status": due.status if due else None,
        "versions": int(versions),
        "my_steps": _my_steps(definition, request_actor(acting, request), request),
    }


def _read_request(ctx: AppContext, actor: Actor, request_id: uuid.UUID) -> dict[str, Any]:
    with ctx.reader() as uow:
        scope = load_request(uow.session, actor, request_id)
        definition = return_service.return_definition(uow)
        return _request_out(uow.session, definition, scope.actor, scope.case, scope.request)


def _version_out(version: ReturnVersion) -> dict[str, Any]:
    content = version.content or {}
    secured = content.get("records_secured_on")
    return {
        "number": version.number,
        "submitted_on": version.submitted_on,
        "submitted_by_label": version.submitted_by_label,
        "change_note": version.change_note,
        "text": str(content.get("text", "")),
        "contact": content.get("contact"),
        "records_secured_on": date.fromisoformat(secured) if isinstance(secured, str) else None,
        "attachments": list(content.get("attachments", [])),
        "chronology_entries": int(content.get("chronology_entries", 0)),
        "signed_off_on": version.signed_off_on,
        "signed_off_by_label": version.signed_off_by_label,
        "review_outcome": version.review_outcome,
        "review_comment": version.review_comment,
        "reviewed_on": version.reviewed_on,
        "reviewed_by_label": version.reviewed_by_label,
    }


def _attachment_out(row: ReturnAttachment) -> dict[str, Any]:
    return {
        "id": row.id,
        "request_id": row.request_id,
        "filename": row.filename,
        "media_type": row.media_type,
        "size": row.size,
        "sha256": row.sha256,
        "uploaded_on": row.uploaded_on,
        "removed_on": row.removed_on,
    }


def _entry_out(entry: ChronologyEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "position": entry.position,
        "occurred_on": entry.occurred_on,
        "occurred_time": entry.occurred_time.strftime("%H:%M") if entry.occurred_time else None,
        "precision": entry.precision,
        "when": describe_when(entry),
        "source_record": entry.source_record,
        "event": entry.event,
        "action_taken": entry.action_taken,
        "practitioner_role": entry.practitioner_role,
    }


def _merged_out(row: MergedRow) -> dict[str, Any]:
    e = row.entry
    return {
        "occurred_on": e.occurred_on,
        "occurred_time": e.occurred_time.strftime("%H:%M") if e.occurred_time else None,
        "precision": e.precision,
        "when": row.when,
        "agency_id": e.agency_id,
        "agency": row.agency,
        "return_kind": row.return_kind,
        "version": row.version,
        "source_record": e.source_record,
        "event": e.event,
        "action_taken": e.action_taken,
        "practitioner_role": e.practitioner_role,
        "same_day_with": list(row.same_day_with),
        "gap_before_days": row.gap_before.days if row.gap_before else None,
        "gap_before": row.gap_before.describe() if row.gap_before else None,
    }


def _check_draft_editor(ctx: AppContext, actor: Actor, request_id: uuid.UUID) -> None:
    """Before an upload is read: may this caller change the request's draft? (404 or 403 if not.)"""
    with ctx.reader() as uow:
        attachment_service.check_draft_editor(uow.session, actor, request_id)


def _ascii(name: str) -> str:
    return "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\' else "_" for ch in name)


def _record(
    ctx: AppContext, actor: Actor, kind: ReadKind, case_id: uuid.UUID, record_id: uuid.UUID | None = None
) -> None:
    """Record a read of a return's record (after the access policy allowed it): audit/reads.py."""
    record_read(ctx, actor=actor, interface=Interface.API, kind=kind, case_id=case_id, record_id=record_id)


# --- a case's requests ----------------------------------------------------------------------------


@router.get(
    "/cases/{ref}/returns",
    response_model=Page[ReturnRequestOut],
    summary="The case's return requests I may see",
)
def list_returns(
    ctx: CtxDep,
    access: Viewing,
    page: PageDep,
    kind: Annotated[ReturnKindName | None, Query(description="Only requests of this kind")] = None,
) -> dict[str, Any]:
    """Every agency's requests for case staff; an agency user sees only their own agency's. Oldest first."""
    with ctx.reader() as uow:
        session = uow.session
        definition = return_service.return_definition(uow)
        rows = visible_requests(session, access.actor, access.case, kind=kind)
        items = [_request_out(session, definition, access.actor, access.case, r) for r in rows]
    return paginate_list(items, page)


@router.post(
    "/cases/{ref}/returns",
    response_model=ReturnRequestBatchOut,
    status_code=status.HTTP_201_CREATED,
    summary="Ask agencies for a return",
)
def request_returns(ctx: CtxDep, access: Viewing, body: ReturnRequestIn) -> dict[str, Any]:
    """The CSP officer or the independent chair asks agencies for a return of one kind: each request
    gets its due date and a request letter (queued), and the agency's named DHR contacts are told
    and may open it; `warnings` names each agency with no contact. 409 if an agency already has an
    open request of that kind on the case."""
    made = return_service.request_returns(
        ctx.uow(),
        actor=access.actor,
        clock=ctx.clock,
        case_id=access.case.id,
        agency_ids=body.agency_ids,
        kind=body.kind,
        note=body.note,
        requested_on=body.requested_on,
    )
    with ctx.reader() as uow:
        warnings = return_service.contact_warnings(uow.session, [r.agency_id for r in made])
    return {"items": [_read_request(ctx, access.actor, r.id) for r in made], "warnings": warnings}


# --- one request ----------------------------------------------------------------------------------


@router.get("/returns/{request_id}", response_model=ReturnRequestOut, summary="One return request")
def read_return(ctx: CtxDep, actor: ActorDep, request_id: RequestPath) -> dict[str, Any]:
    """The request, its due date and the steps you may take now; another agency's is a 404."""
    return _read_request(ctx, actor, request_id)


@router.post(
    "/returns/{request_id}/triggers/{trigger}",
    response_model=ReturnRequestOut,
    summary="Take a step on a return",
)
def fire_step(
    ctx: CtxDep,
    actor: ActorDep,
    request_id: RequestPath,
    trigger: Annotated[StepName, Path(description="The step of workflows/agency_return.yaml")],
    body: StepIn,
) -> dict[str, Any]:
    """Acknowledge, sign off (the agency's senior manager), send back to the author, accept, ask for
    changes or withdraw. 403 if your role may not take the step; 409 if the request has moved past
    `expected_version` or the step cannot be taken from its stage."""
    return_service.fire_return(
        ctx.uow(),
        actor=actor,
        clock=ctx.clock,
        request_id=request_id,
        trigger=trigger,
        reason=body.reason,
        effective_on=body.effective_on,
        expected_version=body.expected_version,
    )
    return _read_request(ctx, actor, request_id)


# --- versions -------------------------------------------------------------------------------------


@router.get(
    "/returns/{request_id}/versions",
    response_model=Page[ReturnVersionOut],
    summary="The submitted versions of a return",
)
def versions(ctx: CtxDep, actor: ActorDep, request_id: RequestPath, page: PageDep) -> dict[str, Any]:
    """Every version the agency has submitted, oldest first, with its sign-off and review."""
    with ctx.reader() as uow:
        rows = list_versions(uow.session, actor, request_id)
        body = paginate_list([_version_out(v) for v in rows], page)
        case_id = uow.session.get_one(ReturnRequest, request_id).case_id
    _record(ctx, actor, ReadKind.RETURN_VERSION, case_id, request_id)
    return body


@router.post(
    "/returns/{request_id}/versions",
    response_model=ReturnVersionOut,
    status_code=status.HTTP_201_CREATED,
    summary="Submit a version",
)
def submit_version(
    ctx: CtxDep, actor: ActorDep, request_id: RequestPath, body: SubmissionIn
) -> dict[str, Any]:
    """The agency's author or manager submits the draft (text, attached files, chronology entries)
    as the next version for sign-off: a resubmission when the chair asked for changes."""
    return_service.fire_return(
        ctx.uow(),
        actor=actor,
        clock=ctx.clock,
        request_id=request_id,
        trigger="submit",
        effective_on=body.effective_on,
        expected_version=body.expected_version,
        submission=return_service.Submission(
            text=body.text,
            change_note=body.change_note,
            contact=body.contact,
            records_secured_on=body.records_secured_on,
        ),
    )
    with ctx.reader() as uow:
        latest = list_versions(uow.session, actor, request_id)[-1]
        return _version_out(latest)


@router.get(
    "/returns/{request_id}/versions/{number}",
    response_model=ReturnVersionOut,
    summary="One version of a return",
)
def read_version(
    ctx: CtxDep, actor: ActorDep, request_id: RequestPath, number: VersionPath
) -> dict[str, Any]:
    """One submitted version as it was frozen, with its sign-off and the chair's review."""
    with ctx.reader() as uow:
        body = _version_out(get_version(uow.session, actor, request_id, number))
        case_id = uow.session.get_one(ReturnRequest, request_id).case_id
    _record(ctx, actor, ReadKind.RETURN_VERSION, case_id, request_id)
    return body


# --- attachments ----------------------------------------------------------------------------------


@router.get(
    "/returns/{request_id}/attachments",
    response_model=Page[AttachmentOut],
    summary="The files of a return",
)
def list_files(
    ctx: CtxDep,
    actor: ActorDep,
    request_id: RequestPath,
    page: PageDep,
    removed: Annotated[bool, Query(description="Also files taken out of the draft")] = False,
) -> dict[str, Any]:
    """Every Word and PDF file attached to the request, oldest first."""
    with ctx.reader() as uow:
        rows = attachment_service.list_attachments(uow.session, actor, request_id)
    return paginate_list([_attachment_out(r) for r in rows if removed or r.removed_on is None], page)


@router.post(
    "/returns/{request_id}/attachments",
    response_model=AttachmentOut,
    status_code=status.HTTP_201_CREATED,
    summary="Attach a Word or PDF file",
    responses=TOO_LARGE,
)
async def upload_file(
    ctx: CtxDep,
    actor: ActorDep,
    request_id: RequestPath,
    file: Annotated[UploadFile, File(description=f"A Word (.docx) or PDF file, at most {UPLOAD_LIMIT}")],
) -> dict[str, Any]:
    """The agency's author or manager adds a file to the draft (it goes with the next version). The
    type is found from the content, not the name; anything but Word and PDF is a 422, a file over
    the limit a 413. The file is read and checked off the request thread (returns/upload.py)."""
    await run_in_threadpool(_check_draft_editor, ctx, actor, request_id)
    checked = await off_request_thread(
        partial(attachment_service.read_checked_file, file.file, file.filename or "attachment")
    )
    add = partial(
        attachment_service.add_checked_file,
        ctx.uow(),
        actor=actor,
        clock=ctx.clock,
        storage_dir=ctx.settings.storage_dir,
        request_id=request_id,
        file=checked,
    )
    return _attachment_out(await run_in_threadpool(add))


@router.get(
    "/return-attachments/{attachment_id}",
    response_class=Response,
    summary="Download an attachment",
    responses={200: {"description": "The PDF or Word file, as stored", "content": _files(PDF, DOCX)}},
)
def download_file(ctx: CtxDep, actor: ActorDep, attachment_id: uuid.UUID) -> Response:
    """The stored bytes, checked against their hash; another agency's file is a 404."""
    with ctx.reader() as uow:
        found = attachment_service.read_attachment(
            uow.session, actor, ctx.settings.storage_dir, attachment_id
        )
        case_id = uow.session.get_one(ReturnAttachment, attachment_id).case_id
    _record(ctx, actor, ReadKind.ATTACHMENT, case_id, attachment_id)
    return Response(
        found.content,
        media_type=found.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{_ascii(found.filename)}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


# --- chronology entries ---------------------------------------------------------------------------


@router.get(
    "/returns/{request_id}/chronology",
    response_model=Page[ChronologyEntryOut],
    tags=["chronology"],
    summary="A return's chronology entries",
)
def list_chronology(
    ctx: CtxDep,
    actor: ActorDep,
    request_id: RequestPath,
    page: PageDep,
    version: Annotated[
        int | None,
        Query(ge=1, le=100_000, description="The entries frozen in this version (default: the draft)"),
    ] = None,
) -> dict[str, Any]:
    """The agency's draft entries, or those a submitted version froze, in the agency's order."""
    with ctx.reader() as uow:
        rows = chronology_service.list_entries(uow.session, actor, request_id, version_number=version)
        case_id = uow.session.get_one(ReturnRequest, request_id).case_id
    _record(ctx, actor, ReadKind.CHRONOLOGY, case_id, request_id)
    return paginate_list([_entry_out(e) for e in rows], page)


@router.post(
    "/returns/{request_id}/chronology",
    response_model=ImportOut,
    status_code=status.HTTP_201_CREATED,
    tags=["chronology"],
    summary="Add chronology entries",
)
def add_chronology(ctx: CtxDep, actor: ActorDep, request_id: RequestPath, body: EntriesIn) -> dict[str, Any]:
    """The agency's author or manager adds entries to the draft: all or none. Each bad entry is
    named in `field` as rows[<n>].<column>, counting from 1."""
    entries = [
        EntryInput(
            when=e.when,
            time=e.time,
            event=e.event,
            source_record=e.source_record,
            action_taken=e.action_taken,
            practitioner_role=e.practitioner_role,
            precision=e.precision,
        )
        for e in body.entries
    ]
    result = chronology_service.add_entries(
        ctx.uow(), actor=actor, clock=ctx.clock, request_id=request_id, entries=entries, replace=body.replace
    )
    return {"imported": result.imported, "replaced": result.replaced, "total": result.total}


@router.post(
    "/returns/{request_id}/chronology/import",
    response_model=ImportOut,
    status_code=status.HTTP_201_CREATED,
    tags=["chronology"],
    summary="Import chronology entries from a file",
    responses=TOO_LARGE,
)
async def import_chronology(
    ctx: CtxDep,
    actor: ActorDep,
    request_id: RequestPath,
    file: Annotated[
        UploadFile, File(description=f"A CSV or Excel (.xlsx) file with a header row, at most {UPLOAD_LIMIT}")
    ],
    replace: Annotated[bool, Form(description="Replace the draft's entries instead of adding")] = False,
) -> dict[str, Any]:
    """Every row of the file, or none: each bad row is named in `field` as rows[<n>].<column>
    (the row number as the file shows it), never with the cell's value. A file over the size
    limit is a 413; one of more than 5,000 rows a 422 (`too_many_rows`); either is refused as
    soon as the limit is passed, without reading the rest. The file is read and parsed off the
    request thread (returns/upload.py); then the rows are checked and written in one transaction."""
    await run_in_threadpool(_check_draft_editor, ctx, actor, request_id)
    rows = await off_request_thread(partial(rows_from_upload, file.file))
    save = partial(
        chronology_service.import_rows,
        ctx.uow(),
        actor=actor,
        clock=ctx.clock,
        request_id=request_id,
        rows=rows,
        source="file",
        replace=replace,
    )
    result = await run_in_threadpool(save)
    return {"imported": result.imported, "replaced": result.replaced, "total": result.total}


# --- the merged chronology ------------------------------------------------------------------------

AgencyFilter = Annotated[
    list[uuid.UUID] | None, Query(max_length=50, description="Only these agencies (repeat the parameter)")
]
StartFilter = Annotated[date | None, Query(description="Only entries on or after this day")]
EndFilter = Annotated[date | None, Query(description="Only entries on or before this day")]
GapFilter = Annotated[
    int, Query(ge=1, le=3650, description="Highlight stretches of more days than this without contact")
]


@router.get(
    "/cases/{ref}/chronology",
    response_model=Page[MergedEntryOut],
    tags=["chronology"],
    summary="The merged multi-agency chronology",
)
def merged(
    ctx: CtxDep,
    access: Viewing,
    page: PageDep,
    agency: AgencyFilter = None,
    start: StartFilter = None,
    end: EndFilter = None,
    gap_days: GapFilter = DEFAULT_GAP_DAYS,
) -> dict[str, Any]:
    """Every agency's signed-off entries in time order, with same-day contacts and gaps highlighted.
    For the chair, the panel and the CSP (403 for agency roles, who read their own returns)."""
    with ctx.reader() as uow:
        chain = merged_chronology(
            uow.session, access.actor, access.case, agency_ids=agency, start=start, end=end, gap_days=gap_days
        )
    _record(ctx, access.actor, ReadKind.MERGED_CHRONOLOGY, access.case.id)
    return paginate_list([_merged_out(r) for r in chain.rows], page)


@router.get(
    "/cases/{ref}/chronology-files/{format}",
    response_class=Response,
    tags=["chronology"],
    summary="Export the merged chronology",
    responses={200: {"description": "The Word file or the CSV", "content": _files(CSV, DOCX)}},
)
def merged_export(
    ctx: CtxDep,
    access: Viewing,
    format: Literal["csv", "docx"],
    agency: AgencyFilter = None,
    start: StartFilter = None,
    end: EndFilter = None,
    gap_days: GapFilter = DEFAULT_GAP_DAYS,
) -> Response:
    """The merged chronology as a Word document (landscape, highlights shaded) or a UTF-8 CSV."""
    today = ctx.clock.today()
    with ctx.reader() as uow:
        chain = merged_chronology(
            uow.session, access.actor, access.case, agency_ids=agency, start=start, end=end, gap_days=gap_days
        )
    name = f"{_ascii(access.case.ref)}-merged-chronology-{today.isoformat()}.{format}"
    if format == "csv":
        data, media = to_csv(chain), "text/csv; charset=utf-8"
    else:
        data, media = to_docx(chain, generated_on=today, marking=ctx.settings.protective_marking), DOCX
    _record(ctx, access.actor, ReadKind.MERGED_CHRONOLOGY_EXPORT, access.case.id)
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
