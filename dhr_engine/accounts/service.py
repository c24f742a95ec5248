"""The directory: user accounts and partner agencies, kept by an administrator.

Used by the API (accounts/api.py) and the command line (`dhr user ...`). Callers hold the
transaction (a UnitOfWork); these functions check and change rows. Passwords are hashed here and
never logged, returned or put in an error message.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from dhr_engine.auth.passwords import check_strength, hash_password
from dhr_engine.auth.sessions import end_sessions
from dhr_engine.domain.roles import GLOBAL_ROLES, Role
from dhr_engine.errors import Conflict, NotFound, ValidationFailed
from dhr_engine.persistence.tables import Agency, Csp, User
from dhr_engine.persistence.tables_signin import SignInLock

log = logging.getLogger("dhr_engine.auth")

AGENCY_KINDS = ("police", "health", "council", "probation", "charity", "other")


def _global_roles(roles: Iterable[str]) -> list[str]:
    out: list[str] = []
    for name in roles:
        try:
            role = Role(name)
        except ValueError:
            raise ValidationFailed(f"unknown role '{name}'", field="global_roles") from None
        if role not in GLOBAL_ROLES:
            raise ValidationFailed(
                f"'{name}' is a role held on a case, not on the account", field="global_roles"
            )
        if role.value not in out:
            out.append(role.value)
    return out


def _password_hash(password: str) -> str:
    problem = check_strength(password)
    if problem:
        raise ValidationFailed(f"the password {problem}", field="password")
    return hash_password(password)


def get_user(session: Session, *, user_id: uuid.UUID | None = None, username: str | None = None) -> User:
    """One user by id or user name, or NotFound."""
    user = None
    if user_id is not None:
        user = session.get(User, user_id)
    elif username is not None:
        user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound("no such user", field="username" if username is not None else "user_id")
    return user


def _check_agency(session: Session, agency_id: uuid.UUID | None) -> None:
    if agency_id is not None and session.get(Agency, agency_id) is None:
        raise ValidationFailed("no such agency", field="agency_id")


def add_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    email: str = "",
    global_roles: Iterable[str] = (),
    agency_id: uuid.UUID | None = None,
    csp_id: uuid.UUID | None = None,
) -> User:
    """Create an account; the password must be strong enough and the user name unused."""
    roles = _global_roles(global_roles)
    if session.exec(select(User.id).where(User.username == username)).first() is not None:
        raise Conflict("that user name is taken", field="username")
    _check_agency(session, agency_id)
    if csp_id is None:
        csp_id = session.exec(select(Csp.id)).first()
    user = User(
        username=username,
        display_name=display_name,
        email=email,
        password_hash=_password_hash(password),
        global_roles=roles,
        agency_id=agency_id,
        csp_id=csp_id,
    )
    session.add(user)
    session.flush()
    log.info("user account created: %s", user.id)
    return user


def clear_lockout(session: Session, user: User) -> None:
    """Forget the account's wrong passwords from every address (the lockout is per address:
    persistence/tables_signin.py); an address's own count over every name stays."""
    session.execute(delete(SignInLock).where(col(SignInLock.user_id) == user.id))


def locked_user_ids(session: Session, now: datetime) -> set[uuid.UUID]:
    """The accounts that must wait before signing in from at least one address."""
    found = session.exec(
        select(SignInLock.user_id).where(
            col(SignInLock.user_id).is_not(None), col(SignInLock.locked_until) > now
        )
    ).all()
    return {user_id for user_id in found if user_id is not None}


def reset_password(session: Session, user: User, password: str) -> None:
    """Set a new password; ends the lockout, every token issued before and every web session."""
    user.password_hash = _password_hash(password)
    clear_lockout(session, user)
    session.add(user)
    end_sessions(session, user.id)
    log.info("password reset for user %s", user.id)


def update_user(
    session: Session,
    user: User,
    *,
    display_name: str | None = None,
    email: str | None = None,
    global_roles: Iterable[str] | None = None,
    agency_id: uuid.UUID | None = None,
    set_agency: bool = False,
    is_active: bool | None = None,
    unlock: bool = False,
) -> User:
    """Change an account; only the arguments given change. A change of global roles or agency, and
    deactivation, end the account's web sessions (it signs in again with what it now holds)."""
    before = (list(user.global_roles), user.agency_id, user.is_active)
    if display_name is not None:
        user.display_name = display_name
    if email is not None:
        user.email = email
    if global_roles is not None:
        user.global_roles = _global_roles(global_roles)
    if set_agency:
        _check_agency(session, agency_id)
        user.agency_id = agency_id
    if is_active is not None:
        user.is_active = is_active
    if unlock:
        clear_lockout(session, user)
    session.add(user)
    roles, agency, was_active = before
    if user.global_roles != roles or user.agency_id != agency or (was_active and not user.is_active):
        end_sessions(session, user.id)
    return user


def add_agency(
    session: Session,
    *,
    name: str,
    kind: str = "other",
    email: str = "",
    senior_manager_email: str = "",
    csp_id: uuid.UUID | None = None,
) -> Agency:
    """Add a partner agency; names are unique."""
    if kind not in AGENCY_KINDS:
        raise ValidationFailed(f"kind must be one of: {', '.join(AGENCY_KINDS)}", field="kind")
    if session.exec(select(Agency.id).where(Agency.name == name)).first() is not None:
        raise Conflict("an agency of that name exists", field="name")
    agency = Agency(
        name=name,
        kind=kind,
        email=email,
        senior_manager_email=senior_manager_email,
        csp_id=csp_id or session.exec(select(Csp.id)).first(),
    )
    session.add(agency)
    session.flush()
    return agency


def update_agency(
    session: Session,
    agency: Agency,
    *,
    name: str | None = None,
    kind: str | None = None,
    email: str | None = None,
    senior_manager_email: str | None = None,
) -> Agency:
    """Change an agency; only the arguments given change."""
    if name is not None and name != agency.name:
        if session.exec(select(Agency.id).where(Agency.name == name)).first() is not None:
            raise Conflict("an agency of that name exists", field="name")
        agency.name = name
    if kind is not None:
        if kind not in AGENCY_KINDS:
            raise ValidationFailed(f"kind must be one of: {', '.join(AGENCY_KINDS)}", field="kind")
        agency.kind = kind
    if email is not None:
        agency.email = email
    if senior_manager_email is not None:
        agency.senior_manager_email = senior_manager_email
    session.add(agency)
    return agency
