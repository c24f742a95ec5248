"""Bodies of the action-plan API: plans, recommendations, outcome measures, actions, progress,
monitoring reviews, oversight figures and lessons across reviews."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# Dates a person records: bounded so that the calendar arithmetic behind them (a year on, a
# cadence later) always stays within the calendar.
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
DATE_RANGE = "(from 2000-01-01 to 2100-12-31)"

PlanKind = Literal["review", "priority"]
PriorityPlanType = Literal["strategy", "tactical"]
Level = Literal["single_agency", "multi_agency", "national"]
RagName = Literal["red", "amber", "green", "blue"]
ExportFormat = Literal["csv", "xlsx"]
ThemeCode = Annotated[str, StringConstraints(min_length=1, max_length=60)]
PartnerName = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Stage = Literal["proposed", "agreed", "in_progress", "complete", "closed_not_done"]


# --- what comes back ----------------------------------------------------------------------------


class RagCounts(BaseModel):
    """How many of the plan's actions (those you may see) are in each RAG state."""

    red: int = Field(ge=0, description="Overdue, or closed without being done")
    amber: int = Field(ge=0, description="Due within 28 days, or no progress update for 91 days")
    green: int = Field(ge=0, description="Open, on track and reported on")
    blue: int = Field(ge=0, description="Complete with evidence")


class MilestoneOut(BaseModel):
    """A key milestone achieved in carrying out an action."""

    on: date = Field(description="When the milestone was achieved")
    text: str = Field(description="What was achieved")


class ActionOut(BaseModel):
    """One action with its stage of workflows/action_plan.yaml and its RAG rating today."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5d3c8f0e-1b7a-4c1e-9f55-0d2a9c1e7b10",
                    "plan_id": "0f1e2d3c-4b5a-4968-8776-655443322110",
                    "recommendation_id": "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d",
                    "outcome_measure_id": None,
                    "number": "1.1",
                    "description": "Issue a force-wide briefing on MARAC referral",
                    "lead_agency_id": "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
                    "lead_agency": "Northmoor Police",
                    "owner_title": "Head of safeguarding",
                    "owner_user_id": None,
                    "partners": ["Northmoor IDVA service"],
                    "target_date": "2027-03-31",
                    "stage": "in_progress",
                    "stage_label": "In progress",
                    "rag": "green",
                    "rag_label": "Green",
                    "rag_reason": "on track",
                    "overdue": False,
                    "milestones": [{"on": "2026-12-01", "text": "Briefing drafted"}],
                    "evidence": "",
                    "outcome": "",
                    "closed_reason": "",
                    "ended_on": None,
                    "last_update_on": "2026-12-01",
                    "created_on": "2026-11-02",
                    "version": 4,
                }
            ]
        }
    )

    id: uuid.UUID = Field(description="The action's id")
    plan_id: uuid.UUID = Field(description="The plan the action belongs to")
    recommendation_id: uuid.UUID | None = Field(description="The recommendation it carries out (reviews)")
    outcome_measure_id: uuid.UUID | None = Field(description="The outcome it works towards (priority plans)")
    number: str = Field(description="Its number in the plan, e.g. 2.1", examples=["2.1"])
    description: str = Field(description="What is to be done")
    lead_agency_id: uuid.UUID | None = Field(description="The agency that leads it")
    lead_agency: str = Field(description="The lead agency's name")
    owner_title: str = Field(description="The owner's job title (never a person's name)")
    owner_user_id: uuid.UUID | None = Field(description="The account of the named owner, if any")
    partners: list[str] = Field(description="Partner organisations involved")
    target_date: date = Field(description="When it should be done by")
    stage: Stage = Field(description="Its stage in workflows/action_plan.yaml")
    stage_label: str = Field(description="The stage in words")
    rag: RagName = Field(description="Its RAG rating today (plans/rag.py)")
    rag_label: str = Field(description="The RAG rating in words")
    rag_reason: str = Field(description="Which part of the RAG rule applied")
    overdue: bool = Field(description="Open and past its target date")
    milestones: list[MilestoneOut] = Field(description="Key milestones achieved, oldest first")
    evidence: str = Field(description="Evidence of completion (once complete)")
    outcome: str = Field(description="The outcome achieved (once complete)")
    closed_reason: str = Field(description="Why it was closed without being done")
    ended_on: date | None = Field(description="When it was completed or closed")
    last_update_on: date | None = Field(description="The date of the latest progress update")
    created_on: date = Field(description="When it was added")
    version: int = Field(ge=1, description="Send it back as expected_version when firing a trigger")


class ProgressOut(BaseModel):
    """One progress update of the lead agency on an action."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0193a1b2-0000-7000-8000-000000000001",
                    "action_id": "0193a1b2-0000-7000-8000-000000000002",
                    "agency_id": None,
                    "reported_on": "2026-11-20",
                    "note": "Briefing drafted and shared with team leaders; copy on file.",
                    "return_request_id": None,
                    "recorded_at": "2026-11-20T10:15:00Z",
                }
            ]
        }
    )

    id: uuid.UUID = Field(description="The update's id")
    action_id: uuid.UUID = Field(description="The action it reports on")
    agency_id: uuid.UUID | None = Field(description="The lead agency at the time of the update")
    reported_on: date = Field(description="The date of the update")
    note: str = Field(description="What progress has been made, and the evidence of it")
    return_request_id: uuid.UUID | None = Field(
        description="The agency's action-plan progress return the update answered, if there was one"
    )
    recorded_at: datetime = Field(description="When it was recorded")


class ActionDetailOut(ActionOut):
    """One action with its progress updates, oldest first."""

    progress: list[ProgressOut] = Field(description="The progress updates, oldest first")


class RecommendationOut(BaseModel):
    """A review's recommendation with the actions that carry it out."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0193a1b2-0000-7000-8000-000000000001",
                    "number": 1,
                    "text": "Every domestic abuse contact includes a DASH risk assessment.",
                    "level": "multi_agency",
                    "addressee": "All partner agencies",
                    "themes": ["risk_assessment"],
                    "created_on": "2026-06-01",
                    "actions": [],
                }
            ]
        }
    )

    id: uuid.UUID = Field(description="The recommendation's id")
    number: int = Field(ge=1, description="Its number in the plan")
    text: str = Field(description="The recommendation as the review made it")
    level: Level = Field(description="Single-agency, multi-agency or national")
    addressee: str = Field(description="Whom the recommendation is addressed to")
    themes: list[str] = Field(description="Theme codes of plans/themes.yaml")
    created_on: date = Field(description="When it was added")
    actions: list[ActionOut] = Field(description="Its actions (those you may see)")


class OutcomeMeasureOut(BaseModel):
    """An outcome measure of a priority plan with the actions that work towards it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0193a1b2-0000-7000-8000-000000000001",
                    "number": 1,
                    "text": "Fewer repeat victims of domestic abuse",
                    "measure": "Repeat referrals to MARAC within 12 months",
                    "baseline": "34% in 2025",
                    "target": "25% by 2028",
                    "actions": [],
                }
            ]
        }
    )

    id: uuid.UUID = Field(description="The outcome measure's id")
    number: int = Field(ge=1, description="Its number in the plan")
    text: str = Field(description="The outcome wanted")
    measure: str = Field(description="How it is measured")
    baseline: str = Field(description="Where things stand at the start")
    target: str = Field(description="Where they should be")
    actions: list[ActionOut] = Field(description="Its actions")


class PlanSummaryOut(BaseModel):
    """A plan in a list: a review's action plan or a CSP priority plan."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0f1e2d3c-4b5a-4968-8776-655443322110",
                    "kind": "review",
                    "plan_type": "action_plan",
                    "priority": "",
                    "priority_label": "",
                    "title": "Action plan of DHR-2026-003",
                    "case_ref": "DHR-2026-003",
                    "period_start": None,
                    "period_end": None,
                    "cadence_months": 3,
                    "next_review_on": "2027-02-25",
                    "last_reviewed_on": None,
                    "yearly_review_on": None,
                    "created_on": "2026-11-02",
                    "actions": 2,
                    "rag": {"red": 0, "amber": 1, "green": 1, "blue": 0},
                }
            ]
        }
    )

    id: uuid.UUID = Field(description="The plan's id")
    kind: PlanKind = Field(description="review (one case) or priority (the CSP's)")
    plan_type: str = Field(description="action_plan, strategy or tactical")
    priority: str = Field(description="The priority code (priority plans)")
    priority_label: str = Field(description="The priority in words (priority plans)")
    title: str = Field(description="The plan's title")
    case_ref: str | None = Field(description="The review's case reference (review plans)")
    period_start: date | None = Field(description="Start of the plan's period (priority plans)")
    period_end: date | None = Field(description="End of the plan's period (priority plans)")
    cadence_months: int = Field(ge=1, description="Progress is reviewed every so many months")
    next_review_on: date | None = Field(description="When the next monitoring review is due")
    last_reviewed_on: date | None = Field(description="When progress was last reviewed")
    yearly_review_on: date | None = Field(description="When the annual review is due (priority plans)")
    created_on: date = Field(description="When the plan was made")
    actions: int = Field(ge=0, description="How many actions you may see")
    rag: RagCounts = Field(description="Those actions by RAG rating")


class PlanOut(PlanSummaryOut):
    """One plan with its recommendations (reviews) or outcome measures (priority plans)."""

    recommendations: list[RecommendationOut] = Field(description="A review's recommendations")
    outcome_measures: list[OutcomeMeasureOut] = Field(description="A priority plan's outcome measures")


class DueItemOut(BaseModel):
    """Something to chase: a plan review due, or an open action past its target."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "overdue_action",
                    "plan_id": "0193a1b2-0000-7000-8000-000000000001",
                    "plan_title": "Violence against women and girls 2026 to 2029",
                    "due_on": "2026-10-31",
                    "days_late": 31,
                    "action_number": "2.1",
                    "lead_agency": "Northmoor Police",
                }
            ]
        }
    )

    kind: Literal["plan_review", "yearly_review", "overdue_action"] = Field(description="What is due")
    plan_id: uuid.UUID = Field(description="The plan concerned")
    plan_title: str = Field(description="The plan's title")
    due_on: date = Field(description="When it was or is due")
    days_late: int = Field(description="Days past due (negative: not due yet)")
    action_number: str = Field(description="The action's number (overdue actions)")
    lead_agency: str = Field(description="The action's lead agency (overdue actions)")


class TimingOut(BaseModel):
    """How long one stage took in the year, and how often it was on time."""

    key: str = Field(description="decision, completion or publication")
    label: str = Field(description="The stage in words")
    target: str = Field(description="The target in words")
    events: int = Field(ge=0, description="How many such events fell in the year")
    mean_days: float | None = Field(description="Mean calendar days taken")
    median_days: float | None = Field(description="Median calendar days taken")
    on_time: int = Field(ge=0, description="How many were on or before their deadline")
    share_on_time: float | None = Field(description="On time as a share of the events, in per cent")


class AgencyActionsOut(BaseModel):
    """Open and overdue actions of one lead agency at the year's end (or today)."""

    agency: str = Field(description="The lead agency's name")
    open: int = Field(ge=0, description="Open actions")
    overdue: int = Field(ge=0, description="Open actions past their target date")


class FigureRow(BaseModel):
    """One figure in flat form (as the exports have it)."""

    section: str = Field(description="Reviews, Timeliness, Pauses or Actions")
    measure: str = Field(description="What is counted")
    value: int | float | str | None = Field(description="The figure (none when there is nothing to count)")


class OversightOut(BaseModel):
    """The oversight figures of one CSP for one calendar year (plans/oversight.py defines each)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "csp": "Northmoor Community Safety Partnership",
                    "year": 2026,
                    "as_of": "2026-12-01",
                    "notified": 4,
                    "decided": 3,
                    "decided_to_review": 2,
                    "decided_no_review": 1,
                    "completed": 1,
                    "published": 1,
                    "timings": [],
                    "paused_days": {"criminal_trial": 121},
                    "paused_cases": 1,
                    "actions": [],
                    "rows": [],
                }
            ]
        }
    )

    csp: str = Field(description="The Community Safety Partnership's name")
    year: int = Field(description="The calendar year")
    as_of: date = Field(description="The figures are as at this day (the year's end, or today)")
    notified: int = Field(ge=0, description="Notifications received in the year")
    decided: int = Field(ge=0, description="Decisions made in the year")
    decided_to_review: int = Field(ge=0, description="Decisions to hold a review")
    decided_no_review: int = Field(ge=0, description="Decisions not to hold a review")
    completed: int = Field(ge=0, description="Reviews signed off in the year")
    published: int = Field(ge=0, description="Reviews published in the year")
    timings: list[TimingOut] = Field(description="Timeliness of each stage")
    paused_days: dict[str, int] = Field(description="Days paused in the year, by the kind of proceeding")
    paused_cases: int = Field(ge=0, description="Reviews paused in the year")
    actions: list[AgencyActionsOut] = Field(description="Open and overdue actions by lead agency")
    rows: list[FigureRow] = Field(description="Every figure in flat form, in the order of the exports")


class ThemeOut(BaseModel):
    """One theme of the taxonomy across the reviews' recommendations."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "theme": "risk_assessment",
                    "label": "Risk assessment",
                    "recommendations": 4,
                    "reviews": 2,
                    "open_actions": 3,
                    "review_refs": "DHR-2025-002, DHR-2026-004",
                }
            ]
        }
    )

    theme: str = Field(description="The theme code")
    label: str = Field(description="The theme in words")
    recommendations: int = Field(ge=0, description="Recommendations tagged with it")
    reviews: int = Field(ge=0, description="Reviews raising it")
    open_actions: int = Field(ge=0, description="Open actions of those recommendations")
    review_refs: str = Field(description="The case references of the reviews raising it")


class RepeatOut(BaseModel):
    """Two recommendations of different reviews that share a theme and are worded alike."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "themes": ["risk_assessment"],
                    "theme_labels": "Risk assessment",
                    "similarity": 0.62,
                    "first_ref": "DHR-2025-002",
                    "first_number": 3,
                    "first_text": "Agencies complete a DASH risk assessment at every domestic abuse contact.",
                    "second_ref": "DHR-2026-004",
                    "second_number": 1,
                    "second_text": "Every domestic abuse contact includes a DASH risk assessment.",
                }
            ]
        }
    )

    themes: list[str] = Field(description="The theme codes they share")
    theme_labels: str = Field(description="Those themes in words")
    similarity: float = Field(ge=0, le=1, description="Dice coefficient of their content words")
    first_ref: str = Field(description="The first review's case reference")
    first_number: int = Field(description="The first recommendation's number")
    first_text: str = Field(description="The first recommendation's text")
    second_ref: str = Field(description="The second review's case reference")
    second_number: int = Field(description="The second recommendation's number")
    second_text: str = Field(description="The second recommendation's text")


def _effective_on(what: str) -> Any:
    """The optional date a change took effect, within the dates the API accepts."""
    return Field(default=None, ge=EARLIEST, le=LATEST, description=f"{what} (default today) {DATE_RANGE}")


# --- what is sent -------------------------------------------------------------------------------


class ReviewPlanIn(BaseModel):
    """Start the action plan of a review (one per case)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"cadence_months": 3}]})

    cadence_months: int = Field(default=3, ge=1, le=12, description="Review progress every so many months")
    effective_on: date | None = _effective_on("When the plan was made")


class PriorityPlanIn(BaseModel):
    """Create a CSP priority plan (strategy or tactical) for a period."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "priority": "county_lines",
                    "plan_type": "strategy",
                    "period_start": "2026-04-01",
                    "period_end": "2029-03-31",
                }
            ]
        },
    )

    csp_id: uuid.UUID | None = Field(
        default=None, description="The Community Safety Partnership (default: the one of your account)"
    )
    priority: str = Field(
        min_length=1, max_length=60, description="A short code such as county_lines", examples=["vawg"]
    )
    plan_type: PriorityPlanType = Field(description="strategy or tactical")
    period_start: date = Field(ge=EARLIEST, le=LATEST, description=f"Start of the period {DATE_RANGE}")
    period_end: date = Field(ge=EARLIEST, le=LATEST, description=f"End of the period {DATE_RANGE}")
    title: str = Field(default="", max_length=200, description="The title (default: from the priority)")
    cadence_months: int = Field(default=3, ge=1, le=12, description="Review progress every so many months")
    effective_on: date | None = _effective_on("When the plan was made")


class ActionIn(BaseModel):
    """An action: what is to be done, which agency leads it, by when."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "description": "Issue a force-wide briefing on MARAC referral",
                    "lead_agency_id": "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
                    "target_date": "2027-03-31",
                    "owner_title": "Head of safeguarding",
                }
            ]
        },
    )

    description: str = Field(min_length=1, max_length=2000, description="What is to be done")
    lead_agency_id: uuid.UUID = Field(description="The agency that leads it")
    target_date: date = Field(ge=EARLIEST, le=LATEST, description=f"When it should be done by {DATE_RANGE}")
    owner_title: str = Field(default="", max_length=200, description="The owner's job title, not a name")
    owner_user_id: uuid.UUID | None = Field(
        default=None, description="A named owner's account (acts as the action's agency manager)"
    )
    partners: list[PartnerName] = Field(
        default_factory=list, max_length=20, description="Partner organisations involved (up to 20)"
    )


class RecommendationIn(BaseModel):
    """A review's recommendation, added together with the actions that carry it out."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "Police should refer every high-risk victim to MARAC within one working day.",
                    "level": "single_agency",
                    "addressee": "Northmoor Police",
                    "themes": ["risk_assessment"],
                    "actions": [
                        {
                            "description": "Issue a force-wide briefing on MARAC referral",
                            "lead_agency_id": "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
                            "target_date": "2027-03-31",
                        }
                    ],
                }
            ]
        },
    )

    text: str = Field(min_length=1, max_length=2000, description="The recommendation as the review made it")
    level: Level = Field(description="single_agency, multi_agency or national")
    addressee: str = Field(default="", max_length=200, description="Whom it is addressed to")
    themes: list[ThemeCode] = Field(
        default_factory=list, max_length=20, description="Theme codes of plans/themes.yaml (up to 20)"
    )
    actions: list[ActionIn] = Field(
        min_length=1, max_length=50, description="The actions that carry it out (at least one)"
    )
    effective_on: date | None = _effective_on("When it was added")


class OutcomeMeasureIn(BaseModel):
    """An outcome measure of a priority plan."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "Fewer young people exploited", "target": "20% fewer"}]},
    )

    text: str = Field(min_length=1, max_length=1000, description="The outcome wanted")
    measure: str = Field(default="", max_length=500, description="How it is measured")
    baseline: str = Field(default="", max_length=200, description="Where things stand at the start")
    target: str = Field(default="", max_length=200, description="Where they should be")


class NewActionIn(ActionIn):
    """An action added to a plan: under a recommendation (reviews) or an outcome measure (priority)."""

    recommendation_id: uuid.UUID | None = Field(
        default=None, description="The recommendation it carries out (a review's plan)"
    )
    outcome_measure_id: uuid.UUID | None = Field(
        default=None, description="The outcome measure it works towards (a priority plan)"
    )
    effective_on: date | None = _effective_on("When it was added")


class ActionFireIn(BaseModel):
    """Move an action on: agree, start, complete (with evidence) or close_not_done (with a reason)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"expected_version": 3, "evidence": "Briefing issued; copy on file"}]
        },
    )

    expected_version: int | None = Field(
        default=None, ge=1, description="The action version you read; 409 if it has moved on"
    )
    reason: str = Field(default="", max_length=2000, description="Why (needed to close an action not done)")
    evidence: str = Field(
        default="", max_length=4000, description="Evidence of completion (needed to complete)"
    )
    outcome: str = Field(default="", max_length=2000, description="The outcome achieved (on completion)")
    effective_on: date | None = _effective_on("When it happened")


class TargetIn(BaseModel):
    """Move an open action's target date, saying why."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"target_date": "2027-06-30", "reason": "Training postponed"}]},
    )

    target_date: date = Field(ge=EARLIEST, le=LATEST, description=f"The new target date {DATE_RANGE}")
    reason: str = Field(min_length=1, max_length=2000, description="Why the target date changes")


class MilestoneIn(BaseModel):
    """A key milestone achieved in carrying out the action."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "Briefing drafted", "achieved_on": "2026-11-20"}]},
    )

    text: str = Field(min_length=1, max_length=500, description="What was achieved")
    achieved_on: date = Field(ge=EARLIEST, le=LATEST, description=f"When it was achieved {DATE_RANGE}")


class ProgressIn(BaseModel):
    """The lead agency's progress update on an open action, with the evidence of it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"note": "Briefing issued to 400 officers; attendance log held by training"}]
        },
    )

    note: str = Field(
        min_length=1, max_length=4000, description="What progress has been made, and the evidence of it"
    )
    reported_on: date | None = Field(
        default=None,
        ge=EARLIEST,
        le=LATEST,
        description=f"The date of the update (default today) {DATE_RANGE}",
    )


class PlanReviewIn(BaseModel):
    """Record a periodic monitoring review of a plan; the next falls one cadence later."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reviewed_on": "2026-11-20"}]})

    reviewed_on: date | None = Field(
        default=None,
        ge=EARLIEST,
        le=LATEST,
        description=f"The date of the review (default today) {DATE_RANGE}",
    )
    yearly: bool = Field(default=False, description="The annual review of a priority plan")
