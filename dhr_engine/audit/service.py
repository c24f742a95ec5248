"""The audit trail: append-only events chained by a keyed hash, and their verification.

Each event holds the HMAC-SHA256, with the audit key, of its own fields and of the previous event's
hash; the case row holds the count and the head. The key is not in the database (a setting, or a
key file: `dhr_engine.config.audit_key`), so someone who can only write to the database cannot
re-sign an edited chain. What the chain cannot show by itself (its last events deleted with the
counters wound back, a trail wiped, a case deleted) the signed checkpoints outside the database
show (`dhr_engine.audit.checkpoints`).
"""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session, col, select

from dhr_engine.audit.checkpoints import Checkpoint, Checkpoints, CheckpointStore, note_head_moved
from dhr_engine.config import DEV_AUDIT_KEY
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.clock import LONDON
from dhr_engine.errors import NotFound
from dhr_engine.persistence.row_buffer import queue_row
from dhr_engine.persistence.tables import AuditEvent, Case, new_id
from dhr_engine.persistence.unit_of_work import session_audit_key
from dhr_engine.workflow.loader import WorkflowRegistry

GENESIS = "0" * 64
AUDIT_EVENT: Table = AuditEvent.__table__  # type: ignore[attr-defined]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


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


def _microseconds(moment: datetime) -> int:
    """Microseconds since 1970 UTC, exactly; a naive time (as SQLite and the column hand it back) is UTC."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (aware - _EPOCH) // _MICROSECOND


def event_hash(event: AuditEvent | Mapping[str, Any], key: bytes = DEV_AUDIT_KEY.encode()) -> str:
    """The event's HMAC-SHA256 with the audit key: its fields (a stored event or a row about to be
    written) and the previous hash. The product always passes the key of its unit of work; the
    default is the built-in development key, which the tests and the benchmark's bulk data use."""
    fields = event if isinstance(event, Mapping) else {name: getattr(event, name) for name in HASHED_FIELDS}
    actor_user_id = fields["actor_user_id"]
    body = {
        "case_id": str(fields["case_id"]),
        "seq": fields["seq"],
        "kind": fields["kind"],
        "actor_user_id": str(actor_user_id) if actor_user_id else None,
        "actor_label": fields["actor_label"],
        "effective_on": fields["effective_on"].isoformat(),
        "recorded_at": _microseconds(fields["recorded_at"]),
        "data": fields["data"],
        "prev_hash": fields["prev_hash"],
    }
    message = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hmac.digest(key, message, "sha256").hex()


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
    (persistence/row_buffer.py), not an ORM object: a command appends several. Once the command
    has committed, the case's new head is checkpointed outside the database (checkpoints.py).
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
    row["hash"] = event_hash(row, session_audit_key(session))
    case.audit_count = row["seq"]
    case.audit_head = row["hash"]
    queue_row(session, AUDIT_EVENT, row)
    note_head_moved(session, case)


@dataclass(frozen=True)
class AuditProblem:
    case_ref: str
    position: int | None  # the event's position in the case's chain; None: the whole case
    problem: str

    def __str__(self) -> str:
        if self.position is None:
            return f"{self.case_ref}: {self.problem}"
        return f"{self.case_ref}: event {self.position}: {self.problem}"


def _on(checkpoint: Checkpoint) -> str:
    return format_date(checkpoint.at.astimezone(LONDON).date())


def replayed_stage(events: Sequence[AuditEvent]) -> str | None:
    """The stage the events leave the case at: where it was opened, then each recorded stage change.

    None when the events do not say (a chain loaded in bulk without its opening, or a stage change
    recorded without its destination).
    """
    stage: str | None = None
    for event in events:
        if event.kind == "case_opened":
            opened = event.data.get("stage")
            stage = opened if isinstance(opened, str) else None
        elif event.kind == "stage_changed":
            to_stage = event.data.get("to_stage")
            stage = to_stage if isinstance(to_stage, str) else None
    return stage


def _stage_label(workflows: WorkflowRegistry | None, case: Case, code: str) -> str:
    if workflows is not None:
        try:
            definition = workflows.get(case.workflow_key, case.workflow_version)
        except NotFound:
            definition = None
        if definition is not None and code in definition.state_map:
            return definition.state(code).label
    words = code.replace("_", " ")
    return words[:1].upper() + words[1:]


def verify_case(
    session: Session,
    case: Case,
    *,
    checkpoints: Sequence[Checkpoint] = (),
    workflows: WorkflowRegistry | None = None,
    key: bytes | None = None,
) -> list[AuditProblem]:
    """Check one case's chain: every keyed hash, every link, no gap, the count and head on the case
    row, the stage its events lead to, and the chain against every checkpoint of the case."""
    key = key if key is not None else session_audit_key(session)
    events = session.exec(
        select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(col(AuditEvent.seq))
    ).all()
    problems: list[AuditProblem] = []
    recorded = max([case.audit_count, *(c.seq for c in checkpoints)])
    if not events:
        wiped = f"all {recorded} events deleted" if recorded else "no events at all"
        opened = "" if recorded else ": a case's trail starts when it is opened"
        return [AuditProblem(case.ref, 1, f"{wiped} (the trail was wiped{opened})")]
    prev_hash, expected = GENESIS, 1
    for event in events:
        while event.seq > expected:
            problems.append(AuditProblem(case.ref, expected, "event deleted (gap in the sequence)"))
            expected += 1
        if event.prev_hash != prev_hash and not problems:
            problems.append(AuditProblem(case.ref, event.seq, "link to the previous event is broken"))
        if not hmac.compare_digest(event_hash(event, key).encode(), event.hash.encode()):
            problems.append(
                AuditProblem(case.ref, event.seq, "event edited (hash does not match its content)")
            )
        prev_hash, expected = event.hash, event.seq + 1
    last = events[-1].seq
    if recorded > last:
        for position in range(last + 1, recorded + 1):
            problems.append(
                AuditProblem(case.ref, position, "event deleted (missing at the end of the chain)")
            )
    elif case.audit_head != events[-1].hash and not problems:
        problems.append(AuditProblem(case.ref, last, "last event does not match the case's chain head"))
    elif case.audit_count != last and not problems:
        problems.append(AuditProblem(case.ref, last, "the case's count of events does not match its chain"))
    hashes = {event.seq: event.hash for event in events}
    for checkpoint in sorted(checkpoints, key=lambda c: (c.seq, c.line)):
        held = hashes.get(checkpoint.seq)
        if held is not None and held != checkpoint.head:
            problems.append(
                AuditProblem(
                    case.ref,
                    checkpoint.seq,
                    f"event rewritten (it does not match the checkpoint of {_on(checkpoint)})",
                )
            )
            break  # the earliest: the chain was rewritten from there or before
    stage = replayed_stage(events)
    if not problems and stage is not None and stage != case.stage:
        shown, led = _stage_label(workflows, case, case.stage), _stage_label(workflows, case, stage)
        problems.append(
            AuditProblem(
                case.ref,
                last,
                f"stage changed with no event (the case is at '{shown}', its events lead to '{led}')",
            )
        )
    return problems


def verify_all(
    session: Session,
    case_ids: list[uuid.UUID] | None = None,
    *,
    checkpoints: CheckpointStore | None = None,
    workflows: WorkflowRegistry | None = None,
) -> list[AuditProblem]:
    """Verify every case's chain (or the given cases'), against the checkpoints when given: each case
    checkpointed must still exist, and each checkpoint line must carry its own valid signature."""
    key = session_audit_key(session)
    held = checkpoints.read() if checkpoints is not None else Checkpoints()
    query = select(Case).order_by(col(Case.ref))
    if case_ids is not None:  # an empty list checks no case, not every case
        query = query.where(col(Case.id).in_(case_ids))
    problems: list[AuditProblem] = []
    seen: set[uuid.UUID] = set()
    for case in session.exec(query).all():
        seen.add(case.id)
        problems.extend(
            verify_case(
                session, case, checkpoints=held.by_case.get(case.id, ()), workflows=workflows, key=key
            )
        )
    wanted = set(case_ids) if case_ids is not None else None
    gone = [
        max(found, key=lambda c: (c.seq, c.line))
        for case_id, found in held.by_case.items()
        if case_id not in seen and (wanted is None or case_id in wanted)
    ]
    for last in sorted(gone, key=lambda c: c.ref):
        problems.append(
            AuditProblem(
                last.ref,
                None,
                "case missing (its record and its audit trail are gone; "
                f"it was checkpointed at event {last.seq} on {_on(last)})",
            )
        )
    if case_ids is None:
        for bad in held.bad:
            problems.append(AuditProblem(bad.ref or "Checkpoint file", bad.seq, bad.problem))
    return problems
