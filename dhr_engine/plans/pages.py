"""Action plans of reviews and CSP priority plans, each action with its RAG rating (colour and
words), progress updates and the steps of workflows/action_plan.yaml; and the yearly oversight
figures with their charts (drawn by plans/charts.py, each with alt text and a data table).

Who sees which plan: a review's plan goes with its case (dhr_engine.auth.policy, via web.access);
an agency user sees only the actions their agency leads. Priority plans and the oversight figures
are for CSP staff. Changing anything is decided by the plans service."""

from __future__ import annotations

import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fastapi import APIRouter, Depends
from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.responses import Response

from dhr_engine.domain.actor import Actor
from dhr_engine.domain.roles import Role
from dhr_engine.errors import DhrError, NotFound, PermissionDenied, ValidationFailed
from dhr_engine.persistence.tables import Case, User
from dhr_engine.persistence.tables_plans import Plan, PlanAction
from dhr_engine.plans import access as plan_access
from dhr_engine.plans import actions as action_service
from dhr_engine.plans.access import action_actor, require_progress_reporter
from dhr_engine.plans.charts import oversight_charts
from dhr_engine.plans.oversight import OversightFigures, oversight_figures
from dhr_engine.plans.queries import ActionRow, action_rows
from dhr_engine.plans.rag import FINISHED, Rag
from dhr_engine.plans.scope import ACTION_WORKFLOW
from dhr_engine.web import access
from dhr_engine.web.deps import Page, Viewer, WebRoute, checked_form, signed_in
from dhr_engine.web.forms import FormState

router = APIRouter(route_class=WebRoute)
RAG_ORDER = ("red", "amber", "green", "blue")
RAG_WORDS = {r.value: r.label for r in Rag}


# --- which plans and actions a user may see: plans/access.py ------------------------------------


def _rows(session: Session, viewer: Viewer, plans: list[Plan], today: date) -> list[ActionRow]:
    rows = action_rows(session, today, plans=plans)
    agency_plans = {p.id for p in plans if plan_access.agency_only(session, viewer.actor, p)}
    if not agency_plans:
        return rows
    own = set()
    if viewer.agency_id is not None:
        own = set(
            session.exec(
                select(PlanAction.id).where(
                    col(PlanAction.plan_id).in_(list(agency_plans)),
                    PlanAction.lead_agency_id == viewer.agency_id,
                )
            ).all()
        )
    return [r for r in rows if r.plan_id not in agency_plans or r.action_id in own]


@dataclass(frozen=True)
class PlanSummary:
    plan: Plan
    case_ref: str
    counts: dict[str, int]
    total: int


# --- pages ---------------------------------------------------------------------------------------


@router.get("/plans")
def plans(page: Page = Depends(signed_in)) -> Response:
    today = page.ctx.clock.today()
    with page.ctx.reader() as uow:
        shown = plan_access.visible_plans(uow.session, page.me.actor)
        rows = _rows(uow.session, page.me, shown, today)
        refs = {c.id: c.ref for c in access.visible_cases(uow.session, page.me)}
    summaries = []
    for p in shown:
        mine = [r for r in rows if r.plan_id == p.id]
        summaries.append(
            PlanSummary(
                p, refs.get(p.case_id, "") if p.case_id else "", Counter(r.rag for r in mine), len(mine)
            )
        )
    return page.render(
        "web/plans/list.html",
        {
            "title": "Action plans",
            "reviews": [s for s in summaries if s.plan.kind == "review"],
            "priorities": [s for s in summaries if s.plan.kind == "priority"],
            "rag_order": RAG_ORDER,
            "rag_words": RAG_WORDS,
            "may_oversight": page.me.is_csp_staff,
        },
    )


@router.get("/plans/{plan_id}")
def plan_page(plan_id: uuid.UUID, page: Page = Depends(signed_in)) -> Response:
    today = page.ctx.clock.today()
    with page.ctx.reader() as uow:
        plan = plan_access.load_visible_plan(uow.session, page.me.actor, plan_id)
        rows = _rows(uow.session, page.me, [plan], today)
        case = uow.session.get(Case, plan.case_id) if plan.case_id else None
    return page.render(
        "web/plans/plan.html",
        {
            "title": plan.title,
            "plan": plan,
            "plan_case": case,
            "rows": rows,
            "counts": Counter(r.rag for r in rows),
            "rag_order": RAG_ORDER,
            "rag_words": RAG_WORDS,
        },
    )


@dataclass(frozen=True)
class StepView:
    trigger: str
    label: str
    requires_reason: bool
    needs_evidence: bool


def _action_context(page: Page, plan_id: uuid.UUID, action_id: uuid.UUID) -> dict[str, object]:
    today = page.ctx.clock.today()
    with page.ctx.reader() as uow:
        session = uow.session
        plan = plan_access.load_visible_plan(session, page.me.actor, plan_id)
        action = session.get(PlanAction, action_id)
        rows = _rows(session, page.me, [plan], today)
        row = next((r for r in rows if r.action_id == action_id), None)
        if action is None or action.plan_id != plan.id or row is None:
            raise NotFound("no such action", field="action_id")
        acting: Actor = action_actor(session, page.me.actor, plan, action)
        definition = uow.workflows.get(ACTION_WORKFLOW, action.workflow_version)
        steps = [
            StepView(t.trigger, t.label, t.requires_reason, "evidence_given" in t.conditions)
            for t in definition.transitions
            if action.stage in t.source and acting.has_any({Role(r) for r in t.roles})
        ]
        try:
            require_progress_reporter(session, page.me.actor, plan, action)
            may_report = action.stage not in FINISHED
        except PermissionDenied:
            may_report = False
        history = action_service.progress_history(session, action_id)
    return {
        "title": f"Action {row.number}: {plan.title}",
        "plan": plan,
        "action": action,
        "row": row,
        "steps": steps,
        "may_report": may_report,
        "history": history,
        "rag_words": RAG_WORDS,
    }


def _render_action(
    page: Page, plan_id: uuid.UUID, action_id: uuid.UUID, form: FormState, status: int = 200
) -> Response:
    context = _action_context(page, plan_id, action_id)
    context["form"] = form
    return page.render("web/plans/action.html", context, status=status)


@router.get("/plans/{plan_id}/actions/{action_id}")
def action_page(plan_id: uuid.UUID, action_id: uuid.UUID, page: Page = Depends(signed_in)) -> Response:
    return _render_action(page, plan_id, action_id, FormState())


@router.post("/plans/{plan_id}/actions/{action_id}/progress")
def record_progress(
    plan_id: uuid.UUID,
    action_id: uuid.UUID,
    page: Page = Depends(signed_in),
    form_data: FormData = Depends(checked_form),
) -> Response:
    _action_context(page, plan_id, action_id)  # the plan and action must be visible first
    form = FormState.from_form(form_data)
    note = form.require("note", "Say what progress has been made")
    reported = form.date_value("reported_on", label="the date of the update")
    if form.ok:
        try:
            action_service.record_progress(
                page.ctx.uow(),
                actor=page.me.actor,
                clock=page.ctx.clock,
                action_id=action_id,
                note=note,
                reported_on=reported,
            )
        except DhrError as err:
            form.absorb(err, {"note": "note", "reported_on": "reported_on"})
        else:
            page.flash("Progress update recorded.")
            return page.redirect(f"/plans/{plan_id}/actions/{action_id}")
    return _render_action(page, plan_id, action_id, form, 400)


@router.post("/plans/{plan_id}/actions/{action_id}/step")
def fire_step(
    plan_id: uuid.UUID,
    action_id: uuid.UUID,
    page: Page = Depends(signed_in),
    form_data: FormData = Depends(checked_form),
) -> Response:
    context = _action_context(page, plan_id, action_id)
    form = FormState.from_form(form_data)
    trigger = form.value("trigger")
    steps = context["steps"]
    assert isinstance(steps, list)
    step = next((s for s in steps if s.trigger == trigger), None)
    if step is None:
        raise PermissionDenied("you cannot take that step on this action now", field="trigger")
    reason = form.value(f"reason_{trigger}").strip()
    evidence = form.value(f"evidence_{trigger}").strip()
    if step.requires_reason and not reason:
        form.add(f"reason_{trigger}", "Say why")
    if step.needs_evidence and not evidence:
        form.add(f"evidence_{trigger}", "Describe the evidence that the action is done")
    if form.ok:
        try:
            action_service.fire_action(
                page.ctx.uow(),
                actor=page.me.actor,
                clock=page.ctx.clock,
                action_id=action_id,
                trigger=trigger,
                reason=reason,
                evidence=evidence,
            )
        except DhrError as err:
            form.absorb(err, {"reason": f"reason_{trigger}", "evidence": f"evidence_{trigger}"})
        else:
            page.flash(f"Done: {step.label}.")
            return page.redirect(f"/plans/{plan_id}/actions/{action_id}")
    return _render_action(page, plan_id, action_id, form, 400)


# --- oversight -----------------------------------------------------------------------------------

CHARTS = {
    "reviews": "Bar chart of reviews notified, decided, completed and published in the year",
    "durations": "Bar chart of the median days taken by each stage in the year",
    "on-time": "Bar chart of the share of each stage completed on time in the year",
    "pauses": "Bar chart of the days reviews were paused in the year, by reason",
    "actions": "Horizontal bar chart of open and overdue actions by lead agency",
}
_chart_cache: dict[tuple[str, int, date, str], dict[str, bytes]] = {}


def _figures(page: Page, year: int) -> OversightFigures:
    if not page.me.is_csp_staff:
        raise PermissionDenied("the oversight figures are for CSP staff", field="role")
    if not 2000 <= year <= 2100:
        raise ValidationFailed("choose a year from 2000 to 2100", field="year")
    with page.ctx.reader() as uow:
        user = uow.session.get(User, page.me.user_id)
        csp_id = user.csp_id if user is not None else None
        if csp_id is None:
            csp_id = uow.session.exec(select(Case.csp_id)).first()
        if csp_id is None:
            raise NotFound("there are no reviews yet", field="csp")
        return oversight_figures(uow.session, csp_id, year, page.ctx.clock.today())


def _charts(figures: OversightFigures) -> dict[str, bytes]:
    """The charts of these figures (drawn once; one set is kept, the figures change with the cases)."""
    key = (figures.csp, figures.year, figures.as_of, repr(figures))
    found = _chart_cache.get(key)
    if found is None:
        with tempfile.TemporaryDirectory() as tmp:
            found = {p.name: p.read_bytes() for p in oversight_charts(figures, Path(tmp))}
        _chart_cache.clear()
        _chart_cache[key] = found
    return found


@router.get("/oversight")
def oversight(page: Page = Depends(signed_in), year: int = 0) -> Response:
    chosen = year or page.ctx.clock.today().year
    figures = _figures(page, chosen)
    return page.render(
        "web/plans/oversight.html",
        {"title": f"Oversight figures {chosen}", "f": figures, "charts": CHARTS, "year": chosen},
    )


@router.get("/oversight/{year}/charts/{name}.{fmt}")
def chart(year: int, name: str, fmt: str, page: Page = Depends(signed_in)) -> Response:
    if name not in CHARTS or fmt not in {"svg", "png"}:
        raise NotFound("no such chart", field="name")
    figures = _figures(page, year)
    data = _charts(figures)[f"{name}-{year}.{fmt}"]
    media = "image/svg+xml" if fmt == "svg" else "image/png"
    return Response(
        data,
        media_type=media,
        headers={
            "Content-Disposition": f'inline; filename="{name}-{year}.{fmt}"',
            "Cache-Control": "private",
        },
    )
