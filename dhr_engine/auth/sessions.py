"""Ending an account's web sessions: its session version goes up by one.

The web session cookie carries the version the account had at sign-in (dhr_engine/web/session.py),
and every request compares it with the account's (dhr_engine/web/deps.py): a cookie with an older
version is signed out, wherever it was copied to. The version goes up when the user signs out, when
their password is set or reset, when their roles or agency change (on the account or a case) and
when the account is deactivated. So "sign out" signs the user out in every browser.

API tokens are not bound to it: they are short-lived, the account (active, password, roles,
agency) is read again on every call, and a new password already ends them (dhr_engine/auth/tokens.py).
"""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlmodel import Session, col

from dhr_engine.persistence.tables import User


def end_sessions(session: Session, user_id: uuid.UUID) -> None:
    """End every web session of this account, in the caller's transaction (one UPDATE, so two at
    once both count; an account that is gone changes nothing)."""
    session.exec(
        update(User).where(col(User.id) == user_id).values(session_version=col(User.session_version) + 1)
    )
