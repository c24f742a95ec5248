"""Members, parallel proceedings and the family engagement log."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dhr_engine.api.schemas.cases import CaseRoleName

ProceedingKind = Literal["criminal_trial", "inquest", "iopc", "other"]
FamilyKind = Literal[
    "first_letter_sent",
    "contact",
    "leaflet_sent",
    "advocacy_offered",
    "advocacy_accepted",
    "advocacy_declined",
    "meeting",
    "draft_shared",
    "comments_received",
    "pseudonym_agreed",
    "publication_date_told",
]


class MemberOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "3b1f0c52-6d7e-4f80-9a1b-2c3d4e5f6a7b",
                    "user_id": "6f1c1a7e-2b9f-4c53-9f59-3f8f6a3f0b11",
                    "username": "chair",
                    "display_name": "Indira Independent (independent chair)",
                    "role": "independent_chair",
                    "agency_id": None,
                    "added_at": "2026-11-20T10:00:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    user_id: uuid.UUID
    username: str
    display_name: str
    role: str
    agency_id: uuid.UUID | None
    added_at: datetime


class MemberIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"username": "chair", "role": "independent_chair"}]}
    )

    username: str = Field(min_length=1, max_length=80)
    role: CaseRoleName


class MemberRoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"role": "panel_member"}]})

    role: CaseRoleName


class ProceedingOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
                    "kind": "criminal_trial",
                    "body": "Northmoor Crown Court",
                    "reference": "T2026-0001",
                    "started_on": "2026-07-28",
                    "concluded_on": None,
                    "pauses_review": True,
                    "note": "",
                }
            ]
        }
    )

    id: uuid.UUID
    kind: str
    body: str
    reference: str
    started_on: date
    concluded_on: date | None
    pauses_review: bool
    note: str | None = Field(default=None, description="Left out for agency roles and panel members")


class ProceedingIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"kind": "criminal_trial", "started_on": "2026-11-02", "body": "Crown Court"}]
        },
    )

    kind: ProceedingKind
    started_on: date
    body: str = Field(default="", max_length=200)
    reference: str = Field(default="", max_length=100)
    note: str = Field(default="", max_length=2000)
    pauses_review: bool = True


class ConcludeIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"concluded_on": "2026-11-24", "outcome": "Verdict given"}]},
    )

    concluded_on: date
    outcome: str = Field(default="", max_length=2000)


class FamilyEntryOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
                    "kind": "first_letter_sent",
                    "kind_label": "First letter and Home Office leaflet sent",
                    "occurred_on": "2026-11-10",
                    "person_id": None,
                    "note": "",
                    "recorded_at": "2026-11-10T09:00:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    kind: str
    kind_label: str
    occurred_on: date
    person_id: uuid.UUID | None
    note: str
    recorded_at: datetime


class FamilyEntryIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"kind": "advocacy_offered", "occurred_on": "2026-11-20", "note": "AAFDA"}]
        },
    )

    kind: FamilyKind
    occurred_on: date
    note: str = Field(default="", max_length=4000)
    person_id: uuid.UUID | None = None
