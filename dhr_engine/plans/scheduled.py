"""CSP priority plans as a source of the one sweep (deadlines/scheduled.py): reminders, due-day
notices and escalations of their actions and reviews.

A review's action plan is chased through `deadline` rows (plans/deadlines.py), like any case
deadline. A priority plan has no case, so it has no deadline rows; `PRIORITY_PLANS` implements the
sweep's source protocol (deadlines/sources.py) for what `dhr plans due` lists (plans/monitoring.py
`due_items`), and the composition root hands it to the sweep beside the deadline rows. The loop,
the ladder, the claim, the notifications and the e-mails are the sweep's; this module says:

- What is due: each open action (not complete, not closed not done), due on its target date, under
  the workflow's `action_target` reminder rule; the plan's next progress review (`next_review_on`,
  the monitoring cadence) and its yearly review (`yearly_review_on`) under `action_plan_review`.
  The rules are read from workflows/dhr_2016.yaml (its newest version). The ladder is the one of
  every deadline (domain/reminders.py): before:N, due, escalation:K, catching up with only the
  latest rung after a gap, the missed ones listed as skipped.
- What is locked: the batch's plans, in id order, PostgreSQL `FOR UPDATE SKIP LOCKED` (parallel
  schedulers take different plans; a command on the plan locks the same row, plans/scope.py),
  SQLite `BEGIN IMMEDIATE` (ctx.uow()). Each rung is claimed in `deadline_notice` (subject_type
  'action', 'plan_review' or 'yearly_review'; plan_id set, no case), with the same
  UNIQUE(subject, due_on, rung) and ON CONFLICT DO NOTHING as every other notice.
- Who is told: the agency roles of a rule (agency manager, agency author) mean the active users of
  the action's lead agency, and the action's owner; the global roles (CSP officer, CSP chair) the
  active users holding them in the plan's own partnership. Escalation K adds the first K rungs
  of `escalate_to`. When nobody holds the roles (an action without a lead agency or owner), the
  CSP officer is told instead, so a notice never goes nowhere while someone runs the plan.
- How it is audited: an entry in the plan's append-only audit record (plans/audit.py:
  plan_reminder_sent / plan_due_notice / plan_escalated), with the notice's id. The notifications
  have no case; the texts hold the plan's title, the action's number and dates: no personal data,
  and not the action's free-text description.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, or_
from sqlmodel import Session, col, select

from dhr_engine.context import AppContext
from dhr_engine.deadlines.addressees import Person
from dhr_engine.deadlines.notifications import NoticeText
from dhr_engine.deadlines.scheduled import SweepResult, sweep_all
from dhr_engine.deadlines.sources import Addressees, Due, DueRule
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.reminders import Rung, horizon_days
from dhr_engine.domain.roles import AGENCY_ROLES, GLOBAL_ROLES, Role
from dhr_engine.persistence.tables import Agency, User
from dhr_engine.persistence.tables_plans import Plan, PlanAction
from dhr_engine.plans.audit import record_change
from dhr_engine.plans.deadlines import REVIEW_KEY, TARGET_KEY
from dhr_engine.plans.rag import FINISHED
from dhr_engine.workflow.definition import ReminderRule
from dhr_engine.workflow.loader import WorkflowRegistry

log = logging.getLogger(__name__)
PLAN_TABLE = cast(Table, Plan.__table__)  # type: ignore[attr-defined]

WORKFLOW_KEY = "dhr_2016"
DEFAULT_BATCH = 100
AUDIT_KINDS = {"reminder": "plan_reminder_sent", "due": "plan_due_notice", "escalation": "plan_escalated"}
SUBJECT_LABELS = {
    "plan_review": "progress review of the priority plan",
    "yearly_review": "yearly review of the priority plan",
}
_AGENCY_ROLE_VALUES = {r.value for r in AGENCY_ROLES}
_GLOBAL_ROLE_VALUES = {r.value for r in GLOBAL_ROLES}


# --- the rules ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChaseRule:
    """The reminder rule of one deadline key, and the role that owns such a deadline."""

    reminders: ReminderRule
    owner_role: str
    text: str  # the rule as a person would say it, for the message


def chase_rules(workflows: WorkflowRegistry) -> dict[str, ChaseRule]:
    """The `action_target` and `action_plan_review` rules of the newest dhr_2016 workflow.

    Should that workflow not be loaded, the newest other workflow defining the key is used.
    """
    found: dict[str, ChaseRule] = {}
    ordered = sorted(workflows, key=lambda d: (d.key == WORKFLOW_KEY, _version_key(d.version)))
    for definition in ordered:  # later (preferred) definitions overwrite earlier ones
        for key in (TARGET_KEY, REVIEW_KEY):
            rule = definition.deadlines.get(key)
            if rule is not None:
                found[key] = ChaseRule(rule.reminders, str(rule.owner), _describe(rule.reminders))
    for key, owner in ((TARGET_KEY, Role.AGENCY_MANAGER), (REVIEW_KEY, Role.CSP_OFFICER)):
        found.setdefault(key, ChaseRule(ReminderRule(), owner.value, _describe(ReminderRule())))
    return found


def _version_key(version: str) -> tuple[int, str]:
    return (int(version), version) if version.isdigit() else (-1, version)


def _describe(rule: ReminderRule) -> str:
    parts = [f"reminders {', '.join(str(n) for n in sorted(rule.before_days, reverse=True))} days before"]
    if rule.on_due:
        parts.append("a notice on the day")
    if rule.escalate_every_days:
        parts.append(f"escalation every {rule.escalate_every_days} days while overdue")
    return "; ".join(parts)


# --- what is chased ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """One thing of a priority plan with a due date: an action, or one of the plan's reviews."""

    plan: Plan
    subject_type: str  # action | plan_review | yearly_review
    subject_id: uuid.UUID
    due_on: date
    key: str  # the deadline key whose rule applies
    action_number: str = ""
    lead_agency_id: uuid.UUID | None = None
    owner_user_id: uuid.UUID | None = None


def subjects_of(plan: Plan, actions: Iterable[PlanAction]) -> list[Subject]:
    """The plan's reviews and its open actions, each with its due date."""
    found: list[Subject] = []
    if plan.next_review_on is not None:
        found.append(Subject(plan, "plan_review", plan.id, plan.next_review_on, REVIEW_KEY))
    if plan.yearly_review_on is not None:
        found.append(Subject(plan, "yearly_review", plan.id, plan.yearly_review_on, REVIEW_KEY))
    for action in actions:
        if action.stage in FINISHED:
            continue
        found.append(
            Subject(
                plan,
                "action",
                action.id,
                action.target_date,
                TARGET_KEY,
                action.number,
                action.lead_agency_id,
                action.owner_user_id,
            )
        )
    return found


def _windows(rules: dict[str, ChaseRule], today: date) -> tuple[date, date]:
    """The latest due dates with a rung by today: (reviews, actions)."""
    review = today + timedelta(days=horizon_days(rules[REVIEW_KEY].reminders))
    target = today + timedelta(days=horizon_days(rules[TARGET_KEY].reminders))
    return review, target


def plans_with_work(review_by: date, target_by: date) -> ColumnElement[bool]:
    """Priority plans with a review or an open action inside its reminder window."""
    open_actions = select(PlanAction.plan_id).where(
        col(PlanAction.stage).not_in(sorted(FINISHED)), col(PlanAction.target_date) <= target_by
    )
    return (col(Plan.kind) == "priority") & or_(
        col(Plan.next_review_on) <= review_by,
        col(Plan.yearly_review_on) <= review_by,
        col(Plan.id).in_(open_actions),
    )


# --- who is told -------------------------------------------------------------------------------------


@dataclass
class PlanDirectory:
    """The people behind the roles for a batch of priority plans."""

    agency_users: dict[uuid.UUID, list[Person]] = field(default_factory=dict)
    owners: dict[uuid.UUID, Person] = field(default_factory=dict)
    staff: dict[uuid.UUID, list[tuple[frozenset[str], Person]]] = field(default_factory=dict)

    def people(self, subject: Subject, roles: Iterable[str]) -> list[Person]:
        """The active users holding any of the roles for this subject, each once, in a stable order."""
        wanted = set(roles)
        found: dict[uuid.UUID, Person] = {}
        if wanted & _AGENCY_ROLE_VALUES:
            if subject.lead_agency_id is not None:
                for person in self.agency_users.get(subject.lead_agency_id, []):
                    found.setdefault(person.user_id, person)
            owner = self.owners.get(subject.owner_user_id) if subject.owner_user_id else None
            if owner is not None:
                found.setdefault(owner.user_id, owner)
        if wanted & _GLOBAL_ROLE_VALUES:
            for held, person in self.staff.get(subject.plan.csp_id, []):
                if held & wanted:
                    found.setdefault(person.user_id, person)
        return sorted(found.values(), key=lambda p: str(p.user_id))


def load_plan_directory(
    session: Session, plans: Iterable[Plan], actions: Iterable[PlanAction]
) -> PlanDirectory:
    """Lead agencies' users, action owners and partnership staff of these plans, in three queries."""
    action_list = list(actions)
    agency_ids = sorted({a.lead_agency_id for a in action_list if a.lead_agency_id}, key=str)
    owner_ids = sorted({a.owner_user_id for a in action_list if a.owner_user_id}, key=str)
    csp_ids = sorted({p.csp_id for p in plans}, key=str)
    directory = PlanDirectory()
    active = col(User.is_active).is_(True)
    if agency_ids:
        by_agency: dict[uuid.UUID, list[Person]] = defaultdict(list)
        for user_id, agency_id, email in session.exec(
            select(User.id, User.agency_id, User.email).where(col(User.agency_id).in_(agency_ids), active)
        ).all():
            if agency_id is not None:
                by_agency[agency_id].append(Person(user_id, email or ""))
        directory.agency_users = dict(by_agency)
    if owner_ids:
        directory.owners = {
            user_id: Person(user_id, email or "")
            for user_id, email in session.exec(
                select(User.id, User.email).where(col(User.id).in_(owner_ids), active)
            ).all()
        }
    if csp_ids:
        staff: dict[uuid.UUID, list[tuple[frozenset[str], Person]]] = defaultdict(list)
        for user_id, csp_id, roles, email in session.exec(
            select(User.id, User.csp_id, User.global_roles, User.email).where(
                col(User.csp_id).in_(csp_ids), active
            )
        ).all():
            held = frozenset(str(r) for r in (roles or [])) & _GLOBAL_ROLE_VALUES
            if held and csp_id is not None:
                staff[csp_id].append((held, Person(user_id, email or "")))
        directory.staff = dict(staff)
    return directory


# --- the words ---------------------------------------------------------------------------------------


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def chase_text(subject: Subject, rung: Rung, today: date, rule: ChaseRule, agency: str) -> NoticeText:
    """The words of a reminder, due-day notice or escalation (British English, no personal data)."""
    plan = subject.plan.title
    due = subject.due_on
    if subject.subject_type == "action":
        what = f"Action {subject.action_number} of the priority plan '{plan}'"
        short = f"{plan}: action {subject.action_number}"
        ask = "Sign in to dhr-engine to record progress, or to complete the action with its evidence."
        lead_by = f"The action is led by {agency}." if agency else "The action has no lead agency."
    else:
        label = SUBJECT_LABELS[subject.subject_type]
        what = f"The {label} '{plan}'"
        short = f"{plan}: {label}"
        ask = "Sign in to dhr-engine to record the review of the plan's progress."
        lead_by = ""
    if rung.kind == "reminder":
        left = (due - today).days
        headline = f"due in {_days(left)}, on {format_date(due)}"
        lead = f"Reminder: {what} is due in {_days(left)}, on {format_date(due)}."
    elif rung.kind == "due":
        headline = f"due today, {format_date(due)}" if today <= due else f"was due on {format_date(due)}"
        lead = f"{what} {'is ' if today <= due else ''}{headline}."
    else:
        late = (today - due).days
        headline = f"overdue by {_days(late)} — escalation {rung.level}"
        lead = f"Escalation {rung.level}: {what} was due on {format_date(due)} and is {_days(late)} overdue."
    body = " ".join(part for part in (lead, lead_by) if part) + f"\n\nRule: {rule.text}. {ask}"
    return NoticeText(title=f"{short} — {headline}", body=body)


# --- the source: what the one sweep asks of priority plans ---------------------------------------


def _lock_plans(
    session: Session, dialect: str, clause: ColumnElement[bool], after: uuid.UUID | None, limit: int
) -> list[Plan]:
    query = select(Plan).where(clause)
    if after is not None:
        query = query.where(col(Plan.id) > after)
    query = query.order_by(col(Plan.id)).limit(limit)
    if dialect == "postgresql":
        query = query.with_for_update(skip_locked=True, of=PLAN_TABLE)
    return list(session.exec(query).all())


def _agency_names(session: Session, actions: list[PlanAction]) -> dict[uuid.UUID, str]:
    ids = sorted({a.lead_agency_id for a in actions if a.lead_agency_id}, key=str)
    if not ids:
        return {}
    return dict(session.exec(select(Agency.id, Agency.name).where(col(Agency.id).in_(ids))).all())


class _PlanBatch:
    """The reviews and open actions of one batch of locked priority plans, and who is behind the roles."""

    def __init__(
        self,
        session: Session,
        plans: list[Plan],
        subjects: list[Subject],
        actions: list[PlanAction],
        rules: dict[str, ChaseRule],
        today: date,
        now: datetime,
    ) -> None:
        self.session = session
        self.items: list[Subject] = subjects
        self.locked = len(plans)
        self.after: uuid.UUID | None = plans[-1].id  # plans are taken in id order
        self.rules = rules
        self.today = today
        self.now = now
        self.directory = load_plan_directory(session, plans, actions)
        self.agencies = _agency_names(session, actions)

    def due(self, item: Subject) -> Due:
        return Due(item.subject_type, item.subject_id, item.due_on, plan_id=item.plan.id)

    def rule(self, item: Subject) -> DueRule:
        rule = self.rules[item.key]
        return DueRule(rule.reminders, rule.owner_role)

    def addressees(self, item: Subject, roles: list[str]) -> Addressees:
        people = self.directory.people(item, roles)
        if people:
            return Addressees(people)
        # Nobody holds the roles (e.g. an action with no lead agency and no owner): the CSP officer,
        # who runs the plan, is told rather than nobody.
        people = self.directory.people(item, [Role.CSP_OFFICER.value])
        if people:
            return Addressees(people, "nobody holds these roles: the CSP officer was told instead")
        return Addressees(
            [], "nobody holds these roles and the partnership has no CSP officer: nobody was told"
        )

    def text(self, item: Subject, rung: Rung, today: date) -> NoticeText:
        agency = self.agencies.get(item.lead_agency_id, "") if item.lead_agency_id else ""
        return chase_text(item, rung, today, self.rules[item.key], agency)

    def audit(self, item: Subject, kind: str, data: dict[str, Any]) -> None:
        subject: dict[str, Any] = {"subject_type": item.subject_type, "subject_id": str(item.subject_id)}
        if item.action_number:
            subject["action_number"] = item.action_number
        record_change(
            self.session,
            item.plan,
            None,
            kind=kind,
            actor=Actor.system(),
            effective_on=self.today,
            recorded_at=self.now,
            data=subject | data,
        )


class PriorityPlans:
    """The actions and reviews of CSP priority plans, as a source of the one sweep."""

    name = "priority-plan"
    audit_kinds: Mapping[str, str] = AUDIT_KINDS
    records_quiet = False  # the plans' query reads the windows, not next_on: a quiet day is not recorded
    batch_size = DEFAULT_BATCH

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
    ) -> _PlanBatch | None:
        rules = chase_rules(ctx.workflows)
        review_by, target_by = _windows(rules, today)
        plans = _lock_plans(session, dialect, plans_with_work(review_by, target_by), after, limit)
        if not plans:
            return None
        actions = list(
            session.exec(
                select(PlanAction)
                .where(
                    col(PlanAction.plan_id).in_([p.id for p in plans]),
                    col(PlanAction.stage).not_in(sorted(FINISHED)),
                    col(PlanAction.target_date) <= target_by,
                )
                .order_by(col(PlanAction.target_date), col(PlanAction.id))
            ).all()
        )
        by_plan: dict[uuid.UUID, list[PlanAction]] = defaultdict(list)
        for action in actions:
            by_plan[action.plan_id].append(action)
        subjects = [
            s
            for plan in plans
            for s in subjects_of(plan, by_plan.get(plan.id, []))
            if s.due_on <= (review_by if s.key == REVIEW_KEY else target_by)
        ]
        return _PlanBatch(session, plans, subjects, actions, rules, today, now)


PRIORITY_PLANS = PriorityPlans()


# --- the entry points --------------------------------------------------------------------------------


def chase_all(ctx: AppContext, now: datetime | None = None, batch_size: int = DEFAULT_BATCH) -> SweepResult:
    """The one sweep over priority plans only (plans locked elsewhere are left to that sweep)."""
    return sweep_all(ctx, now, batch_size, sources=(PRIORITY_PLANS,))


def sweep_priority_plans(
    ctx: AppContext, now: datetime | None = None, batch_size: int = DEFAULT_BATCH
) -> int:
    """Send today's priority-plan rungs; returns how many notices it sent."""
    return chase_all(ctx, now, batch_size).notices
