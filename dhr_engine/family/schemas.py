"""The family engagement log bodies of the JSON API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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
