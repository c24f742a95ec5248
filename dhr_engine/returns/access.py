"""Who may see and act on which return request.

- Case staff (CSP officer, CSP chair, admin, independent chair, overview author, panel member)
  see every agency's requests of the cases they may see.
- An agency user (agency_author, agency_manager) sees only their own agency's requests, versions,
  attachments and chronology entries. Anything else is "not found", also when the id is guessed:
  the existence of another agency's return is never told.
- Which role may fire which step is in workflows/agency_return.yaml; an agency role counts only
  on a request addressed to the user's own agency.
- A named DHR contact of the agency asked (agency_contact) holds the agency role of their kind of
  contact on that agency's requests (the request, its draft, attachments, versions, chronology and
  due dates) without being a member of the case: resolved from the contacts table at each read,
  so removing the contact ends the access, and the rest of the case stays closed to them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import Session, col, select

from dhr_engine.auth import policy
from dhr_engine.auth.policy import Action
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.roles import AGENCY_ROLES, RETURNS_REQUEST, roles_that
from dhr_engine.errors import CaseNotFound, NotFound, PermissionDenied
from dhr_engine.persistence.tables import Case, ReturnRequest

# Who may ask agencies for returns and chase them.
REQUESTERS = roles_that(RETURNS_REQUEST)


@dataclass(frozen=True)
class RequestScope:
    """A request the actor may see, its case, and the actor with their roles for this request."""

    request: ReturnRequest
    case: Case
    actor: Actor


def case_actor(session: Session, actor: Actor, case: Case) -> Actor:
    """The actor with their roles on the case; CaseNotFound when they may not see it."""
    return policy.require_case_access(session, actor, case, Action.CASE_VIEW)


def request_actor(actor: Actor, request: ReturnRequest) -> Actor:
    """A case-resolved actor's roles for one request: agency roles only for their own agency."""
    if actor.agency_id is not None and actor.agency_id == request.agency_id:
        return actor
    return actor.on_case(actor.case_roles - AGENCY_ROLES)


def may_see(actor: Actor, request: ReturnRequest) -> bool:
    return policy.may_see_return(actor, request.agency_id)


def visible_requests(
    session: Session, actor: Actor, case: Case, *, kind: str | None = None
) -> list[ReturnRequest]:
    """The requests of the case this user may see (their agency's only, for agency users; a named
    contact who is not a member of the case: their agency's requests, else "no such case")."""
    own = actor.agency_id
    named = policy.contact_roles(session, actor, own) if own is not None else frozenset()
    if named and not policy.can_view_case(session, actor, case):
        clause = col(ReturnRequest.agency_id) == own
        asked = session.exec(select(ReturnRequest.id).where(ReturnRequest.case_id == case.id, clause)).first()
        if asked is None:
            raise CaseNotFound("no such case", field="case")
    else:
        acting = case_actor(session, actor, case)
        visible = policy.return_visibility_clause(acting)
        clause = or_(visible, col(ReturnRequest.agency_id) == own) if named else visible
    query = select(ReturnRequest).where(ReturnRequest.case_id == case.id, clause)
    if kind is not None:
        query = query.where(ReturnRequest.kind == kind)
    return list(session.exec(query.order_by(col(ReturnRequest.requested_on), col(ReturnRequest.id))).all())


def load_request(session: Session, actor: Actor, request_id: uuid.UUID) -> RequestScope:
    """A request the actor may see, or NotFound (never 'forbidden': existence is not told)."""
    request = session.get(ReturnRequest, request_id)
    case = session.get(Case, request.case_id) if request is not None else None
    if request is None or case is None:
        raise NotFound("no such return request", field="request_id")
    # A named DHR contact of the agency asked holds its agency role on this request (and on
    # nothing else of the case), read from the contacts table now: a removed contact has none.
    named = policy.contact_roles(session, actor, request.agency_id)
    if policy.can_view_case(session, actor, case):
        acting = actor.on_case(policy.case_roles(session, actor, case.id) | named)
    elif named:
        acting = actor.on_case(named)
    else:
        raise NotFound("no such return request", field="request_id")
    if not may_see(acting, request):
        raise NotFound("no such return request", field="request_id")
    return RequestScope(request, case, request_actor(acting, request))


def contact_cases(session: Session, actor: Actor) -> list[Case]:
    """The cases with a request addressed to the agency this user is a named contact of (their
    returns list shows those requests, though they are not members of the case)."""
    ids = policy.contact_case_ids(session, actor)
    if not ids:
        return []
    return list(session.exec(select(Case).where(col(Case.id).in_(ids)).order_by(col(Case.ref))).all())


def may_open_case(session: Session, actor: Actor, case: Case) -> bool:
    """True when the user may open the case itself (a contact who is not a member may not)."""
    return policy.can_view_case(session, actor, case)


def require_requester(actor: Actor) -> None:
    if not actor.has_any(REQUESTERS):
        raise PermissionDenied(
            "only the CSP officer or the independent chair may request or chase agency returns",
            field="role",
        )


def is_case_staff(actor: Actor) -> bool:
    """True when the (case-resolved) actor sees every agency's returns."""
    return policy.may(actor, Action.RETURNS_VIEW_ALL)
