"""The family engagement log: contacts, leaflet, advocacy, meetings, draft shared, pseudonym."""

from __future__ import annotations

import uuid
from datetime import date

from dhr_engine.audit.service import append_event
from dhr_engine.auth import actors
from dhr_engine.deadlines.service import close_by_key, validate_effective_date
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.clock import Clock
from dhr_engine.domain.family_log import KINDS
from dhr_engine.domain.roles import roles_that
from dhr_engine.errors import ValidationFailed
from dhr_engine.persistence import case_lookup
from dhr_engine.persistence.tables import FamilyContact
from dhr_engine.persistence.unit_of_work import UnitOfWork

CLOSES = {"first_letter_sent": "family_first_letter", "leaflet_sent": "family_first_letter"}
RECORDERS = roles_that("family:manage")


def record_family_contact(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    case_id: uuid.UUID,
    kind: str,
    occurred_on: date,
    note: str = "",
    person_id: uuid.UUID | None = None,
) -> FamilyContact:
    """Add one entry to the family engagement log; a first letter meets the family_first_letter deadline."""
    if kind not in KINDS:
        raise ValidationFailed(f"kind must be one of: {', '.join(KINDS)}", field="kind")
    validate_effective_date(occurred_on, clock.today())
    with uow:
        session = uow.session
        case = case_lookup.get_case_for_update(uow, case_id, None)
        actors.require_case_role(session, actor, case, RECORDERS, "write the family log")
        row = FamilyContact(
            case_id=case.id,
            kind=kind,
            occurred_on=occurred_on,
            note=note,
            person_id=person_id,
            recorded_by=actor.user_id,
        )
        session.add(row)
        append_event(
            session,
            case,
            kind="family_contact_recorded",
            actor=actor,
            effective_on=occurred_on,
            recorded_at=clock.now(),
            data={"entry_id": str(row.id), "kind": kind},
        )
        if kind in CLOSES:
            for deadline in close_by_key(session, case.id, CLOSES[kind], occurred_on):
                append_event(
                    session,
                    case,
                    kind="deadline_closed",
                    actor=actor,
                    effective_on=occurred_on,
                    recorded_at=clock.now(),
                    data={"key": deadline.key, "status": deadline.status},
                )
        session.add(case)
        uow.commit()
        return row
