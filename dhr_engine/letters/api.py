"""Letters: the catalogue, a case's register, drafting, preview, approval, sending and downloads.

Who may do what is decided in the service (letters/access.py); a case the caller may not see is
404. A sent letter answers 409 to any change or deletion, and its download is the stored bytes.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from dhr_engine.api.deps import API_PREFIX, ActorDep, CaseAccess, CtxDep, PageDep, case_access, paginate_list
from dhr_engine.api.paging import Page
from dhr_engine.audit.reads import Interface, Read, record_read, record_reads
from dhr_engine.auth.policy import Action
from dhr_engine.context import AppContext
from dhr_engine.domain.actor import Actor
from dhr_engine.letters import access as letter_access
from dhr_engine.letters import service as letter_service
from dhr_engine.letters.catalogue import CATALOGUE, spec_for
from dhr_engine.persistence.tables_letters import Letter

router = APIRouter(prefix=API_PREFIX, tags=["letters"])
Viewing = Annotated[CaseAccess, Depends(case_access(Action.CASE_VIEW))]
MEDIA = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


class CatalogueEntry(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"code": "c11_family_first_letter", "number": "C11",
                 "title": "Domestic Homicide Review: an invitation to take part",
                 "recipient": "The next of kin (family or friends)",
                 "template": "c11_family_first_letter.html",
                 "merge_fields": ["case_ref", "csp_name", "deceased_name", "chair_name"]}
            ]
        }
    )  # fmt: skip

    code: str = Field(examples=["c11_family_first_letter"])
    number: str = Field(examples=["C11"])
    title: str
    recipient: str
    template: str
    merge_fields: list[str]


class LetterOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0b7f3f7e-3d0a-4a57-9a1e-7c1f6b0c2d11",
                    "code": "c04_ho_decision_proceed",
                    "number": "C04",
                    "title": "Notification of a decision to hold a Domestic Homicide Review",
                    "status": "sent",
                    "recipient_kind": "home_office",
                    "recipient_label": "Home Office DHR team",
                    "letter_date": "2026-11-25",
                    "source": "workflow",
                    "template_path": "national/c04_ho_decision_proceed.html",
                    "template_version": "b05578cb23d79448",
                    "context": {"case_ref": "DHR-2026-004", "victim_pseudonym": "Dawn"},
                    "context_sha256": "9f2c...",
                    "drafted_by_label": "system",
                    "approved_by_label": "Charles Chambers (CSP chair)",
                    "approved_at": "2026-11-25T10:00:00Z",
                    "sent_by_label": "Olivia Officer (DHR coordinator)",
                    "sent_at": "2026-11-25T11:00:00Z",
                    "sent_via": "email",
                    "pdf_sha256": "4e1a...",
                    "docx_sha256": "77b0...",
                }
            ]
        }
    )

    id: uuid.UUID
    code: str
    number: str
    title: str
    status: Literal["draft", "approved", "sent", "cancelled"]
    recipient_kind: str
    recipient_label: str
    letter_date: date
    source: str
    template_path: str
    template_version: str
    context: dict[str, Any]
    context_sha256: str
    drafted_by_label: str
    approved_by_label: str
    approved_at: datetime | None
    sent_by_label: str
    sent_at: datetime | None
    sent_via: str
    pdf_sha256: str
    docx_sha256: str


class DraftIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"code": "c14", "fields": {"reason": "The criminal trial is listed for March 2027.",
                                            "original_target": "2027-05-05",
                                            "new_expected_date": "2027-09-30"}}
            ]
        },
    )  # fmt: skip

    code: str = Field(min_length=2, max_length=60, examples=["c04"])
    fields: dict[str, Any] = Field(default_factory=dict, description="Merge fields to set or override")
    agency_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None


class FieldsIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"fields": {"new_expected_date": "2027-10-29"}}]}
    )

    fields: dict[str, Any] = Field(description="Merge fields to change on a draft")


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"via": "email"}]})

    via: Literal["post", "email", "hand"] = "post"


class EmailIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"with_docx": True}]})

    with_docx: bool = Field(False, description="Attach the Word file as well as the PDF")


class RequestLettersOut(BaseModel):
    """The letters to every agency of one return request, after a bulk action."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"case_ref": "DHR-2026-004", "code": "c10_chronology_request", "letters": []}]
        }
    )

    case_ref: str
    code: str
    letters: list[LetterOut]


class VerifyOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"hashes_verify": True, "problems": [], "rerender_identical": True, "reasons": []}]
        }
    )

    hashes_verify: bool
    problems: list[str]
    rerender_identical: bool
    reasons: list[str]


def _record(ctx: AppContext, actor: Actor, letter: Letter) -> None:
    """Record the read of a letter to the family or naming the subjects (audit/reads.py)."""
    record_read(
        ctx,
        actor=actor,
        interface=Interface.API,
        kind=letter_access.read_kind(letter),
        case_id=letter.case_id,
        record_id=letter.id,
    )


def _out(row: Letter) -> dict[str, Any]:
    data = {name: getattr(row, name) for name in LetterOut.model_fields if hasattr(row, name)}
    data["number"] = spec_for(row.code).number
    return data


@router.get("/letters/catalogue", response_model=Page[CatalogueEntry], summary="The letter catalogue")
def catalogue(_actor: ActorDep, page: PageDep) -> dict[str, Any]:
    """Every letter of the process (C1-C23) with its recipient and merge fields."""
    entries = [
        {"code": s.code, "number": s.number, "title": s.title, "recipient": s.recipient,
         "template": s.template, "merge_fields": s.merge_fields}
        for s in CATALOGUE.values()
    ]  # fmt: skip
    return paginate_list(entries, page)


@router.get("/cases/{ref}/letters", response_model=Page[LetterOut], summary="The case's letter register")
def register(ctx: CtxDep, access: Viewing, page: PageDep) -> dict[str, Any]:
    """The letters of the case the caller may read, oldest first."""
    rows = letter_service.list_letters(ctx, actor=access.actor, case_id=access.case.id)
    body = paginate_list([_out(r) for r in rows], page)
    shown = {item["id"] for item in body["items"]}
    reads = [
        Read(kind, r.case_id, r.id)
        for r in rows
        if r.id in shown and (kind := letter_access.read_kind(r)) is not None
    ]
    record_reads(ctx, actor=access.actor, interface=Interface.API, reads=reads)  # each one's merge data
    return body


@router.post(
    "/cases/{ref}/letters",
    response_model=LetterOut,
    status_code=status.HTTP_201_CREATED,
    summary="Draft a letter",
)
def draft(ctx: CtxDep, access: Viewing, body: DraftIn) -> dict[str, Any]:
    """Draft a letter from the case record plus the fields given; 422 names every missing field."""
    request = letter_service.DraftRequest(
        code=body.code, fields=body.fields, agency_id=body.agency_id, person_id=body.person_id
    )
    return _out(letter_service.draft_letter(ctx, actor=access.actor, request=request, case_id=access.case.id))


@router.get("/letters/{letter_id}", response_model=LetterOut, summary="One letter")
def show(ctx: CtxDep, actor: ActorDep, letter_id: uuid.UUID) -> dict[str, Any]:
    """One letter with its merge data and, once sent, the hashes of the copy that went out."""
    letter = letter_service.get_letter(ctx, actor=actor, letter_id=letter_id)
    _record(ctx, actor, letter)
    return _out(letter)


@router.patch("/letters/{letter_id}", response_model=LetterOut, summary="Change a draft's merge fields")
def change(ctx: CtxDep, actor: ActorDep, letter_id: uuid.UUID, body: FieldsIn) -> dict[str, Any]:
    """Only drafts and approved letters (which go back to draft); a sent letter answers 409."""
    return _out(letter_service.update_draft(ctx, actor=actor, letter_id=letter_id, fields=body.fields))


@router.delete("/letters/{letter_id}", response_model=LetterOut, summary="Cancel a letter")
def cancel(
    ctx: CtxDep,
    actor: ActorDep,
    letter_id: uuid.UUID,
    reason: Annotated[str, Query(min_length=1, max_length=1000)] = "withdrawn by the user",
) -> dict[str, Any]:
    """Letters are never erased: a draft is marked cancelled; a sent letter answers 409."""
    return _out(letter_service.cancel_letter(ctx, actor=actor, letter_id=letter_id, reason=reason))


@router.post("/letters/{letter_id}/approve", response_model=LetterOut, summary="Approve a draft")
def approve(ctx: CtxDep, actor: ActorDep, letter_id: uuid.UUID) -> dict[str, Any]:
    """Approve a draft: a role the catalogue names for the letter, and not the person who drafted it."""
    return _out(letter_service.approve_letter(ctx, actor=actor, letter_id=letter_id))


@router.post("/letters/{letter_id}/send", response_model=LetterOut, summary="Record the letter as sent")
def send(ctx: CtxDep, actor: ActorDep, letter_id: uuid.UUID, body: SendIn) -> dict[str, Any]:
    """Record an approved letter as sent; its PDF and .docx are kept, with their hashes, for good."""
    return _out(letter_service.send_letter(ctx, actor=actor, letter_id=letter_id, via=body.via))


@router.post("/letters/{letter_id}/email", response_model=LetterOut, summary="Send the letter by e-mail")
def email(ctx: CtxDep, actor: ActorDep, letter_id: uuid.UUID, body: EmailIn) -> dict[str, Any]:
    """Send an approved letter to the agency's secure e-mail address through the outbox (PDF, and
    Word if asked); 422 when the recipient has no address on record."""
    return _out(letter_service.email_letter(ctx, actor=actor, letter_id=letter_id, with_docx=body.with_docx))


def _request_out(ctx: AppContext, actor: Actor, found: letter_service.RequestLetters) -> dict[str, Any]:
    reads = [
        Read(kind, r.case_id, r.id) for r in found.letters if (kind := letter_access.read_kind(r)) is not None
    ]
    record_reads(ctx, actor=actor, interface=Interface.API, reads=reads)
    return {"case_ref": found.case_ref, "code": found.code, "letters": [_out(r) for r in found.letters]}


@router.post(
    "/return-requests/{request_id}/letters/draft",
    response_model=RequestLettersOut,
    summary="Draft the letters to every agency of a return request",
)
def draft_for_request(ctx: CtxDep, actor: ActorDep, request_id: uuid.UUID) -> dict[str, Any]:
    """Draft (or bring up to date) the request letter to each agency asked with this request."""
    return _request_out(ctx, actor, letter_service.draft_for_request(ctx, actor=actor, request_id=request_id))


@router.post(
    "/return-requests/{request_id}/letters/approve",
    response_model=RequestLettersOut,
    summary="Approve the letters to every agency of a return request",
)
def approve_for_request(ctx: CtxDep, actor: ActorDep, request_id: uuid.UUID) -> dict[str, Any]:
    """Approve every draft at once, or none: 403 if the caller drafted any of them."""
    return _request_out(
        ctx, actor, letter_service.approve_for_request(ctx, actor=actor, request_id=request_id)
    )


@router.post(
    "/return-requests/{request_id}/letters/send",
    response_model=RequestLettersOut,
    summary="E-mail the letters to every agency of a return request",
)
def send_for_request(ctx: CtxDep, actor: ActorDep, request_id: uuid.UUID, body: EmailIn) -> dict[str, Any]:
    """E-mail every approved letter at once, or none: 422 if an agency has no address on record."""
    found = letter_service.send_for_request(ctx, actor=actor, request_id=request_id, with_docx=body.with_docx)
    return _request_out(ctx, actor, found)


@router.get(
    "/letter-previews/{letter_id}",
    response_class=Response,
    include_in_schema=False,  # HTML, not JSON: the OpenAPI document describes the JSON API only
    summary="HTML preview",
    responses={200: {"description": "The letter as an HTML page (text/html)"}},
)
def preview(ctx: CtxDep, actor: ActorDep, letter_id: uuid.UUID) -> HTMLResponse:
    """The letter as an HTML page, rendered from its stored merge data."""
    letter = letter_service.get_letter(ctx, actor=actor, letter_id=letter_id)
    html = letter_service.letter_html(ctx, letter)
    _record(ctx, actor, letter)
    return HTMLResponse(html)


@router.get(
    "/letter-files/{letter_id}/{format}",
    summary="Download as PDF or .docx",
    response_class=Response,
    include_in_schema=False,  # a file, not JSON
    responses={200: {"description": "The PDF (application/pdf) or Word file"}},
)
def download(ctx: CtxDep, actor: ActorDep, letter_id: uuid.UUID, format: Literal["pdf", "docx"]) -> Response:
    """A sent letter downloads exactly as sent; a draft is rendered now."""
    letter = letter_service.get_letter(ctx, actor=actor, letter_id=letter_id)
    data = letter_service.letter_file(ctx, letter, format)
    _record(ctx, actor, letter)
    name = f"{letter.code}-{str(letter.id)[:8]}.{format}"
    return Response(
        data, media_type=MEDIA[format], headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/letter-checks/{letter_id}", response_model=VerifyOut, summary="Verify a sent letter")
def verify(ctx: CtxDep, actor: ActorDep, letter_id: uuid.UUID) -> dict[str, Any]:
    """Check the stored hashes, and whether rendering it again gives the same bytes (or why not)."""
    letter = letter_service.get_letter(ctx, actor=actor, letter_id=letter_id)
    problems = letter_service.verify_letter(letter)
    again = letter_service.rerender_sent(ctx, letter)
    return {
        "hashes_verify": not problems,
        "problems": problems,
        "rerender_identical": again.identical,
        "reasons": list(again.reasons),
    }
