"""Agencies and user accounts (administration)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

GlobalRoleName = Literal["admin", "csp_officer", "csp_chair"]
AgencyKind = Literal["police", "health", "council", "probation", "charity", "other"]


class AgencyOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                    "name": "Northmoor Police",
                    "kind": "police",
                    "email": "northmoor_police@agency.example",
                    "senior_manager_email": "northmoor_police.manager@agency.example",
                    "csp_id": None,
                }
            ]
        }
    )

    id: uuid.UUID
    name: str
    kind: str
    email: str
    senior_manager_email: str
    csp_id: uuid.UUID | None


class AgencyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "Northmoor Fire Service", "kind": "other"}]}
    )

    name: str = Field(min_length=1, max_length=200)
    kind: AgencyKind = "other"
    email: str = Field(default="", max_length=200)
    senior_manager_email: str = Field(default="", max_length=200)


class AgencyPatch(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"email": "dhr@police.example"}]}
    )

    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: AgencyKind | None = None
    email: str | None = Field(default=None, max_length=200)
    senior_manager_email: str | None = Field(default=None, max_length=200)


class UserOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "6f1c1a7e-2b9f-4c53-9f59-3f8f6a3f0b11",
                    "username": "police.author",
                    "display_name": "Paula Police (IMR author)",
                    "email": "police.author@northmoor.example",
                    "global_roles": [],
                    "agency_id": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                    "csp_id": None,
                    "is_active": True,
                    "locked": False,
                    "created_at": "2026-11-01T09:00:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    username: str
    display_name: str
    email: str
    global_roles: list[str]
    agency_id: uuid.UUID | None
    csp_id: uuid.UUID | None
    is_active: bool
    locked: bool = Field(description="Waiting to sign in from at least one address after wrong passwords")
    created_at: datetime


class UserIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "username": "probation.author",
                    "display_name": "Priya Probation",
                    "email": "priya@probation.example",
                    "password": "Correct-Horse-42",
                    "global_roles": [],
                    "agency_id": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                }
            ]
        },
    )

    username: str = Field(min_length=2, max_length=80, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    display_name: str = Field(min_length=1, max_length=200)
    email: str = Field(default="", max_length=200)
    password: str = Field(min_length=1, max_length=200, description="Never returned or logged")
    global_roles: list[GlobalRoleName] = Field(default_factory=list, max_length=3)
    agency_id: uuid.UUID | None = None


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"is_active": False}]})

    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=200)
    global_roles: list[GlobalRoleName] | None = Field(default=None, max_length=3)
    agency_id: uuid.UUID | None = None
    is_active: bool | None = None
    unlock: bool = Field(
        default=False,
        description="Clear the account's lockout, from every address, after repeated wrong passwords",
    )


class PasswordIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"password": "Another-Secret-77"}]}
    )

    password: str = Field(min_length=1, max_length=200, description="Never returned or logged")
