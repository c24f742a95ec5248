"""Who may see and act on which return request.

- Case staff (CSP officer, CSP chair, admin, independent chair, overview author, panel member)
  see every agency's requests of the cases they may see.
- An agency user (agency_author, agency_manager) sees only their own agency's requests, versions,
  attachments and chronology entries. Anything else is "not found", also when the id is guessed:
  the existence of another agency's return is never told.
- Which role may fire which step is in workflows/agency_return.yaml; an agency role counts only
  on a request addressed to the user's own agency.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session, col, select

from dhr_engine.auth import policy
from dhr_engine.auth.policy import Action
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.roles import AGENCY_ROLES, RETURNS_REQUEST, roles_that
from dhr_engine.errors import NotFound, PermissionDenied
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
    """The requests of the case this user may see (their agency's only, for agency users)."""
    acting = case_actor(session, actor, case)
    query = select(ReturnRequest).where(
        ReturnRequest.case_id == case.id, policy.return_visibility_clause(acting)
    )
    if kind is not None:
        query = query.where(ReturnRequest.kind == kind)
    return list(session.exec(query.order_by(col(ReturnRequest.requested_on), col(ReturnRequest.id))).all())


def load_request(session: Session, actor: Actor, request_id: uuid.UUID) -> RequestScope:
    """A request the actor may see, or NotFound (never 'forbidden': existence is not told)."""
    request = session.get(ReturnRequest, request_id)
    case = session.get(Case, request.case_id) if request is not None else None
    if request is None or case is None or not policy.can_view_case(session, actor, case):
        raise NotFound("no such return request", field="request_id")
    acting = actor.on_case(policy.case_roles(session, actor, case.id))
    if not may_see(acting, request):
        raise NotFound("no such return request", field="request_id")
    return RequestScope(request, case, request_actor(acting, request))


def require_requester(actor: Actor) -> None:
    if not actor.has_any(REQUESTERS):
        raise PermissionDenied(
            "only the CSP officer or the independent chair may request or chase agency returns",
            field="role",
        )


def is_case_staff(actor: Actor) -> bool:
    """True when the (case-resolved) actor sees every agency's returns."""
    return policy.may(actor, Action.RETURNS_VIEW_ALL)
