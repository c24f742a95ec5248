"""Create plans, recommendations, outcome measures and actions (one transaction each).

A review's recommendations become actions: a recommendation is added together with at least
one action, and each action of a review opens an `action_target` deadline row on the case
(due on the action's target date) so the scheduler's sweep chases it when it is overdue.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from dhr_engine.auth.actors import actor_on_case
from dhr_engine.deadlines.service import validate_effective_date
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.calendar import add_calendar_months
from dhr_engine.domain.clock import Clock
from dhr_engine.errors import NotFound, PermissionDenied, ValidationFailed
from dhr_engine.persistence.case_lookup import get_case_for_update
from dhr_engine.persistence.tables import Agency, Case, Csp, User
from dhr_engine.persistence.tables_plans import OutcomeMeasure, Plan, PlanAction, Recommendation
from dhr_engine.persistence.unit_of_work import UnitOfWork
from dhr_engine.plans import deadlines as plan_deadlines
from dhr_engine.plans.access import PRIORITY_EDITORS, REVIEW_EDITORS, require_editor
from dhr_engine.plans.audit import record_change
from dhr_engine.plans.scope import ACTION_WORKFLOW, PlanScope, load_plan
from dhr_engine.plans.themes import validate_themes

LEVELS = ("single_agency", "multi_agency", "national")
PLAN_TYPES = ("strategy", "tactical")
PRIORITY_LABELS = {
    "county_lines": "County lines and exploitation",
    "vawg": "Violence against women and girls",
    "hate_crime": "Hate crime",
    "prevent": "Prevent (terrorism and extremism)",
}
MAX_CADENCE_MONTHS = 12


def priority_label(code: str) -> str:
    return PRIORITY_LABELS.get(code, code.replace("_", " ").capitalize())


@dataclass(frozen=True)
class ActionInput:
    """An action to add: what, who leads, by when."""

    description: str
    lead_agency_id: uuid.UUID | None
    target_date: date
    owner_title: str = ""
    owner_user_id: uuid.UUID | None = None
    partners: Sequence[str] = field(default_factory=tuple)


def _check_cadence(months: int) -> None:
    if not 1 <= months <= MAX_CADENCE_MONTHS:
        raise ValidationFailed(
            f"the monitoring cadence must be 1 to {MAX_CADENCE_MONTHS} months", field="cadence_months"
        )


def create_review_plan(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    case_id: uuid.UUID,
    cadence_months: int = 3,
    effective_on: date | None = None,
) -> Plan:
    """Start the action plan of a review (one per case)."""
    _check_cadence(cadence_months)
    on = effective_on or clock.today()
    validate_effective_date(on, clock.today())
    with uow:
        session = uow.session
        case = get_case_for_update(uow, case_id, None)
        acting = actor_on_case(session, actor, case.id)
        if not acting.has_any(REVIEW_EDITORS):
            raise PermissionDenied(
                "only the CSP officer, the CSP chair or the independent chair may start an action plan",
                field="role",
            )
        if session.exec(select(Plan).where(Plan.case_id == case.id)).first() is not None:
            raise ValidationFailed("this review already has an action plan", field="case_id")
        if on < case.notified_on:
            raise ValidationFailed("the plan cannot start before the notification", field="effective_on")
        plan = Plan(
            csp_id=case.csp_id,
            case_id=case.id,
            kind="review",
            plan_type="action_plan",
            title=f"Action plan of {case.ref}",
            cadence_months=cadence_months,
            next_review_on=plan_deadlines.open_review_due(session, case),
            created_on=on,
        )
        session.add(plan)
        session.flush()
        record_change(
            session,
            plan,
            case,
            kind="plan_created",
            actor=acting,
            effective_on=on,
            recorded_at=clock.now(),
            data={"kind": "review", "cadence_months": cadence_months},
        )
        uow.commit()
        return plan


def create_priority_plan(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    csp_id: uuid.UUID,
    priority: str,
    plan_type: str,
    period_start: date,
    period_end: date,
    title: str = "",
    cadence_months: int = 3,
    effective_on: date | None = None,
) -> Plan:
    """Create a CSP priority plan (strategy or tactical) for a period, reviewed every year."""
    if not actor.has_any(PRIORITY_EDITORS):
        raise PermissionDenied(
            "only the CSP officer or the CSP chair may create a priority plan", field="role"
        )
    if plan_type not in PLAN_TYPES:
        raise ValidationFailed("plan type must be 'strategy' or 'tactical'", field="plan_type")
    code = priority.strip().lower()
    if not code or not code.replace("_", "").isalnum():
        raise ValidationFailed("the priority is a short code such as 'county_lines'", field="priority")
    if period_end <= period_start:
        raise ValidationFailed("the period must end after it starts", field="period_end")
    _check_cadence(cadence_months)
    on = effective_on or clock.today()
    validate_effective_date(on, clock.today())
    with uow:
        session = uow.session
        if session.get(Csp, csp_id) is None:
            raise NotFound("no such Community Safety Partnership", field="csp_id")
        plan = Plan(
            csp_id=csp_id,
            kind="priority",
            plan_type=plan_type,
            priority=code,
            title=title or f"{priority_label(code)}: {plan_type} plan",
            period_start=period_start,
            period_end=period_end,
            cadence_months=cadence_months,
            next_review_on=add_calendar_months(on, cadence_months),
            yearly_review_on=add_calendar_months(period_start, 12),
            created_on=on,
        )
        session.add(plan)
        session.flush()
        record_change(
            session,
            plan,
            None,
            kind="plan_created",
            actor=actor,
            effective_on=on,
            recorded_at=clock.now(),
            data={"kind": "priority", "priority": code, "plan_type": plan_type},
        )
        uow.commit()
        return plan


def add_outcome_measure(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    plan_id: uuid.UUID,
    text: str,
    measure: str = "",
    baseline: str = "",
    target: str = "",
) -> OutcomeMeasure:
    """Add an outcome measure to a priority plan."""
    if not text.strip():
        raise ValidationFailed("say what outcome is wanted", field="text")
    with uow:
        session = uow.session
        scope = load_plan(uow, plan_id)
        acting = require_editor(session, actor, scope.plan)
        if scope.plan.kind != "priority":
            raise ValidationFailed("outcome measures belong to priority plans", field="plan_id")
        count = session.exec(
            select(func.count()).select_from(OutcomeMeasure).where(OutcomeMeasure.plan_id == plan_id)
        ).one()
        row = OutcomeMeasure(
            plan_id=plan_id,
            number=int(count) + 1,
            text=text,
            measure=measure,
            baseline=baseline,
            target=target,
        )
        session.add(row)
        session.flush()
        record_change(
            session,
            scope.plan,
            None,
            kind="outcome_measure_added",
            actor=acting,
            effective_on=clock.today(),
            recorded_at=clock.now(),
            data={"outcome_measure_id": str(row.id), "number": row.number},
        )
        uow.commit()
        return row


def add_recommendation(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    plan_id: uuid.UUID,
    text: str,
    level: str,
    actions: Sequence[ActionInput],
    addressee: str = "",
    themes: Sequence[str] = (),
    effective_on: date | None = None,
) -> Recommendation:
    """Add a review's recommendation with the actions that carry it out (at least one)."""
    if level not in LEVELS:
        raise ValidationFailed(f"level must be one of: {', '.join(LEVELS)}", field="level")
    if not text.strip():
        raise ValidationFailed("the recommendation has no text", field="text")
    if not actions:
        raise ValidationFailed("a recommendation needs at least one action", field="actions")
    tags = validate_themes(list(themes))
    on = effective_on or clock.today()
    validate_effective_date(on, clock.today())
    with uow:
        session = uow.session
        scope = load_plan(uow, plan_id)
        acting = require_editor(session, actor, scope.plan)
        if scope.plan.kind != "review":
            raise ValidationFailed("recommendations belong to a review's action plan", field="plan_id")
        last = session.exec(
            select(func.max(Recommendation.number)).where(Recommendation.plan_id == plan_id)
        ).one()
        rec = Recommendation(
            plan_id=plan_id,
            number=int(last or 0) + 1,
            text=text.strip(),
            level=level,
            addressee=addressee,
            themes=tags,
            created_on=on,
        )
        session.add(rec)
        session.flush()
        record_change(
            session,
            scope.plan,
            scope.case,
            kind="recommendation_added",
            actor=acting,
            effective_on=on,
            recorded_at=clock.now(),
            data={"recommendation_id": str(rec.id), "number": rec.number, "level": level, "themes": tags},
        )
        for index, item in enumerate(actions, start=1):
            _create_action(uow, scope, acting, clock, item, f"{rec.number}.{index}", on, recommendation=rec)
        uow.commit()
        return rec


def add_action(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    plan_id: uuid.UUID,
    action: ActionInput,
    recommendation_id: uuid.UUID | None = None,
    outcome_measure_id: uuid.UUID | None = None,
    effective_on: date | None = None,
) -> PlanAction:
    """Add an action under a recommendation (review plan) or an outcome measure (priority plan)."""
    on = effective_on or clock.today()
    validate_effective_date(on, clock.today())
    with uow:
        session = uow.session
        scope = load_plan(uow, plan_id)
        acting = require_editor(session, actor, scope.plan)
        rec = session.get(Recommendation, recommendation_id) if recommendation_id else None
        measure = session.get(OutcomeMeasure, outcome_measure_id) if outcome_measure_id else None
        if scope.plan.kind == "review" and (rec is None or rec.plan_id != plan_id):
            raise NotFound("no such recommendation in this plan", field="recommendation_id")
        if scope.plan.kind == "priority" and (measure is None or measure.plan_id != plan_id):
            raise NotFound("no such outcome measure in this plan", field="outcome_measure_id")
        parent = rec or measure
        assert parent is not None  # one of the two checks above applied
        under = (
            PlanAction.recommendation_id == parent.id if rec else PlanAction.outcome_measure_id == parent.id
        )
        siblings = session.exec(select(func.count()).select_from(PlanAction).where(under)).one()
        number = f"{parent.number}.{int(siblings) + 1}"
        row = _create_action(uow, scope, acting, clock, action, number, on, rec, measure)
        uow.commit()
        return row


def _validate_action(session: Session, item: ActionInput, on: date) -> None:
    if not item.description.strip():
        raise ValidationFailed("the action has no description", field="description")
    if item.lead_agency_id is None or session.get(Agency, item.lead_agency_id) is None:
        raise ValidationFailed("every action needs a lead agency", field="lead_agency_id")
    if item.owner_user_id is not None and session.get(User, item.owner_user_id) is None:
        raise NotFound("no such user", field="owner_user_id")
    if item.target_date < on:
        raise ValidationFailed("the target date cannot be before the action is added", field="target_date")


def _create_action(
    uow: UnitOfWork,
    scope: PlanScope,
    acting: Actor,
    clock: Clock,
    item: ActionInput,
    number: str,
    on: date,
    recommendation: Recommendation | None = None,
    measure: OutcomeMeasure | None = None,
) -> PlanAction:
    session = uow.session
    _validate_action(session, item, on)
    definition = uow.workflows.get(ACTION_WORKFLOW, "1")
    row = PlanAction(
        plan_id=scope.plan.id,
        recommendation_id=recommendation.id if recommendation else None,
        outcome_measure_id=measure.id if measure else None,
        number=number,
        description=item.description.strip(),
        lead_agency_id=item.lead_agency_id,
        owner_user_id=item.owner_user_id,
        owner_title=item.owner_title,
        partners=list(item.partners),
        target_date=item.target_date,
        workflow_version=definition.version,
        stage=definition.initial,
        stage_entered_on=on,
        created_on=on,
    )
    session.add(row)
    session.flush()
    record_change(
        session,
        scope.plan,
        scope.case,
        kind="action_added",
        actor=acting,
        effective_on=on,
        recorded_at=clock.now(),
        data={
            "action_id": str(row.id),
            "number": number,
            "lead_agency_id": str(item.lead_agency_id),
            "target_date": item.target_date.isoformat(),
        },
    )
    if scope.case is not None:
        plan_deadlines.open_target(uow, scope.plan, scope.case, row, acting, clock, on)
    return row


def get_plan(session: Session, plan_id: uuid.UUID) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound("no such plan", field="plan_id")
    return plan


def find_review_plan(session: Session, case: Case) -> Plan | None:
    return session.exec(select(Plan).where(Plan.case_id == case.id)).first()
