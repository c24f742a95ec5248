"""Parallel proceedings bodies of the JSON API."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ProceedingKind = Literal["criminal_trial", "inquest", "iopc", "other"]


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
