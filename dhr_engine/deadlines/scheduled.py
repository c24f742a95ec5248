"""The deadline sweep: reminders before a deadline, a notice on the day, escalations while overdue.

Each call of `sweep_due` is one transaction over one batch:

1. Claim cases with work: open, unpaused deadlines inside their rule's reminder window, that no
   notice already covers for today (a notice's `next_on` says when the deadline next needs
   looking at). On PostgreSQL the case rows are locked with FOR UPDATE SKIP LOCKED, so parallel
   schedulers take different cases and never wait for each other, and a command on the case
   (which locks the same row first) cannot change its deadlines under the sweep. On SQLite the
   unit of work began with BEGIN IMMEDIATE, so sweeps and commands run one at a time.
2. For each deadline, work out today's rung (scheduler/rungs.py: the latest rung that has come,
   never an earlier one late) and claim it by inserting DeadlineNotice; UNIQUE(deadline, due date,
   rung) is the last line of defence should two sweeps ever get the same row.
3. In the same transaction: an audit event on the case, an in-app notification per addressee and
   an e-mail OutboxItem per addressee with an address. The e-mails go after commit (outbox drain).

Paused deadlines (paused_since set) send nothing. A row that fails is logged (no personal data),
recorded as a 'failed' notice that is looked at again the next day, and the batch carries on.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import ColumnElement, Table, and_, false, insert, or_
from sqlmodel import Session, col, select

from dhr_engine.audit.service import append_event
from dhr_engine.context import AppContext
from dhr_engine.deadlines.addressees import Directory, load_directory
from dhr_engine.deadlines.notifications import QueuedRows, insert_queued, notice_text, queue_for_notice
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.clock import LONDON
from dhr_engine.domain.reminders import Rung, Step, horizon_days, roles_for, step_for
from dhr_engine.errors import DhrError
from dhr_engine.persistence.tables import Case, Deadline, new_id
from dhr_engine.persistence.tables_scheduler import DeadlineNotice
from dhr_engine.workflow.definition import ReminderRule
from dhr_engine.workflow.loader import WorkflowRegistry

log = logging.getLogger(__name__)

SWEEP_JOB = "sweep-deadlines"
CASE_TABLE = cast(Table, Case.__table__)  # type: ignore[attr-defined]
NOTICE = cast(Table, DeadlineNotice.__table__)  # type: ignore[attr-defined]

DEFAULT_BATCH = 200
AUDIT_KINDS = {
    "reminder": "deadline_reminder_sent",
    "due": "deadline_due_notice",
    "escalation": "deadline_escalated",
}


def worker_label() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


def today_in_london(now: datetime) -> date:
    return now.astimezone(LONDON).date()


# --- which rule applies to a deadline row ---------------------------------------------------------


def rules_by_key(workflows: WorkflowRegistry) -> dict[str, list[ReminderRule]]:
    """Every loaded workflow version's reminder rule for each deadline key."""
    found: dict[str, list[ReminderRule]] = defaultdict(list)
    for definition in workflows:
        for key, rule in definition.deadlines.items():
            found[key].append(rule.reminders)
    return dict(found)


def rule_for(workflows: WorkflowRegistry, case: Case, row: Deadline) -> ReminderRule:
    """The reminder rule of the workflow version the deadline was opened under (the case's, else)."""
    for version in (row.workflow_version, case.workflow_version):
        try:
            definition = workflows.get(case.workflow_key, version)
        except DhrError:
            continue
        rule = definition.deadlines.get(row.key)
        if rule is not None:
            return rule.reminders
    return ReminderRule()


def candidate_clause(workflows: WorkflowRegistry, today: date) -> ColumnElement[bool]:
    """Open, unpaused deadlines inside their reminder window that no notice covers for today."""
    by_horizon: dict[int, list[str]] = defaultdict(list)
    for key, rules in rules_by_key(workflows).items():
        by_horizon[max(horizon_days(r) for r in rules)].append(key)
    known = [k for keys in by_horizon.values() for k in keys]
    windows = [
        and_(col(Deadline.key).in_(sorted(keys)), col(Deadline.adjusted_due) <= today + timedelta(days=h))
        for h, keys in sorted(by_horizon.items())
    ]
    windows.append(and_(col(Deadline.key).not_in(known or [""]), col(Deadline.adjusted_due) <= today))
    widest = max(by_horizon, default=0)
    covered = (
        select(DeadlineNotice.id)
        .where(
            col(DeadlineNotice.deadline_id) == col(Deadline.id),
            col(DeadlineNotice.due_on) == col(Deadline.adjusted_due),
            or_(col(DeadlineNotice.next_on).is_(None), col(DeadlineNotice.next_on) > today),
        )
        .exists()
    )
    return and_(
        col(Deadline.status) == "open",
        col(Deadline.paused_since).is_(None),
        col(Deadline.adjusted_due) <= today + timedelta(days=widest),
        or_(false(), *windows),
        ~covered,
    )


# --- one batch -------------------------------------------------------------------------------------


class NoticeCounts(Protocol):
    """What a sweep over deadlines and a chase of priority plans both count."""

    notices: int
    notifications: int
    emails: int
    failed: int
    by_rung: dict[str, int]


def add_notice_counts(total: NoticeCounts, other: NoticeCounts) -> None:
    """Add one batch's notices, notifications, emails, failures and rungs to a running total."""
    total.notices += other.notices
    total.notifications += other.notifications
    total.emails += other.emails
    total.failed += other.failed
    for rung, n in other.by_rung.items():
        total.by_rung[rung] = total.by_rung.get(rung, 0) + n


@dataclass
class SweepResult:
    processed: int = 0
    notices: int = 0
    notifications: int = 0
    emails: int = 0
    failed: int = 0
    claimed_cases: int = 0
    by_rung: dict[str, int] = field(default_factory=dict)

    def add(self, other: SweepResult) -> None:
        self.processed += other.processed
        self.claimed_cases += other.claimed_cases
        add_notice_counts(self, other)


def _claim_cases(session: Session, dialect: str, clause: ColumnElement[bool], limit: int) -> list[uuid.UUID]:
    with_work = select(Deadline.case_id).where(clause)
    if dialect == "sqlite":
        # BEGIN IMMEDIATE already holds the database; DISTINCT ... LIMIT stops at `limit` cases instead
        # of first building the whole IN list of every case with work (dhr bench: the sweep's top cost)
        return list(session.exec(with_work.distinct().limit(limit)).all())
    query = select(Case.id).where(col(Case.id).in_(with_work)).limit(limit)
    if dialect == "postgresql":
        query = query.with_for_update(skip_locked=True, of=CASE_TABLE)
    return list(session.exec(query).all())


def _claimed_rungs(session: Session, rows: list[Deadline]) -> dict[tuple[uuid.UUID, date], set[str]]:
    claimed: dict[tuple[uuid.UUID, date], set[str]] = defaultdict(set)
    if not rows:
        return claimed
    for deadline_id, due_on, rung in session.execute(
        select(col(DeadlineNotice.deadline_id), col(DeadlineNotice.due_on), col(DeadlineNotice.rung)).where(
            col(DeadlineNotice.deadline_id).in_([r.id for r in rows])
        )
    ).all():
        claimed[(deadline_id, due_on)].add(rung)
    return claimed


def sweep_batch(ctx: AppContext, now: datetime, batch_size: int = DEFAULT_BATCH) -> SweepResult:
    """Claim and process one batch of due deadline rungs in one transaction; returns what it did."""
    today = today_in_london(now)
    result = SweepResult()
    batch = _Batch(ctx, today, now)
    with ctx.uow() as uow:
        session = uow.session
        clause = candidate_clause(ctx.workflows, today)
        case_ids = _claim_cases(session, uow.dialect, clause, batch_size)
        if not case_ids:
            return result
        result.claimed_cases = len(case_ids)
        rows = list(
            session.exec(
                select(Deadline)
                .where(col(Deadline.case_id).in_(case_ids), clause)
                .order_by(col(Deadline.adjusted_due), col(Deadline.id))
                .limit(batch_size)
            ).all()
        )
        cases = {c.id: c for c in session.exec(select(Case).where(col(Case.id).in_(case_ids))).all()}
        claimed = _claimed_rungs(session, rows)
        directory = load_directory(session, cases.values(), rows)
        for row in rows:
            case = cases[row.case_id]
            try:
                # Everything that can fail is worked out before anything is added to the session.
                rule = rule_for(ctx.workflows, case, row)
                step = step_for(rule, row.adjusted_due, today, claimed[(row.id, row.adjusted_due)])
                batch.add(session, case, row, rule, step, directory, result)
            except Exception as err:  # one bad row must not stop the sweep
                log.exception("deadline sweep failed for deadline %s", row.id)
                error = f"{type(err).__name__}: {err}"[:500]
                batch.notices.append(
                    batch.notice_row(row, f"failed:{today.isoformat()}", "failed", "failed",
                                     next_on=today + timedelta(days=1), error=error)
                )  # fmt: skip
                result.failed += 1
            result.processed += 1
        for case in cases.values():
            session.add(case)
        session.flush()  # the audit events and the cases' chain heads
        if batch.notices:
            session.execute(insert(NOTICE), batch.notices)
        insert_queued(session, batch.queued)
        uow.commit()
    return result


class _Batch:
    """The rows one sweep batch writes, collected and inserted together."""

    def __init__(self, ctx: AppContext, today: date, now: datetime) -> None:
        self.ctx = ctx
        self.today = today
        self.now = now
        self.label = worker_label()
        self.system = Actor.system()
        self.notices: list[dict[str, Any]] = []
        self.queued = QueuedRows()

    def notice_row(self, row: Deadline, rung: str, kind: str, status: str, **values: Any) -> dict[str, Any]:
        return {
            "id": new_id(), "deadline_id": row.id, "case_id": row.case_id, "due_on": row.adjusted_due,
            "rung": rung, "kind": kind, "level": 0, "status": status, "sent_on": self.today,
            "claimed_at": self.now, "claimed_by": self.label, "next_on": None, "roles": [], "skipped": [],
            "addressees": 0, "error": "",
        } | values  # fmt: skip

    def add(
        self,
        session: Session,
        case: Case,
        row: Deadline,
        rule: ReminderRule,
        step: Step,
        directory: Directory,
        result: SweepResult,
    ) -> None:
        today = self.today
        if step.rung is None:
            # Nothing to send today (e.g. overdue with no escalation rule): note when to look again.
            self.notices.append(
                self.notice_row(row, f"quiet:{today.isoformat()}", "quiet", "quiet", next_on=step.next_on)
            )
            return
        rung: Rung = step.rung
        roles = roles_for(rule, rung, row.owner_role)
        people = directory.people(case, row, roles)
        text = notice_text(case.ref, row, rung, today)
        data: dict[str, Any] = {
            "deadline_id": str(row.id),
            "key": row.key,
            "label": row.label,
            "rung": rung.name,
            "due_on": row.adjusted_due.isoformat(),
            "roles": roles,
            "user_ids": [str(p.user_id) for p in people],
        }
        if step.skipped:
            data["skipped"] = step.skipped
        if not people:
            data["note"] = "nobody holds these roles on the case: nobody was told"
        notice = self.notice_row(
            row,
            rung.name,
            rung.kind,
            "sent" if people else "unaddressed",
            level=rung.level,
            next_on=step.next_on,
            roles=roles,
            skipped=step.skipped,
            addressees=len(people),
        )
        emails = queue_for_notice(
            self.queued,
            notice_id=notice["id"],
            deadline_id=row.id,
            case_id=case.id,
            kind=rung.kind,
            people=people,
            text=text,
            now=self.now,
        )
        append_event(
            session,
            case,
            kind=AUDIT_KINDS[rung.kind],
            actor=self.system,
            effective_on=today,
            recorded_at=self.now,
            data=data,
        )
        self.notices.append(notice)
        result.notices += 1
        result.notifications += len(people)
        result.emails += emails
        result.by_rung[rung.name] = result.by_rung.get(rung.name, 0) + 1


# --- the entry points ------------------------------------------------------------------------------


def sweep_due(ctx: AppContext, now: datetime, batch_size: int = DEFAULT_BATCH) -> int:
    """One batch of the sweep at `now`; returns how many deadlines it processed (0: nothing left)."""
    return sweep_batch(ctx, now, batch_size).processed


def sweep_all(
    ctx: AppContext,
    now: datetime | None = None,
    batch_size: int = DEFAULT_BATCH,
    max_batches: int | None = None,
) -> SweepResult:
    """Sweep until nothing is left to claim (or max_batches batches): what the scheduler job runs."""
    moment = now or ctx.clock.now()
    total = SweepResult()
    batches = 0
    while max_batches is None or batches < max_batches:
        done = sweep_batch(ctx, moment, batch_size)
        batches += 1
        total.add(done)
        if done.claimed_cases == 0:
            break
    return total


def run_sweep(ctx: AppContext) -> str:
    """The sweep job: today's reminders, due-day notices and escalations of open deadlines."""
    result = sweep_all(ctx, ctx.clock.now())
    by_rung = ", ".join(f"{rung}: {n}" for rung, n in sorted(result.by_rung.items())) or "nothing due"
    summary = (
        f"{result.processed} deadline(s) looked at, {result.notices} notice(s) ({by_rung}), "
        f"{result.notifications} notification(s), {result.emails} e-mail(s) queued, {result.failed} failed"
    )
    log.info("sweep: %s", summary)
    return summary
