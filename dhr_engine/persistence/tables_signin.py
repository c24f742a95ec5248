"""Tables of signing in: the record of every attempt and sign-out, and the lockout's failure counts.

- `SignInRecord` (table `sign_in_record`): one row per sign-in attempt (web page or API token) and
  per sign-out: when, from which address, through which interface, and what came of it. The
  account is named (user_id, username) only when the typed name is an account's; for an unknown
  name nothing typed is kept, only the outcome "unknown_name". The administrator reads it
  (/admin/sign-ins, GET /api/v1/admin/sign-ins, `dhr user sign-ins`); it is never written to the
  ordinary logs.
- `SignInLock` (table `sign_in_lock`): the lockout's count of wrong passwords per (source, key),
  where the source is the client's address (an IPv6 address counts by its /64 network) and the key
  is "*" for every failure from that source (a source spraying many accounts), "user:<id>" for one
  account's failures from it, or "name:<digest>" for one unknown name's (so an unknown name is
  slowed and locked exactly as an account is, and the lockout never tells whether a name exists).
  The digest is an HMAC of the typed name under the secret key, kept only while its count lasts.
  Failures from one address never lock an account for anyone at another address.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from dhr_engine.persistence.tables import new_id, utcnow

SIGNED_IN = "signed_in"
WRONG_PASSWORD = "wrong_password"
UNKNOWN_NAME = "unknown_name"
ACCOUNT_DISABLED = "account_disabled"
LOCKED = "locked"  # refused unheard: too many wrong passwords for this name from this address
SOURCE_LOCKED = "source_locked"  # refused unheard: too many wrong passwords from this address
SIGNED_OUT = "signed_out"

# Every outcome, as the administrator reads it.
OUTCOMES: Mapping[str, str] = {
    SIGNED_IN: "Signed in",
    WRONG_PASSWORD: "Wrong password",
    UNKNOWN_NAME: "Unknown user name",
    ACCOUNT_DISABLED: "Account disabled",
    LOCKED: "Refused: too many attempts at this name from this address",
    SOURCE_LOCKED: "Refused: too many attempts from this address",
    SIGNED_OUT: "Signed out",
}

WEB = "web"
API = "api"
INTERFACES: Mapping[str, str] = {WEB: "Web page", API: "API"}

SOURCE_LENGTH = 64  # an IPv6 address is at most 45 characters
EVERY_NAME = "*"  # the key of a source's count over every name


class SignInRecord(SQLModel, table=True):
    """One sign-in attempt or sign-out: never a password, and a typed name only if it is an account's."""

    __tablename__ = "sign_in_record"
    __table_args__ = (
        Index("ix_sign_in_record_at", "at", "id"),
        Index("ix_sign_in_record_user", "user_id", "at"),
    )
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    outcome: str = Field(max_length=20)  # a key of OUTCOMES
    interface: str = Field(max_length=10)  # web | api
    source: str = Field(max_length=SOURCE_LENGTH)  # the client's address
    user_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    username: str = Field(default="", max_length=80)  # the account's name; "" for an unknown name


class SignInLock(SQLModel, table=True):
    """The wrong passwords counted for one (source, key) since `window_from`, and any wait imposed."""

    __tablename__ = "sign_in_lock"
    __table_args__ = (
        UniqueConstraint("source", "key", name="uq_sign_in_lock_source_key"),
        Index("ix_sign_in_lock_user", "user_id"),
    )
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    source: str = Field(max_length=SOURCE_LENGTH)
    key: str = Field(max_length=80)  # "*", "user:<id>" or "name:<digest>"
    user_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")  # "user:" keys only
    failures: int = 0
    window_from: datetime = Field(default_factory=utcnow)  # when this count began
    locked_until: datetime | None = None  # no attempt is heard before this
