"""Load a plan (and its case) for a write: locked on PostgreSQL, version-checked on SQLite."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import select

from dhr_engine.errors import NotFound
from dhr_engine.persistence.case_lookup import get_case_for_update
from dhr_engine.persistence.tables import Case
from dhr_engine.persistence.tables_plans import Plan, PlanAction
from dhr_engine.persistence.unit_of_work import UnitOfWork

ACTION_WORKFLOW = "action_plan"


@dataclass
class PlanScope:
    """A plan being changed, with its case when it is a review's action plan."""

    plan: Plan
    case: Case | None


def load_plan(uow: UnitOfWork, plan_id: uuid.UUID) -> PlanScope:
    """The plan for a write; the case row (review plans) is locked or version-checked."""
    query = select(Plan).where(Plan.id == plan_id)
    if uow.dialect == "postgresql":
        query = query.with_for_update()
    plan = uow.session.exec(query).first()
    if plan is None:
        raise NotFound("no such plan", field="plan_id")
    case = get_case_for_update(uow, plan.case_id, None) if plan.case_id else None
    return PlanScope(plan, case)


def load_action(uow: UnitOfWork, action_id: uuid.UUID) -> tuple[PlanScope, PlanAction]:
    """The action and its plan for a write."""
    query = select(PlanAction).where(PlanAction.id == action_id)
    if uow.dialect == "postgresql":
        query = query.with_for_update()
    action = uow.session.exec(query).first()
    if action is None:
        raise NotFound("no such action", field="action_id")
    return load_plan(uow, action.plan_id), action
