"""Case bodies: list items, one case, opening one, triggers, firing, timeline, deadlines, people."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dhr_engine.deadlines.schemas import AGENCY_DESCRIPTION, DeadlineAgencyOut

CaseRoleName = Literal[
    "independent_chair", "overview_author", "panel_member", "agency_author", "agency_manager"
]
PersonRole = Literal["victim", "perpetrator", "family", "friend", "other"]
Precision = Literal["day", "month", "year"]
ReviewType = Literal["dhr", "dardr"]
DeathType = Literal["homicide", "suicide", "other"]
CriminalStatus = Literal["none", "investigation", "charged", "trial", "concluded"]

CASE_EXAMPLE: dict[str, Any] = {
    "id": "0b6f5e1c-7f1e-4f0a-9a51-2d0f6b8f1a22",
    "ref": "DHR-2026-003",
    "title": "Carol - Northmoor - 2026 - DHR",
    "review_type": "dhr",
    "workflow_key": "dhr",
    "workflow_version": "2016.1",
    "stage": "decision_pending",
    "stage_label": "Awaiting the CSP chair's decision",
    "stage_entered_on": "2026-11-19",
    "version": 3,
    "notified_on": "2026-11-05",
    "date_of_death": "2026-10-31",
    "date_of_death_precision": "month",
    "police_force_area": "Northmoor",
    "closed_on": None,
    "my_roles": ["csp_officer"],
    "next_due": "2026-12-05",
    "overdue": False,
}


class CaseSummary(BaseModel):
    """A case in a list."""

    model_config = ConfigDict(json_schema_extra={"examples": [CASE_EXAMPLE]})

    id: uuid.UUID
    ref: str
    title: str
    review_type: str
    stage: str
    stage_label: str
    version: int
    notified_on: date
    closed_on: date | None
    my_roles: list[str] = Field(description="Your global roles and your roles on this case")
    next_due: date | None = Field(description="The earliest open deadline that is not paused")
    overdue: bool


class CaseOut(BaseModel):
    """One case, with only the fields your role may read (summary only for case staff)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{**CASE_EXAMPLE, "summary": "Police notification"}]}
    )

    id: uuid.UUID
    ref: str
    title: str
    review_type: str
    workflow_key: str
    workflow_version: str
    stage: str
    stage_label: str
    stage_entered_on: date
    version: int = Field(description="Send it back as expected_version when firing a trigger")
    notified_on: date
    date_of_death: date | None
    date_of_death_precision: str
    police_force_area: str
    closed_on: date | None
    summary: str | None = Field(default=None, description="Left out for agency roles")
    my_roles: list[str]
    next_due: date | None
    overdue: bool


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: PersonRole
    pseudonym: str = Field(min_length=1, max_length=100, examples=["Carol"])
    real_name: str = Field(default="", max_length=200)
    date_of_birth: date | None = None
    age_at_death: int | None = Field(default=None, ge=0, le=130)
    sex: str = Field(default="", max_length=30)
    relationship: str = Field(default="", max_length=100)


NOTIFICATION_EXAMPLE: dict[str, Any] = {
    "notifier_organisation": "Northmoor Police",
    "notifier_name": "DS Alex Morgan",
    "place_of_death": "Northmoor town centre",
    "death_type": "homicide",
    "sio_name": "DI Priya Shah",
    "sio_force": "Northmoor Police",
    "sio_contact": "priya.shah@police.example",
    "criminal_status": "charged",
    "children_involved": True,
    "children_count": 2,
}


class NotificationFactsIn(BaseModel):
    """What the notification said: who notified, the death, the investigation, the children.

    Every fact is optional; the place of death is a town or area, never an address.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [NOTIFICATION_EXAMPLE]})

    notifier_organisation: str = Field(default="", max_length=200, description="Who notified the CSP")
    notifier_name: str = Field(default="", max_length=200, description="The person who notified")
    place_of_death: str = Field(default="", max_length=200, description="A town or area, not an address")
    death_type: DeathType | None = None
    sio_name: str = Field(default="", max_length=200, description="Senior investigating officer")
    sio_force: str = Field(default="", max_length=200)
    sio_contact: str = Field(default="", max_length=200, description="The officer's work e-mail or phone")
    criminal_status: CriminalStatus | None = None
    children_involved: bool | None = None
    children_count: int | None = Field(default=None, ge=1, le=30, description="Only if children are involved")


class NotificationFactsOut(BaseModel):
    """The notification facts of a case (for case staff)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **NOTIFICATION_EXAMPLE,
                    "notified_on": "2026-11-05",
                    "date_of_death": "2026-10-31",
                    "version": 3,
                }
            ]
        }
    )

    notified_on: date
    date_of_death: date | None
    version: int = Field(description="Send it back as expected_version when changing the facts")
    notifier_organisation: str
    notifier_name: str
    place_of_death: str
    death_type: DeathType | None
    sio_name: str
    sio_force: str
    sio_contact: str
    criminal_status: CriminalStatus | None
    children_involved: bool | None
    children_count: int | None


class NotificationFactsPatch(NotificationFactsIn):
    """Change some notification facts: only the fields sent are changed."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"expected_version": 3, "criminal_status": "trial"}]},
    )

    expected_version: int = Field(description="The version of the case you saw")
    date_of_death: date | None = None


class CaseOpenIn(BaseModel):
    """A notification of a death: opens a case and starts the decision clock."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "notified_on": "2026-11-20",
                    "review_type": "dhr",
                    "date_of_death": "2026-11-14",
                    "date_of_death_precision": "day",
                    "summary": "Police notification received",
                    "people": [
                        {"role": "victim", "pseudonym": "Jane"},
                        {"role": "perpetrator", "pseudonym": "the perpetrator"},
                    ],
                    "notification": NOTIFICATION_EXAMPLE,
                }
            ]
        },
    )

    notified_on: date = Field(description="When the CSP was told of the death (not in the future)")
    review_type: ReviewType = "dhr"
    date_of_death: date | None = None
    date_of_death_precision: Precision = "day"
    police_force_area: str = Field(default="", max_length=100)
    summary: str = Field(default="", max_length=4000)
    workflow_version: str | None = Field(default=None, max_length=40, examples=["2016.1"])
    people: list[PersonIn] = Field(default_factory=list, max_length=50)
    notification: NotificationFactsIn = Field(
        default_factory=NotificationFactsIn, description="Who notified, the death, the investigation"
    )


class PersonOut(BaseModel):
    """A person of the case. Real identity fields are present only for roles that may read them."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a",
                    "role": "victim",
                    "pseudonym": "Carol",
                    "age_at_death": 34,
                    "sex": "female",
                    "relationship": "",
                }
            ]
        }
    )

    id: uuid.UUID
    role: str
    pseudonym: str
    age_at_death: int | None
    sex: str
    relationship: str
    real_name: str | None = Field(
        default=None, description="Restricted: left out unless your role may read it"
    )
    date_of_birth: date | None = Field(default=None, description="Restricted")
    address: str | None = Field(default=None, description="Restricted")
    contact_details: str | None = Field(default=None, description="Restricted")


class TriggerOut(BaseModel):
    """A trigger of the case's current stage as you see it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "trigger": "decide_to_review",
                    "label": "Decide to hold a review",
                    "dest": "review_decided",
                    "permitted": True,
                    "can_fire": True,
                    "blocked_by": [],
                    "requires_reason": False,
                }
            ]
        }
    )

    trigger: str
    label: str
    dest: str
    permitted: bool = Field(description="Your roles allow it")
    can_fire: bool = Field(description="Permitted and no guard blocks it now")
    blocked_by: list[str] = Field(description="The guards that fail now")
    requires_reason: bool


class FireIn(BaseModel):
    """Fire a trigger: say which version of the case you saw, and why."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"expected_version": 3, "reason": "Criteria met", "effective_on": None}]
        },
    )

    expected_version: int = Field(ge=1, description="The case version you read; 409 if it has moved on")
    reason: str = Field(default="", max_length=2000)
    effective_on: date | None = Field(default=None, description="When it happened (default today)")
    payload: dict[str, str | int | bool | None] = Field(default_factory=dict, max_length=20)


class VersionedIn(BaseModel):
    """A change to a case that needs the version you read and a reason."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"expected_version": 7, "reason": "Trial listed"}]}
    )

    expected_version: int = Field(ge=1)
    reason: str = Field(default="", max_length=2000)
    effective_on: date | None = None


class EventOut(BaseModel):
    """One audit event (agency roles see stage moves only)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "seq": 4,
                    "kind": "stage_changed",
                    "actor_label": "Charles Chambers (CSP chair)",
                    "effective_on": "2026-11-20",
                    "recorded_at": "2026-11-20T10:00:00Z",
                    "data": {
                        "trigger": "decide_to_review",
                        "from_stage": "decision_pending",
                        "to_stage": "review_decided",
                    },
                    "hash": "4f1c...",
                }
            ]
        }
    )

    seq: int
    kind: str
    actor_label: str
    effective_on: date
    recorded_at: datetime
    data: dict[str, Any]
    hash: str


class DeadlineOut(BaseModel):
    """A deadline and why it falls when it does."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "9a0e3f5c-1d2b-4e6f-8a7b-0c1d2e3f4a5b",
                    "key": "csp_decision",
                    "label": "CSP chair decides whether to hold a review",
                    "status": "open",
                    "owner_role": "csp_chair",
                    "subject_type": None,
                    "subject_id": None,
                    "anchor_on": "2026-11-05",
                    "statutory_due": "2026-12-05",
                    "adjusted_due": "2026-12-05",
                    "due": "5 December 2026",
                    "overdue": False,
                    "explanation": [
                        "Rule: 1 calendar month from notification received",
                        "Statutory due date: 5 December 2026",
                    ],
                    "agency": None,
                }
            ]
        }
    )

    id: uuid.UUID
    key: str
    label: str
    status: str
    owner_role: str
    subject_type: str | None
    subject_id: uuid.UUID | None
    anchor_on: date
    statutory_due: date
    adjusted_due: date | None = Field(description="None while paused")
    due: str = Field(description="The due date in words, or why there is none")
    overdue: bool
    explanation: list[str]
    agency: DeadlineAgencyOut | None = Field(default=None, description=AGENCY_DESCRIPTION)
