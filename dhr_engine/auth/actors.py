"""Who is acting, resolved from the directory and case membership: a user's Actor, their roles on
one case, and the check that one of them allows what they are doing."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from dhr_engine.domain.actor import Actor
from dhr_engine.domain.roles import Role, roles_in_words
from dhr_engine.errors import PermissionDenied
from dhr_engine.persistence.tables import Case, CaseMember, User


def actor_on_case(session: Session, actor: Actor, case_id: uuid.UUID) -> Actor:
    """The actor with their roles on this case (from case membership)."""
    if actor.user_id is None:
        return actor
    rows = session.exec(
        select(CaseMember.role).where(CaseMember.case_id == case_id, CaseMember.user_id == actor.user_id)
    ).all()
    return actor.on_case(frozenset(Role(r) for r in rows))


def require_case_role(
    session: Session, actor: Actor, case: Case, roles: frozenset[Role], doing: str
) -> Actor:
    """The actor with their case roles, if any of them (or a global role) allows this; else refuse."""
    acting = actor_on_case(session, actor, case.id)
    if not acting.has_any(roles):
        raise PermissionDenied(f"only {roles_in_words(roles)} may {doing}", field="role")
    return acting


def actor_for_user(user: User) -> Actor:
    return Actor.for_user(
        user_id=user.id,
        global_roles=user.global_roles,
        agency_id=user.agency_id,
        label=user.display_name,
        csp_id=user.csp_id,
    )
