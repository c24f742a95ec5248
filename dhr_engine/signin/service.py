"""Signing in and out: the password check at one cost, the lockout by address, and the records.

The password check costs the same whatever the name: an unknown name, a disabled account or an
account without a password is checked against a real argon2 hash of a random secret, made once per
process with the same parameters as every other hash, so the answer's timing does not tell whether
a name exists.

The lockout counts wrong passwords per source, the client's address (`client_address`), in the
database (`SignInLock`, persistence/tables_signin.py), so it holds across processes and restarts:
- per (source, name): after SLOW_AFTER wrong passwords each further attempt from that address must
  wait a little longer (2, 4 seconds) before the password is even checked; after MAX_FAILURES it
  waits LOCK_MINUTES. An unknown name is counted exactly as an account is. Someone else's wrong
  passwords from another address never stop the account's owner signing in;
- per source, over every name (an address spraying many accounts): after SOURCE_SLOW_AFTER wrong
  passwords within WINDOW_MINUTES each attempt waits (2, 4, ... up to SOURCE_MAX_WAIT seconds);
  after SOURCE_MAX_FAILURES the address waits LOCK_MINUTES.
An attempt is counted as a failure before its password is checked and uncounted if it was right,
so attempts sent at once cannot all be heard before the lock. A right password clears the count of
that name from that address. A refusal never says whether the name exists.

Every attempt and every sign-out is recorded (`SignInRecord`) with its outcome, address, interface
and time, for the administrator only; nothing about an attempt is written to the ordinary logs.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from sqlalchemy import delete, insert, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from dhr_engine.auth.passwords import hash_password, verify_password
from dhr_engine.auth.sessions import end_sessions
from dhr_engine.context import AppContext
from dhr_engine.persistence.tables import User, new_id
from dhr_engine.persistence.tables_signin import (
    ACCOUNT_DISABLED,
    EVERY_NAME,
    LOCKED,
    SIGNED_IN,
    SIGNED_OUT,
    SOURCE_LENGTH,
    SOURCE_LOCKED,
    UNKNOWN_NAME,
    WEB,
    WRONG_PASSWORD,
    SignInLock,
    SignInRecord,
)

SLOW_AFTER = 3
MAX_FAILURES = 5
LOCK_MINUTES = 15
SOURCE_SLOW_AFTER = 10
SOURCE_MAX_FAILURES = 30
SOURCE_MAX_WAIT = 60  # seconds: the longest wait before an address is locked
WINDOW_MINUTES = 60  # a count that began longer ago than this starts again
IN_FLIGHT_WAIT = 2  # seconds: attempts sent at once beyond the limit wait this long
WRONG = "Enter a correct user name and password"
UNKNOWN_SOURCE = "unknown address"

LOCKS = SignInLock.__table__  # type: ignore[attr-defined]
RECORDS = SignInRecord.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class SignInResult:
    """The user (detached) on success; otherwise the problem, and how long to wait before trying again.

    `refused` is True when the attempt was not heard, or when it brought on a lock: the answer is
    "too many attempts" (429) rather than "wrong user name or password" (401)."""

    user: User | None
    outcome: str
    problem: str = ""
    retry_after: int = 0  # seconds; 0 when the caller may try again at once
    refused: bool = False

    @property
    def ok(self) -> bool:
        return self.user is not None


# --- the cost of a check ----------------------------------------------------------------------


@lru_cache(maxsize=1)
def decoy_hash() -> str:
    """A real argon2 hash (the same parameters as every password's) of a secret nobody knows,
    made once per process, the first time it is needed."""
    return hash_password(secrets.token_urlsafe(32))


def _password_matches(user: User | None, password: str) -> bool:
    """Check the password at the cost of a real check, whatever the account (or none)."""
    if user is None or not user.is_active or not user.password_hash:
        verify_password(password, decoy_hash())
        return False
    return verify_password(password, user.password_hash)


# --- where an attempt comes from --------------------------------------------------------------


@lru_cache(maxsize=8)
def _networks(trusted: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in trusted.split(",") if p.strip())


def _ip(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None


def client_address(peer: str | None, forwarded_for: Sequence[str] = (), trusted: str = "") -> str:
    """The address an attempt comes from: the connection's own (`request.client.host`), unless that
    is one of the `trusted` proxies (Settings.trusted_proxies); then the nearest address in
    X-Forwarded-For (read from the right) that is not a trusted proxy. Never more than SOURCE_LENGTH
    characters: a peer that is not an IP address and is too long is "unknown address"."""
    address = _ip(peer)
    if address is None:
        text = (peer or "").strip()
        return text if text and len(text) <= SOURCE_LENGTH else UNKNOWN_SOURCE
    networks = _networks(trusted)
    if networks and any(address in net for net in networks):
        hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
        for hop in reversed(hops):
            hop_address = _ip(hop)
            if hop_address is None:
                break  # a trusted proxy passed on something that is not an address: stop at it
            address = hop_address
            if not any(hop_address in net for net in networks):
                break
    return str(address)


def source_key(address: str) -> str:
    """What the lockout counts by: the address, or for IPv6 its /64 network (one household or
    server usually holds a whole /64, and could otherwise take a new address per attempt)."""
    ip = _ip(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return address


# --- the lockout ------------------------------------------------------------------------------


def backoff_seconds(failures: int) -> int:
    """How long one name waits from one address after this many wrong passwords (0: no wait)."""
    if failures < SLOW_AFTER:
        return 0
    if failures >= MAX_FAILURES:
        return LOCK_MINUTES * 60
    return int(2 ** (failures - SLOW_AFTER + 1))


def source_backoff_seconds(failures: int) -> int:
    """How long an address waits after this many wrong passwords over every name (0: no wait)."""
    if failures < SOURCE_SLOW_AFTER:
        return 0
    if failures >= SOURCE_MAX_FAILURES:
        return LOCK_MINUTES * 60
    return int(min(2 ** (failures - SOURCE_SLOW_AFTER + 1), SOURCE_MAX_WAIT))


def wait_phrase(seconds: int) -> str:
    """A wait as people say it: "4 seconds", "1 minute", "15 minutes"."""
    if seconds < 60:
        return f"{max(seconds, 1)} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def too_many(seconds: int) -> str:
    return f"Too many attempts from this device: wait {wait_phrase(seconds)} and try again"


def _name_key(secret: str, username: str) -> str:
    """The lockout's key for a name that is no account's: a keyed digest, never the name."""
    digest = hmac.new(secret.encode(), b"sign-in-lockout\x00" + username.encode(), hashlib.sha256)
    return f"name:{digest.hexdigest()}"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _locked_for(row: SignInLock, now: datetime) -> int:
    """Seconds until the row's wait ends (0: not waiting)."""
    if row.locked_until is None or _aware(row.locked_until) <= now:
        return 0
    return math.ceil((_aware(row.locked_until) - now).total_seconds())


def _lock_rows(
    session: Session, source: str, key: str, user_id: uuid.UUID | None, now: datetime
) -> tuple[SignInLock, SignInLock]:
    """The source's count and the name's, created if missing, locked for this transaction.

    Rows are taken in key order ("*" first), so two attempts from one address queue on the
    source's row and never deadlock (PostgreSQL; a SQLite writer holds the whole database)."""
    dialect = session.get_bind().dialect.name
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    rows = [
        {"id": new_id(), "source": source, "key": k, "user_id": u, "failures": 0, "window_from": now}
        for k, u in sorted([(EVERY_NAME, None), (key, user_id)], key=lambda pair: pair[0])
    ]
    session.execute(make(LOCKS).values(rows).on_conflict_do_nothing(index_elements=["source", "key"]))
    found = session.exec(
        select(SignInLock)
        .where(SignInLock.source == source, col(SignInLock.key).in_([EVERY_NAME, key]))
        .order_by(col(SignInLock.key))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    by_key = {row.key: row for row in found}
    return by_key[EVERY_NAME], by_key[key]


def _start_again_if_old(row: SignInLock, now: datetime) -> None:
    """A count begins with its first failure, and starts again once WINDOW_MINUTES have passed."""
    if _locked_for(row, now):
        return
    if row.failures == 0 or _aware(row.window_from) < now - timedelta(minutes=WINDOW_MINUTES):
        row.failures = 0
        row.window_from = now


def _forget_old(session: Session, source: str, keep: Sequence[str], now: datetime) -> None:
    """Drop this source's other counts whose window has passed and that hold no wait."""
    session.execute(
        delete(SignInLock).where(
            col(SignInLock.source) == source,
            col(SignInLock.key).not_in(list(keep)),
            col(SignInLock.window_from) < now - timedelta(minutes=WINDOW_MINUTES),
            or_(col(SignInLock.locked_until).is_(None), col(SignInLock.locked_until) < now),
        )
    )


def _record(
    session: Session,
    *,
    now: datetime,
    outcome: str,
    interface: str,
    source: str,
    user: User | None,
) -> None:
    session.execute(
        insert(RECORDS).values(
            id=new_id(),
            at=now,
            outcome=outcome,
            interface=interface,
            source=source,
            user_id=user.id if user is not None else None,
            username=user.username if user is not None else "",
        )
    )


def _refusal(source_row: SignInLock, name_row: SignInLock, now: datetime) -> SignInResult | None:
    """The answer when this attempt may not be heard now, or None."""
    source_wait = _locked_for(source_row, now)
    name_wait = _locked_for(name_row, now)
    if source_wait or name_wait:
        outcome = SOURCE_LOCKED if source_wait >= name_wait else LOCKED
        wait = max(source_wait, name_wait)
        return SignInResult(None, outcome, too_many(wait), wait, refused=True)
    if name_row.failures >= MAX_FAILURES:  # as many attempts as allowed are being checked now
        return SignInResult(None, LOCKED, too_many(IN_FLIGHT_WAIT), IN_FLIGHT_WAIT, refused=True)
    if source_row.failures >= SOURCE_MAX_FAILURES:
        return SignInResult(None, SOURCE_LOCKED, too_many(IN_FLIGHT_WAIT), IN_FLIGHT_WAIT, refused=True)
    return None


def _after_failure(source_row: SignInLock, name_row: SignInLock, now: datetime) -> int:
    """Impose the waits this wrong password has earned; the longest wait, in seconds."""
    waits = []
    for row, wait, limit in (
        (name_row, backoff_seconds(name_row.failures), MAX_FAILURES),
        (source_row, source_backoff_seconds(source_row.failures), SOURCE_MAX_FAILURES),
    ):
        if row.failures >= limit:  # locked: a fresh count once the lock ends
            row.failures = 0
            row.window_from = now
        if wait:
            until = now + timedelta(seconds=wait)
            if row.locked_until is None or _aware(row.locked_until) < until:
                row.locked_until = until
        waits.append(wait)
    return max(waits)


def check_sign_in(
    ctx: AppContext, username: str, password: str, *, source: str, interface: str
) -> SignInResult:
    """Hear one sign-in attempt from `source` (client_address) through `interface` (web | api).

    Two short transactions around the password check, so argon2 never holds a connection: the
    first counts the attempt (or refuses it unheard) and the second settles it and records it."""
    now = ctx.clock.now()
    where = source_key(source)
    with ctx.uow() as uow:
        user = uow.session.exec(select(User).where(User.username == username)).first()
        key = f"user:{user.id}" if user is not None else _name_key(ctx.settings.secret_key, username)
        user_id = user.id if user is not None else None
        source_row, name_row = _lock_rows(uow.session, where, key, user_id, now)
        _forget_old(uow.session, where, (EVERY_NAME, key), now)
        for row in (source_row, name_row):
            _start_again_if_old(row, now)
        refusal = _refusal(source_row, name_row, now)
        if refusal is None:
            source_row.failures += 1  # counted until the password proves right
            name_row.failures += 1
        else:
            _record(
                uow.session, now=now, outcome=refusal.outcome, interface=interface, source=source, user=user
            )
        uow.session.add_all([source_row, name_row])
        uow.commit()
        if user is not None:
            uow.session.expunge(user)
    if refusal is not None:
        return refusal

    right = _password_matches(user, password)

    now = ctx.clock.now()  # the check took a moment: the waits run from its end
    with ctx.uow() as uow:
        source_row, name_row = _lock_rows(uow.session, where, key, user_id, now)
        if right:
            outcome = SIGNED_IN
            source_row.failures = max(source_row.failures - 1, 0)
            uow.session.add(source_row)
            uow.session.delete(name_row)  # a right password clears the name's count here
            wait = 0
        else:
            if user is None:
                outcome = UNKNOWN_NAME
            elif not user.is_active:
                outcome = ACCOUNT_DISABLED
            else:
                outcome = WRONG_PASSWORD
            wait = _after_failure(source_row, name_row, now)
            uow.session.add_all([source_row, name_row])
        _record(uow.session, now=now, outcome=outcome, interface=interface, source=source, user=user)
        uow.commit()
    if right:
        return SignInResult(user, SIGNED_IN)
    if wait >= LOCK_MINUTES * 60:
        return SignInResult(None, outcome, too_many(wait), wait, refused=True)
    return SignInResult(None, outcome, WRONG, wait)


def sign_out_everywhere(ctx: AppContext, user_id: uuid.UUID, *, source: str, interface: str = WEB) -> None:
    """End every web session of this user (its session version goes up, so every copy of the
    cookie is signed out) and record the sign-out, in one transaction."""
    with ctx.uow() as uow:
        user = uow.session.get(User, user_id)
        end_sessions(uow.session, user_id)
        _record(
            uow.session,
            now=ctx.clock.now(),
            outcome=SIGNED_OUT,
            interface=interface,
            source=source,
            user=user,
        )
        uow.commit()
