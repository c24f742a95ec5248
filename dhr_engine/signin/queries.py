"""Reads of the sign-in records for the administrator's page and API: newest first, a page at a time.

Who may read them is checked by the caller (Action.USERS_MANAGE: administrators only).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from dhr_engine.errors import ValidationFailed
from dhr_engine.persistence.tables import User
from dhr_engine.persistence.tables_signin import INTERFACES, OUTCOMES, SignInRecord
from dhr_engine.web.templating import show_datetime

UNKNOWN_NAME_LABEL = "Unknown name"


@dataclass(frozen=True)
class SignInRow:
    """One attempt or sign-out as the administrator sees it."""

    id: uuid.UUID
    at: datetime
    outcome: str
    interface: str
    source: str
    user_id: uuid.UUID | None
    username: str  # "" for a name that is no account's

    @property
    def when(self) -> str:
        """25 November 2026 at 14:05 (Europe/London)."""
        return show_datetime(self.at)

    @property
    def outcome_label(self) -> str:
        return OUTCOMES.get(self.outcome, self.outcome)

    @property
    def interface_label(self) -> str:
        return INTERFACES.get(self.interface, self.interface)

    @property
    def name_label(self) -> str:
        return self.username or UNKNOWN_NAME_LABEL

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "when": self.when,
            "outcome": self.outcome,
            "outcome_label": self.outcome_label,
            "interface": self.interface,
            "interface_label": self.interface_label,
            "source": self.source,
            "user_id": self.user_id,
            "username": self.username or None,
        }


@dataclass(frozen=True)
class SignInPage:
    rows: list[SignInRow]
    total: int


def list_sign_ins(session: Session, *, username: str = "", limit: int = 50, offset: int = 0) -> SignInPage:
    """Sign-in attempts and sign-outs, of one account if `username` is given, newest first.

    An unknown user name is a ValidationFailed naming the filter ("user"), not an empty list."""
    query = select(SignInRecord)
    username = username.strip()
    if username:
        user_id = session.exec(select(User.id).where(User.username == username)).first()
        if user_id is None:
            raise ValidationFailed("there is no user with this user name", field="user")
        query = query.where(SignInRecord.user_id == user_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    found = session.exec(
        query.order_by(col(SignInRecord.at).desc(), col(SignInRecord.id).desc()).limit(limit).offset(offset)
    ).all()
    rows = [
        SignInRow(
            id=r.id,
            at=r.at,
            outcome=r.outcome,
            interface=r.interface,
            source=r.source,
            user_id=r.user_id,
            username=r.username,
        )
        for r in found
    ]
    return SignInPage(rows, int(total))
