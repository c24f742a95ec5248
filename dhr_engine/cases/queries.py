"""Reads of cases: what the case page shows, gathered in one read transaction, and the queries the
JSON API's case routes run (next deadline per case, overdue, the caller's roles). No business
rules here.

The actions come from cases.service.available_triggers; blocked ones carry the descriptions of
the guards that block them (workflow.guards.GUARDS); the clocks come from
deadlines.service.explain.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, bindparam, exists, func
from sqlmodel import Session, col, select

from dhr_engine.audit.wording import Names, describe
from dhr_engine.auth import policy
from dhr_engine.auth.policy import Action
from dhr_engine.cases.service import available_triggers
from dhr_engine.cases.timeline import Timeline, build_timeline
from dhr_engine.deadlines import service as deadline_service
from dhr_engine.deadlines.queries import DUE_SOON_DAYS, RETURN_SUBJECT, AgencyRef, agencies_of, titled
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.family_log import KINDS as FAMILY_KINDS
from dhr_engine.domain.roles import AGENCY_ROLES, Role, role_label
from dhr_engine.letters.catalogue import CATALOGUE
from dhr_engine.persistence.tables import (
    Agency,
    AuditEvent,
    Case,
    CaseMember,
    Deadline,
    FamilyContact,
    ParallelProceeding,
    ReturnRequest,
    User,
)
from dhr_engine.web.deps import Viewer
from dhr_engine.workflow.definition import WorkflowDefinition
from dhr_engine.workflow.flow import AvailableTrigger
from dhr_engine.workflow.guards import GUARDS


@dataclass(frozen=True)
class ActionView:
    trigger: str
    label: str
    dest_label: str
    can_fire: bool
    permitted: bool
    requires_reason: bool
    blocked_because: list[str]
    allowed_roles: list[str]


@dataclass(frozen=True)
class ClockView:
    row: Deadline
    lines: list[str]
    outcome: str  # for the tag: met, missed, overdue, due soon, open, paused, cancelled
    days_left: int | None
    agency: AgencyRef | None = None  # whose return it is (None: the case's own deadline)

    @property
    def title(self) -> str:
        """The deadline's name, with its agency for a return ("Chronology returned: Northmoor Police")."""
        return titled(self.row.label, self.agency)


@dataclass
class CaseView:
    case: Case
    definition: WorkflowDefinition
    stage_label: str
    progress: list[tuple[str, str]]  # (label, done|current|todo) along the main path
    actions: list[ActionView]
    clocks: list[ClockView]
    events: list[AuditEvent]
    history: list[tuple[AuditEvent, str]]  # newest first, in words
    members: list[tuple[CaseMember, str, str]]  # member, display name, agency name
    proceedings: list[ParallelProceeding]
    family: list[FamilyContact]
    may_family: bool
    may_manage_members: bool
    returns: list[tuple[ReturnRequest, str]]
    timeline: Timeline
    extra: dict[str, Any] = field(default_factory=dict)


def role_words(role: str) -> str:
    return role_label(role)


def action_views(definition: WorkflowDefinition, triggers: list[AvailableTrigger]) -> list[ActionView]:
    views = []
    for t in triggers:
        roles = sorted(
            {r.value for tdef in definition.transitions if tdef.trigger == t.trigger for r in tdef.roles}
        )
        views.append(
            ActionView(
                trigger=t.trigger,
                label=t.label,
                dest_label=definition.state(t.dest).label,
                can_fire=t.can_fire,
                permitted=t.permitted,
                requires_reason=t.requires_reason,
                blocked_because=[GUARDS[g].description if g in GUARDS else g for g in t.blocked_by],
                allowed_roles=[role_words(r) for r in roles],
            )
        )
    return views


def main_path(definition: WorkflowDefinition) -> list[str]:
    """The stages of a review that goes ahead, in file order (not the 'no review' branch)."""
    side = {"decided_not_proceed", "ho_notified_no_review", "ho_reviewing_decision", "closed_no_review"}
    stopped = definition.tagged("clock_stopped")
    return [s.name for s in definition.states if s.name not in side and s.name not in stopped]


def progress(definition: WorkflowDefinition, case: Case) -> list[tuple[str, str]]:
    path = main_path(definition)
    current = (
        case.resume_to if case.stage in definition.tagged("clock_stopped") and case.resume_to else case.stage
    )
    if current not in path:
        names = [s.name for s in definition.states if s.name in path or s.name == current]
        path = [n for n in names if n in path[:3] or n == current]
    index = path.index(current) if current in path else -1
    return [
        (definition.state(name).label, "done" if i < index else "current" if i == index else "todo")
        for i, name in enumerate(path)
    ]


def clock_views(
    session: Session,
    definition: WorkflowDefinition,
    rows: list[Deadline],
    today: date,
    agencies: Mapping[uuid.UUID, AgencyRef] | None = None,
) -> list[ClockView]:
    """The case page's deadlines, explained; `agencies` (agencies_of the rows) if already read."""
    views = []
    agencies = agencies_of(session, rows) if agencies is None else agencies
    for row in rows:
        explanation = deadline_service.explain(session, row, definition, today)
        days_left = (row.adjusted_due - today).days if row.status == "open" else None
        if row.status == "met":
            outcome = "met"
        elif row.status == "met_late":
            outcome = "missed"
        elif row.status == "cancelled":
            outcome = "cancelled"
        elif row.paused_since is not None:
            outcome = "paused"
        elif days_left is not None and days_left < 0:
            outcome = "overdue"
        elif days_left is not None and days_left <= DUE_SOON_DAYS:
            outcome = "due soon"
        else:
            outcome = "open"
        views.append(
            ClockView(
                row=row,
                lines=explanation.lines()[1:],
                outcome=outcome,
                days_left=days_left,
                agency=agencies.get(row.id),
            )
        )
    order = {"overdue": 0, "due soon": 1, "open": 2, "paused": 3, "missed": 4, "met": 5, "cancelled": 6}
    views.sort(key=lambda v: (order[v.outcome], v.row.adjusted_due))
    return views


def history_names(session: Session, case_id: uuid.UUID | None = None) -> Names:
    """What the history calls the users, agencies and letters its events refer to by id or code
    (and, given a case, the agency of each of its return deadlines, read in one query)."""
    by_id: dict[uuid.UUID, str] = {u.id: u.display_name for u in session.exec(select(User)).all()}
    by_id.update({a.id: a.name for a in session.exec(select(Agency)).all()})
    deadline_agencies: dict[uuid.UUID, str] = {}
    if case_id is not None:
        rows = session.exec(
            select(Deadline.id, Agency.name)
            .join(ReturnRequest, col(ReturnRequest.id) == col(Deadline.subject_id))
            .join(Agency, col(Agency.id) == col(ReturnRequest.agency_id))
            .where(col(Deadline.case_id) == case_id, col(Deadline.subject_type) == RETURN_SUBJECT)
        ).all()
        deadline_agencies = {deadline_id: name for deadline_id, name in rows}
    letters = {code: spec.title for code, spec in CATALOGUE.items()}
    return Names(by_id=by_id, letters=letters, deadline_agencies=deadline_agencies)


def load_case_view(
    session: Session, case: Case, definition: WorkflowDefinition, viewer: Viewer, acting: Actor, today: date
) -> CaseView:
    """Everything the case page shows, filtered through the access policy for this actor."""
    events = list(
        session.exec(
            select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(col(AuditEvent.seq))
        ).all()
    )
    deadlines = policy.visible_deadlines(session, acting, deadline_service.list_for_case(session, case.id))
    agencies = agencies_of(session, deadlines)  # whose each return's deadline is, one query
    members = []
    if policy.may(acting, Action.MEMBERS_VIEW):
        rows = session.exec(
            select(CaseMember).where(CaseMember.case_id == case.id).order_by(col(CaseMember.added_at))
        ).all()
        for m in rows:
            user = session.get(User, m.user_id)
            agency = session.get(Agency, m.agency_id) if m.agency_id else None
            members.append((m, user.display_name if user else "former user", agency.name if agency else ""))
    proceedings = []
    if policy.may(acting, Action.PROCEEDINGS_VIEW):
        proceedings = list(
            session.exec(
                select(ParallelProceeding)
                .where(ParallelProceeding.case_id == case.id)
                .order_by(col(ParallelProceeding.started_on))
            ).all()
        )
    family = []
    if policy.may(acting, Action.FAMILY_VIEW):
        family = list(
            session.exec(
                select(FamilyContact)
                .where(FamilyContact.case_id == case.id)
                .order_by(col(FamilyContact.occurred_on))
            ).all()
        )
    returns = []
    query = select(ReturnRequest).where(
        ReturnRequest.case_id == case.id, policy.return_visibility_clause(acting)
    )
    for r in session.exec(query.order_by(col(ReturnRequest.requested_on))).all():
        agency = session.get(Agency, r.agency_id)
        returns.append((r, agency.name if agency else ""))
    triggers = available_triggers(session, case, definition, viewer.actor, today)
    names = history_names(session, case.id)
    shown = [e for e in events if policy.event_view(acting, e) is not None]
    # Newest first by the date each thing happened (an event recorded later may have happened
    # earlier: a backdated decision); events of the same day in the order they were recorded.
    shown.sort(key=lambda e: (e.effective_on, e.seq), reverse=True)
    history = [(e, describe(e, definition, names)) for e in shown]
    return CaseView(
        case=case,
        definition=definition,
        stage_label=definition.state(case.stage).label,
        progress=progress(definition, case),
        actions=action_views(definition, triggers),
        clocks=clock_views(session, definition, deadlines, today, agencies)
        if policy.may(acting, Action.DEADLINES_VIEW)
        else [],
        events=events,
        history=history,
        members=members,
        proceedings=proceedings,
        family=family,
        may_family=policy.may(acting, Action.FAMILY_VIEW),
        may_manage_members=policy.may(acting, Action.MEMBERS_MANAGE),
        returns=returns,
        timeline=build_timeline(
            case,
            definition,
            events,
            deadlines,
            today,
            {d.id: titled(d.label, agencies[d.id]) for d in deadlines if d.id in agencies},
        ),
    )


FAMILY_KIND_LABELS = FAMILY_KINDS
CASE_ROLE_CHOICES = [
    Role.INDEPENDENT_CHAIR,
    Role.OVERVIEW_AUTHOR,
    Role.PANEL_MEMBER,
    Role.AGENCY_AUTHOR,
    Role.AGENCY_MANAGER,
]


def next_due_by_case(session: Session, case_ids: Sequence[uuid.UUID], today: date) -> dict[uuid.UUID, date]:
    """The earliest open, running deadline of each case (the case's own, not agency returns')."""
    rows = session.exec(
        select(Deadline.case_id, func.min(Deadline.adjusted_due))
        .where(
            col(Deadline.case_id).in_(case_ids),
            Deadline.status == "open",
            col(Deadline.paused_since).is_(None),
            col(Deadline.subject_type).is_(None),
        )
        .group_by(col(Deadline.case_id))
    ).all()
    return {case_id: due for case_id, due in rows}


# The same for one case, built once (a case is read on every GET and after every trigger); run on
# the reader's connection, as case_out is only called in a reader (nothing unflushed to see).
NEXT_DUE = select(func.min(Deadline.adjusted_due)).where(
    col(Deadline.case_id) == bindparam("case_id"),
    col(Deadline.status) == "open",
    col(Deadline.paused_since).is_(None),
    col(Deadline.subject_type).is_(None),
)


def overdue_clause(today: date) -> ColumnElement[bool]:
    return exists().where(
        col(Deadline.case_id) == col(Case.id),
        col(Deadline.status) == "open",
        col(Deadline.paused_since).is_(None),
        col(Deadline.subject_type).is_(None),
        col(Deadline.adjusted_due) < today,
    )


def roles_by_case(session: Session, actor: Actor, case_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, set[str]]:
    """The actor's valid roles on each case (agency roles only for their own agency)."""
    out: dict[uuid.UUID, set[str]] = {}
    if actor.user_id is None:
        return out
    rows = session.exec(
        select(CaseMember.case_id, CaseMember.role, CaseMember.agency_id).where(
            CaseMember.user_id == actor.user_id, col(CaseMember.case_id).in_(list(case_ids))
        )
    ).all()
    for case_id, role, agency_id in rows:
        if Role(role) in AGENCY_ROLES and (actor.agency_id is None or agency_id != actor.agency_id):
            continue
        out.setdefault(case_id, set()).add(role)
    return out
