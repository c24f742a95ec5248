"""Read plans and actions as flat rows (for lists, exports and reports), with their RAG rating."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from dhr_engine.persistence.tables import Agency, Case
from dhr_engine.persistence.tables_plans import OutcomeMeasure, Plan, PlanAction, Recommendation
from dhr_engine.plans.rag import RagInput, is_overdue, rate
from dhr_engine.plans.service import priority_label
from dhr_engine.plans.themes import label_of

STAGE_LABELS = {
    "proposed": "Proposed",
    "agreed": "Agreed",
    "in_progress": "In progress",
    "complete": "Complete",
    "closed_not_done": "Closed not done",
}


@dataclass(frozen=True)
class ActionRow:
    """One action with everything a board paper shows about it."""

    action_id: uuid.UUID
    plan_id: uuid.UUID
    plan_kind: str
    plan_type: str
    plan_title: str
    priority: str
    case_ref: str
    parent: str  # "Recommendation 2 (multi-agency)" or "Outcome 1"
    parent_text: str
    themes: str
    number: str
    description: str
    lead_agency: str
    owner: str
    target_date: date
    stage: str
    rag: str
    rag_reason: str
    overdue: bool
    last_update_on: date | None
    ended_on: date | None
    evidence: str
    closed_reason: str
    milestones: str

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in EXPORT_COLUMNS}


# The columns of an export, in order, with their headings.
EXPORT_HEADINGS: dict[str, str] = {
    "plan_title": "Plan",
    "plan_type": "Plan type",
    "priority": "Priority",
    "case_ref": "Review",
    "parent": "Recommendation or outcome",
    "parent_text": "Text",
    "themes": "Themes",
    "number": "Action",
    "description": "Action to take",
    "lead_agency": "Lead agency",
    "owner": "Owner",
    "target_date": "Target date",
    "stage": "Status",
    "rag": "RAG",
    "rag_reason": "RAG reason",
    "overdue": "Overdue",
    "last_update_on": "Last progress update",
    "ended_on": "Completed or closed on",
    "evidence": "Evidence",
    "closed_reason": "Reason closed not done",
    "milestones": "Key milestones achieved",
}
EXPORT_COLUMNS = list(EXPORT_HEADINGS)


def list_plans(session: Session, *, kind: str | None = None, csp_id: uuid.UUID | None = None) -> list[Plan]:
    query = select(Plan)
    if kind:
        query = query.where(Plan.kind == kind)
    if csp_id:
        query = query.where(Plan.csp_id == csp_id)
    return sorted(session.exec(query).all(), key=lambda p: (p.kind, p.priority, p.plan_type, p.title))


def action_rows(
    session: Session,
    today: date,
    *,
    plans: Sequence[Plan] | None = None,
    kind: str | None = None,
) -> list[ActionRow]:
    """Every action of the given plans (default: all plans, or all of one kind), rated today."""
    chosen = list(plans) if plans is not None else list_plans(session, kind=kind)
    by_id = {p.id: p for p in chosen}
    if not by_id:
        return []
    actions = session.exec(select(PlanAction).where(col(PlanAction.plan_id).in_(list(by_id)))).all()
    agencies = {a.id: a.name for a in session.exec(select(Agency)).all()}
    recs = {
        r.id: r
        for r in session.exec(
            select(Recommendation).where(col(Recommendation.plan_id).in_(list(by_id)))
        ).all()
    }
    measures = {
        m.id: m
        for m in session.exec(
            select(OutcomeMeasure).where(col(OutcomeMeasure.plan_id).in_(list(by_id)))
        ).all()
    }
    case_ids = [p.case_id for p in chosen if p.case_id]
    refs = {c.id: c.ref for c in session.exec(select(Case).where(col(Case.id).in_(case_ids))).all()}
    rows = [_row(a, by_id[a.plan_id], recs, measures, agencies, refs, today) for a in actions]
    return sorted(rows, key=lambda r: (r.plan_kind, r.priority, r.plan_type, r.case_ref, _sort_key(r.number)))


def _sort_key(number: str) -> tuple[int, ...]:
    return tuple(int(part) for part in number.split(".") if part.isdigit())


def _row(
    action: PlanAction,
    plan: Plan,
    recs: dict[uuid.UUID, Recommendation],
    measures: dict[uuid.UUID, OutcomeMeasure],
    agencies: dict[uuid.UUID, str],
    refs: dict[uuid.UUID, str],
    today: date,
) -> ActionRow:
    result = rate(RagInput(action.stage, action.target_date, action.created_on, action.last_update_on), today)
    rec = recs.get(action.recommendation_id) if action.recommendation_id else None
    measure = measures.get(action.outcome_measure_id) if action.outcome_measure_id else None
    if rec is not None:
        parent, text = f"Recommendation {rec.number} ({rec.level.replace('_', '-')})", rec.text
    elif measure is not None:
        parent, text = f"Outcome {measure.number}", measure.text
    else:
        parent, text = "", ""
    return ActionRow(
        action_id=action.id,
        plan_id=plan.id,
        plan_kind=plan.kind,
        plan_type=plan.plan_type,
        plan_title=plan.title,
        priority=priority_label(plan.priority) if plan.priority else "",
        case_ref=refs.get(plan.case_id, "") if plan.case_id else "",
        parent=parent,
        parent_text=text,
        themes="; ".join(label_of(t) for t in rec.themes) if rec else "",
        number=action.number,
        description=action.description,
        lead_agency=agencies.get(action.lead_agency_id, "") if action.lead_agency_id else "",
        owner=action.owner_title,
        target_date=action.target_date,
        stage=STAGE_LABELS.get(action.stage, action.stage),
        rag=result.rag.value,
        rag_reason=result.reason,
        overdue=is_overdue(action.stage, action.target_date, today),
        last_update_on=action.last_update_on,
        ended_on=action.ended_on,
        evidence=action.evidence,
        closed_reason=action.closed_reason,
        milestones="; ".join(f"{m['on']}: {m['text']}" for m in action.milestones),
    )
