"""Name and remove an agency's DHR contacts (the CSP keeps them: an administrator or CSP officer).

Each command is one transaction. A contact is a user account of that same agency; it grants the
agency role of its kind on the requests addressed to the agency (auth/policy.py, `contact_roles`).
Removing a contact keeps the row with who removed it and when (the record of who was a contact),
and ends the access at once. Log lines carry ids only.
"""

from __future__ import annotations

import logging
import uuid

from sqlmodel import Session, col, select

from dhr_engine.auth import policy
from dhr_engine.auth.policy import Action
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.agency_contacts import CONTACT_KINDS
from dhr_engine.domain.clock import Clock
from dhr_engine.domain.roles import Role
from dhr_engine.errors import Conflict, NotFound, ValidationFailed
from dhr_engine.persistence.tables import Agency, User
from dhr_engine.persistence.tables_contacts import AgencyContact
from dhr_engine.persistence.unit_of_work import UnitOfWork

log = logging.getLogger("dhr_engine.agencies")

KIND_NAMES = ", ".join(CONTACT_KINDS)


def agency_in_scope(session: Session, actor: Actor, agency_id: uuid.UUID) -> Agency:
    """The agency, if it belongs to the actor's partnership (or to none); else "no such agency"."""
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound("no such agency", field="agency_id")
    if Role.ADMIN in actor.global_roles or actor.user_id is None:
        return agency
    if actor.csp_known:
        csp_id = actor.csp_id
    else:
        account = session.get(User, actor.user_id)
        csp_id = account.csp_id if account is not None else None
    if csp_id is not None and agency.csp_id not in (None, csp_id):
        raise NotFound("no such agency", field="agency_id")
    return agency


def check_kind(kind: str) -> str:
    if kind not in CONTACT_KINDS:
        raise ValidationFailed(f"unknown kind of contact '{kind}'; give one of {KIND_NAMES}", field="kind")
    return kind


def add_contact(
    uow: UnitOfWork, *, actor: Actor, clock: Clock, agency_id: uuid.UUID, user_id: uuid.UUID, kind: str
) -> AgencyContact:
    """Name a user of the agency as one kind of its DHR contact."""
    policy.require(actor, Action.AGENCY_CONTACTS)
    check_kind(kind)
    with uow:
        session = uow.session
        agency = agency_in_scope(session, actor, agency_id)
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("no such user", field="user")
        if user.agency_id != agency.id:
            raise ValidationFailed("that user does not work for this agency", field="user")
        if not user.is_active:
            raise ValidationFailed("that account is disabled", field="user")
        taken = session.exec(
            select(AgencyContact.id).where(
                AgencyContact.agency_id == agency.id,
                AgencyContact.user_id == user.id,
                AgencyContact.kind == kind,
                col(AgencyContact.removed_at).is_(None),
            )
        ).first()
        if taken is not None:
            raise Conflict("that user is already this kind of contact of the agency", field="user")
        row = AgencyContact(
            agency_id=agency.id, user_id=user.id, kind=kind, added_at=clock.now(), added_by_label=actor.label
        )
        session.add(row)
        session.flush()
        uow.commit()
        log.info("agency contact %s added: agency %s, user %s, kind %s", row.id, agency.id, user.id, kind)
        return row


def remove_contact(
    uow: UnitOfWork, *, actor: Actor, clock: Clock, agency_id: uuid.UUID, contact_id: uuid.UUID
) -> AgencyContact:
    """Remove one of the agency's contacts: from now on they are not told and hold no access."""
    policy.require(actor, Action.AGENCY_CONTACTS)
    with uow:
        session = uow.session
        agency = agency_in_scope(session, actor, agency_id)
        row = session.get(AgencyContact, contact_id)
        if row is None or row.agency_id != agency.id or row.removed_at is not None:
            raise NotFound("no such contact of this agency", field="contact_id")
        row.removed_at = clock.now()
        row.removed_by_label = actor.label
        session.add(row)
        uow.commit()
        log.info("agency contact %s removed: agency %s", row.id, agency.id)
        return row
