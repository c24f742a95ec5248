"""The monitoring cadence: record each periodic review of a plan, and list what is due.

A review of a plan (e.g. quarterly at the CSP's meeting; Bassetlaw monitors 3- and 6-monthly,
DHR-PROCESS.md §6.2) sets the next review `cadence_months` later. For a review's plan the due
date is also an `action_plan_review` deadline row on the case (plans/deadlines.py); priority
plans keep it on the plan, where the scheduler chases it (plans/chase.py), and `due_items` lists
both kinds for the officer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from dhr_engine.deadlines.service import validate_effective_date
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.calendar import add_calendar_months
from dhr_engine.domain.clock import Clock
from dhr_engine.errors import ValidationFailed
from dhr_engine.persistence.tables import Agency
from dhr_engine.persistence.tables_plans import Plan, PlanAction
from dhr_engine.persistence.unit_of_work import UnitOfWork
from dhr_engine.plans import deadlines as plan_deadlines
from dhr_engine.plans.access import require_editor
from dhr_engine.plans.audit import record_change
from dhr_engine.plans.rag import FINISHED
from dhr_engine.plans.scope import load_plan


def record_plan_review(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    plan_id: uuid.UUID,
    reviewed_on: date | None = None,
    yearly: bool = False,
) -> Plan:
    """Record that the plan's progress was reviewed; the next review falls one cadence later.

    `yearly` marks the annual review of a priority plan, which also sets the next one a year on.
    """
    on = reviewed_on or clock.today()
    validate_effective_date(on, clock.today())
    with uow:
        session = uow.session
        scope = load_plan(uow, plan_id)
        plan = scope.plan
        acting = require_editor(session, actor, plan)
        if on < plan.created_on:
            raise ValidationFailed("the review cannot be before the plan was made", field="reviewed_on")
        if yearly and plan.kind != "priority":
            raise ValidationFailed("the yearly review belongs to priority plans", field="yearly")
        plan.last_reviewed_on = on
        if scope.case is not None:
            plan.next_review_on = plan_deadlines.roll_review(uow, plan, scope.case, acting, clock, on)
        else:
            plan.next_review_on = add_calendar_months(on, plan.cadence_months)
        if yearly:
            plan.yearly_review_on = add_calendar_months(on, 12)
        session.add(plan)
        record_change(
            session,
            plan,
            scope.case,
            kind="plan_reviewed",
            actor=acting,
            effective_on=on,
            recorded_at=clock.now(),
            data={
                "yearly": yearly,
                "next_review_on": plan.next_review_on.isoformat() if plan.next_review_on else None,
            },
        )
        uow.commit()
        return plan


@dataclass(frozen=True)
class DueItem:
    """Something a CSP officer must chase: a plan review or an overdue action."""

    kind: str  # plan_review | yearly_review | overdue_action
    plan_id: uuid.UUID
    plan_title: str
    due_on: date
    action_number: str = ""
    lead_agency: str = ""

    def days_late(self, today: date) -> int:
        return (today - self.due_on).days


def due_items(
    session: Session, today: date, *, within_days: int = 0, csp_id: uuid.UUID | None = None
) -> list[DueItem]:
    """Plan reviews due (or due within `within_days`) and open actions past their target."""
    horizon = date.fromordinal(today.toordinal() + within_days)
    plans_query = select(Plan)
    if csp_id is not None:
        plans_query = plans_query.where(Plan.csp_id == csp_id)
    plans = {p.id: p for p in session.exec(plans_query).all()}
    items: list[DueItem] = []
    for plan in plans.values():
        if plan.next_review_on is not None and plan.next_review_on <= horizon:
            items.append(DueItem("plan_review", plan.id, plan.title, plan.next_review_on))
        if plan.yearly_review_on is not None and plan.yearly_review_on <= horizon:
            items.append(DueItem("yearly_review", plan.id, plan.title, plan.yearly_review_on))
    agencies = {a.id: a.name for a in session.exec(select(Agency)).all()}
    overdue = session.exec(
        select(PlanAction).where(
            col(PlanAction.stage).not_in(sorted(FINISHED)), PlanAction.target_date < today
        )
    ).all()
    for action in overdue:
        owner = plans.get(action.plan_id)
        if owner is None:
            continue
        agency = agencies.get(action.lead_agency_id, "") if action.lead_agency_id else ""
        items.append(
            DueItem("overdue_action", owner.id, owner.title, action.target_date, action.number, agency)
        )
    return sorted(items, key=lambda item: (item.due_on, item.plan_title, item.action_number))
