"""Reads of an agency's DHR contacts, for the pages, the API, the CLI and the returns service."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from dhr_engine.domain.agency_contacts import CONTACT_KINDS, contact_label
from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.clock import LONDON
from dhr_engine.persistence.tables import Agency, User
from dhr_engine.persistence.tables_contacts import AgencyContact

KIND_ORDER = {kind: i for i, kind in enumerate(CONTACT_KINDS)}


@dataclass(frozen=True)
class ContactRow:
    id: uuid.UUID
    agency_id: uuid.UUID
    user_id: uuid.UUID
    username: str
    display_name: str
    kind: str
    kind_label: str
    added_at: datetime
    added_by_label: str

    @property
    def added_on(self) -> str:
        moment = self.added_at if self.added_at.tzinfo else self.added_at.replace(tzinfo=UTC)
        return format_date(moment.astimezone(LONDON).date())


def active_contacts(session: Session, agency_id: uuid.UUID) -> list[ContactRow]:
    """The agency's current contacts (removed ones left out), by kind, then name."""
    rows = session.exec(
        select(AgencyContact, User)
        .join(User, col(User.id) == col(AgencyContact.user_id))
        .where(AgencyContact.agency_id == agency_id, col(AgencyContact.removed_at).is_(None))
    ).all()
    out = [
        ContactRow(
            id=c.id,
            agency_id=c.agency_id,
            user_id=c.user_id,
            username=u.username,
            display_name=u.display_name,
            kind=c.kind,
            kind_label=contact_label(c.kind),
            added_at=c.added_at,
            added_by_label=c.added_by_label,
        )
        for c, u in rows
    ]
    out.sort(key=lambda r: (KIND_ORDER.get(r.kind, 99), r.display_name.lower(), r.username))
    return out


def contact_users(
    session: Session, agency_id: uuid.UUID, *, kinds: Sequence[str] | None = None
) -> list[User]:
    """The active accounts of the agency named as its contacts (each once), who are told of
    requests; `kinds`: only those named as one of these kinds of contact."""
    query = (
        select(User)
        .join(AgencyContact, col(AgencyContact.user_id) == col(User.id))
        .where(
            AgencyContact.agency_id == agency_id,
            col(AgencyContact.removed_at).is_(None),
            col(User.agency_id) == agency_id,
            col(User.is_active).is_(True),
        )
    )
    if kinds is not None:
        query = query.where(col(AgencyContact.kind).in_(list(kinds)))
    users = session.exec(query).all()
    unique = {u.id: u for u in users}
    return sorted(unique.values(), key=lambda u: u.username)


def agencies_without_contacts(session: Session, agency_ids: Sequence[uuid.UUID]) -> list[Agency]:
    """Those of the agencies that have no active DHR contact: nobody there would be told."""
    if not agency_ids:
        return []
    agencies = session.exec(select(Agency).where(col(Agency.id).in_(list(agency_ids)))).all()
    return sorted((a for a in agencies if not contact_users(session, a.id)), key=lambda a: a.name.lower())


def no_contact_warning(agency: Agency) -> str:
    """What the officer is told about an agency with no contact (names the agency only)."""
    return f"{agency.name} has no DHR contact: nobody there will be told"
