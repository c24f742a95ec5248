"""What the plans API's routes share: path and query parameters, the bodies they answer with,
who may see a plan or an action, and file downloads."""

from __future__ import annotations

import tempfile
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import Depends, Path, Query
from fastapi.responses import Response
from sqlmodel import Session, col, select

from dhr_engine.api.deps import CaseAccess, case_access
from dhr_engine.auth.policy import Action
from dhr_engine.context import AppContext
from dhr_engine.domain.actor import Actor
from dhr_engine.errors import NotFound, PermissionDenied
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
from dhr_engine.plans import export, lessons, oversight, queries
from dhr_engine.plans.rag import Rag, RagInput, is_overdue, rate
from dhr_engine.plans.schemas import (
    ExportFormat,
    NewActionIn,
)
from dhr_engine.plans.service import ActionInput, priority_label

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


def check_plan(ctx: AppContext, actor: Actor, plan_id: uuid.UUID) -> None:
    with ctx.reader() as uow:
        plan_access.load_visible_plan(uow.session, actor, plan_id)


def check_action(ctx: AppContext, actor: Actor, action_id: uuid.UUID) -> None:
    with ctx.reader() as uow:
        plan_access.load_visible_action(uow.session, actor, action_id)


# --- bodies --------------------------------------------------------------------------------------


def agency_names(session: Session) -> dict[uuid.UUID, str]:
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


def progress_out(update: ProgressUpdate) -> dict[str, Any]:
    return {
        "id": update.id,
        "action_id": update.action_id,
        "agency_id": update.agency_id,
        "reported_on": update.reported_on,
        "note": update.note,
        "return_request_id": update.return_request_id,
        "recorded_at": update.recorded_at,
    }


def summary(plan: Plan, case_ref: str | None, actions: list[dict[str, Any]]) -> dict[str, Any]:
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


def case_refs(session: Session, plans: Sequence[Plan]) -> dict[uuid.UUID, str]:
    ids = [p.case_id for p in plans if p.case_id is not None]
    if not ids:
        return {}
    return {c.id: c.ref for c in session.exec(select(Case).where(col(Case.id).in_(ids))).all()}


def plan_out(session: Session, actor: Actor, plan: Plan, today: date) -> dict[str, Any]:
    """The plan with its recommendations or outcome measures and the actions the actor may see."""
    agencies = agency_names(session)
    actions = [action_out(a, agencies, today) for a in plan_access.visible_actions(session, actor, [plan])]
    refs = case_refs(session, [plan])
    body = summary(plan, refs.get(plan.case_id) if plan.case_id else None, actions)
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
        measure_out(m, [a for a in actions if a["outcome_measure_id"] == m.id]) for m in measures
    ]
    return body


def measure_out(measure: OutcomeMeasure, actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": measure.id,
        "number": measure.number,
        "text": measure.text,
        "measure": measure.measure,
        "baseline": measure.baseline,
        "target": measure.target,
        "actions": actions,
    }


def plan_body(ctx: AppContext, actor: Actor, plan_id: uuid.UUID) -> dict[str, Any]:
    with ctx.reader() as uow:
        plan = plan_access.load_visible_plan(uow.session, actor, plan_id)
        return plan_out(uow.session, actor, plan, ctx.clock.today())


def action_body(ctx: AppContext, actor: Actor, action_id: uuid.UUID) -> dict[str, Any]:
    with ctx.reader() as uow:
        _plan, action = plan_access.load_visible_action(uow.session, actor, action_id)
        body = action_out(action, agency_names(uow.session), ctx.clock.today())
        body["progress"] = [progress_out(u) for u in action_service.progress_history(uow.session, action.id)]
        return body


# --- CSP staff: which partnership ----------------------------------------------------------------


def require_csp_staff(actor: Actor, what: str) -> None:
    if not plan_access.is_csp_staff(actor):
        raise PermissionDenied(f"{what} are for CSP staff", field="role")


def chosen_csp(session: Session, actor: Actor, csp_id: uuid.UUID | None) -> uuid.UUID | None:
    """The partnership asked for: a CSP officer or chair tied to one sees only theirs."""
    tied = plan_access.tied_csp(actor)
    if tied is not None:
        if csp_id is not None and csp_id != tied:
            raise NotFound("no such Community Safety Partnership", field="csp_id")
        return tied
    if csp_id is not None and session.get(Csp, csp_id) is None:
        raise NotFound("no such Community Safety Partnership", field="csp_id")
    return csp_id


def oversight_figures_for(
    ctx: AppContext, actor: Actor, year: int, csp_id: uuid.UUID | None
) -> oversight.OversightFigures:
    require_csp_staff(actor, "the oversight figures")
    with ctx.reader() as uow:
        chosen = chosen_csp(uow.session, actor, csp_id)
        if chosen is None:
            first = uow.session.exec(select(Csp).order_by(col(Csp.slug))).first()
            if first is None:
                raise NotFound("there is no Community Safety Partnership yet", field="csp_id")
            chosen = first.id
        return oversight.oversight_figures(uow.session, chosen, year, ctx.clock.today())


def oversight_out(figures: oversight.OversightFigures) -> dict[str, Any]:
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


def theme_rows(ctx: AppContext, actor: Actor, csp_id: uuid.UUID | None) -> list[lessons.ThemeRow]:
    require_csp_staff(actor, "the lessons across reviews")
    with ctx.reader() as uow:
        return lessons.themes_report(uow.session, chosen_csp(uow.session, actor, csp_id))


def repeat_pairs(
    ctx: AppContext, actor: Actor, csp_id: uuid.UUID | None, threshold: float
) -> list[lessons.RepeatPair]:
    require_csp_staff(actor, "the lessons across reviews")
    with ctx.reader() as uow:
        chosen = chosen_csp(uow.session, actor, csp_id)
        return lessons.repeats_report(uow.session, chosen, threshold=threshold)


def repeat_out(pair: lessons.RepeatPair) -> dict[str, Any]:
    return {**pair.__dict__, "themes": list(pair.themes), "theme_labels": pair.theme_labels}


# --- files ---------------------------------------------------------------------------------------


def download(sheets: Sequence[export.Sheet], fmt: str, name: str) -> Response:
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


def action_input(body: NewActionIn | Any) -> ActionInput:
    return ActionInput(
        description=body.description,
        lead_agency_id=body.lead_agency_id,
        target_date=body.target_date,
        owner_title=body.owner_title,
        owner_user_id=body.owner_user_id,
        partners=tuple(body.partners),
    )
