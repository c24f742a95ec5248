"""Sign-in with a lockout: repeated wrong passwords are slowed, then the account is locked.

Kept on the user row (failed_logins, locked_until), so it holds across processes and restarts:
- after SLOW_AFTER wrong passwords in a row, each further attempt must wait a little longer
  (2, 4, ... seconds) before the password is even checked;
- after MAX_FAILURES in a row the account is locked for LOCK_MINUTES.
While an account is waiting or locked the password is not checked at all, and the answer never says
whether the user name exists. A correct password clears the count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from dhr_engine.auth.passwords import verify_password
from dhr_engine.context import AppContext
from dhr_engine.persistence.tables import User

SLOW_AFTER = 3
MAX_FAILURES = 5
LOCK_MINUTES = 15
WRONG = "Enter a correct user name and password"
LOCKED = f"Too many attempts: this account is locked for {LOCK_MINUTES} minutes. Try again later"
SLOWED = "Too many attempts: wait a few seconds and try again"


@dataclass(frozen=True)
class SignInResult:
    """The user (detached) on success; otherwise the problem and how long to wait."""

    user: User | None
    problem: str = ""
    retry_after: int = 0  # seconds; 0 when the caller may try again at once

    @property
    def ok(self) -> bool:
        return self.user is not None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def backoff_seconds(failures: int) -> int:
    """How long to wait after this many wrong passwords in a row (0: no wait)."""
    if failures < SLOW_AFTER:
        return 0
    if failures >= MAX_FAILURES:
        return LOCK_MINUTES * 60
    return int(2 ** (failures - SLOW_AFTER + 1))


def check_sign_in(ctx: AppContext, username: str, password: str) -> SignInResult:
    """Verify the password and update the failure count, in one transaction."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        user = uow.session.exec(select(User).where(User.username == username)).first()
        if user is None or not user.is_active:
            verify_password(password, "")  # keep unknown users about as slow as known ones
            return SignInResult(None, WRONG)
        if user.locked_until is not None and _aware(user.locked_until) > now:
            wait = int((_aware(user.locked_until) - now).total_seconds()) + 1
            return SignInResult(None, LOCKED if wait > 60 else SLOWED, wait)
        if not verify_password(password, user.password_hash):
            user.failed_logins += 1
            wait = backoff_seconds(user.failed_logins)
            if user.failed_logins >= MAX_FAILURES:
                user.failed_logins = 0  # a fresh count once the lock ends
            user.locked_until = now + timedelta(seconds=wait) if wait else None
            uow.session.add(user)
            uow.commit()
            if wait >= LOCK_MINUTES * 60:
                return SignInResult(None, LOCKED, wait)
            return SignInResult(None, WRONG, wait)
        if user.failed_logins or user.locked_until:
            user.failed_logins = 0
            user.locked_until = None
            uow.session.add(user)
        uow.commit()
        uow.session.expunge(user)
        return SignInResult(user)
