"""What needs a user's attention: deadlines across the cases they may see, sorted by urgency."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import col, select

from dhr_engine.deadlines.queries import DUE_SOON_DAYS, AgencyRef, AttentionItem, titled
from dhr_engine.deadlines.queries import attention_for as service_attention
from dhr_engine.persistence.tables import Case, Deadline
from dhr_engine.persistence.unit_of_work import UnitOfWork
from dhr_engine.web.deps import Viewer


@dataclass(frozen=True)
class Item:
    case: Case
    deadline: Deadline
    days: int  # negative: days late
    mine: bool  # the deadline's owner role is one the user holds on the case
    agency: AgencyRef | None = None  # whose return it is (None: the case's own deadline)

    @property
    def title(self) -> str:
        """The deadline's name, with its agency for a return ("Chronology returned: Northmoor Police")."""
        return titled(self.deadline.label, self.agency)


@dataclass
class Board:
    overdue: list[Item] = field(default_factory=list)
    due_soon: list[Item] = field(default_factory=list)
    escalated: list[Item] = field(default_factory=list)
    cases: int = 0


def attention_for(uow: UnitOfWork, viewer: Viewer, today: date) -> Board:
    """The scheduler's attention list (deadlines.queries) with the rows the pages show.

    "Escalated" means the scheduler has sent an escalation notice for the deadline; escalated
    deadlines are also listed among the overdue ones.
    """
    session = uow.session
    found = service_attention(session, viewer.actor, today, due_within_days=DUE_SOON_DAYS)
    every = found.escalated + found.overdue + found.due_soon
    deadline_ids = [a.deadline_id for a in every]
    deadlines = {d.id: d for d in session.exec(select(Deadline).where(col(Deadline.id).in_(deadline_ids)))}
    case_ids = {a.case_id for a in every}
    cases = {c.id: c for c in session.exec(select(Case).where(col(Case.id).in_(case_ids)))}

    def shown(items: list[AttentionItem]) -> list[Item]:
        return [Item(cases[a.case_id], deadlines[a.deadline_id], a.days, a.mine, a.agency) for a in items]

    escalated = shown(found.escalated)
    overdue = sorted(escalated + shown(found.overdue), key=lambda i: (not i.mine, i.days))
    return Board(overdue=overdue, due_soon=shown(found.due_soon), escalated=escalated, cases=found.cases)
