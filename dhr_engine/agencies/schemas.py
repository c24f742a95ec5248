"""Bodies of the agency contacts API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ContactKindName = Literal["spoc", "imr_author", "senior_manager"]


class ContactOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "3b1f0c52-6d7e-4f80-9a1b-2c3d4e5f6a7b",
                    "agency_id": "6f1c1a7e-2b9f-4c53-9f59-3f8f6a3f0b11",
                    "user_id": "0a1c1a7e-2b9f-4c53-9f59-3f8f6a3f0b22",
                    "username": "police.author",
                    "display_name": "Paula Police (IMR author)",
                    "kind": "imr_author",
                    "kind_label": "IMR author",
                    "added_at": "2026-11-20T10:00:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    agency_id: uuid.UUID
    user_id: uuid.UUID
    username: str
    display_name: str
    kind: str
    kind_label: str
    added_at: datetime


class ContactIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"username": "police.author", "kind": "imr_author"}]}
    )

    username: str = Field(min_length=1, max_length=80, description="A user account of this agency")
    kind: ContactKindName
