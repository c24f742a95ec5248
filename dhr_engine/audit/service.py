"""The audit trail: append-only events chained by hash, and their verification."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session, col, select

from dhr_engine.domain.actor import Actor
from dhr_engine.persistence.row_buffer import queue_row
from dhr_engine.persistence.tables import AuditEvent, Case, new_id

GENESIS = "0" * 64
AUDIT_EVENT: Table = AuditEvent.__table__  # type: ignore[attr-defined]


HASHED_FIELDS = (
    "case_id",
    "seq",
    "kind",
    "actor_user_id",
    "actor_label",
    "effective_on",
    "recorded_at",
    "data",
    "prev_hash",
)


def event_hash(event: AuditEvent | Mapping[str, Any]) -> str:
    """The event's hash: its fields (a stored event or a row about to be written) and the previous hash."""
    fields = event if isinstance(event, Mapping) else {name: getattr(event, name) for name in HASHED_FIELDS}
    actor_user_id = fields["actor_user_id"]
    body = {
        "case_id": str(fields["case_id"]),
        "seq": fields["seq"],
        "kind": fields["kind"],
        "actor_user_id": str(actor_user_id) if actor_user_id else None,
        "actor_label": fields["actor_label"],
        "effective_on": fields["effective_on"].isoformat(),
        "recorded_at": int(fields["recorded_at"].timestamp() * 1_000_000),
        "data": fields["data"],
        "prev_hash": fields["prev_hash"],
    }
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()


def append_event(
    session: Session,
    case: Case,
    *,
    kind: str,
    actor: Actor,
    effective_on: date,
    recorded_at: datetime,
    data: dict[str, Any],
) -> None:
    """Queue the next event of the case's chain (written with the command's flush, committed with it).

    The row is a plain dict written by one INSERT with the command's other events
    (persistence/row_buffer.py), not an ORM object: a command appends several.
    """
    row: dict[str, Any] = {
        "id": new_id(),
        "case_id": case.id,
        "seq": case.audit_count + 1,
        "kind": kind,
        "actor_user_id": actor.user_id,
        "actor_label": actor.label,
        "effective_on": effective_on,
        "recorded_at": recorded_at,
        "data": data,
        "prev_hash": case.audit_head or GENESIS,
    }
    row["hash"] = event_hash(row)
    case.audit_count = row["seq"]
    case.audit_head = row["hash"]
    queue_row(session, AUDIT_EVENT, row)


@dataclass(frozen=True)
class AuditProblem:
    case_ref: str
    position: int
    problem: str

    def __str__(self) -> str:
        return f"{self.case_ref}: event {self.position}: {self.problem}"


def verify_case(session: Session, case: Case) -> list[AuditProblem]:
    """Check one case's chain: every hash, every link, no gap, nothing missing at the end."""
    events = session.exec(
        select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(col(AuditEvent.seq))
    ).all()
    problems: list[AuditProblem] = []
    prev_hash, expected = GENESIS, 1
    for event in events:
        while event.seq > expected:
            problems.append(AuditProblem(case.ref, expected, "event deleted (gap in the sequence)"))
            expected += 1
        if event.prev_hash != prev_hash and not problems:
            problems.append(AuditProblem(case.ref, event.seq, "link to the previous event is broken"))
        if event_hash(event) != event.hash:
            problems.append(
                AuditProblem(case.ref, event.seq, "event edited (hash does not match its content)")
            )
        prev_hash, expected = event.hash, event.seq + 1
    if case.audit_count > len(events) and (not events or events[-1].seq < case.audit_count):
        last = events[-1].seq if events else 0
        for position in range(last + 1, case.audit_count + 1):
            problems.append(
                AuditProblem(case.ref, position, "event deleted (missing at the end of the chain)")
            )
    elif events and case.audit_head != events[-1].hash and not problems:
        problems.append(
            AuditProblem(case.ref, events[-1].seq, "last event does not match the case's chain head")
        )
    return problems


def verify_all(session: Session, case_ids: list[uuid.UUID] | None = None) -> list[AuditProblem]:
    """Verify every case's chain (or the given cases')."""
    query = select(Case).order_by(col(Case.ref))
    if case_ids is not None:  # an empty list checks no case, not every case
        query = query.where(col(Case.id).in_(case_ids))
    problems: list[AuditProblem] = []
    for case in session.exec(query).all():
        problems.extend(verify_case(session, case))
    return problems
