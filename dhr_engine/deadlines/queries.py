"""What needs a user's attention: open deadlines across the cases they may see.

Three exclusive groups, most urgent first:
- escalated: overdue and already escalated by the sweep (an escalation notice for the current due
  date), with the escalation level reached;
- overdue: past the due date, not (yet) escalated;
- due soon: due today or within `due_within_days`.
Paused deadlines are left out (their clock is stopped). An agency user sees only their own agency's
return deadlines, as everywhere else (auth.policy). `mine` marks deadlines the user owns (the
deadline's owner role is one they hold on the case) or was told about by a notice; they sort first.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from dhr_engine.auth import policy
from dhr_engine.domain.actor import Actor
from dhr_engine.persistence.tables import Case, Deadline
from dhr_engine.persistence.tables_scheduler import DeadlineNotice, Notification

DUE_SOON_DAYS = 14


@dataclass(frozen=True)
class AttentionItem:
    case_id: uuid.UUID
    case_ref: str
    deadline_id: uuid.UUID
    key: str
    label: str
    owner_role: str
    due_on: date
    days: int  # days left; negative: days late
    escalation_level: int  # 0: not escalated
    mine: bool


@dataclass
class Attention:
    escalated: list[AttentionItem] = field(default_factory=list)
    overdue: list[AttentionItem] = field(default_factory=list)
    due_soon: list[AttentionItem] = field(default_factory=list)
    cases: int = 0

    @property
    def total(self) -> int:
        return len(self.escalated) + len(self.overdue) + len(self.due_soon)


def attention_for(
    session: Session, actor: Actor, today: date, *, due_within_days: int = DUE_SOON_DAYS
) -> Attention:
    """The actor's attention list on `today` (Europe/London)."""
    board = Attention()
    visible = policy.case_visibility_clause(session, actor)
    board.cases = int(session.exec(select(func.count()).select_from(Case).where(visible)).one())
    rows = session.exec(
        select(Deadline, Case.ref)
        .join(Case, col(Case.id) == col(Deadline.case_id))
        .where(
            visible,
            col(Deadline.status) == "open",
            col(Deadline.paused_since).is_(None),
            col(Deadline.adjusted_due) <= today + timedelta(days=due_within_days),
        )
        .order_by(col(Deadline.adjusted_due), col(Deadline.id))
    ).all()
    by_case: dict[uuid.UUID, list[tuple[Deadline, str]]] = defaultdict(list)
    for row, ref in rows:
        by_case[row.case_id].append((row, ref))
    kept: list[tuple[Deadline, str, frozenset[str]]] = []
    for case_id, pairs in by_case.items():
        acting = actor.on_case(policy.case_roles(session, actor, case_id))
        roles = frozenset(r.value for r in acting.roles)
        shown = {r.id for r in policy.visible_deadlines(session, acting, [p[0] for p in pairs])}
        kept += [(row, ref, roles) for row, ref in pairs if row.id in shown]
    ids = [row.id for row, _ref, _roles in kept]
    levels = _escalation_levels(session, ids)
    told = _told(session, actor, ids)
    for row, ref, roles in kept:
        days = (row.adjusted_due - today).days
        level = levels.get((row.id, row.adjusted_due), 0) if days < 0 else 0
        item = AttentionItem(
            case_id=row.case_id,
            case_ref=ref,
            deadline_id=row.id,
            key=row.key,
            label=row.label,
            owner_role=row.owner_role,
            due_on=row.adjusted_due,
            days=days,
            escalation_level=level,
            mine=row.owner_role in roles or row.id in told,
        )
        if level:
            board.escalated.append(item)
        elif days < 0:
            board.overdue.append(item)
        else:
            board.due_soon.append(item)
    for items in (board.escalated, board.overdue, board.due_soon):
        items.sort(key=lambda i: (not i.mine, -i.escalation_level, i.days, i.case_ref))
    return board


def _escalation_levels(session: Session, ids: list[uuid.UUID]) -> dict[tuple[uuid.UUID, date], int]:
    if not ids:
        return {}
    rows = session.execute(
        select(col(DeadlineNotice.deadline_id), col(DeadlineNotice.due_on), func.max(DeadlineNotice.level))
        .where(col(DeadlineNotice.deadline_id).in_(ids), DeadlineNotice.kind == "escalation")
        .group_by(col(DeadlineNotice.deadline_id), col(DeadlineNotice.due_on))
    ).all()
    return {(deadline_id, due_on): int(level) for deadline_id, due_on, level in rows}


def _told(session: Session, actor: Actor, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    if not ids or actor.user_id is None:
        return set()
    rows = session.exec(
        select(Notification.deadline_id).where(
            Notification.user_id == actor.user_id, col(Notification.deadline_id).in_(ids)
        )
    ).all()
    return {r for r in rows if r is not None}
