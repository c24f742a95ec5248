"""What needs a user's attention: deadlines across the cases they may see, sorted by urgency."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import col, select

from dhr_engine.auth import policy
from dhr_engine.persistence.tables import Case, Deadline
from dhr_engine.services.unit_of_work import UnitOfWork
from dhr_engine.web.case_page import DUE_SOON_DAYS
from dhr_engine.web.deps import Viewer


@dataclass(frozen=True)
class Item:
    case: Case
    deadline: Deadline
    days: int  # negative: days late
    mine: bool  # the deadline's owner role is one the user holds on the case


@dataclass
class Board:
    overdue: list[Item] = field(default_factory=list)
    due_soon: list[Item] = field(default_factory=list)
    escalated: list[Item] = field(default_factory=list)
    cases: int = 0


def attention_for(uow: UnitOfWork, viewer: Viewer, today: date) -> Board:
    """Open deadlines of the user's visible cases: overdue, due within DUE_SOON_DAYS, escalated."""
    session = uow.session
    board = Board()
    cases = session.exec(select(Case).where(policy.case_visibility_clause(session, viewer.actor))).all()
    board.cases = len(cases)
    for case in cases:
        acting = viewer.actor.on_case(policy.case_roles(session, viewer.actor, case.id))
        rows = session.exec(
            select(Deadline)
            .where(Deadline.case_id == case.id, Deadline.status == "open")
            .order_by(col(Deadline.adjusted_due))
        ).all()
        for row in policy.visible_deadlines(session, acting, rows):
            if row.paused_since is not None:
                continue
            days = (row.adjusted_due - today).days
            mine = row.owner_role in {r.value for r in acting.roles}
            item = Item(case, row, days, mine)
            if days < 0:
                board.overdue.append(item)
                if -days >= 7:  # a week overdue: the scheduler escalates it to the CSP chair
                    board.escalated.append(item)
            elif days <= DUE_SOON_DAYS:
                board.due_soon.append(item)
    for items in (board.overdue, board.due_soon, board.escalated):
        items.sort(key=lambda i: (not i.mine, i.days))
    return board
