"""The one sweep: reminders before a due date, a notice on the day, escalations while overdue, for
everything with a due date: case deadlines, agencies' return deadlines (both `deadline` rows) and
CSP priority plans' actions and reviews (plans/scheduled.py). One loop, one ladder, one claim.

Each source (deadlines/sources.py `DueSource`) says what is due; the composition root passes the
sources (dhr_engine/bootstrap/__init__.py `SWEEP_SOURCES`). Each call of `sweep_batch` is one transaction
over one batch of one source:

1. The source locks the rows its items hang on and loads the items inside their reminder window.
   Deadline rows (`DEADLINE_ROWS`, below): the cases with open, unpaused deadlines that no notice
   already covers for today (a notice's `next_on` says when the deadline next needs looking at),
   locked on PostgreSQL with FOR UPDATE SKIP LOCKED, so parallel schedulers take different cases
   and never wait for each other, and a command on the case (which locks the same row first)
   cannot change its deadlines under the sweep. On SQLite the unit of work began with BEGIN
   IMMEDIATE, so sweeps and commands run one at a time.
2. For each item, work out today's rung (domain/reminders.py: the latest rung that has come, never
   an earlier one late), who is told and the words: everything that can fail, before anything is
   written. An item that fails is logged (no personal data) and gets a 'failed' notice for the day
   (looked at again the next day); the batch carries on.
3. Claim every planned notice with one INSERT ... ON CONFLICT DO NOTHING into `deadline_notice`
   on UNIQUE(subject, due date, rung) (`claim`); only the notices whose insert went
   in are acted on, so should two sweeps ever get the same item, one sends and the other does not.
4. In the same transaction, for each claimed notice: the source's audit entry, an in-app
   notification per addressee and an e-mail OutboxItem per addressee with an address. The e-mails
   go after commit (outbox drain).

Paused deadlines (paused_since set) send nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, false, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from dhr_engine.audit.service import append_event
from dhr_engine.context import AppContext
from dhr_engine.deadlines.addressees import Directory, Person, load_directory
from dhr_engine.deadlines.notifications import (
    NoticeText,
    QueuedRows,
    insert_queued,
    notice_text,
    queue_for_notice,
)
from dhr_engine.deadlines.sources import Addressees, Due, DueBatch, DueRule, DueSource
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.clock import LONDON
from dhr_engine.domain.reminders import Rung, horizon_days, roles_for, step_for
from dhr_engine.errors import DhrError
from dhr_engine.persistence.tables import Case, Deadline, new_id
from dhr_engine.persistence.tables_scheduler import DEADLINE_SUBJECT, DeadlineNotice
from dhr_engine.workflow.definition import ReminderRule
from dhr_engine.workflow.loader import WorkflowRegistry

log = logging.getLogger(__name__)

SWEEP_JOB = "sweep-deadlines"
CASE_TABLE = cast(Table, Case.__table__)  # type: ignore[attr-defined]
NOTICE = cast(Table, DeadlineNotice.__table__)  # type: ignore[attr-defined]
# UNIQUE on deadline_notice; the id leads (what the "covered today?" subquery and claimed_rungs join on)
CLAIM_KEY = ("subject_id", "subject_type", "due_on", "rung")

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
            col(DeadlineNotice.subject_type) == DEADLINE_SUBJECT,
            col(DeadlineNotice.subject_id) == col(Deadline.id),
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


# --- the deadline rows: case deadlines and agencies' return deadlines ------------------------------


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


class _DeadlineBatch:
    """The deadline rows of one batch of locked cases, with their cases and the people behind the roles."""

    after: uuid.UUID | None = None  # a done row is covered by its notice: the query moves on by itself

    def __init__(
        self,
        session: Session,
        workflows: WorkflowRegistry,
        cases: dict[uuid.UUID, Case],
        rows: list[Deadline],
        today: date,
        now: datetime,
    ) -> None:
        self.session = session
        self.workflows = workflows
        self.cases = cases
        self.items: list[Deadline] = rows
        self.locked = len(cases)
        self.today = today
        self.now = now
        self.directory: Directory = load_directory(session, cases.values(), rows)

    def due(self, item: Deadline) -> Due:
        return Due(DEADLINE_SUBJECT, item.id, item.adjusted_due, case_id=item.case_id, deadline_id=item.id)

    def rule(self, item: Deadline) -> DueRule:
        return DueRule(rule_for(self.workflows, self.cases[item.case_id], item), item.owner_role)

    def addressees(self, item: Deadline, roles: list[str]) -> Addressees:
        people = self.directory.people(self.cases[item.case_id], item, roles)
        return Addressees(people, "" if people else "nobody holds these roles on the case: nobody was told")

    def text(self, item: Deadline, rung: Rung, today: date) -> NoticeText:
        return notice_text(self.cases[item.case_id].ref, item, rung, today)

    def audit(self, item: Deadline, kind: str, data: dict[str, Any]) -> None:
        case = self.cases[item.case_id]
        append_event(
            self.session,
            case,
            kind=kind,
            actor=Actor.system(),
            effective_on=self.today,
            recorded_at=self.now,
            data={"deadline_id": str(item.id), "key": item.key, "label": item.label} | data,
        )
        self.session.add(case)


class DeadlineRows:
    """The `deadline` rows of cases: a case's own deadlines and the agencies' return deadlines
    (for an agency's row, the agency roles mean that agency's people only: deadlines/addressees.py)."""

    name = "deadline"
    audit_kinds: Mapping[str, str] = AUDIT_KINDS
    records_quiet = True  # a quiet day's next_on keeps the row out of candidate_clause until then
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
    ) -> _DeadlineBatch | None:
        clause = candidate_clause(ctx.workflows, today)
        case_ids = _claim_cases(session, dialect, clause, limit)
        if not case_ids:
            return None
        rows = list(
            session.exec(
                select(Deadline)
                .where(col(Deadline.case_id).in_(case_ids), clause)
                .order_by(col(Deadline.adjusted_due), col(Deadline.id))
                .limit(limit)
            ).all()
        )
        cases = {c.id: c for c in session.exec(select(Case).where(col(Case.id).in_(case_ids))).all()}
        return _DeadlineBatch(session, ctx.workflows, cases, rows, today, now)


DEADLINE_ROWS = DeadlineRows()


# --- the claim -------------------------------------------------------------------------------------


def claimed_rungs(session: Session, keys: Iterable[Due]) -> dict[tuple[str, uuid.UUID, date], set[str]]:
    """The rungs already claimed for these subjects, by (subject type, subject, due date)."""
    by_type: dict[str, set[uuid.UUID]] = defaultdict(set)
    for due in keys:
        by_type[due.subject_type].add(due.subject_id)
    claimed: dict[tuple[str, uuid.UUID, date], set[str]] = defaultdict(set)
    for subject_type, id_set in by_type.items():
        ids = sorted(id_set, key=str)
        for start in range(0, len(ids), 1000):
            for subject_id, due_on, rung in session.execute(
                select(
                    col(DeadlineNotice.subject_id), col(DeadlineNotice.due_on), col(DeadlineNotice.rung)
                ).where(
                    col(DeadlineNotice.subject_type) == subject_type,
                    col(DeadlineNotice.subject_id).in_(ids[start : start + 1000]),
                )
            ).all():
                claimed[(subject_type, subject_id, due_on)].add(rung)
    return claimed


def claim(session: Session, dialect: str, notices: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert the notices whose (subject, due date, rung) is still free; the ids of those it took.

    The one claim of the one sweep: INSERT ... ON CONFLICT DO NOTHING on the unique claim key, in
    the caller's transaction (with the audit entries, notifications and e-mails of what it took).
    """
    if not notices:
        return set()
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(NOTICE).on_conflict_do_nothing(index_elements=list(CLAIM_KEY)).returning(NOTICE.c.id)
    return set(session.execute(statement, list(notices)).scalars().all())


# --- one batch -------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    processed: int = 0  # items looked at
    notices: int = 0  # reminders, due-day notices and escalations sent (or unaddressed)
    notifications: int = 0
    emails: int = 0
    failed: int = 0
    claims: int = 0  # notice rows this sweep inserted: sent, unaddressed, quiet and failed
    locked: int = 0  # rows (cases, plans) the batches locked
    after: uuid.UUID | None = None  # where a source's next batch starts
    by_rung: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)  # notices per source
    looked_at: dict[str, int] = field(default_factory=dict)  # items per source

    def add(self, other: SweepResult) -> None:
        self.processed += other.processed
        self.notices += other.notices
        self.notifications += other.notifications
        self.emails += other.emails
        self.failed += other.failed
        self.claims += other.claims
        self.locked += other.locked
        for mine, theirs in ((self.by_rung, other.by_rung), (self.by_source, other.by_source),
                             (self.looked_at, other.looked_at)):  # fmt: skip
            for key, n in theirs.items():
                mine[key] = mine.get(key, 0) + n


@dataclass
class _Planned:
    """A notice worked out for one item, written only if its claim goes in."""

    notice: dict[str, Any]
    item: Any = None
    due: Due | None = None
    rung: Rung | None = None  # None: a quiet or failed notice (nothing else to write)
    people: list[Person] = field(default_factory=list)
    text: NoticeText | None = None
    audit: dict[str, Any] = field(default_factory=dict)


class _Sweep:
    """One batch's day, worker and the rows it queues."""

    def __init__(self, today: date, now: datetime) -> None:
        self.today = today
        self.now = now
        self.label = worker_label()
        self.queued = QueuedRows()

    def notice_row(self, due: Due, rung: str, kind: str, status: str, **values: Any) -> dict[str, Any]:
        return {
            "id": new_id(), "subject_type": due.subject_type, "subject_id": due.subject_id,
            "deadline_id": due.deadline_id, "case_id": due.case_id, "plan_id": due.plan_id,
            "due_on": due.due_on, "rung": rung, "kind": kind, "level": 0, "status": status,
            "sent_on": self.today, "claimed_at": self.now, "claimed_by": self.label, "next_on": None,
            "roles": [], "skipped": [], "addressees": 0, "error": "",
        } | values  # fmt: skip

    def plan(
        self, source: DueSource, batch: DueBatch[Any], item: Any, due: Due, claimed: set[str]
    ) -> _Planned | None:
        """What to claim for one item today (None: nothing, not even a quiet day)."""
        today = self.today
        failed_today = f"failed:{today.isoformat()}"
        if failed_today in claimed:
            return None  # it failed earlier today: looked at again tomorrow
        try:
            # Everything that can fail is worked out before anything is written.
            rule = batch.rule(item)
            step = step_for(rule.reminders, due.due_on, today, claimed)
            if step.rung is None:
                if not source.records_quiet:
                    return None
                # Nothing to send today (e.g. overdue with no escalation rule): note when to look again.
                quiet = self.notice_row(
                    due, f"quiet:{today.isoformat()}", "quiet", "quiet", next_on=step.next_on
                )
                return _Planned(quiet)
            rung = step.rung
            roles = roles_for(rule.reminders, rung, rule.owner_role)
            told = batch.addressees(item, roles)
            text = batch.text(item, rung, today)
        except Exception as err:  # one bad item must not stop the sweep
            log.exception("sweep failed for %s %s", due.subject_type, due.subject_id)
            error = f"{type(err).__name__}: {err}"[:500]
            failed = self.notice_row(due, failed_today, "failed", "failed", error=error,
                                     next_on=today + timedelta(days=1))  # fmt: skip
            return _Planned(failed)
        people = told.people
        audit: dict[str, Any] = {
            "rung": rung.name,
            "due_on": due.due_on.isoformat(),
            "roles": roles,
            "user_ids": [str(p.user_id) for p in people],
        }
        if step.skipped:
            audit["skipped"] = step.skipped
        if told.note:
            audit["note"] = told.note
        notice = self.notice_row(
            due,
            rung.name,
            rung.kind,
            "sent" if people else "unaddressed",
            level=rung.level,
            next_on=step.next_on,
            roles=roles,
            skipped=step.skipped,
            addressees=len(people),
        )
        return _Planned(notice, item, due, rung, people, text, audit)

    def write(self, source: DueSource, batch: DueBatch[Any], planned: _Planned, result: SweepResult) -> None:
        """A claimed notice's audit entry, notifications and e-mails."""
        notice = planned.notice
        result.claims += 1
        if notice["kind"] == "failed":
            result.failed += 1
        if planned.rung is None or planned.due is None or planned.text is None:
            return
        rung = planned.rung
        batch.audit(
            planned.item, source.audit_kinds[rung.kind], planned.audit | {"notice_id": str(notice["id"])}
        )
        emails = queue_for_notice(
            self.queued,
            notice_id=notice["id"],
            deadline_id=planned.due.deadline_id,
            case_id=planned.due.case_id,
            kind=rung.kind,
            people=planned.people,
            text=planned.text,
            now=self.now,
        )
        result.notices += 1
        result.notifications += len(planned.people)
        result.emails += emails
        result.by_rung[rung.name] = result.by_rung.get(rung.name, 0) + 1
        result.by_source[source.name] = result.by_source.get(source.name, 0) + 1


def sweep_batch(
    ctx: AppContext,
    now: datetime,
    batch_size: int | None = None,
    *,
    source: DueSource = DEADLINE_ROWS,
    after: uuid.UUID | None = None,
) -> SweepResult:
    """Lock one batch of one source, claim and send its due rungs, in one transaction."""
    today = today_in_london(now)
    result = SweepResult()
    sweep = _Sweep(today, now)
    with ctx.uow() as uow:
        session = uow.session
        batch = source.lock_batch(
            ctx,
            session,
            uow.dialect,
            today=today,
            now=now,
            after=after,
            limit=batch_size or source.batch_size,
        )
        if batch is None or batch.locked == 0:
            return result
        result.locked = batch.locked
        result.after = batch.after
        items = [(item, batch.due(item)) for item in batch.items]
        claimed = claimed_rungs(session, [due for _, due in items])
        planned = [
            p
            for item, due in items
            if (p := sweep.plan(source, batch, item, due, claimed.get(due.key, set()))) is not None
        ]
        result.processed = len(items)
        result.looked_at[source.name] = len(items)
        taken = claim(session, uow.dialect, [p.notice for p in planned])
        for p in planned:
            if p.notice["id"] in taken:  # else another sweep has this rung: it sends, this one does not
                sweep.write(source, batch, p, result)
        session.flush()  # the audit entries (and the cases' chain heads)
        insert_queued(session, sweep.queued)
        uow.commit()
    return result


# --- the entry points ------------------------------------------------------------------------------


def sweep_due(ctx: AppContext, now: datetime, batch_size: int = DEFAULT_BATCH) -> int:
    """One batch of deadline rows at `now`: how many it processed (0: nothing left). For the bench."""
    return sweep_batch(ctx, now, batch_size).processed


def sweep_all(
    ctx: AppContext,
    now: datetime | None = None,
    batch_size: int | None = None,
    max_batches: int | None = None,
    *,
    sources: Sequence[DueSource] = (DEADLINE_ROWS,),
    on_batch: Callable[[SweepResult], None] | None = None,
) -> SweepResult:
    """Sweep each source until nothing is left to lock (or max_batches batches of each).

    The composition root passes every source (bootstrap.SWEEP_SOURCES); called without, this
    sweeps the deadline rows, the one source this domain has of its own.
    """
    moment = now or ctx.clock.now()
    total = SweepResult()
    for source in sources:
        after: uuid.UUID | None = None
        batches = 0
        total.looked_at.setdefault(source.name, 0)
        total.by_source.setdefault(source.name, 0)
        while max_batches is None or batches < max_batches:
            done = sweep_batch(ctx, moment, batch_size, source=source, after=after)
            batches += 1
            total.add(done)
            if done.locked == 0:
                break
            if on_batch is not None:
                on_batch(done)
            after = done.after
    return total


def summary(result: SweepResult) -> str:
    """The sweep job's one line: the totals, then the notices of each source."""
    by_rung = ", ".join(f"{rung}: {n}" for rung, n in sorted(result.by_rung.items())) or "nothing due"
    by_source = ", ".join(f"{n} {name} notice(s)" for name, n in result.by_source.items())
    return (
        f"{result.processed} item(s) looked at, {result.notices} notice(s) ({by_rung}), "
        f"{result.notifications} notification(s), {result.emails} e-mail(s) queued, {result.failed} failed"
        + (f"; {by_source}" if by_source else "")
    )


def run_sweep(ctx: AppContext, sources: Sequence[DueSource] = (DEADLINE_ROWS,)) -> str:
    """The sweep job: today's reminders, due-day notices and escalations of every source."""
    line = summary(sweep_all(ctx, ctx.clock.now(), sources=sources))
    log.info("sweep: %s", line)
    return line
