"""The access policy: ONE table of action -> roles, which cases a user may see, and which fields.

Deny by default. Three questions, answered here and nowhere else:

1. Which cases may this user see at all?  (`case_visibility_clause`, `can_view_case`)
   Any signed-in user may list cases; the list holds only the cases they may see:
   - admin: every case;
   - csp_officer / csp_chair: every case of their Community Safety Partnership (all cases when the
     account is not tied to one);
   - anyone else: only the cases they are a member of. An agency role (agency_author,
     agency_manager) counts only while it is held for the user's own agency: agency users are bound
     to their agency.
   A case the caller may not see is "not found" (404), never "forbidden": its existence is not told.

2. What may they do on it?  (`POLICY`, `may`, `require`)
   Roles are the user's global roles plus their roles on that one case. Which role may fire which
   workflow trigger stays in the workflow files (cases.service.require_role); this table covers
   everything else.

3. Which fields may they read?  (`FIELD_RULES`, `person_view`, `case_view`, ...)
   Agency roles never see the real names, dates of birth, addresses or contact details of family
   members, the family engagement log, or another agency's returns.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, bindparam, false, or_, true
from sqlmodel import Session, col, select

from dhr_engine.domain.actor import Actor
from dhr_engine.domain.agency_contacts import CONTACT_KINDS
from dhr_engine.domain.roles import (
    AGENCY_ROLES,
    CASE_ROLES,
    GLOBAL_ROLES,
    IDENTITY_FULL,
    IDENTITY_SUBJECTS,
    Role,
    roles_that,
)
from dhr_engine.errors import CaseNotFound, PermissionDenied
from dhr_engine.persistence.tables import AuditEvent, Case, CaseMember, Deadline, Person, ReturnRequest, User
from dhr_engine.persistence.tables_contacts import AgencyContact
from dhr_engine.persistence.tables_plans import PlanAction

CSP_STAFF = GLOBAL_ROLES
CASE_STAFF = frozenset(role for role in CASE_ROLES if role not in AGENCY_ROLES)
EVERY_CASE_ROLE = CSP_STAFF | CASE_STAFF | AGENCY_ROLES
# Who may see everything about the people of a case (real names, dates of birth, addresses,
# contact details of every person, family included).
FULL_IDENTITY = roles_that(IDENTITY_FULL)
# Who may see the real name and date of birth of the subjects (victim and perpetrator) only: an
# agency searches its records by them (scoping request), and the CSP chair decides on the review.
SUBJECT_IDENTITY = roles_that(IDENTITY_SUBJECTS)
SUBJECT_PERSON_ROLES = frozenset({"victim", "perpetrator"})


class Action(StrEnum):
    """Everything the API and the web pages do, besides firing workflow triggers."""

    CASE_OPEN = "case:open"
    CASE_VIEW = "case:view"
    CASE_SUMMARY = "case:summary"  # the free-text summary of the notification
    CASE_TRIGGERS = "case:triggers"  # see the triggers and the guards that block them
    CASE_FIRE = "case:fire"  # reach the fire endpoint; the workflow file names who may fire what
    AUDIT_VIEW = "audit:view"
    AUDIT_VIEW_FULL = "audit:view_full"  # every event with its data (others: stage moves only)
    AUDIT_READS = "audit:reads"  # the read log of sensitive records (audit/reads.py)
    DEADLINES_VIEW = "deadlines:view"
    MEMBERS_VIEW = "members:view"
    MEMBERS_MANAGE = "members:manage"
    PROCEEDINGS_VIEW = "proceedings:view"
    PROCEEDINGS_NOTES = "proceedings:notes"
    PROCEEDINGS_MANAGE = "proceedings:manage"
    FAMILY_VIEW = "family:view"
    FAMILY_MANAGE = "family:manage"
    PEOPLE_VIEW = "people:view"
    RETURNS_VIEW_ALL = "returns:view_all"  # every agency's returns; others see their own agency's only
    AGENCIES_VIEW = "agencies:view"
    AGENCIES_MANAGE = "agencies:manage"
    AGENCY_CONTACTS = "agencies:contacts"  # name and remove an agency's DHR contacts
    USERS_VIEW = "users:view"
    USERS_MANAGE = "users:manage"


# The policy table: action -> the roles that may do it (global roles, or roles on the case), read
# from the role table (domain/roles.py), where each role lists what it may do.
POLICY: Mapping[Action, frozenset[Role]] = {action: roles_that(action.value) for action in Action}

# Field rules: (resource, field) -> roles that may read it. A field not named here is readable by
# anyone who may read the resource.
FIELD_RULES: Mapping[tuple[str, str], frozenset[Role]] = {
    ("case", "summary"): POLICY[Action.CASE_SUMMARY],
    ("person", "real_name"): FULL_IDENTITY,  # subjects: SUBJECT_IDENTITY (see person_view)
    ("person", "date_of_birth"): FULL_IDENTITY,  # subjects: SUBJECT_IDENTITY
    ("person", "address"): FULL_IDENTITY,
    ("person", "contact_details"): FULL_IDENTITY,
    ("proceeding", "note"): POLICY[Action.PROCEEDINGS_NOTES],
}
RESTRICTED_PERSON_FIELDS = ("real_name", "date_of_birth", "address", "contact_details")
SUBJECT_FIELDS = frozenset({"real_name", "date_of_birth"})
# Timeline events anyone who may see the case may read; their data keys are limited too.
PUBLIC_EVENT_KINDS = frozenset({"case_opened", "stage_changed"})
PUBLIC_EVENT_KEYS = frozenset({"stage", "ref", "workflow_version", "trigger", "from_stage", "to_stage"})


def may(actor: Actor, action: Action) -> bool:
    """True if one of the actor's roles (global, or on the case it was resolved for) allows it."""
    return actor.has_any(POLICY[action])


def require(actor: Actor, action: Action, *, field: str = "role") -> None:
    """Raise PermissionDenied unless `may(actor, action)`."""
    if not may(actor, action):
        raise PermissionDenied(f"your role does not allow '{action.value}'", field=field)


def may_read_field(actor: Actor, resource: str, field: str) -> bool:
    roles = FIELD_RULES.get((resource, field))
    return roles is None or actor.has_any(roles)


# --- 1. which cases ---------------------------------------------------------------------------


def _csp_scope(session: Session, actor: Actor) -> uuid.UUID | None:
    """The CSP a csp_officer / csp_chair account is tied to (None: not tied to one)."""
    if actor.user_id is None:
        return None
    if actor.csp_known:  # read with the account a moment ago (Actor.for_user)
        return actor.csp_id
    user = session.get(User, actor.user_id)
    return user.csp_id if user is not None else None


def _membership_clause(actor: Actor) -> ColumnElement[bool]:
    """Case ids where the actor holds a valid membership (agency roles bound to their agency)."""
    if actor.user_id is None:
        return false()
    non_agency = col(CaseMember.role).not_in([r.value for r in AGENCY_ROLES])
    own_agency = col(CaseMember.agency_id) == actor.agency_id if actor.agency_id is not None else false()
    members = select(CaseMember.case_id).where(
        CaseMember.user_id == actor.user_id, or_(non_agency, own_agency)
    )
    return col(Case.id).in_(members)


def case_visibility_clause(session: Session, actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on Case selecting exactly the cases the actor may see."""
    if Role.ADMIN in actor.global_roles or Role.SYSTEM in actor.global_roles:
        return true()
    clauses = [_membership_clause(actor)]
    if actor.global_roles & {Role.CSP_OFFICER, Role.CSP_CHAIR}:
        csp_id = _csp_scope(session, actor)
        clauses.append(true() if csp_id is None else col(Case.csp_id) == csp_id)
    return or_(*clauses)


def visible_case_ids(session: Session, actor: Actor) -> set[uuid.UUID]:
    """The ids of every case the actor may see."""
    return set(session.exec(select(Case.id).where(case_visibility_clause(session, actor))).all())


# Built once: every case request asks it, and building the expression costs more than running it.
_CASE_ROLES = select(CaseMember.role, CaseMember.agency_id).where(
    col(CaseMember.case_id) == bindparam("case_id"), col(CaseMember.user_id) == bindparam("user_id")
)


def case_roles(session: Session, actor: Actor, case_id: uuid.UUID) -> frozenset[Role]:
    """The actor's roles on one case; an agency role counts only for the user's own agency."""
    if actor.user_id is None:
        return frozenset()
    rows = session.exec(_CASE_ROLES, params={"case_id": case_id, "user_id": actor.user_id}).all()
    roles = set()
    for role, agency_id in rows:
        held = Role(role)
        if held in AGENCY_ROLES and (actor.agency_id is None or agency_id != actor.agency_id):
            continue
        roles.add(held)
    return frozenset(roles)


def can_view_case(session: Session, actor: Actor, case: Case) -> bool:
    """True if the actor may see this case at all."""
    found = session.exec(
        select(Case.id).where(Case.id == case.id, case_visibility_clause(session, actor))
    ).first()
    return found is not None


def _visible_by_scope(session: Session, actor: Actor, case: Case) -> bool:
    """case_visibility_clause without its membership part, decided for one loaded case."""
    if Role.ADMIN in actor.global_roles or Role.SYSTEM in actor.global_roles:
        return True
    if actor.global_roles & {Role.CSP_OFFICER, Role.CSP_CHAIR}:
        csp_id = _csp_scope(session, actor)
        return csp_id is None or case.csp_id == csp_id
    return False


def require_case_access(
    session: Session, actor: Actor, case: Case, action: Action = Action.CASE_VIEW
) -> Actor:
    """The actor with their roles on this case, after checking they may see it and do `action`.

    Raises CaseNotFound (404) when the case is invisible to them, PermissionDenied (403) when they
    see it but their roles do not allow the action.
    """
    roles = case_roles(session, actor, case.id)
    # a valid membership is exactly what _membership_clause selects, so the roles decide visibility
    # without a second query; otherwise only the global scope (admin, system, CSP) can grant it
    if not roles and not _visible_by_scope(session, actor, case):
        raise CaseNotFound("no such case", field="case")
    acting = actor.on_case(roles)
    require(acting, action)
    return acting


def is_agency_view(session: Session, actor: Actor, case: Case) -> bool:
    """True when the actor sees this case only through an agency role (own agency's things only)."""
    acting = actor.on_case(case_roles(session, actor, case.id))
    return not may(acting, Action.RETURNS_VIEW_ALL)


# --- 3. which fields --------------------------------------------------------------------------


def person_view(actor: Actor, person: Person) -> dict[str, Any]:
    """The person's fields this (case-resolved) actor may read; restricted ones are left out."""
    data: dict[str, Any] = {
        "id": person.id,
        "role": person.role,
        "pseudonym": person.pseudonym,
        "age_at_death": person.age_at_death,
        "sex": person.sex,
        "relationship": person.relationship,
    }
    for name in RESTRICTED_PERSON_FIELDS:
        allowed = actor.has_any(FULL_IDENTITY) or (
            name in SUBJECT_FIELDS and person.role in SUBJECT_PERSON_ROLES and actor.has_any(SUBJECT_IDENTITY)
        )
        if allowed:
            data[name] = getattr(person, name)
    return data


def case_view(actor: Actor, case: Case) -> dict[str, Any]:
    """The case's own fields this (case-resolved) actor may read."""
    data: dict[str, Any] = {
        "id": case.id,
        "ref": case.ref,
        "title": case.title,
        "review_type": case.review_type,
        "workflow_key": case.workflow_key,
        "workflow_version": case.workflow_version,
        "stage": case.stage,
        "stage_entered_on": case.stage_entered_on,
        "version": case.version,
        "notified_on": case.notified_on,
        "date_of_death": case.date_of_death,
        "date_of_death_precision": case.date_of_death_precision,
        "police_force_area": case.police_force_area,
        "closed_on": case.closed_on,
    }
    if may_read_field(actor, "case", "summary"):
        data["summary"] = case.summary
    return data


def event_view(actor: Actor, event: AuditEvent) -> dict[str, Any] | None:
    """The event as this actor may read it, or None when it is not for them."""
    full = may(actor, Action.AUDIT_VIEW_FULL)
    if not full and event.kind not in PUBLIC_EVENT_KINDS:
        return None
    data = event.data if full else {k: v for k, v in event.data.items() if k in PUBLIC_EVENT_KEYS}
    return {
        "seq": event.seq,
        "kind": event.kind,
        "actor_label": event.actor_label,
        "effective_on": event.effective_on,
        "recorded_at": event.recorded_at,
        "data": data,
        "hash": event.hash,
    }


def contact_roles(session: Session, actor: Actor, agency_id: uuid.UUID) -> frozenset[Role]:
    """The agency roles a named DHR contact holds on the requests addressed to their agency.

    Resolved from the contacts table when it is read, so removing a contact ends the access at
    once. Only for a user of that same agency, and only on its requests (returns/access.py): a
    contact is not a member of the case and sees nothing else of it.
    """
    if actor.user_id is None or actor.agency_id is None or actor.agency_id != agency_id:
        return frozenset()
    kinds = session.exec(
        select(AgencyContact.kind).where(
            AgencyContact.user_id == actor.user_id,
            AgencyContact.agency_id == agency_id,
            col(AgencyContact.removed_at).is_(None),
        )
    ).all()
    return frozenset(CONTACT_KINDS[k].role for k in kinds if k in CONTACT_KINDS)


def contact_case_ids(session: Session, actor: Actor) -> set[uuid.UUID]:
    """The cases with a request addressed to the agency the actor is a named contact of."""
    if actor.user_id is None or actor.agency_id is None:
        return set()
    named = select(AgencyContact.agency_id).where(
        AgencyContact.user_id == actor.user_id,
        AgencyContact.agency_id == actor.agency_id,
        col(AgencyContact.removed_at).is_(None),
    )
    found = session.exec(
        select(ReturnRequest.case_id).where(
            col(ReturnRequest.agency_id) == actor.agency_id, col(ReturnRequest.agency_id).in_(named)
        )
    ).all()
    return set(found)


def may_see_return(actor: Actor, agency_id: uuid.UUID) -> bool:
    """Every agency's returns for case staff; an agency user only their own agency's."""
    return may(actor, Action.RETURNS_VIEW_ALL) or (
        actor.agency_id is not None and actor.agency_id == agency_id and actor.has_any(AGENCY_ROLES)
    )


def return_visibility_clause(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on ReturnRequest for the returns this (case-resolved) actor may see."""
    if may(actor, Action.RETURNS_VIEW_ALL):
        return true()
    if actor.agency_id is None or not actor.has_any(AGENCY_ROLES):
        return false()
    return col(ReturnRequest.agency_id) == actor.agency_id


def visible_deadlines(session: Session, actor: Actor, rows: Iterable[Deadline]) -> list[Deadline]:
    """The deadlines of `rows` this (case-resolved) actor may see.

    Those who see every agency's returns see every deadline. An agency user sees only their own
    agency's: the deadlines of its return requests (subject_type 'return_request') and of the
    action-plan actions it leads (subject_type 'action'), none of the CSP's own deadlines and none
    of another agency's (the same agencies the sweep tells: deadlines/addressees.py).
    """
    rows = list(rows)
    if may(actor, Action.RETURNS_VIEW_ALL):
        return rows
    if actor.agency_id is None or not actor.has_any(AGENCY_ROLES):
        return []
    by_type: dict[str, set[uuid.UUID]] = {"return_request": set(), "action": set()}
    for r in rows:
        if r.subject_type in by_type and r.subject_id is not None:
            by_type[r.subject_type].add(r.subject_id)
    own: set[uuid.UUID] = set()
    if by_type["return_request"]:
        own |= set(
            session.exec(
                select(ReturnRequest.id).where(
                    col(ReturnRequest.id).in_(by_type["return_request"]),
                    col(ReturnRequest.agency_id) == actor.agency_id,
                )
            ).all()
        )
    if by_type["action"]:
        own |= set(
            session.exec(
                select(PlanAction.id).where(
                    col(PlanAction.id).in_(by_type["action"]),
                    col(PlanAction.lead_agency_id) == actor.agency_id,
                )
            ).all()
        )
    return [r for r in rows if r.subject_type in by_type and r.subject_id in own]


@dataclass(frozen=True)
class PolicyRow:
    """One row of the policy table, for documentation and the admin screen."""

    action: str
    roles: tuple[str, ...]


def policy_table() -> list[PolicyRow]:
    return [PolicyRow(a.value, tuple(sorted(r.value for r in roles))) for a, roles in POLICY.items()]
