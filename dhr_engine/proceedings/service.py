"""Parallel proceedings (criminal trial, inquest, IOPC, other): record, pause, conclude."""

from __future__ import annotations

import uuid
from datetime import date

from dhr_engine.audit.service import append_event
from dhr_engine.auth import actors
from dhr_engine.deadlines.service import validate_effective_date
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.clock import Clock
from dhr_engine.domain.roles import roles_that
from dhr_engine.errors import NotFound, ValidationFailed
from dhr_engine.persistence import case_lookup
from dhr_engine.persistence.tables import ParallelProceeding
from dhr_engine.persistence.unit_of_work import UnitOfWork

KINDS = ("criminal_trial", "inquest", "iopc", "other")
RECORDERS = roles_that("proceedings:manage")


def record_proceeding(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    case_id: uuid.UUID,
    kind: str,
    started_on: date,
    body: str = "",
    reference: str = "",
    note: str = "",
    pauses_review: bool = True,
) -> ParallelProceeding:
    """Record a proceeding; pausing the review is then the trigger pause_for_proceedings."""
    if kind not in KINDS:
        raise ValidationFailed(f"kind must be one of: {', '.join(KINDS)}", field="kind")
    validate_effective_date(started_on, clock.today())
    with uow:
        session = uow.session
        case = case_lookup.get_case_for_update(uow, case_id, None)
        actors.require_case_role(session, actor, case, RECORDERS, "record proceedings")
        row = ParallelProceeding(
            case_id=case.id,
            kind=kind,
            started_on=started_on,
            body=body,
            reference=reference,
            note=note,
            pauses_review=pauses_review,
        )
        session.add(row)
        append_event(
            session,
            case,
            kind="proceeding_recorded",
            actor=actor,
            effective_on=started_on,
            recorded_at=clock.now(),
            data={"proceeding_id": str(row.id), "kind": kind, "pauses_review": pauses_review},
        )
        session.add(case)
        uow.commit()
        return row


def conclude_proceeding(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    case_id: uuid.UUID,
    proceeding_id: uuid.UUID,
    concluded_on: date,
    outcome: str = "",
) -> ParallelProceeding:
    """Record that a proceeding has concluded; the chair then resumes the review (resume_review)."""
    validate_effective_date(concluded_on, clock.today())
    with uow:
        session = uow.session
        case = case_lookup.get_case_for_update(uow, case_id, None)
        actors.require_case_role(session, actor, case, RECORDERS, "conclude proceedings")
        row = session.get(ParallelProceeding, proceeding_id)
        if row is None or row.case_id != case.id:
            raise NotFound("no such proceeding on this case", field="proceeding_id")
        if row.concluded_on is not None:
            raise ValidationFailed("that proceeding has already concluded", field="proceeding_id")
        if concluded_on < row.started_on:
            raise ValidationFailed("a proceeding cannot conclude before it started", field="concluded_on")
        row.concluded_on = concluded_on
        if outcome:
            row.note = (row.note + "\n" if row.note else "") + outcome
        session.add(row)
        append_event(
            session,
            case,
            kind="proceeding_concluded",
            actor=actor,
            effective_on=concluded_on,
            recorded_at=clock.now(),
            data={"proceeding_id": str(row.id), "kind": row.kind},
        )
        session.add(case)
        uow.commit()
        return row
