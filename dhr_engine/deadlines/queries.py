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
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from dhr_engine.auth import policy
from dhr_engine.domain.actor import Actor
from dhr_engine.persistence.tables import Agency, Case, Deadline, ReturnRequest
from dhr_engine.persistence.tables_scheduler import DeadlineNotice, Notification

DUE_SOON_DAYS = 14
RETURN_SUBJECT = "return_request"  # Deadline.subject_type of an agency's return (returns/service.py)


@dataclass(frozen=True)
class AgencyRef:
    """The agency a return's deadline belongs to."""

    id: uuid.UUID
    name: str


def titled(label: str, agency: AgencyRef | None) -> str:
    """A deadline's name as shown: a return's names its agency ("Chronology returned: Northmoor Police")."""
    return f"{label}: {agency.name}" if agency is not None else label


def agencies_of(session: Session, rows: Iterable[Deadline]) -> dict[uuid.UUID, AgencyRef]:
    """The agency of each return deadline among `rows`, by deadline id (one query, joining the return
    requests and their agencies); the case's own deadlines have none."""
    wanted = {r.id: r.subject_id for r in rows if r.subject_type == RETURN_SUBJECT and r.subject_id}
    if not wanted:
        return {}
    found = session.exec(
        select(ReturnRequest.id, Agency.id, Agency.name)
        .join(Agency, col(Agency.id) == col(ReturnRequest.agency_id))
        .where(col(ReturnRequest.id).in_(set(wanted.values())))
    ).all()
    by_request = {request_id: AgencyRef(agency_id, name) for request_id, agency_id, name in found}
    return {d: by_request[s] for d, s in wanted.items() if s in by_request}


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
    agency: AgencyRef | None = None  # whose return it is (None: the case's own deadline)

    @property
    def title(self) -> str:
        return titled(self.label, self.agency)


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
        select(Deadline, Case.ref, Agency.id, Agency.name)
        .join(Case, col(Case.id) == col(Deadline.case_id))
        .outerjoin(
            ReturnRequest,
            and_(
                col(Deadline.subject_type) == RETURN_SUBJECT,
                col(ReturnRequest.id) == col(Deadline.subject_id),
            ),
        )
        .outerjoin(Agency, col(Agency.id) == col(ReturnRequest.agency_id))
        .where(
            visible,
            col(Deadline.status) == "open",
            col(Deadline.paused_since).is_(None),
            col(Deadline.adjusted_due) <= today + timedelta(days=due_within_days),
        )
        .order_by(col(Deadline.adjusted_due), col(Deadline.id))
    ).all()
    agencies = {row.id: AgencyRef(agency_id, name) for row, _ref, agency_id, name in rows if agency_id}
    by_case: dict[uuid.UUID, list[tuple[Deadline, str]]] = defaultdict(list)
    for row, ref, _agency_id, _name in rows:
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
            agency=agencies.get(row.id),
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
