"""Tables of action plans: a review's action plan and a CSP's priority plans share one model.

Plan (kind review | priority) -> Recommendation (review plans) or OutcomeMeasure (priority plans)
-> PlanAction, which follows workflows/action_plan.yaml. Progress updates come from the lead
agency; a priority plan has no case, so its changes are audited in PlanAuditRecord (append-only).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, func
from sqlmodel import Field, Session, SQLModel, col, select

from dhr_engine.persistence.facts import OPEN_ACTION_COUNTERS
from dhr_engine.persistence.tables import new_id, utcnow


class Plan(SQLModel, table=True):
    """A review's action plan (kind 'review', one per case) or a CSP priority plan (kind 'priority')."""

    __tablename__ = "plan"
    __table_args__ = (UniqueConstraint("case_id", name="uq_plan_case"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    csp_id: uuid.UUID = Field(foreign_key="csp.id", index=True)
    case_id: uuid.UUID | None = Field(default=None, foreign_key="dhr_case.id")
    kind: str = Field(max_length=20)  # review | priority
    plan_type: str = Field(default="action_plan", max_length=20)  # action_plan | strategy | tactical
    priority: str = Field(default="", max_length=60)  # e.g. county_lines (priority plans only)
    title: str = Field(max_length=200)
    period_start: date | None = None
    period_end: date | None = None
    cadence_months: int = 3  # monitoring cadence: progress reviewed every N months
    next_review_on: date | None = None
    last_reviewed_on: date | None = None
    yearly_review_on: date | None = None  # priority plans: the annual review of the plan
    created_on: date
    created_at: datetime = Field(default_factory=utcnow)


class OutcomeMeasure(SQLModel, table=True):
    """What a priority is meant to achieve, and how it is measured."""

    __tablename__ = "plan_outcome_measure"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    plan_id: uuid.UUID = Field(foreign_key="plan.id", index=True)
    number: int
    text: str = Field(max_length=1000)
    measure: str = Field(default="", max_length=500)
    baseline: str = Field(default="", max_length=200)
    target: str = Field(default="", max_length=200)


class Recommendation(SQLModel, table=True):
    """A recommendation of a review: single-agency, multi-agency or national, tagged with themes."""

    __tablename__ = "plan_recommendation"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    plan_id: uuid.UUID = Field(foreign_key="plan.id", index=True)
    number: int
    text: str = Field(max_length=2000)
    level: str = Field(max_length=20)  # single_agency | multi_agency | national
    addressee: str = Field(default="", max_length=200)
    themes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_on: date


class PlanAction(SQLModel, table=True):
    """One action: lead agency, owner, target date, milestones, evidence and a workflow stage."""

    __tablename__ = "plan_action"
    __table_args__ = (Index("ix_plan_action_stage", "stage"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    plan_id: uuid.UUID = Field(foreign_key="plan.id", index=True)
    recommendation_id: uuid.UUID | None = Field(default=None, foreign_key="plan_recommendation.id")
    outcome_measure_id: uuid.UUID | None = Field(default=None, foreign_key="plan_outcome_measure.id")
    number: str = Field(max_length=20)  # e.g. "2.1"
    description: str = Field(max_length=2000)
    lead_agency_id: uuid.UUID | None = Field(default=None, foreign_key="agency.id", index=True)
    owner_user_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    owner_title: str = Field(default="", max_length=200)  # a job title, not a person's name
    partners: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    target_date: date
    workflow_version: str = Field(default="1", max_length=20)
    stage: str = Field(default="proposed", max_length=30)
    stage_entered_on: date
    milestones: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    evidence: str = Field(default="", max_length=4000)
    outcome: str = Field(default="", max_length=2000)
    closed_reason: str = Field(default="", max_length=2000)
    ended_on: date | None = None  # completed or closed not done
    last_update_on: date | None = None
    created_on: date
    version: int = 1


class ProgressUpdate(SQLModel, table=True):
    """A progress update from the lead agency (an action-plan progress return)."""

    __tablename__ = "plan_progress_update"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    action_id: uuid.UUID = Field(foreign_key="plan_action.id", index=True)
    agency_id: uuid.UUID | None = Field(default=None, foreign_key="agency.id")
    reported_on: date
    note: str = Field(max_length=4000)
    return_request_id: uuid.UUID | None = Field(default=None, foreign_key="return_request.id")
    recorded_by: uuid.UUID | None = None
    recorded_at: datetime = Field(default_factory=utcnow)


class PlanAuditRecord(SQLModel, table=True):
    """Append-only record of changes to a priority plan (which has no case and so no case audit)."""

    __tablename__ = "plan_audit_record"
    __table_args__ = (UniqueConstraint("plan_id", "seq"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    plan_id: uuid.UUID = Field(foreign_key="plan.id", index=True)
    seq: int
    kind: str = Field(max_length=60)
    actor_user_id: uuid.UUID | None = None
    actor_label: str = Field(default="", max_length=200)
    effective_on: date
    recorded_at: datetime
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


FINISHED_ACTION_STAGES = ("complete", "closed_not_done")


def count_open_review_actions(session: Session, case_id: uuid.UUID) -> int:
    """Open actions of the case's action plan (the `all_actions_closed` guard counts these)."""
    query = (
        select(func.count())
        .select_from(PlanAction)
        .join(Plan, col(Plan.id) == col(PlanAction.plan_id))
        .where(Plan.case_id == case_id, col(PlanAction.stage).not_in(FINISHED_ACTION_STAGES))
    )
    return int(session.exec(query).one())


# Registered at import: every process that knows the plan tables also counts their open actions.
if count_open_review_actions not in OPEN_ACTION_COUNTERS:
    OPEN_ACTION_COUNTERS.append(count_open_review_actions)
