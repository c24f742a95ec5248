"""Case membership bodies of the JSON API."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from dhr_engine.cases.schemas import CaseRoleName


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
