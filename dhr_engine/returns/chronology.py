"""An agency's chronology draft: entries from a form, pasted text or a CSV/XLSX file.

All rows or none: every row is checked first, and one bad row rejects the lot with a report of
each bad row (ChronologyRejected). The draft becomes part of the next submitted version, which
freezes a copy of its entries; the draft itself stays for the next round of changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session, col, func, select

from dhr_engine.domain.actor import Actor
from dhr_engine.domain.clock import Clock
from dhr_engine.errors import NotFound, ValidationFailed
from dhr_engine.persistence.tables import Agency
from dhr_engine.persistence.tables_returns import ChronologyEntry, ReturnVersion
from dhr_engine.persistence.unit_of_work import UnitOfWork
from dhr_engine.returns.access import load_request
from dhr_engine.returns.attachments import require_draft_editor
from dhr_engine.returns.chronology_input import (
    MAX_ROWS,
    ChronologyRejected,
    EntryInput,
    RawRow,
    RowError,
    check_rows,
    rows_from_file,
    rows_from_inputs,
    rows_from_text,
)
from dhr_engine.returns.service import audit_request, draft_entries, load_for_update

CHRONOLOGY_KINDS = frozenset({"imr", "chronology", "short_report"})


@dataclass(frozen=True)
class ImportResult:
    imported: int
    replaced: int
    total: int  # entries in the draft now


def add_entries(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    request_id: uuid.UUID,
    entries: Sequence[EntryInput],
    replace: bool = False,
) -> ImportResult:
    """Add entries typed in a form."""
    return _save(uow, actor, clock, request_id, rows_from_inputs(entries), "form", replace)


def import_text(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    request_id: uuid.UUID,
    text: str,
    replace: bool = False,
) -> ImportResult:
    """Add entries pasted from a spreadsheet or a Word table (tab-separated) or typed as CSV."""
    return _save(uow, actor, clock, request_id, rows_from_text(text), "pasted", replace)


def import_file(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    request_id: uuid.UUID,
    content: bytes,
    replace: bool = False,
) -> ImportResult:
    """Add entries from a CSV or Excel (.xlsx) file with a header row."""
    return _save(uow, actor, clock, request_id, rows_from_file(content), "file", replace)


def import_rows(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    request_id: uuid.UUID,
    rows: list[RawRow],
    source: Literal["file", "pasted"],
    replace: bool = False,
) -> ImportResult:
    """Add entries from rows already read from a file or pasted text (rows_from_upload,
    rows_from_text), as the upload routes do off the request thread (returns/upload.py)."""
    return _save(uow, actor, clock, request_id, rows, source, replace)


def _save(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    request_id: uuid.UUID,
    rows: list[RawRow],
    source: str,
    replace: bool,
) -> ImportResult:
    today = clock.today()
    with uow:
        session = uow.session
        scope = load_for_update(uow, actor, request_id)
        request = scope.request
        require_draft_editor(scope.actor, request)
        if request.kind not in CHRONOLOGY_KINDS:
            raise ValidationFailed("this kind of return has no chronology", field="request_id")
        agency = session.get(Agency, request.agency_id)
        entries, errors = check_rows(rows, agency_name=agency.name if agency else "", today=today)
        if errors:
            raise ChronologyRejected(errors)
        existing = draft_entries(session, request.id)
        if replace:
            for old in existing:
                session.delete(old)
        kept = 0 if replace else len(existing)
        if kept + len(entries) > MAX_ROWS:
            raise ChronologyRejected(
                [RowError(rows[0].number, "file", f"the draft would hold more than {MAX_ROWS} entries")]
            )
        start = 0 if replace else max((e.position for e in existing), default=0)
        now = clock.now()
        for offset, entry in enumerate(entries, start=1):
            session.add(
                ChronologyEntry(
                    request_id=request.id,
                    case_id=request.case_id,
                    agency_id=request.agency_id,
                    position=start + offset,
                    occurred_on=entry.occurred_on,
                    occurred_time=entry.occurred_time,
                    precision=entry.precision,
                    source_record=entry.source_record,
                    event=entry.event,
                    action_taken=entry.action_taken,
                    practitioner_role=entry.practitioner_role,
                    entered_by=actor.user_id,
                    entered_at=now,
                )
            )
        audit_request(
            session,
            scope.case,
            scope.actor,
            today,
            now,
            "return_chronology_imported",
            request,
            source=source,
            imported=len(entries),
            replaced=len(existing) if replace else 0,
        )
        session.add(scope.case)
        uow.commit()
        return ImportResult(len(entries), len(existing) if replace else 0, kept + len(entries))


def remove_entry(uow: UnitOfWork, *, actor: Actor, clock: Clock, entry_id: uuid.UUID) -> None:
    """Delete one entry of a draft (submitted versions keep their own copies)."""
    today = clock.today()
    with uow:
        session = uow.session
        entry = session.get(ChronologyEntry, entry_id)
        if entry is None or entry.version_id is not None:
            raise NotFound("no such draft entry", field="entry_id")
        try:
            scope = load_for_update(uow, actor, entry.request_id)
        except NotFound:
            raise NotFound("no such draft entry", field="entry_id") from None
        require_draft_editor(scope.actor, scope.request)
        session.delete(entry)
        audit_request(
            session,
            scope.case,
            scope.actor,
            today,
            clock.now(),
            "return_chronology_entry_removed",
            scope.request,
            entry_id=str(entry_id),
        )
        session.add(scope.case)
        uow.commit()


def list_entries(
    session: Session, actor: Actor, request_id: uuid.UUID, *, version_number: int | None = None
) -> list[ChronologyEntry]:
    """The draft's entries, or those frozen in one version, of a request the actor may see."""
    scope = load_request(session, actor, request_id)
    query = select(ChronologyEntry).where(ChronologyEntry.request_id == scope.request.id)
    if version_number is None:
        query = query.where(col(ChronologyEntry.version_id).is_(None))
    else:
        version_id = session.exec(
            select(ReturnVersion.id).where(
                ReturnVersion.request_id == scope.request.id, ReturnVersion.number == version_number
            )
        ).first()
        if version_id is None:
            raise NotFound("no such version", field="version")
        query = query.where(ChronologyEntry.version_id == version_id)
    return list(session.exec(query.order_by(col(ChronologyEntry.position))).all())


def count_draft(session: Session, request_id: uuid.UUID) -> int:
    query = (
        select(func.count())
        .select_from(ChronologyEntry)
        .where(ChronologyEntry.request_id == request_id, col(ChronologyEntry.version_id).is_(None))
    )
    return int(session.exec(query).one())
