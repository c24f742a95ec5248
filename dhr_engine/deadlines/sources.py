"""What the one sweep chases: the source protocol.

A source is one kind of thing with due dates. Two are composed today (dhr_engine/bootstrap/__init__.py,
`SWEEP_SOURCES`): the `deadline` rows of cases (case deadlines and agencies' return deadlines;
`DEADLINE_ROWS` in deadlines/scheduled.py) and the actions and reviews of CSP priority plans, which
have no case and no deadline rows (plans/scheduled.py). The deadlines domain sits below plans, so
it defines this protocol and plans implements it.

A source does four things for the sweep (deadlines/scheduled.py), inside the sweep's transaction:

- `lock_batch`: lock the next batch of the rows its items hang on (cases, plans: PostgreSQL
  `FOR UPDATE SKIP LOCKED`; SQLite already holds the database, BEGIN IMMEDIATE) and load the items
  inside their reminder window, with what the other three need;
- per item: its claim key and owners (`Due`), its ladder (`DueRule`), who holds a set of roles for
  it (`Addressees`), and its words (`NoticeText`: no personal data);
- `audit`: write the audit entry of a notice the sweep claimed (the case's chain, the plan's record).

Everything else is the sweep's, the same for every source: the ladder and the catch-up rule
(domain/reminders.py), the claim (one INSERT ... ON CONFLICT DO NOTHING into `deadline_notice`),
the notifications and e-mails, failures, and the counting.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from sqlmodel import Session

from dhr_engine.context import AppContext
from dhr_engine.deadlines.addressees import Person
from dhr_engine.deadlines.notifications import NoticeText
from dhr_engine.domain.reminders import ReminderRule, Rung


@dataclass(frozen=True)
class Due:
    """An item's claim key (subject, due date) and what its notice and notifications belong to."""

    subject_type: str  # 'deadline' (a deadline row), or 'action' | 'plan_review' | 'yearly_review'
    subject_id: uuid.UUID
    due_on: date
    case_id: uuid.UUID | None = None
    plan_id: uuid.UUID | None = None
    deadline_id: uuid.UUID | None = None

    @property
    def key(self) -> tuple[str, uuid.UUID, date]:
        return (self.subject_type, self.subject_id, self.due_on)


@dataclass(frozen=True)
class DueRule:
    """An item's ladder (before:N, due, escalation:K) and the role that owns it."""

    reminders: ReminderRule
    owner_role: str


@dataclass(frozen=True)
class Addressees:
    """Who is told, and (when it is not simply the roles' holders, or nobody) why."""

    people: list[Person]
    note: str = ""


Item = TypeVar("Item")


class DueBatch(Protocol[Item]):
    """One batch of one source: what it locked, and its items with what the sweep asks of them."""

    @property
    def locked(self) -> int:
        """How many rows (cases, plans) the batch locked: 0 ends the source's part of the sweep."""
        ...

    @property
    def after(self) -> uuid.UUID | None:
        """Where the next batch starts (None: the source's query leaves done items out by itself)."""
        ...

    @property
    def items(self) -> Sequence[Item]: ...

    def due(self, item: Item) -> Due: ...

    def rule(self, item: Item) -> DueRule: ...

    def addressees(self, item: Item, roles: list[str]) -> Addressees: ...

    def text(self, item: Item, rung: Rung, today: date) -> NoticeText: ...

    def audit(self, item: Item, kind: str, data: dict[str, Any]) -> None:
        """Append the audit entry of a claimed notice (kind: the source's `audit_kinds` value)."""
        ...


class DueSource(Protocol):
    """One kind of thing with due dates that the sweep chases."""

    @property
    def name(self) -> str:
        """How the sweep's summary counts its notices ('deadline', 'priority-plan'); never a module."""
        ...

    @property
    def audit_kinds(self) -> Mapping[str, str]:
        """The audit kind of each rung kind: reminder, due, escalation."""
        ...

    @property
    def records_quiet(self) -> bool:
        """Whether a day with nothing to send is recorded (a 'quiet' notice whose next_on lets the
        source's query leave the item out until then)."""
        ...

    @property
    def batch_size(self) -> int:
        """The batch when the caller names none."""
        ...

    def lock_batch(
        self,
        ctx: AppContext,
        session: Session,
        dialect: str,
        *,
        today: date,
        now: datetime,
        after: uuid.UUID | None,
        limit: int,
    ) -> DueBatch[Any] | None:
        """Lock and load the next batch with work (None: nothing left)."""
        ...
