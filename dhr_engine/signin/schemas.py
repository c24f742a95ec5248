"""Sign-in and who-am-I bodies."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class TokenOut(BaseModel):
    """A short-lived bearer token (OAuth2 password flow)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.c2lnbmF0dXJl",
                    "token_type": "bearer",
                    "expires_in": 1800,
                    "expires_at": "2026-11-25T10:30:00Z",
                }
            ]
        }
    )

    access_token: str
    token_type: str = Field(default="bearer", examples=["bearer"])
    expires_in: int = Field(description="Seconds until the token expires", examples=[1800])
    expires_at: datetime


class AgencyRef(BaseModel):
    id: uuid.UUID
    name: str = Field(examples=["Northmoor Police"])


class MeOut(BaseModel):
    """The signed-in user, their global roles and what those roles allow."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "6f1c1a7e-2b9f-4c53-9f59-3f8f6a3f0b11",
                    "username": "officer",
                    "display_name": "Olivia Officer (DHR coordinator)",
                    "email": "officer@northmoor.example",
                    "global_roles": ["csp_officer"],
                    "agency": None,
                    "allowed_actions": ["case:list", "case:open"],
                }
            ]
        }
    )

    id: uuid.UUID
    username: str
    display_name: str
    email: str
    global_roles: list[str]
    agency: AgencyRef | None = None
    allowed_actions: list[str] = Field(
        description="Actions the user's global roles allow anywhere; roles on a case may allow more"
    )
