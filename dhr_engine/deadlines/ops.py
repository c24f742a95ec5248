"""A transition's deadline effects (open, close, cancel, pause, resume), carried out on plain rows.

fire_trigger runs this for every change of stage, so it reads the case's open deadlines as plain
rows with one query, works on them in memory, and writes them back with one UPDATE (executemany)
for the rows it changed and one INSERT, queued with the command's other rows, for the rows it
opened: no ORM object per deadline. The rules are those of deadlines/service.py, shared with it.

A row opened already due by an event recorded with a past effective date is held back from the
sweep until the next working day after the recording (domain/reminders.py, `held_until`): a
'held' notice is queued with it, and its `next_on` keeps the row out of the sweep until then.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlmodel import Session

from dhr_engine.deadlines.service import (
    OPEN,
    close_deadline,
    effective_rule,
    new_deadline_values,
    pause_rows,
    resume_rows,
)
from dhr_engine.domain.calendar import BankHolidays
from dhr_engine.domain.clock import LONDON
from dhr_engine.domain.effects import DeadlineOp
from dhr_engine.domain.reminders import HELD, held_until
from dhr_engine.persistence.case_lookup import csp_overrides
from dhr_engine.persistence.row_buffer import queue_row
from dhr_engine.persistence.tables import Case, Deadline, new_id, utcnow
from dhr_engine.persistence.tables_scheduler import DEADLINE_SUBJECT, DeadlineNotice
from dhr_engine.workflow.definition import WorkflowDefinition

DEADLINE: Table = Deadline.__table__  # type: ignore[attr-defined]
NOTICE: Table = DeadlineNotice.__table__  # type: ignore[attr-defined]

# What a transition may change on a row; the rest of an open row never changes.
_CHANGING = ("status", "closed_on", "adjusted_due", "paused_since", "pause_log")

_OPEN_ROWS = select(
    DEADLINE.c.id,
    DEADLINE.c.key,
    DEADLINE.c.statutory_due,
    DEADLINE.c.adjusted_due,
    DEADLINE.c.paused_since,
    DEADLINE.c.pause_log,
).where(DEADLINE.c.case_id == bindparam("case_id"), DEADLINE.c.status == OPEN)

_WRITE_BACK = (
    update(DEADLINE)
    .where(DEADLINE.c.id == bindparam("row_id"))
    .values({name: bindparam(f"new_{name}") for name in _CHANGING})
)


@dataclass(eq=False)
class DeadlineRow:
    """One deadline as a transition sees it: what it is, and the columns a transition changes."""

    id: uuid.UUID
    key: str
    statutory_due: date
    adjusted_due: date
    paused_since: date | None
    pause_log: list[list[str | None]]
    status: str = OPEN
    closed_on: date | None = None
    opened: dict[str, Any] | None = field(default=None, repr=False)  # the whole row, if opened here

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _CHANGING}


def apply_ops(
    session: Session,
    case: Case,
    definition: WorkflowDefinition,
    ops: list[DeadlineOp],
    *,
    on: date,
    anchor_event: str,
    calendar: BankHolidays,
    recorded_at: datetime | None = None,
) -> list[tuple[str, DeadlineRow]]:
    """Carry out a transition's deadline effects; returns (what happened, row) for the audit.

    The case's open rows are read once; rows opened here join that list, so later operations of
    the same transition see them. `recorded_at` is when the event is recorded: a row it opens
    already due, for an event effective before that day (London), is held (`_hold`).
    """
    if not ops:
        return []
    connection = session.connection()
    open_rows = [
        DeadlineRow(r.id, r.key, r.statutory_due, r.adjusted_due, r.paused_since, list(r.pause_log))
        for r in connection.execute(_OPEN_ROWS, {"case_id": case.id})
    ]
    done: list[tuple[str, DeadlineRow]] = []

    def finish(rows: list[DeadlineRow], status: str | None, what: str) -> None:
        for row in rows:
            close_deadline(row, on, status=status)
            open_rows.remove(row)
            done.append((what, row))

    for op in ops:
        same_key = [r for r in open_rows if r.key == op.key]
        if op.op == "open":
            finish(same_key, "cancelled", "deadline_cancelled")
            row = _open(
                session, case, definition, op.key, on=on, anchor_event=anchor_event, calendar=calendar
            )
            open_rows.append(row)
            done.append(("deadline_opened", row))
        elif op.op == "close":
            finish(same_key, None, "deadline_closed")
        elif op.op == "cancel":
            finish(same_key, "cancelled", "deadline_cancelled")
        elif op.op == "cancel_all":
            finish(list(open_rows), "cancelled", "deadline_cancelled")
        elif op.op == "pause":
            done.extend(("deadline_paused", r) for r in pause_rows(case, definition, on, open_rows))
        elif op.op == "resume":
            done.extend(("deadline_resumed", r) for r in resume_rows(on, open_rows))
    _write(session, [row for _, row in done])
    if recorded_at is not None:
        opened = [row for what, row in done if what == "deadline_opened" and row.status == OPEN]
        _hold(session, case, opened, effective_on=on, recorded_at=recorded_at, calendar=calendar)
    return done


def _hold(
    session: Session,
    case: Case,
    rows: list[DeadlineRow],
    *,
    effective_on: date,
    recorded_at: datetime,
    calendar: BankHolidays,
) -> None:
    """Queue a 'held' notice for each row opened already due by an event recorded late: nothing is
    sent for it, and its `next_on` (the next working day) is when the sweep first looks at it."""
    recorded_on = recorded_at.astimezone(LONDON).date()
    for row in rows:
        until = held_until(effective_on, recorded_on, row.adjusted_due, calendar)
        if until is None or row.paused_since is not None:
            continue
        queue_row(
            session,
            NOTICE,
            {
                "id": new_id(), "subject_type": DEADLINE_SUBJECT, "subject_id": row.id,
                "deadline_id": row.id, "case_id": case.id, "plan_id": None, "due_on": row.adjusted_due,
                "rung": HELD, "kind": "quiet", "level": 0, "status": "quiet", "sent_on": recorded_on,
                "claimed_at": recorded_at, "claimed_by": "", "next_on": until, "roles": [],
                "skipped": [], "addressees": 0, "error": "",
            },
        )  # fmt: skip


def _open(
    session: Session,
    case: Case,
    definition: WorkflowDefinition,
    key: str,
    *,
    on: date,
    anchor_event: str,
    calendar: BankHolidays,
) -> DeadlineRow:
    """A new open row, due by the rule (with the CSP's local duration) from `on`."""
    rule = effective_rule(definition, key, csp_overrides(session, case.csp_id))
    values = new_deadline_values(
        case, definition, key, rule, anchor_on=on, anchor_event=anchor_event, calendar=calendar
    )
    values.update(id=new_id(), status=OPEN, closed_on=None, opened_at=utcnow())
    return DeadlineRow(
        id=values["id"],
        key=key,
        statutory_due=values["statutory_due"],
        adjusted_due=values["adjusted_due"],
        paused_since=values["paused_since"],
        pause_log=values["pause_log"],
        opened=values,
    )


def _write(session: Session, rows: list[DeadlineRow]) -> None:
    """One UPDATE for the rows that were open before, one queued INSERT each for the rows opened."""
    unique = list({id(row): row for row in rows}.values())
    changed = [
        {"row_id": row.id, **{f"new_{k}": v for k, v in row.changes().items()}}
        for row in unique
        if row.opened is None
    ]
    if changed:
        session.connection().execute(_WRITE_BACK, changed)
    for row in unique:
        if row.opened is not None:
            queue_row(session, DEADLINE, {**row.opened, **row.changes()})
