"""Action plans: a review's action plan and the CSP's priority plans, their recommendations,
outcome measures and actions (each with its RAG rating), the actions' workflow, progress and
milestones, monitoring reviews, the yearly oversight figures, lessons across reviews and exports.

Who sees what is the web pages' rule (plans/pages.py): a review's plan goes with its case (a case
you may not see is 404, and so are its plan and actions); an agency user sees only the actions
their own agency leads (another agency's action is 404 to them); priority plans, the oversight
figures and the lessons across reviews are for CSP staff of their partnership. Who may change
what is decided by the plans services (plans/access.py and workflows/action_plan.yaml).
"""

from __future__ import annotations

import tempfile
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, status
from fastapi.responses import Response
from sqlmodel import Session, col, select

from dhr_engine.api.deps import API_PREFIX, ActorDep, CaseAccess, CtxDep, PageDep, case_access, paginate_list
from dhr_engine.api.paging import Page
from dhr_engine.auth.policy import Action
from dhr_engine.context import AppContext
from dhr_engine.domain.actor import Actor
from dhr_engine.errors import NotFound, PermissionDenied, ValidationFailed
from dhr_engine.persistence.tables import Agency, Case, Csp
from dhr_engine.persistence.tables_plans import (
    OutcomeMeasure,
    Plan,
    PlanAction,
    ProgressUpdate,
    Recommendation,
)
from dhr_engine.plans import access as plan_access
from dhr_engine.plans import actions as action_service
from dhr_engine.plans import export, lessons, monitoring, oversight, queries
from dhr_engine.plans import service as plan_service
from dhr_engine.plans.access import PRIORITY_EDITORS
from dhr_engine.plans.rag import Rag, RagInput, is_overdue, rate
from dhr_engine.plans.schemas import (
    ActionDetailOut,
    ActionFireIn,
    ActionOut,
    DueItemOut,
    ExportFormat,
    MilestoneIn,
    NewActionIn,
    OutcomeMeasureIn,
    OutcomeMeasureOut,
    OversightOut,
    PlanKind,
    PlanOut,
    PlanReviewIn,
    PlanSummaryOut,
    PriorityPlanIn,
    ProgressIn,
    ProgressOut,
    RecommendationIn,
    RecommendationOut,
    RepeatOut,
    ReviewPlanIn,
    TargetIn,
    ThemeOut,
)
from dhr_engine.plans.service import ActionInput, priority_label

router = APIRouter(prefix=API_PREFIX)
Viewing = Annotated[CaseAccess, Depends(case_access(Action.CASE_VIEW))]
PlanIdPath = Annotated[uuid.UUID, Path(description="The plan's id")]
ActionIdPath = Annotated[uuid.UUID, Path(description="The action's id")]
TriggerPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=40,
        description="A trigger of workflows/action_plan.yaml: agree, start, complete or close_not_done",
        examples=["complete"],
    ),
]
YearPath = Annotated[int, Path(ge=2000, le=2100, description="The calendar year", examples=[2026])]
CspQuery = Annotated[
    uuid.UUID | None,
    Query(description="The Community Safety Partnership (default: the one of your account)"),
]
FormatQuery = Annotated[ExportFormat, Query(description="csv (one table) or xlsx (a workbook)")]

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {"csv": f"{CSV}; charset=utf-8", "xlsx": XLSX}
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, as an attachment: CSV (UTF-8) or an Excel workbook",
        "content": {
            CSV: {"schema": {"type": "string"}},
            XLSX: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
STAGE_LABELS = queries.STAGE_LABELS


def _check_plan(ctx: AppContext, actor: Actor, plan_id: uuid.UUID) -> None:
    with ctx.reader() as uow:
        plan_access.load_visible_plan(uow.session, actor, plan_id)


def _check_action(ctx: AppContext, actor: Actor, action_id: uuid.UUID) -> None:
    with ctx.reader() as uow:
        plan_access.load_visible_action(uow.session, actor, action_id)


# --- bodies --------------------------------------------------------------------------------------


def _agency_names(session: Session) -> dict[uuid.UUID, str]:
    return {a.id: a.name for a in session.exec(select(Agency)).all()}


def action_out(action: PlanAction, agencies: dict[uuid.UUID, str], today: date) -> dict[str, Any]:
    result = rate(RagInput(action.stage, action.target_date, action.created_on, action.last_update_on), today)
    return {
        "id": action.id,
        "plan_id": action.plan_id,
        "recommendation_id": action.recommendation_id,
        "outcome_measure_id": action.outcome_measure_id,
        "number": action.number,
        "description": action.description,
        "lead_agency_id": action.lead_agency_id,
        "lead_agency": agencies.get(action.lead_agency_id, "") if action.lead_agency_id else "",
        "owner_title": action.owner_title,
        "owner_user_id": action.owner_user_id,
        "partners": list(action.partners),
        "target_date": action.target_date,
        "stage": action.stage,
        "stage_label": STAGE_LABELS.get(action.stage, action.stage),
        "rag": result.rag.value,
        "rag_label": result.rag.label,
        "rag_reason": result.reason,
        "overdue": is_overdue(action.stage, action.target_date, today),
        "milestones": [{"on": m["on"], "text": m["text"]} for m in action.milestones],
        "evidence": action.evidence,
        "outcome": action.outcome,
        "closed_reason": action.closed_reason,
        "ended_on": action.ended_on,
        "last_update_on": action.last_update_on,
        "created_on": action.created_on,
        "version": action.version,
    }


def _progress_out(update: ProgressUpdate) -> dict[str, Any]:
    return {
        "id": update.id,
        "action_id": update.action_id,
        "agency_id": update.agency_id,
        "reported_on": update.reported_on,
        "note": update.note,
        "return_request_id": update.return_request_id,
        "recorded_at": update.recorded_at,
    }


def _summary(plan: Plan, case_ref: str | None, actions: list[dict[str, Any]]) -> dict[str, Any]:
    counts = Counter(a["rag"] for a in actions)
    return {
        "id": plan.id,
        "kind": plan.kind,
        "plan_type": plan.plan_type,
        "priority": plan.priority,
        "priority_label": priority_label(plan.priority) if plan.priority else "",
        "title": plan.title,
        "case_ref": case_ref,
        "period_start": plan.period_start,
        "period_end": plan.period_end,
        "cadence_months": plan.cadence_months,
        "next_review_on": plan.next_review_on,
        "last_reviewed_on": plan.last_reviewed_on,
        "yearly_review_on": plan.yearly_review_on,
        "created_on": plan.created_on,
        "actions": len(actions),
        "rag": {r.value: counts[r.value] for r in Rag},
    }


def _case_refs(session: Session, plans: Sequence[Plan]) -> dict[uuid.UUID, str]:
    ids = [p.case_id for p in plans if p.case_id is not None]
    if not ids:
        return {}
    return {c.id: c.ref for c in session.exec(select(Case).where(col(Case.id).in_(ids))).all()}


def plan_out(session: Session, actor: Actor, plan: Plan, today: date) -> dict[str, Any]:
    """The plan with its recommendations or outcome measures and the actions the actor may see."""
    agencies = _agency_names(session)
    actions = [action_out(a, agencies, today) for a in plan_access.visible_actions(session, actor, [plan])]
    refs = _case_refs(session, [plan])
    body = _summary(plan, refs.get(plan.case_id) if plan.case_id else None, actions)
    agency_only = plan_access.agency_only(session, actor, plan)
    recs = session.exec(
        select(Recommendation).where(Recommendation.plan_id == plan.id).order_by(col(Recommendation.number))
    ).all()
    body["recommendations"] = []
    for rec in recs:
        mine = [a for a in actions if a["recommendation_id"] == rec.id]
        if agency_only and not mine:
            continue  # an agency sees the recommendations its own actions carry out
        body["recommendations"].append(
            {
                "id": rec.id,
                "number": rec.number,
                "text": rec.text,
                "level": rec.level,
                "addressee": rec.addressee,
                "themes": list(rec.themes),
                "created_on": rec.created_on,
                "actions": mine,
            }
        )
    measures = session.exec(
        select(OutcomeMeasure).where(OutcomeMeasure.plan_id == plan.id).order_by(col(OutcomeMeasure.number))
    ).all()
    body["outcome_measures"] = [
        _measure_out(m, [a for a in actions if a["outcome_measure_id"] == m.id]) for m in measures
    ]
    return body


def _measure_out(measure: OutcomeMeasure, actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": measure.id,
        "number": measure.number,
        "text": measure.text,
        "measure": measure.measure,
        "baseline": measure.baseline,
        "target": measure.target,
        "actions": actions,
    }


def _read_plan(ctx: AppContext, actor: Actor, plan_id: uuid.UUID) -> dict[str, Any]:
    with ctx.reader() as uow:
        plan = plan_access.load_visible_plan(uow.session, actor, plan_id)
        return plan_out(uow.session, actor, plan, ctx.clock.today())


def _read_action(ctx: AppContext, actor: Actor, action_id: uuid.UUID) -> dict[str, Any]:
    with ctx.reader() as uow:
        _plan, action = plan_access.load_visible_action(uow.session, actor, action_id)
        body = action_out(action, _agency_names(uow.session), ctx.clock.today())
        body["progress"] = [_progress_out(u) for u in action_service.progress_history(uow.session, action.id)]
        return body


# --- CSP staff: which partnership ----------------------------------------------------------------


def _require_csp_staff(actor: Actor, what: str) -> None:
    if not plan_access.is_csp_staff(actor):
        raise PermissionDenied(f"{what} are for CSP staff", field="role")


def _chosen_csp(session: Session, actor: Actor, csp_id: uuid.UUID | None) -> uuid.UUID | None:
    """The partnership asked for: a CSP officer or chair tied to one sees only theirs."""
    tied = plan_access.tied_csp(actor)
    if tied is not None:
        if csp_id is not None and csp_id != tied:
            raise NotFound("no such Community Safety Partnership", field="csp_id")
        return tied
    if csp_id is not None and session.get(Csp, csp_id) is None:
        raise NotFound("no such Community Safety Partnership", field="csp_id")
    return csp_id


def _oversight(
    ctx: AppContext, actor: Actor, year: int, csp_id: uuid.UUID | None
) -> oversight.OversightFigures:
    _require_csp_staff(actor, "the oversight figures")
    with ctx.reader() as uow:
        chosen = _chosen_csp(uow.session, actor, csp_id)
        if chosen is None:
            first = uow.session.exec(select(Csp).order_by(col(Csp.slug))).first()
            if first is None:
                raise NotFound("there is no Community Safety Partnership yet", field="csp_id")
            chosen = first.id
        return oversight.oversight_figures(uow.session, chosen, year, ctx.clock.today())


def _oversight_out(figures: oversight.OversightFigures) -> dict[str, Any]:
    return {
        "csp": figures.csp,
        "year": figures.year,
        "as_of": figures.as_of,
        "notified": figures.notified,
        "decided": figures.decided,
        "decided_to_review": figures.decided_to_review,
        "decided_no_review": figures.decided_no_review,
        "completed": figures.completed,
        "published": figures.published,
        "timings": [
            {
                "key": t.key,
                "label": t.label,
                "target": t.target,
                "events": t.events,
                "mean_days": t.mean_days,
                "median_days": t.median_days,
                "on_time": t.on_time,
                "share_on_time": t.share_on_time,
            }
            for t in figures.timings
        ],
        "paused_days": figures.paused_days,
        "paused_cases": figures.paused_cases,
        "actions": [{"agency": a.agency, "open": a.open, "overdue": a.overdue} for a in figures.actions],
        "rows": [{"section": s, "measure": m, "value": v} for s, m, v in figures.rows()],
    }


def _themes(ctx: AppContext, actor: Actor, csp_id: uuid.UUID | None) -> list[lessons.ThemeRow]:
    _require_csp_staff(actor, "the lessons across reviews")
    with ctx.reader() as uow:
        return lessons.themes_report(uow.session, _chosen_csp(uow.session, actor, csp_id))


def _repeats(
    ctx: AppContext, actor: Actor, csp_id: uuid.UUID | None, threshold: float
) -> list[lessons.RepeatPair]:
    _require_csp_staff(actor, "the lessons across reviews")
    with ctx.reader() as uow:
        chosen = _chosen_csp(uow.session, actor, csp_id)
        return lessons.repeats_report(uow.session, chosen, threshold=threshold)


def _repeat_out(pair: lessons.RepeatPair) -> dict[str, Any]:
    return {**pair.__dict__, "themes": list(pair.themes), "theme_labels": pair.theme_labels}


# --- files ---------------------------------------------------------------------------------------


def _download(sheets: Sequence[export.Sheet], fmt: str, name: str) -> Response:
    """The tables as one CSV (the first table) or one workbook, as an attachment."""
    with tempfile.TemporaryDirectory() as tmp:
        path = FilePath(tmp) / f"{name}.{fmt}"
        if fmt == "csv":
            export.write_csv(sheets[0], path)
        else:
            export.write_xlsx(sheets, path)
        data = path.read_bytes()
    return Response(
        data,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"', "Cache-Control": "private"},
    )


def _action_input(body: NewActionIn | Any) -> ActionInput:
    return ActionInput(
        description=body.description,
        lead_agency_id=body.lead_agency_id,
        target_date=body.target_date,
        owner_title=body.owner_title,
        owner_user_id=body.owner_user_id,
        partners=tuple(body.partners),
    )


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
        agencies = _agency_names(session)
        refs = _case_refs(session, plans)
        actions = plan_access.visible_actions(session, actor, plans)
        items = [
            _summary(
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
            csp_id = _chosen_csp(uow.session, actor, body.csp_id) or actor.csp_id
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
    return _read_plan(ctx, actor, plan.id)


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
    _require_csp_staff(actor, "the monitoring lists")
    today = ctx.clock.today()
    with ctx.reader() as uow:
        chosen = _chosen_csp(uow.session, actor, csp_id)
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
    workbook (a summary per plan and the actions, RAG cells coloured)."""
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
    return _download(sheets, format, f"action-plans-{today.isoformat()}")


@router.get("/plans/{plan_id}", response_model=PlanOut, tags=["plans"], summary="One plan")
def read_plan(ctx: CtxDep, actor: ActorDep, plan_id: PlanIdPath) -> dict[str, Any]:
    """The plan with its recommendations (a review) or outcome measures (a priority plan), and
    each action you may see with its RAG rating today."""
    return _read_plan(ctx, actor, plan_id)


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
    return _read_plan(ctx, access.actor, plan.id)


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
    _check_plan(ctx, actor, plan_id)
    rec = plan_service.add_recommendation(
        ctx.uow(),
        actor=actor,
        clock=ctx.clock,
        plan_id=plan_id,
        text=body.text,
        level=body.level,
        actions=[_action_input(a) for a in body.actions],
        addressee=body.addressee,
        themes=body.themes,
        effective_on=body.effective_on,
    )
    plan = _read_plan(ctx, actor, plan_id)
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
    _check_plan(ctx, actor, plan_id)
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
    return _measure_out(row, [])


@router.post(
    "/plans/{plan_id}/actions",
    response_model=ActionOut,
    status_code=status.HTTP_201_CREATED,
    tags=["actions"],
    summary="Add an action",
)
def add_action(ctx: CtxDep, actor: ActorDep, plan_id: PlanIdPath, body: NewActionIn) -> dict[str, Any]:
    """An action under a recommendation (a review's plan) or an outcome measure (a priority plan)."""
    _check_plan(ctx, actor, plan_id)
    row = plan_service.add_action(
        ctx.uow(),
        actor=actor,
        clock=ctx.clock,
        plan_id=plan_id,
        action=_action_input(body),
        recommendation_id=body.recommendation_id,
        outcome_measure_id=body.outcome_measure_id,
        effective_on=body.effective_on,
    )
    with ctx.reader() as uow:
        return action_out(row, _agency_names(uow.session), ctx.clock.today())


@router.post(
    "/plans/{plan_id}/reviews", response_model=PlanOut, tags=["plans"], summary="Record a monitoring review"
)
def record_review(ctx: CtxDep, actor: ActorDep, plan_id: PlanIdPath, body: PlanReviewIn) -> dict[str, Any]:
    """Record that the plan's progress was reviewed; the next review falls one cadence later
    (`yearly`: the annual review of a priority plan, the next a year on)."""
    _check_plan(ctx, actor, plan_id)
    monitoring.record_plan_review(
        ctx.uow(),
        actor=actor,
        clock=ctx.clock,
        plan_id=plan_id,
        reviewed_on=body.reviewed_on,
        yearly=body.yearly,
    )
    return _read_plan(ctx, actor, plan_id)


# --- actions -------------------------------------------------------------------------------------


@router.get("/actions/{action_id}", response_model=ActionDetailOut, tags=["actions"], summary="One action")
def read_action(ctx: CtxDep, actor: ActorDep, action_id: ActionIdPath) -> dict[str, Any]:
    """The action with its RAG rating today, its milestones and its progress updates."""
    return _read_action(ctx, actor, action_id)


@router.post(
    "/actions/{action_id}/triggers/{trigger}",
    response_model=ActionOut,
    tags=["actions"],
    summary="Move an action on",
)
def fire_action(
    ctx: CtxDep, actor: ActorDep, action_id: ActionIdPath, trigger: TriggerPath, body: ActionFireIn
) -> dict[str, Any]:
    """agree, start, complete (needs `evidence`) or close_not_done (needs a `reason`); who may fire
    each is in workflows/action_plan.yaml (agency roles only on their own agency's actions). 409 if
    the action has moved past `expected_version`, the trigger does not apply at its stage, or a
    guard blocks it (the guard names come back in `guards`)."""
    _check_action(ctx, actor, action_id)
    action_service.fire_action(
        ctx.uow(),
        actor=actor,
        clock=ctx.clock,
        action_id=action_id,
        trigger=trigger,
        effective_on=body.effective_on,
        reason=body.reason,
        evidence=body.evidence,
        outcome=body.outcome,
        expected_version=body.expected_version,
    )
    return _read_action(ctx, actor, action_id)


@router.put(
    "/actions/{action_id}/target",
    response_model=ActionOut,
    tags=["actions"],
    summary="Change the target date",
)
def change_target(ctx: CtxDep, actor: ActorDep, action_id: ActionIdPath, body: TargetIn) -> dict[str, Any]:
    """Move an open action's target date, saying why (the plan's editors); its deadline moves too."""
    _check_action(ctx, actor, action_id)
    action_service.change_target(
        ctx.uow(),
        actor=actor,
        clock=ctx.clock,
        action_id=action_id,
        target_date=body.target_date,
        reason=body.reason,
    )
    return _read_action(ctx, actor, action_id)


@router.post(
    "/actions/{action_id}/milestones",
    response_model=ActionOut,
    status_code=status.HTTP_201_CREATED,
    tags=["actions"],
    summary="Record a milestone",
)
def add_milestone(ctx: CtxDep, actor: ActorDep, action_id: ActionIdPath, body: MilestoneIn) -> dict[str, Any]:
    """A key milestone achieved (the lead agency, the action's owner or the plan's editors)."""
    _check_action(ctx, actor, action_id)
    action_service.add_milestone(
        ctx.uow(),
        actor=actor,
        clock=ctx.clock,
        action_id=action_id,
        text=body.text,
        achieved_on=body.achieved_on,
    )
    return _read_action(ctx, actor, action_id)


@router.post(
    "/actions/{action_id}/progress",
    response_model=ProgressOut,
    status_code=status.HTTP_201_CREATED,
    tags=["actions"],
    summary="Record progress",
)
def record_progress(
    ctx: CtxDep, actor: ActorDep, action_id: ActionIdPath, body: ProgressIn
) -> dict[str, Any]:
    """The lead agency's progress update on an open action, with its evidence (the lead agency,
    the action's owner or the plan's editors); it answers the agency's open progress return."""
    _check_action(ctx, actor, action_id)
    update = action_service.record_progress(
        ctx.uow(),
        actor=actor,
        clock=ctx.clock,
        action_id=action_id,
        note=body.note,
        reported_on=body.reported_on,
    )
    return _progress_out(update)


# --- oversight and lessons -----------------------------------------------------------------------


@router.get("/oversight/{year}", response_model=OversightOut, tags=["oversight"], summary="Oversight figures")
def oversight_figures(
    ctx: CtxDep, actor: ActorDep, year: YearPath, csp_id: CspQuery = None
) -> dict[str, Any]:
    """The partnership's figures for one calendar year: reviews, timeliness, pauses, open and
    overdue actions by lead agency (CSP staff; every definition is in plans/oversight.py)."""
    return _oversight_out(_oversight(ctx, actor, year, csp_id))


@router.get(
    "/oversight/{year}/export",
    response_class=Response,
    responses=FILE_RESPONSES,
    tags=["oversight"],
    summary="Export the oversight figures (CSV or XLSX)",
)
def export_oversight(
    ctx: CtxDep, actor: ActorDep, year: YearPath, format: FormatQuery = "xlsx", csp_id: CspQuery = None
) -> Response:
    """The year's figures as a table of section, measure and value (CSP staff)."""
    figures = _oversight(ctx, actor, year, csp_id)
    return _download([export.oversight_sheet(figures)], format, f"oversight-{year}")


@router.get(
    "/lessons/themes", response_model=Page[ThemeOut], tags=["oversight"], summary="Themes across reviews"
)
def themes(ctx: CtxDep, actor: ActorDep, page: PageDep, csp_id: CspQuery = None) -> dict[str, Any]:
    """Every theme of the taxonomy: how many recommendations and reviews raised it (CSP staff)."""
    rows = _themes(ctx, actor, csp_id)
    return paginate_list([r.__dict__ for r in rows], page)


@router.get(
    "/lessons/themes/export",
    response_class=Response,
    responses=FILE_RESPONSES,
    tags=["oversight"],
    summary="Export the themes (CSV or XLSX)",
)
def export_themes(
    ctx: CtxDep, actor: ActorDep, format: FormatQuery = "xlsx", csp_id: CspQuery = None
) -> Response:
    """The themes across reviews as a table (CSP staff)."""
    return _download([export.themes_sheet(_themes(ctx, actor, csp_id))], format, "themes")


ThresholdQuery = Annotated[
    float, Query(ge=0, le=1, description="The least similarity of wording (Dice coefficient, 0 to 1)")
]


@router.get(
    "/lessons/repeats", response_model=Page[RepeatOut], tags=["oversight"], summary="Repeated recommendations"
)
def repeats(
    ctx: CtxDep,
    actor: ActorDep,
    page: PageDep,
    threshold: ThresholdQuery = lessons.REPEAT_THRESHOLD,
    csp_id: CspQuery = None,
) -> dict[str, Any]:
    """Pairs of recommendations of different reviews that share a theme and are worded alike."""
    return paginate_list([_repeat_out(p) for p in _repeats(ctx, actor, csp_id, threshold)], page)


@router.get(
    "/lessons/repeats/export",
    response_class=Response,
    responses=FILE_RESPONSES,
    tags=["oversight"],
    summary="Export the repeated recommendations (CSV or XLSX)",
)
def export_repeats(
    ctx: CtxDep,
    actor: ActorDep,
    format: FormatQuery = "xlsx",
    threshold: ThresholdQuery = lessons.REPEAT_THRESHOLD,
    csp_id: CspQuery = None,
) -> Response:
    """The repeated recommendations as a table (CSP staff)."""
    pairs = _repeats(ctx, actor, csp_id, threshold)
    return _download([export.repeats_sheet(pairs)], format, "repeated-recommendations")
