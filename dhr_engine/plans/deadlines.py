"""Deadline rows of a review's action plan, so the scheduler's sweep chases them.

- `action_target` (workflows/dhr_2016.yaml): one row per action, subject_type "action", due on
  the action's target date. It closes as met / met late when the action is complete, and is
  cancelled when the action is closed without being done. An overdue action is an open row
  past its due date: the sweep escalates it to the lead agency's manager and the CSP.
- `action_plan_review`: the monitoring cadence. The case's workflow opens the first row when
  monitoring starts; each recorded plan review closes it and opens the next, `cadence_months`
  after the review.

A priority plan has no case, and deadline rows belong to a case, so its cadence is the plan's
`next_review_on`, and the one sweep chases its reviews and actions through plans/scheduled.py
(claims in `deadline_notice`, like every other notice).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlmodel import Session

from dhr_engine.deadlines import service as deadline_service
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.calendar import add_calendar_months
from dhr_engine.domain.clock import Clock
from dhr_engine.persistence.tables import Case, Deadline
from dhr_engine.persistence.tables_plans import Plan, PlanAction
from dhr_engine.persistence.unit_of_work import UnitOfWork
from dhr_engine.plans.audit import record_deadline

TARGET_KEY = "action_target"
REVIEW_KEY = "action_plan_review"
SUBJECT_TYPE = "action"
MONITORING_STAGE = "action_plan_monitoring"


def _record(
    session: Session,
    plan: Plan,
    case: Case,
    rows: Iterable[Deadline],
    kind: str,
    actor: Actor,
    clock: Clock,
    on: date,
) -> None:
    """Audit each deadline row the plan opened or closed."""
    for row in rows:
        record_deadline(
            session, plan, case, kind=kind, row=row, actor=actor, effective_on=on, recorded_at=clock.now()
        )


def _open(
    uow: UnitOfWork,
    plan: Plan,
    case: Case,
    actor: Actor,
    clock: Clock,
    on: date,
    key: str,
    *,
    anchor_event: str,
    due: date,
    action: PlanAction | None = None,
) -> Deadline:
    """Open (replacing any open row of the key and subject) one of the plan's deadline rows, audited."""
    session = uow.session
    definition = uow.workflows.get(case.workflow_key, case.workflow_version)
    row = deadline_service.open_deadline(
        session,
        case,
        definition,
        key,
        anchor_on=on,
        anchor_event=anchor_event,
        calendar=deadline_service.bank_holidays(session, uow.holiday_subdivision),
        subject_type=SUBJECT_TYPE if action is not None else None,
        subject_id=action.id if action is not None else None,
        due_override=due,
    )
    _record(session, plan, case, [row], "deadline_opened", actor, clock, on)
    return row


def open_target(
    uow: UnitOfWork, plan: Plan, case: Case, action: PlanAction, actor: Actor, clock: Clock, on: date
) -> Deadline:
    """Open (or re-open, replacing the open row) the action's target-date deadline."""
    return _open(
        uow,
        plan,
        case,
        actor,
        clock,
        on,
        TARGET_KEY,
        anchor_event=f"action {action.number} added to the action plan",
        due=action.target_date,
        action=action,
    )


def close_target(
    session: Session,
    plan: Plan,
    case: Case,
    action: PlanAction,
    actor: Actor,
    clock: Clock,
    on: date,
    *,
    done: bool,
) -> None:
    """Close the action's deadline: met (or met late) when done, cancelled when closed not done."""
    rows = deadline_service.close_by_key(
        session, case.id, TARGET_KEY, on, subject_id=action.id, status=None if done else "cancelled"
    )
    _record(session, plan, case, rows, "deadline_closed" if done else "deadline_cancelled", actor, clock, on)


def open_review_due(session: Session, case: Case) -> date | None:
    """The due date of the case's open monitoring-review deadline, if it has one."""
    rows = deadline_service.find_open(session, case.id, REVIEW_KEY)
    return min((r.adjusted_due for r in rows), default=None)


def roll_review(uow: UnitOfWork, plan: Plan, case: Case, actor: Actor, clock: Clock, on: date) -> date | None:
    """Close the open monitoring-review row and open the next one; returns its due date.

    Rows are only rolled while the review is in its monitoring stage: before publication the
    plan is a draft, and the case's own workflow opens the first row when monitoring starts.
    """
    session = uow.session
    closed = deadline_service.close_by_key(session, case.id, REVIEW_KEY, on)
    _record(session, plan, case, closed, "deadline_closed", actor, clock, on)
    if case.stage != MONITORING_STAGE:
        return None
    due = add_calendar_months(on, plan.cadence_months)
    _open(
        uow, plan, case, actor, clock, on, REVIEW_KEY, anchor_event="action plan progress reviewed", due=due
    )
    return due
