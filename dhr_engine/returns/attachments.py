"""Attachments of a return: Word (.docx) and PDF only, recognised by their content, not their name.

Files are stored once per content under <storage_dir>/returns/<aa>/<sha256> (the hash is the
file name, so an agency's file name never becomes a path) and read back only for someone who
may see the request: another agency's attachment is "not found", whatever id is tried.

An upload is checked in two steps, so that the web and API routes can do the first off the
request thread (returns/upload.py): `check_file` (its size, its type from its bytes, its hash),
then `add_checked_file`, the command that stores it. `upload_attachment` does both.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import BinaryIO

from sqlmodel import Session, col, select

from dhr_engine.domain.actor import Actor
from dhr_engine.domain.clock import Clock
from dhr_engine.errors import NotFound, PermissionDenied, ValidationFailed
from dhr_engine.persistence.tables import ReturnRequest
from dhr_engine.persistence.tables_returns import ReturnAttachment
from dhr_engine.persistence.unit_of_work import UnitOfWork
from dhr_engine.returns.access import load_request
from dhr_engine.returns.service import audit_request, load_for_update
from dhr_engine.returns.upload import MAX_UPLOAD_BYTES, read_limited, too_large

MAX_ATTACHMENT_BYTES = MAX_UPLOAD_BYTES
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SUFFIX = {PDF: ".pdf", DOCX: ".docx"}
DRAFT_STAGES = frozenset({"requested", "acknowledged", "changes_requested"})
AUTHORS = frozenset({"agency_author", "agency_manager"})


def detect_type(content: bytes) -> str:
    """The media type of a PDF or Word (.docx) file, from its bytes; anything else is refused."""
    if content.startswith(b"%PDF-"):
        if b"%%EOF" not in content[-2048:]:
            raise ValidationFailed("the PDF file is incomplete (no end-of-file marker)", field="file")
        return PDF
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            raise ValidationFailed("the Word file is damaged", field="file") from None
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return DOCX
        raise ValidationFailed("only Word (.docx) and PDF files can be attached", field="file")
    raise ValidationFailed("only Word (.docx) and PDF files can be attached", field="file")


def safe_filename(name: str, media_type: str) -> str:
    """The name to show: the last path part only, printable, with the suffix of its real type."""
    base = PurePath(name.replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable()).strip() or "attachment"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem[:180]}{SUFFIX[media_type]}"


def blob_path(storage_dir: Path, sha256: str) -> Path:
    return storage_dir / "returns" / sha256[:2] / sha256


def _store(storage_dir: Path, sha256: str, content: bytes) -> None:
    """Write the blob once (atomically: a temporary file renamed into place)."""
    path = blob_path(storage_dir, sha256)
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def require_draft_editor(actor: Actor, request: ReturnRequest) -> None:
    """Only the agency's own users change a draft, and only before it is submitted."""
    if not (actor.agency_id == request.agency_id and {r.value for r in actor.roles} & AUTHORS):
        raise PermissionDenied("only the agency's own author or manager may change this return", field="role")
    if request.stage not in DRAFT_STAGES:
        raise ValidationFailed(
            "the return has been submitted; it can be changed only if it is sent back", field="request_id"
        )


def check_draft_editor(session: Session, actor: Actor, request_id: uuid.UUID) -> None:
    """Before a file is read: the request is one the actor may see (else "not found") and change."""
    scope = load_request(session, actor, request_id)
    require_draft_editor(scope.actor, scope.request)


@dataclass(frozen=True)
class CheckedFile:
    """An upload that is a Word or PDF file within the limit: its shown name, type and hash."""

    filename: str
    media_type: str
    content: bytes
    sha256: str


def check_file(filename: str, content: bytes, max_bytes: int = MAX_ATTACHMENT_BYTES) -> CheckedFile:
    """Refuse an empty or too large file, or one that is not Word or PDF (found from its bytes)."""
    if not content:
        raise ValidationFailed("the file is empty", field="file")
    if len(content) > max_bytes:
        raise too_large(max_bytes)
    media_type = detect_type(content)
    return CheckedFile(
        safe_filename(filename, media_type), media_type, content, hashlib.sha256(content).hexdigest()
    )


def read_checked_file(stream: BinaryIO, filename: str, max_bytes: int = MAX_ATTACHMENT_BYTES) -> CheckedFile:
    """check_file of an upload read from `stream` a chunk at a time, refused as soon as it passes
    `max_bytes` (the rest is never read)."""
    return check_file(filename, read_limited(stream, max_bytes), max_bytes)


def upload_attachment(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    storage_dir: Path,
    request_id: uuid.UUID,
    filename: str,
    content: bytes,
    max_bytes: int = MAX_ATTACHMENT_BYTES,
) -> ReturnAttachment:
    """Add a Word or PDF file to the draft of a return (included in the next version)."""
    checked = check_file(filename, content, max_bytes)
    return add_checked_file(
        uow, actor=actor, clock=clock, storage_dir=storage_dir, request_id=request_id, file=checked
    )


def add_checked_file(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    storage_dir: Path,
    request_id: uuid.UUID,
    file: CheckedFile,
) -> ReturnAttachment:
    """Store a checked file and add it to the draft of a return, in one transaction."""
    media_type, sha256, content = file.media_type, file.sha256, file.content
    today = clock.today()
    with uow:
        session = uow.session
        scope = load_for_update(uow, actor, request_id)
        require_draft_editor(scope.actor, scope.request)
        _store(storage_dir, sha256, content)
        row = ReturnAttachment(
            request_id=scope.request.id,
            case_id=scope.case.id,
            agency_id=scope.request.agency_id,
            filename=file.filename,
            media_type=media_type,
            size=len(content),
            sha256=sha256,
            uploaded_on=today,
            uploaded_at=clock.now(),
            uploaded_by=actor.user_id,
        )
        session.add(row)
        session.flush()
        audit_request(
            session,
            scope.case,
            scope.actor,
            today,
            clock.now(),
            "return_attachment_added",
            scope.request,
            attachment_id=str(row.id),
            media_type=media_type,
            size=row.size,
            sha256=sha256,
        )
        session.add(scope.case)
        uow.commit()
        return row


def remove_attachment(
    uow: UnitOfWork, *, actor: Actor, clock: Clock, attachment_id: uuid.UUID
) -> ReturnAttachment:
    """Take a file out of the draft; versions that listed it keep it."""
    today = clock.today()
    with uow:
        session = uow.session
        row = _visible_attachment(session, actor, attachment_id)
        scope = load_for_update(uow, actor, row.request_id)
        require_draft_editor(scope.actor, scope.request)
        if row.removed_on is not None:
            raise ValidationFailed("the file has already been taken out", field="attachment_id")
        row.removed_on = today
        session.add(row)
        audit_request(
            session,
            scope.case,
            scope.actor,
            today,
            clock.now(),
            "return_attachment_removed",
            scope.request,
            attachment_id=str(row.id),
        )
        session.add(scope.case)
        uow.commit()
        return row


def _visible_attachment(session: Session, actor: Actor, attachment_id: uuid.UUID) -> ReturnAttachment:
    row = session.get(ReturnAttachment, attachment_id)
    if row is None:
        raise NotFound("no such attachment", field="attachment_id")
    try:
        scope = load_request(session, actor, row.request_id)
    except NotFound:
        raise NotFound("no such attachment", field="attachment_id") from None
    if scope.request.agency_id != row.agency_id:
        raise NotFound("no such attachment", field="attachment_id")
    return row


@dataclass(frozen=True)
class Download:
    filename: str
    media_type: str
    content: bytes
    sha256: str


def read_attachment(session: Session, actor: Actor, storage_dir: Path, attachment_id: uuid.UUID) -> Download:
    """The file's bytes for someone who may see its request, checked against its hash."""
    row = _visible_attachment(session, actor, attachment_id)
    path = blob_path(storage_dir, row.sha256)
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise NotFound("the stored file is missing; ask the administrator", field="attachment_id") from None
    if hashlib.sha256(content).hexdigest() != row.sha256:
        raise ValidationFailed("the stored file does not match its hash; ask the administrator", field="file")
    return Download(row.filename, row.media_type, content, row.sha256)


def list_attachments(session: Session, actor: Actor, request_id: uuid.UUID) -> list[ReturnAttachment]:
    """Every file ever attached to a request the actor may see (removed ones included)."""
    scope = load_request(session, actor, request_id)
    query = select(ReturnAttachment).where(ReturnAttachment.request_id == scope.request.id)
    return list(session.exec(query.order_by(col(ReturnAttachment.uploaded_at))).all())
