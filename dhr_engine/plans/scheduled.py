"""The scheduler's chase of CSP priority plans: reminders, due-day notices and escalations.

A review's action plan is chased through `deadline` rows (plans/deadlines.py, deadlines/scheduled.py). A
priority plan has no case, so it has no deadline rows; this module chases what `dhr plans due`
lists (plans/monitoring.py `due_items`), with the same guarantees as the deadline sweep:

- Subjects: each open action (not complete, not closed not done), due on its target date, under
  the workflow's `action_target` reminder rule; the plan's next progress review (`next_review_on`,
  the monitoring cadence) and its yearly review (`yearly_review_on`) under `action_plan_review`.
  The rules are read from workflows/dhr_2016.yaml (its newest version), and the ladder is the
  deadline sweep's (scheduler/rungs.py): before:N, due, escalation:K, catching up with only the
  latest rung after a gap, the missed ones listed as skipped.
- Exactly once: each rung is claimed by inserting PlanNotice, UNIQUE(subject_type, subject_id,
  due_on, rung), with ON CONFLICT DO NOTHING; only the sweep whose insert went in writes the
  notifications, e-mails and audit record, all in the same transaction. The plans of a batch are
  locked first: PostgreSQL `FOR UPDATE SKIP LOCKED` (parallel schedulers take different plans; a
  command on the plan locks the same row, plans/scope.py), SQLite `BEGIN IMMEDIATE` (ctx.uow()).
- Who is told: the agency roles of a rule (agency manager, agency author) mean the active users of
  the action's lead agency, and the action's owner; the global roles (CSP officer, CSP chair) the
  active users holding them in the plan's own partnership. Escalation K adds the first K rungs
  of `escalate_to`. When nobody holds the roles (an action without a lead agency or owner), the
  CSP officer is told instead, so a notice never goes nowhere while someone runs the plan.
- What is written: a PlanNotice, an entry in the plan's append-only audit record (plans/audit.py:
  plan_reminder_sent / plan_due_notice / plan_escalated), an in-app Notification per addressee
  (no case) and an e-mail OutboxItem (topic 'deadline_notice') for each with an address, sent
  after commit by the outbox drain. Texts hold the plan's title, the action's number and dates:
  no personal data, and not the action's free-text description.

A subject whose rule cannot be worked out is logged (no personal data) and recorded as a 'failed'
notice for the day; it is looked at again the next day.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from dhr_engine.context import AppContext
from dhr_engine.deadlines.addressees import Person
from dhr_engine.deadlines.notifications import EMAIL_TOPIC, NoticeText, QueuedRows, insert_queued
from dhr_engine.deadlines.scheduled import add_notice_counts, today_in_london, worker_label
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.reminders import Rung, Step, horizon_days, roles_for, step_for
from dhr_engine.domain.roles import AGENCY_ROLES, GLOBAL_ROLES, Role
from dhr_engine.persistence.tables import Agency, User, new_id
from dhr_engine.persistence.tables_plan_chase import PlanNotice
from dhr_engine.persistence.tables_plans import Plan, PlanAction
from dhr_engine.plans.audit import record_change
from dhr_engine.plans.deadlines import REVIEW_KEY, TARGET_KEY
from dhr_engine.plans.rag import FINISHED
from dhr_engine.workflow.definition import ReminderRule
from dhr_engine.workflow.loader import WorkflowRegistry

log = logging.getLogger(__name__)
PLAN_TABLE = cast(Table, Plan.__table__)  # type: ignore[attr-defined]
NOTICE = cast(Table, PlanNotice.__table__)  # type: ignore[attr-defined]

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


# --- one batch ---------------------------------------------------------------------------------------


@dataclass
class ChaseResult:
    looked_at: int = 0
    notices: int = 0
    notifications: int = 0
    emails: int = 0
    failed: int = 0
    claimed_plans: int = 0
    by_rung: dict[str, int] = field(default_factory=dict)

    def add(self, other: ChaseResult) -> None:
        self.looked_at += other.looked_at
        self.claimed_plans += other.claimed_plans
        add_notice_counts(self, other)


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


def _claimed(session: Session, subjects: list[Subject]) -> dict[tuple[str, uuid.UUID, date], set[str]]:
    claimed: dict[tuple[str, uuid.UUID, date], set[str]] = defaultdict(set)
    ids = sorted({s.subject_id for s in subjects}, key=str)
    if not ids:
        return claimed
    for subject_type, subject_id, due_on, rung in session.execute(
        select(
            col(PlanNotice.subject_type),
            col(PlanNotice.subject_id),
            col(PlanNotice.due_on),
            col(PlanNotice.rung),
        ).where(col(PlanNotice.subject_id).in_(ids))
    ).all():
        claimed[(subject_type, subject_id, due_on)].add(rung)
    return claimed


def claim(session: Session, dialect: str, values: dict[str, Any]) -> bool:
    """Insert the notice unless its (subject, due date, rung) is taken; True when this call took it."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(NOTICE)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["subject_type", "subject_id", "due_on", "rung"])
        .returning(NOTICE.c.id)
    )
    return session.execute(statement).first() is not None


def chase_batch(
    ctx: AppContext, now: datetime, *, after: uuid.UUID | None = None, batch_size: int = DEFAULT_BATCH
) -> tuple[ChaseResult, uuid.UUID | None]:
    """Lock one batch of priority plans with work and send their due rungs, in one transaction.

    Returns what it did and the last plan id it locked (None: no plan left after `after`).
    """
    today = today_in_london(now)
    rules = chase_rules(ctx.workflows)
    review_by, target_by = _windows(rules, today)
    result = ChaseResult()
    with ctx.uow() as uow:
        session = uow.session
        plans = _lock_plans(session, uow.dialect, plans_with_work(review_by, target_by), after, batch_size)
        if not plans:
            return result, None
        result.claimed_plans = len(plans)
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
        batch = _Batch(session, uow.dialect, today, now, rules)
        batch.claimed = _claimed(session, subjects)
        batch.directory = load_plan_directory(session, plans, actions)
        batch.agencies = _agency_names(session, actions)
        for subject in subjects:
            batch.chase(subject, result)
        session.flush()
        insert_queued(session, batch.queued)
        uow.commit()
    return result, plans[-1].id


def _agency_names(session: Session, actions: list[PlanAction]) -> dict[uuid.UUID, str]:
    ids = sorted({a.lead_agency_id for a in actions if a.lead_agency_id}, key=str)
    if not ids:
        return {}
    return dict(session.exec(select(Agency.id, Agency.name).where(col(Agency.id).in_(ids))).all())


class _Batch:
    """What one chase batch knows and writes."""

    def __init__(
        self, session: Session, dialect: str, today: date, now: datetime, rules: dict[str, ChaseRule]
    ) -> None:
        self.session = session
        self.dialect = dialect
        self.today = today
        self.now = now
        self.rules = rules
        self.label = worker_label()
        self.system = Actor.system()
        self.claimed: dict[tuple[str, uuid.UUID, date], set[str]] = {}
        self.directory = PlanDirectory()
        self.agencies: dict[uuid.UUID, str] = {}
        self.queued = QueuedRows()

    def notice_row(
        self, subject: Subject, rung: str, kind: str, status: str, **values: Any
    ) -> dict[str, Any]:
        return {
            "id": new_id(), "plan_id": subject.plan.id, "subject_type": subject.subject_type,
            "subject_id": subject.subject_id, "due_on": subject.due_on, "rung": rung, "kind": kind,
            "level": 0, "status": status, "sent_on": self.today, "claimed_at": self.now,
            "claimed_by": self.label, "next_on": None, "roles": [], "skipped": [], "addressees": 0,
            "error": "",
        } | values  # fmt: skip

    def chase(self, subject: Subject, result: ChaseResult) -> None:
        result.looked_at += 1
        claimed = self.claimed.get((subject.subject_type, subject.subject_id, subject.due_on), set())
        failed_today = f"failed:{self.today.isoformat()}"
        if failed_today in claimed:
            return  # it failed earlier today: looked at again tomorrow
        try:
            # Everything that can fail is worked out before anything is written.
            rule = self.rules[subject.key]
            step = step_for(rule.reminders, subject.due_on, self.today, claimed)
            planned = self._plan(subject, rule, step) if step.rung is not None else None
        except Exception as err:  # one bad subject must not stop the chase
            log.exception("priority-plan chase failed for %s %s", subject.subject_type, subject.subject_id)
            error = f"{type(err).__name__}: {err}"[:500]
            values = self.notice_row(subject, failed_today, "failed", "failed", error=error,
                                     next_on=self.today + timedelta(days=1))  # fmt: skip
            if claim(self.session, self.dialect, values):
                result.failed += 1
            return
        if planned is None:
            return  # nothing to send today
        notice, people, text, audit = planned
        if not claim(self.session, self.dialect, notice):
            return  # another sweep sent this rung already
        emails = self._queue(notice["id"], notice["kind"], people, text)
        record_change(
            self.session,
            subject.plan,
            None,
            kind=AUDIT_KINDS[notice["kind"]],
            actor=self.system,
            effective_on=self.today,
            recorded_at=self.now,
            data=audit | {"notice_id": str(notice["id"])},
        )
        result.notices += 1
        result.notifications += len(people)
        result.emails += emails
        result.by_rung[notice["rung"]] = result.by_rung.get(notice["rung"], 0) + 1

    def _plan(
        self, subject: Subject, rule: ChaseRule, step: Step
    ) -> tuple[dict[str, Any], list[Person], NoticeText, dict[str, Any]]:
        rung = step.rung
        assert rung is not None
        roles = roles_for(rule.reminders, rung, rule.owner_role)
        people = self.directory.people(subject, roles)
        audit: dict[str, Any] = {
            "subject_type": subject.subject_type,
            "subject_id": str(subject.subject_id),
            "rung": rung.name,
            "due_on": subject.due_on.isoformat(),
            "roles": roles,
        }
        if subject.action_number:
            audit["action_number"] = subject.action_number
        if not people:
            # Nobody holds the roles (e.g. an action with no lead agency and no owner): the CSP
            # officer, who runs the plan, is told rather than nobody.
            people = self.directory.people(subject, [Role.CSP_OFFICER.value])
            audit["note"] = (
                "nobody holds these roles: the CSP officer was told instead"
                if people
                else "nobody holds these roles and the partnership has no CSP officer: nobody was told"
            )
        audit["user_ids"] = [str(p.user_id) for p in people]
        if step.skipped:
            audit["skipped"] = step.skipped
        agency = self.agencies.get(subject.lead_agency_id, "") if subject.lead_agency_id else ""
        text = chase_text(subject, rung, self.today, rule, agency)
        notice = self.notice_row(
            subject,
            rung.name,
            rung.kind,
            "sent" if people else "unaddressed",
            level=rung.level,
            next_on=step.next_on,
            roles=roles,
            skipped=step.skipped,
            addressees=len(people),
        )
        return notice, people, text, audit

    def _queue(self, notice_id: uuid.UUID, kind: str, people: list[Person], text: NoticeText) -> int:
        """An in-app notification per addressee (no case), an e-mail for each with an address."""
        emails = 0
        for person in people:
            note_id = new_id()
            item_id = None
            if person.email:
                item_id = new_id()
                self.queued.emails.append(
                    {
                        "id": item_id, "case_id": None, "kind": "email", "topic": EMAIL_TOPIC,
                        "payload": {"notification_id": str(note_id), "plan_notice_id": str(notice_id)},
                        "status": "pending", "attempts": 0, "available_at": self.now, "last_error": "",
                        "created_at": self.now, "done_at": None,
                    }
                )  # fmt: skip
                emails += 1
            self.queued.notifications.append(
                {
                    "id": note_id, "user_id": person.user_id, "case_id": None, "notice_id": None,
                    "deadline_id": None, "kind": kind, "title": text.title[:300], "body": text.body[:2000],
                    "created_at": self.now, "read_at": None, "email_item_id": item_id,
                }
            )  # fmt: skip
        return emails


# --- the entry points --------------------------------------------------------------------------------


def chase_all(ctx: AppContext, now: datetime | None = None, batch_size: int = DEFAULT_BATCH) -> ChaseResult:
    """Chase every priority plan with work, batch by batch (plans locked elsewhere are left to that sweep)."""
    moment = now or ctx.clock.now()
    total = ChaseResult()
    after: uuid.UUID | None = None
    while True:
        done, after = chase_batch(ctx, moment, after=after, batch_size=batch_size)
        total.add(done)
        if after is None or done.claimed_plans < batch_size:
            return total


def sweep_priority_plans(
    ctx: AppContext, now: datetime | None = None, batch_size: int = DEFAULT_BATCH
) -> int:
    """The scheduler's step: send today's priority-plan rungs; returns how many notices it sent."""
    return chase_all(ctx, now, batch_size).notices


def run_chase(ctx: AppContext) -> str:
    """The sweep job's priority-plan step, as one line for the job's summary."""
    return f"{sweep_priority_plans(ctx, ctx.clock.now())} priority-plan notice(s)"
