"""Plans: a review's action plan and the CSP's priority plans, their recommendations, outcome
measures and actions, the monitoring reviews, what is due and the exports."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import Response

from dhr_engine.api.deps import API_PREFIX, ActorDep, CtxDep, PageDep, paginate_list
from dhr_engine.api.paging import Page
from dhr_engine.errors import NotFound, ValidationFailed
from dhr_engine.plans import access as plan_access
from dhr_engine.plans import export, monitoring, queries
from dhr_engine.plans import service as plan_service
from dhr_engine.plans.access import PRIORITY_EDITORS
from dhr_engine.plans.api.common import (
    FILE_RESPONSES,
    CspQuery,
    FormatQuery,
    PlanIdPath,
    Viewing,
    action_input,
    action_out,
    agency_names,
    case_refs,
    check_plan,
    chosen_csp,
    download,
    measure_out,
    plan_body,
    plan_out,
    require_csp_staff,
    summary,
)
from dhr_engine.plans.schemas import (
    ActionOut,
    DueItemOut,
    NewActionIn,
    OutcomeMeasureIn,
    OutcomeMeasureOut,
    PlanKind,
    PlanOut,
    PlanReviewIn,
    PlanSummaryOut,
    PriorityPlanIn,
    RecommendationIn,
    RecommendationOut,
    ReviewPlanIn,
)

router = APIRouter(prefix=API_PREFIX)


# --- plans ---------------------------------------------------------------------------------------


@router.get("/plans", response_model=Page[PlanSummaryOut], tags=["plans"], summary="List the plans I may see")
def list_plans(
    ctx: CtxDep,
    actor: ActorDep,
    page: PageDep,
    kind: Annotated[PlanKind | None, Query(description="Only review plans or only priority plans")] = None,
) -> dict[str, Any]:
    """Review action plans of the cases you may see, then (for CSP staff) your partnership's
    priority plans; each with how many of its actions you may see are red, amber, green or blue."""
    today = ctx.clock.today()
    with ctx.reader() as uow:
        session = uow.session
        plans = plan_access.visible_plans(session, actor, kind)
        agencies = agency_names(session)
        refs = case_refs(session, plans)
        actions = plan_access.visible_actions(session, actor, plans)
        items = [
            summary(
                p,
                refs.get(p.case_id) if p.case_id else None,
                [action_out(a, agencies, today) for a in actions if a.plan_id == p.id],
            )
            for p in plans
        ]
    return paginate_list(items, page)


@router.post(
    "/plans",
    response_model=PlanOut,
    status_code=status.HTTP_201_CREATED,
    tags=["plans"],
    summary="Create a CSP priority plan",
)
def create_priority_plan(ctx: CtxDep, actor: ActorDep, body: PriorityPlanIn) -> dict[str, Any]:
    """A strategy or tactical plan for one of the partnership's priorities (CSP officer or chair)."""
    csp_id = body.csp_id
    if actor.has_any(PRIORITY_EDITORS):  # others are refused by the service, before anything else
        with ctx.reader() as uow:
            csp_id = chosen_csp(uow.session, actor, body.csp_id) or actor.csp_id
        if csp_id is None:
            raise ValidationFailed("say which Community Safety Partnership the plan is for", field="csp_id")
    plan = plan_service.create_priority_plan(
        ctx.uow(),
        actor=actor,
        clock=ctx.clock,
        csp_id=csp_id or uuid.UUID(int=0),  # only a refused non-editor gets here without one
        priority=body.priority,
        plan_type=body.plan_type,
        period_start=body.period_start,
        period_end=body.period_end,
        title=body.title,
        cadence_months=body.cadence_months,
        effective_on=body.effective_on,
    )
    return plan_body(ctx, actor, plan.id)


@router.get("/plans/due", response_model=Page[DueItemOut], tags=["plans"], summary="What is due to chase")
def due(
    ctx: CtxDep,
    actor: ActorDep,
    page: PageDep,
    within_days: Annotated[
        int, Query(ge=0, le=366, description="Also what falls due within so many days")
    ] = 0,
    csp_id: CspQuery = None,
) -> dict[str, Any]:
    """Monitoring reviews due and open actions past their target date (CSP staff)."""
    require_csp_staff(actor, "the monitoring lists")
    today = ctx.clock.today()
    with ctx.reader() as uow:
        chosen = chosen_csp(uow.session, actor, csp_id)
        items = monitoring.due_items(uow.session, today, within_days=within_days, csp_id=chosen)
    return paginate_list(
        [
            {
                "kind": i.kind,
                "plan_id": i.plan_id,
                "plan_title": i.plan_title,
                "due_on": i.due_on,
                "days_late": i.days_late(today),
                "action_number": i.action_number,
                "lead_agency": i.lead_agency,
            }
            for i in items
        ],
        page,
    )


@router.get(
    "/plans/export",
    response_class=Response,
    responses=FILE_RESPONSES,
    tags=["plans"],
    summary="Export plans and actions (CSV or XLSX)",
)
def export_plans(
    ctx: CtxDep,
    actor: ActorDep,
    format: FormatQuery = "xlsx",
    kind: Annotated[PlanKind | None, Query(description="Only review plans or only priority plans")] = None,
) -> Response:
    """The actions you may see with their RAG rating, for a board paper: CSV (the actions) or a
    workbook (a summary per plan and the actions, RAG cells coloured). Refused (409,
    restricted_identity, naming each cell) while the free text holds a real name or date of birth
    of the reviews' people."""
    today = ctx.clock.today()
    with ctx.reader() as uow:
        plans = plan_access.visible_plans(uow.session, actor, kind)
        visible = {a.id for a in plan_access.visible_actions(uow.session, actor, plans)}
        rows = [r for r in queries.action_rows(uow.session, today, plans=plans) if r.action_id in visible]
        sheets = (
            [export.actions_sheet(rows)]
            if format == "csv"
            else [export.summary_sheet(rows), export.actions_sheet(rows)]
        )
        export.refuse_identities(uow.session, sheets)  # the file may leave the partnership
    return download(sheets, format, f"action-plans-{today.isoformat()}")


@router.get("/plans/{plan_id}", response_model=PlanOut, tags=["plans"], summary="One plan")
def read_plan(ctx: CtxDep, actor: ActorDep, plan_id: PlanIdPath) -> dict[str, Any]:
    """The plan with its recommendations (a review) or outcome measures (a priority plan), and
    each action you may see with its RAG rating today."""
    return plan_body(ctx, actor, plan_id)


@router.get("/cases/{ref}/plan", response_model=PlanOut, tags=["plans"], summary="The review's action plan")
def read_case_plan(ctx: CtxDep, access: Viewing) -> dict[str, Any]:
    """The action plan of the case (404 when it has none yet, or when you may not see the case)."""
    with ctx.reader() as uow:
        plan = plan_service.find_review_plan(uow.session, access.case)
        if plan is None:
            raise NotFound("this review has no action plan yet", field="ref")
        return plan_out(uow.session, access.actor, plan, ctx.clock.today())


@router.post(
    "/cases/{ref}/plan",
    response_model=PlanOut,
    status_code=status.HTTP_201_CREATED,
    tags=["plans"],
    summary="Start the review's action plan",
)
def create_review_plan(ctx: CtxDep, access: Viewing, body: ReviewPlanIn) -> dict[str, Any]:
    """One plan per review, by the CSP officer, the CSP chair or the review's independent chair."""
    plan = plan_service.create_review_plan(
        ctx.uow(),
        actor=access.actor,
        clock=ctx.clock,
        case_id=access.case.id,
        cadence_months=body.cadence_months,
        effective_on=body.effective_on,
    )
    return plan_body(ctx, access.actor, plan.id)


@router.post(
    "/plans/{plan_id}/recommendations",
    response_model=RecommendationOut,
    status_code=status.HTTP_201_CREATED,
    tags=["plans"],
    summary="Add a recommendation with its actions",
)
def add_recommendation(
    ctx: CtxDep, actor: ActorDep, plan_id: PlanIdPath, body: RecommendationIn
) -> dict[str, Any]:
    """A review's recommendation and the actions that carry it out, all or nothing: each action
    opens its target deadline on the case."""
    check_plan(ctx, actor, plan_id)
    rec = plan_service.add_recommendation(
        ctx.uow(),
        actor=actor,
        clock=ctx.clock,
        plan_id=plan_id,
        text=body.text,
        level=body.level,
        actions=[action_input(a) for a in body.actions],
        addressee=body.addressee,
        themes=body.themes,
        effective_on=body.effective_on,
    )
    plan = plan_body(ctx, actor, plan_id)
    return next(r for r in plan["recommendations"] if r["id"] == rec.id)


@router.post(
    "/plans/{plan_id}/outcome-measures",
    response_model=OutcomeMeasureOut,
    status_code=status.HTTP_201_CREATED,
    tags=["plans"],
    summary="Add an outcome measure",
)
def add_outcome_measure(
    ctx: CtxDep, actor: ActorDep, plan_id: PlanIdPath, body: OutcomeMeasureIn
) -> dict[str, Any]:
    """An outcome measure of a priority plan (its actions are added under it)."""
    check_plan(ctx, actor, plan_id)
    row = plan_service.add_outcome_measure(
        ctx.uow(),
        actor=actor,
        clock=ctx.clock,
        plan_id=plan_id,
        text=body.text,
        measure=body.measure,
        baseline=body.baseline,
        target=body.target,
    )
    return measure_out(row, [])


@router.post(
    "/plans/{plan_id}/actions",
    response_model=ActionOut,
    status_code=status.HTTP_201_CREATED,
    tags=["actions"],
    summary="Add an action",
)
def add_action(ctx: CtxDep, actor: ActorDep, plan_id: PlanIdPath, body: NewActionIn) -> dict[str, Any]:
    """An action under a recommendation (a review's plan) or an outcome measure (a priority plan)."""
    check_plan(ctx, actor, plan_id)
    row = plan_service.add_action(
        ctx.uow(),
        actor=actor,
        clock=ctx.clock,
        plan_id=plan_id,
        action=action_input(body),
        recommendation_id=body.recommendation_id,
        outcome_measure_id=body.outcome_measure_id,
        effective_on=body.effective_on,
    )
    with ctx.reader() as uow:
        return action_out(row, agency_names(uow.session), ctx.clock.today())


@router.post(
    "/plans/{plan_id}/reviews", response_model=PlanOut, tags=["plans"], summary="Record a monitoring review"
)
def record_review(ctx: CtxDep, actor: ActorDep, plan_id: PlanIdPath, body: PlanReviewIn) -> dict[str, Any]:
    """Record that the plan's progress was reviewed; the next review falls one cadence later
    (`yearly`: the annual review of a priority plan, the next a year on)."""
    check_plan(ctx, actor, plan_id)
    monitoring.record_plan_review(
        ctx.uow(),
        actor=actor,
        clock=ctx.clock,
        plan_id=plan_id,
        reviewed_on=body.reviewed_on,
        yearly=body.yearly,
    )
    return plan_body(ctx, actor, plan_id)
