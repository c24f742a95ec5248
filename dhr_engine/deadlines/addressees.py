"""Who holds a role for a deadline: loaded once per sweep batch, resolved per deadline.

- A per-case role (independent chair, panel member, agency author/manager, ...) is held through
  case membership (CaseMember).
- A global role (CSP officer, CSP chair, administrator) is held on the user account, and counts
  only for cases of the user's own partnership.
- For an agency's deadline (a return requested of an agency, subject_type 'return_request', or an
  action-plan action led by an agency, subject_type 'action') the agency roles mean that agency's
  people only: one agency is never told about another's return.
Inactive accounts are never addressed.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from dhr_engine.domain.roles import AGENCY_ROLES, GLOBAL_ROLES
from dhr_engine.persistence.tables import Case, CaseMember, Deadline, ReturnRequest, User
from dhr_engine.persistence.tables_plans import PlanAction

AGENCY_SUBJECTS = {"return_request", "action"}
_AGENCY_ROLE_VALUES = {r.value for r in AGENCY_ROLES}
_GLOBAL_ROLE_VALUES = {r.value for r in GLOBAL_ROLES}


@dataclass(frozen=True)
class Person:
    """An addressee: the user's id and e-mail address (never shown, never logged)."""

    user_id: uuid.UUID
    email: str


@dataclass(frozen=True)
class _Member:
    role: str
    agency_id: uuid.UUID | None
    person: Person


@dataclass
class Directory:
    """The people behind the roles of a batch of cases."""

    members: dict[uuid.UUID, list[_Member]] = field(default_factory=dict)
    global_users: dict[uuid.UUID, list[tuple[frozenset[str], Person]]] = field(default_factory=dict)
    subject_agency: dict[uuid.UUID, uuid.UUID | None] = field(default_factory=dict)

    def people(self, case: Case, deadline: Deadline, roles: Iterable[str]) -> list[Person]:
        """The active users holding any of the roles for this deadline, each once, in a stable order."""
        wanted = set(roles)
        agency = self.subject_agency.get(deadline.subject_id) if deadline.subject_id else None
        agency_scoped = deadline.subject_type in AGENCY_SUBJECTS and agency is not None
        found: dict[uuid.UUID, Person] = {}
        for member in self.members.get(case.id, []):
            if member.role not in wanted:
                continue
            if agency_scoped and member.role in _AGENCY_ROLE_VALUES and member.agency_id != agency:
                continue
            found.setdefault(member.person.user_id, member.person)
        if wanted & _GLOBAL_ROLE_VALUES:
            for held, person in self.global_users.get(case.csp_id, []):
                if held & wanted:
                    found.setdefault(person.user_id, person)
        return sorted(found.values(), key=lambda p: str(p.user_id))


def load_directory(session: Session, cases: Iterable[Case], deadlines: Iterable[Deadline]) -> Directory:
    """Read the members, partnership staff and subject agencies of these cases in a few queries."""
    case_list = list(cases)
    case_ids = [c.id for c in case_list]
    csp_ids = sorted({c.csp_id for c in case_list}, key=str)
    directory = Directory()
    if not case_ids:
        return directory
    rows = session.execute(
        sa_select(
            col(CaseMember.case_id),
            col(CaseMember.role),
            col(CaseMember.agency_id),
            col(User.id),
            col(User.agency_id),
            col(User.email),
        )
        .join(User, col(User.id) == col(CaseMember.user_id))
        .where(col(CaseMember.case_id).in_(case_ids), col(User.is_active).is_(True))
    ).all()
    members: dict[uuid.UUID, list[_Member]] = defaultdict(list)
    for case_id, role, member_agency, user_id, user_agency, email in rows:
        members[case_id].append(_Member(role, member_agency or user_agency, Person(user_id, email or "")))
    directory.members = dict(members)
    staff: dict[uuid.UUID, list[tuple[frozenset[str], Person]]] = defaultdict(list)
    for user_id, csp_id, roles, email in session.exec(
        select(User.id, User.csp_id, User.global_roles, User.email).where(
            col(User.csp_id).in_(csp_ids), col(User.is_active).is_(True)
        )
    ).all():
        held = frozenset(str(r) for r in (roles or [])) & _GLOBAL_ROLE_VALUES
        if held and csp_id is not None:
            staff[csp_id].append((held, Person(user_id, email or "")))
    directory.global_users = dict(staff)
    directory.subject_agency = _subject_agencies(session, list(deadlines))
    return directory


def _subject_agencies(session: Session, deadlines: list[Deadline]) -> dict[uuid.UUID, uuid.UUID | None]:
    by_type: dict[str, list[uuid.UUID]] = defaultdict(list)
    for row in deadlines:
        if row.subject_type in AGENCY_SUBJECTS and row.subject_id is not None:
            by_type[row.subject_type].append(row.subject_id)
    found: dict[uuid.UUID, uuid.UUID | None] = {}
    if by_type.get("return_request"):
        for rid, agency_id in session.exec(
            select(ReturnRequest.id, ReturnRequest.agency_id).where(
                col(ReturnRequest.id).in_(by_type["return_request"])
            )
        ).all():
            found[rid] = agency_id
    if by_type.get("action"):
        for aid, lead_id in session.exec(
            select(PlanAction.id, PlanAction.lead_agency_id).where(col(PlanAction.id).in_(by_type["action"]))
        ).all():
            found[aid] = lead_id
    return found
