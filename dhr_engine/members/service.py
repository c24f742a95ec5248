"""Case membership: who holds which role on a case. Every change is audited."""

from __future__ import annotations

import uuid
from datetime import date

from sqlmodel import Session, select

from dhr_engine.audit.service import append_event
from dhr_engine.auth.actors import actor_on_case
from dhr_engine.auth.sessions import end_sessions
from dhr_engine.deadlines.service import validate_effective_date
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.clock import Clock
from dhr_engine.domain.roles import AGENCY_ROLES, CASE_ROLES, Role, roles_in_words, roles_that
from dhr_engine.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from dhr_engine.persistence.case_lookup import get_case_for_update
from dhr_engine.persistence.tables import CaseAgency, CaseMember, User
from dhr_engine.persistence.unit_of_work import UnitOfWork

MANAGERS = roles_that("members:manage")


def _case_role(role: str) -> Role:
    """Parse a per-case role, naming the field when it is not one."""
    try:
        case_role = Role(role)
    except ValueError:
        raise ValidationFailed(f"unknown role '{role}'", field="role") from None
    if case_role not in CASE_ROLES:
        raise ValidationFailed(f"'{role}' is not a per-case role", field="role")
    return case_role


def _require_manager(actor: Actor) -> None:
    if not actor.has_any(MANAGERS):
        raise PermissionDenied(f"only {roles_in_words(MANAGERS)} may change case members", field="role")


def _refuse_held(session: Session, case_id: uuid.UUID, user_id: uuid.UUID, role: Role) -> None:
    held = session.exec(
        select(CaseMember).where(
            CaseMember.case_id == case_id, CaseMember.user_id == user_id, CaseMember.role == role.value
        )
    ).first()
    if held:
        raise Conflict("that user already holds that role on this case", field="role")


def add_member(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    case_id: uuid.UUID,
    user_id: uuid.UUID,
    role: str,
    effective_on: date | None = None,
) -> CaseMember:
    """Give a user a role on one case; agency roles bind to the user's agency."""
    case_role = _case_role(role)
    if effective_on is not None:
        validate_effective_date(effective_on, clock.today())
    with uow:
        session = uow.session
        case = get_case_for_update(uow, case_id, None)
        _require_manager(actor_on_case(session, actor, case.id))
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            raise NotFound("no such active user", field="user_id")
        if case_role in AGENCY_ROLES and user.agency_id is None:
            raise ValidationFailed("an agency role needs a user who belongs to an agency", field="user_id")
        _refuse_held(session, case.id, user.id, case_role)
        member = CaseMember(
            case_id=case.id,
            user_id=user.id,
            role=case_role.value,
            agency_id=user.agency_id if case_role in AGENCY_ROLES else None,
        )
        session.add(member)
        if (
            member.agency_id
            and not session.exec(
                select(CaseAgency).where(
                    CaseAgency.case_id == case.id, CaseAgency.agency_id == member.agency_id
                )
            ).first()
        ):
            session.add(CaseAgency(case_id=case.id, agency_id=member.agency_id))
        append_event(
            session,
            case,
            kind="member_added",
            actor=actor,
            effective_on=effective_on or clock.today(),
            recorded_at=clock.now(),
            data={"user_id": str(user.id), "role": case_role.value},
        )
        session.add(case)
        uow.commit()
        return member


def remove_member(
    uow: UnitOfWork, *, actor: Actor, clock: Clock, case_id: uuid.UUID, member_id: uuid.UUID
) -> None:
    """Take a role away from a user on one case."""
    with uow:
        session = uow.session
        case = get_case_for_update(uow, case_id, None)
        _require_manager(actor_on_case(session, actor, case.id))
        member = session.get(CaseMember, member_id)
        if member is None or member.case_id != case.id:
            raise NotFound("no such member of this case", field="member_id")
        session.delete(member)
        end_sessions(session, member.user_id)  # the member signs in again without the role
        append_event(
            session,
            case,
            kind="member_removed",
            actor=actor,
            effective_on=clock.today(),
            recorded_at=clock.now(),
            data={"user_id": str(member.user_id), "role": member.role},
        )
        session.add(case)
        uow.commit()


def change_role(
    uow: UnitOfWork, *, actor: Actor, clock: Clock, case_id: uuid.UUID, member_id: uuid.UUID, role: str
) -> CaseMember:
    """Change the role a member holds on one case."""
    new_role = _case_role(role)
    with uow:
        session = uow.session
        case = get_case_for_update(uow, case_id, None)
        _require_manager(actor_on_case(session, actor, case.id))
        member = session.get(CaseMember, member_id)
        if member is None or member.case_id != case.id:
            raise NotFound("no such member of this case", field="member_id")
        if new_role.value != member.role:
            _refuse_held(session, case.id, member.user_id, new_role)
        if new_role in AGENCY_ROLES and member.agency_id is None:
            user = session.get(User, member.user_id)
            if user is None or user.agency_id is None:
                raise ValidationFailed("an agency role needs a user who belongs to an agency", field="role")
            member.agency_id = user.agency_id
        old = member.role
        member.role = new_role.value
        session.add(member)
        if old != new_role.value:
            end_sessions(session, member.user_id)  # the member signs in again with the new role
        append_event(
            session,
            case,
            kind="member_role_changed",
            actor=actor,
            effective_on=clock.today(),
            recorded_at=clock.now(),
            data={"user_id": str(member.user_id), "from": old, "to": new_role.value},
        )
        session.add(case)
        uow.commit()
        return member
