"""Deadlines as rows: open, close, pause and resume them, and explain each one."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol, TypeVar

from sqlmodel import Session, col, select

from dhr_engine.deadlines.basis import basis_in_words
from dhr_engine.domain.calendar import (
    BankHolidays,
    Interval,
    add_calendar_months,
    add_working_days,
    format_date,
    merge_intervals,
    paused_days,
)
from dhr_engine.errors import NotFound, ValidationFailed
from dhr_engine.persistence.case_lookup import csp_overrides
from dhr_engine.persistence.tables import Case, Csp, Deadline, ExtraHoliday, ParallelProceeding
from dhr_engine.workflow.definition import DeadlineRule, Duration, WorkflowDefinition

OPEN = "open"


class DeadlineClock(Protocol):
    """What closing, pausing and resuming a deadline change: a Deadline, or a plain row of one."""

    key: str
    statutory_due: date
    adjusted_due: date
    status: str
    paused_since: date | None
    pause_log: list[list[str | None]]
    closed_on: date | None


ClockT = TypeVar("ClockT", bound=DeadlineClock)


class _ImportedHolidays(Mapping[date, str]):
    """The extra days an admin imported, read from the database only if a rule counts working days."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._days: dict[date, str] | None = None

    def _load(self) -> dict[date, str]:
        if self._days is None:
            self._days = {row.day: row.name for row in self._session.exec(select(ExtraHoliday)).all()}
        return self._days

    def __getitem__(self, day: date) -> str:
        return self._load()[day]

    def __iter__(self) -> Iterator[date]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


def bank_holidays(session: Session, subdivision: str = "ENG") -> BankHolidays:
    """The statutory calendar: national bank holidays plus the extra days an admin imported."""
    return BankHolidays(subdivision=subdivision, extra=_ImportedHolidays(session))


def effective_rule(
    definition: WorkflowDefinition, key: str, overrides: Mapping[str, Any] | Csp | None
) -> DeadlineRule:
    """The workflow's rule for this deadline, with the CSP's local duration if it set one."""
    try:
        rule = definition.deadlines[key]
    except KeyError:
        raise NotFound(f"workflow {definition.version} has no deadline '{key}'", field="key") from None
    if isinstance(overrides, Csp):
        overrides = overrides.deadline_overrides
    override = (overrides or {}).get(key)
    if override:
        rule = rule.model_copy(update={"add": Duration.model_validate(override)})
    return rule


@dataclass(frozen=True)
class DueDate:
    due: date
    holidays_skipped: tuple[tuple[date, str], ...]


def compute_due(duration: Duration, anchor: date, calendar: BankHolidays) -> DueDate:
    """Apply a rule's duration to its anchor date on the statutory calendar."""
    if duration.months is not None:
        return DueDate(add_calendar_months(anchor, duration.months), ())
    if duration.working_days is not None:
        counted = add_working_days(anchor, duration.working_days, calendar)
        return DueDate(counted.due, counted.holidays_skipped)
    return DueDate(anchor + timedelta(days=duration.days or 0), ())


def is_paused_stage(definition: WorkflowDefinition, stage: str, rule: DeadlineRule) -> bool:
    return bool(set(definition.state(stage).tags) & set(rule.pauses_in))


def open_deadline(
    session: Session,
    case: Case,
    definition: WorkflowDefinition,
    key: str,
    *,
    anchor_on: date,
    anchor_event: str,
    calendar: BankHolidays,
    subject_type: str | None = None,
    subject_id: uuid.UUID | None = None,
    due_override: date | None = None,
    replace_open: bool = True,
) -> Deadline:
    """Open one deadline row; re-opening replaces (cancels) any open row of the same key and subject."""
    rule = effective_rule(definition, key, csp_overrides(session, case.csp_id))
    if replace_open:
        for existing in find_open(session, case.id, key, subject_id=subject_id):
            existing.status = "cancelled"
            existing.closed_on = anchor_on
            session.add(existing)
    row = Deadline(
        **new_deadline_values(
            case, definition, key, rule, anchor_on=anchor_on, anchor_event=anchor_event, calendar=calendar,
            subject_type=subject_type, subject_id=subject_id, due_override=due_override,
        )
    )  # fmt: skip
    session.add(row)
    return row


def new_deadline_values(
    case: Case,
    definition: WorkflowDefinition,
    key: str,
    rule: DeadlineRule,
    *,
    anchor_on: date,
    anchor_event: str,
    calendar: BankHolidays,
    subject_type: str | None = None,
    subject_id: uuid.UUID | None = None,
    due_override: date | None = None,
) -> dict[str, Any]:
    """The columns of a newly opened deadline (its id and status are the table's defaults).

    Due by the rule from the anchor date (or on the date set by hand), and paused from the start
    if the case is in a stage where the rule's clock stops.
    """
    due = DueDate(due_override, ()) if due_override else compute_due(rule.add, anchor_on, calendar)
    paused = is_paused_stage(definition, case.stage, rule)
    return {
        "case_id": case.id,
        "key": key,
        "label": rule.label,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "owner_role": rule.owner.value,
        "rule": f"target date set by hand ({format_date(due.due)})" if due_override else rule.add.describe(),
        "workflow_version": definition.version,
        "anchor_on": anchor_on,
        "anchor_event": anchor_event,
        "statutory_due": due.due,
        "adjusted_due": due.due,
        "paused_since": anchor_on if paused else None,
        "pause_log": [[anchor_on.isoformat(), None]] if paused else [],
        "holidays_skipped": [[d.isoformat(), name] for d, name in due.holidays_skipped],
    }


def find_open(
    session: Session, case_id: uuid.UUID, key: str | None = None, *, subject_id: uuid.UUID | None = None
) -> list[Deadline]:
    query = select(Deadline).where(Deadline.case_id == case_id, Deadline.status == OPEN)
    if key is not None:
        query = query.where(Deadline.key == key)
    if subject_id is not None:
        query = query.where(Deadline.subject_id == subject_id)
    return list(session.exec(query).all())


def _end_pause(row: DeadlineClock, on: date) -> None:
    if row.paused_since is None:
        return
    log = [list(entry) for entry in row.pause_log]
    if log and log[-1][1] is None:
        log[-1][1] = on.isoformat()
    row.pause_log = log
    row.paused_since = None
    row.adjusted_due = row.statutory_due + timedelta(days=paused_days(_intervals(row), today=on))


def close_deadline(row: DeadlineClock, on: date, *, status: str | None = None) -> None:
    """Close a row as met (on time or late) or with the given status."""
    _end_pause(row, on)
    row.closed_on = on
    row.status = status or ("met" if on <= row.adjusted_due else "met_late")


def close_by_key(
    session: Session,
    case_id: uuid.UUID,
    key: str,
    on: date,
    *,
    subject_id: uuid.UUID | None = None,
    status: str | None = None,
) -> list[Deadline]:
    rows = find_open(session, case_id, key, subject_id=subject_id)
    for row in rows:
        close_deadline(row, on, status=status)
        session.add(row)
    return rows


def pause_case_deadlines(
    session: Session, case: Case, definition: WorkflowDefinition, on: date
) -> list[Deadline]:
    """Stop the clock on every open deadline whose rule pauses in the case's new stage."""
    return pause_rows(case, definition, on, find_open(session, case.id))


def pause_rows(case: Case, definition: WorkflowDefinition, on: date, rows: list[ClockT]) -> list[ClockT]:
    """Pause the rows whose rule pauses in the case's stage; returns those it paused."""
    changed = []
    for row in rows:
        rule = definition.deadlines.get(row.key)
        if rule is None or row.paused_since is not None or not is_paused_stage(definition, case.stage, rule):
            continue
        row.paused_since = on
        row.pause_log = [*row.pause_log, [on.isoformat(), None]]
        changed.append(row)
    return changed


def resume_case_deadlines(session: Session, case: Case, on: date) -> list[Deadline]:
    """Restart the clock: the paused days are added once, so the remaining time is kept."""
    return resume_rows(on, find_open(session, case.id))


def resume_rows(on: date, rows: list[ClockT]) -> list[ClockT]:
    """Resume the paused rows; returns those it resumed."""
    changed = []
    for row in rows:
        if row.paused_since is None:
            continue
        _end_pause(row, on)
        changed.append(row)
    return changed


def _intervals(row: DeadlineClock) -> list[Interval]:
    return [
        Interval(date.fromisoformat(str(start)), date.fromisoformat(str(end)) if end else None)
        for start, end in row.pause_log
    ]


@dataclass(frozen=True)
class Explanation:
    """Why a deadline falls when it does, in words a chair can check."""

    key: str
    label: str
    status: str
    rule: str
    evidence: str
    anchor_on: date
    anchor_event: str
    statutory_due: date
    adjusted_due: date | None
    holidays_skipped: list[tuple[date, str]]
    pauses: list[tuple[date, date | None]]
    paused_days: int
    proceedings: list[str] = field(default_factory=list)
    remaining_days: int | None = None

    def lines(self) -> list[str]:
        """The explanation in plain words (no key, code, evidence tag or ISO date)."""
        out = [
            f"{self.label}: {STATUS_WORDS.get(self.status, self.status.replace('_', ' '))}",
            f"Rule: {self.rule} from {anchor_in_words(self.anchor_event)}",
        ]
        basis = basis_in_words(self.evidence)
        if basis:
            out.append(f"Basis: {basis}")
        out.append(f"Anchor date: {format_date(self.anchor_on)}")
        for day, name in self.holidays_skipped:
            out.append(f"Bank holiday skipped: {format_date(day)} ({name})")
        out.append(f"Statutory due date: {format_date(self.statutory_due)}")
        for start, end in self.pauses:
            if end:
                out.append(f"Paused: {format_date(start)} to {format_date(end)}")
            else:
                out.append(f"Paused since {format_date(start)} (still paused)")
        out.extend(f"Parallel proceeding: {p}" for p in self.proceedings)
        rule = "the day a pause starts is counted, the day the review resumes is not"
        if self.pauses and self.adjusted_due is None:
            days = _days(self.paused_days)
            out.append(
                f"Days paused so far: {days}, overlapping pauses counted once. Nothing is added yet: "
                f"when the review resumes, the days paused are added to the due date ({rule})"
            )
        elif self.pauses:
            out.append(f"Days added for pauses: {_days(self.paused_days)} (overlaps counted once; {rule})")
        if self.adjusted_due is None:
            left = self.remaining_days or 0
            when = (
                f"{_days(left)} of the review were left when it paused"
                if left >= 0
                else f"it was {_days(-left)} overdue when it paused"
            )
            out.append(f"Adjusted due date: set when the review resumes ({when})")
        else:
            out.append(f"Adjusted due date: {format_date(self.adjusted_due)}")
        return out


STATUS_WORDS = {"met_late": "met late", "cancelled": "cancelled", "missed": "missed"}
TRIGGER_NOTE = re.compile(r" \([a-z0-9_]+\)$")


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def anchor_in_words(anchor_event: str) -> str:
    """The event a deadline runs from, without the trigger code that older rows carry at the end."""
    return TRIGGER_NOTE.sub("", anchor_event)


def explain(
    session: Session, row: Deadline, definition: WorkflowDefinition | None, today: date
) -> Explanation:
    """Explain one deadline: rule, anchor, holidays skipped, pauses added."""
    intervals = _intervals(row)
    merged = merge_intervals(intervals, today=today)
    still_paused = row.paused_since is not None
    remaining = None
    if still_paused and row.paused_since is not None:
        closed = [i for i in intervals if i.end is not None]
        before = row.statutory_due + timedelta(days=paused_days(closed, today=today))
        remaining = (before - row.paused_since).days
    proceedings = []
    if intervals:
        rows = session.exec(
            select(ParallelProceeding)
            .where(ParallelProceeding.case_id == row.case_id)
            .order_by(col(ParallelProceeding.started_on))
        ).all()
        for p in rows:
            until = format_date(p.concluded_on) if p.concluded_on else "ongoing"
            proceedings.append(f"{p.kind.replace('_', ' ')} from {format_date(p.started_on)} to {until}")
    rule = definition.deadlines.get(row.key) if definition else None
    return Explanation(
        key=row.key,
        label=row.label,
        status="paused" if still_paused else row.status,
        rule=row.rule,
        evidence=rule.evidence if rule else "",
        anchor_on=row.anchor_on,
        anchor_event=row.anchor_event,
        statutory_due=row.statutory_due,
        adjusted_due=None if still_paused else row.adjusted_due,
        holidays_skipped=[(date.fromisoformat(d), n) for d, n in row.holidays_skipped],
        pauses=[(i.start, i.end) for i in intervals],
        paused_days=sum((end - start).days for start, end in merged),
        proceedings=proceedings,
        remaining_days=remaining,
    )


def list_for_case(session: Session, case_id: uuid.UUID) -> list[Deadline]:
    query = (
        select(Deadline)
        .where(Deadline.case_id == case_id)
        .order_by(col(Deadline.opened_at), col(Deadline.key))
    )
    return list(session.exec(query).all())


def validate_effective_date(on: date, today: date, *, not_before: date | None = None) -> None:
    """Events are recorded after they happen: never in the future, never before the last move."""
    if on > today:
        raise ValidationFailed(
            f"the date an event happened cannot be later than today ({format_date(today)})",
            field="effective_on",
        )
    if not_before is not None and on < not_before:
        raise ValidationFailed(
            f"the date cannot be earlier than the case's last recorded step ({format_date(not_before)})",
            field="effective_on",
        )
