"""The read log's body in the JSON API (administration)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ReadKindName = Literal[
    "real_names",
    "family_log",
    "chronology",
    "return_version",
    "attachment",
    "merged_chronology",
    "merged_chronology_export",
    "family_letter",
    "named_letter",
]


class ReadOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0192f1c4-7b7e-7c3a-9d4e-5f6a7b8c9d0e",
                    "read_at": "2026-11-25T14:05:00Z",
                    "when": "25 November 2026 at 14:05",
                    "user_id": "0192f1c4-7b7e-7c3a-9d4e-000000000001",
                    "username": "chair",
                    "user_label": "Dr Ruth Adeyemi (independent chair)",
                    "kind": "family_log",
                    "kind_label": "Family engagement log",
                    "case_id": "0192f1c4-7b7e-7c3a-9d4e-000000000002",
                    "case_ref": "DHR-2026-004",
                    "record_id": None,
                    "interface": "web",
                    "interface_label": "Web",
                }
            ]
        }
    )

    id: uuid.UUID
    read_at: datetime
    when: str = Field(description="When it was read, as people read it (Europe/London)")
    user_id: uuid.UUID | None = Field(description="Who read it (none: the console operator)")
    username: str
    user_label: str
    kind: ReadKindName
    kind_label: str
    case_id: uuid.UUID
    case_ref: str
    record_id: uuid.UUID | None = Field(
        description="The letter, attachment or return read (none: the case's whole list)"
    )
    interface: Literal["web", "api", "cli"]
    interface_label: str
