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


class SignInRecordOut(BaseModel):
    """One sign-in attempt or sign-out (administrators only): never a password, and a typed name
    only when it is an account's."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01937a4e-2b9f-7c53-9f59-3f8f6a3f0b11",
                    "at": "2026-11-25T14:05:00Z",
                    "when": "25 November 2026 at 14:05",
                    "outcome": "wrong_password",
                    "outcome_label": "Wrong password",
                    "interface": "web",
                    "interface_label": "Web page",
                    "source": "203.0.113.7",
                    "user_id": "6f1c1a7e-2b9f-4c53-9f59-3f8f6a3f0b11",
                    "username": "officer",
                }
            ]
        }
    )

    id: uuid.UUID
    at: datetime
    when: str = Field(description="When, as people read it (Europe/London)")
    outcome: str = Field(
        description="signed_in, wrong_password, unknown_name, account_disabled, locked (too many "
        "attempts at this name from this address), source_locked (too many from this address) or "
        "signed_out",
        examples=["wrong_password"],
    )
    outcome_label: str = Field(examples=["Wrong password"])
    interface: str = Field(description="web or api", examples=["web"])
    interface_label: str = Field(examples=["Web page"])
    source: str = Field(description="The client's address", examples=["203.0.113.7"])
    user_id: uuid.UUID | None = Field(default=None, description="The account; none for an unknown name")
    username: str | None = Field(
        default=None, description="The account's user name; none for an unknown name"
    )
