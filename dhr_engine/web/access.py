"""Which cases and records a signed-in user may see in the web pages.

Every case read of the web goes through here, and this module only asks the engine's access
policy (dhr_engine.auth.policy), so the pages and the JSON API answer the same question the same
way: a case the user may not see is "not found", never "forbidden".
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from dhr_engine.auth import policy
from dhr_engine.auth.policy import Action
from dhr_engine.domain.actor import Actor
from dhr_engine.persistence.case_lookup import get_case
from dhr_engine.persistence.tables import Case
from dhr_engine.web.deps import Viewer


def visible_cases(session: Session, viewer: Viewer) -> list[Case]:
    """The cases this user may see, newest notification first."""
    query = (
        select(Case)
        .where(policy.case_visibility_clause(session, viewer.actor))
        .order_by(col(Case.notified_on).desc(), col(Case.ref).desc())
    )
    return list(session.exec(query).all())


def open_case(
    session: Session, viewer: Viewer, ref: str, action: Action = Action.CASE_VIEW
) -> tuple[Case, Actor]:
    """One case by reference and the user's case-resolved actor, after the policy's checks."""
    case = get_case(session, ref=ref)
    acting = policy.require_case_access(session, viewer.actor, case, action)
    return case, acting


def may(acting: Actor, action: Action) -> bool:
    return policy.may(acting, action)


def agency_scoped(session: Session, viewer: Viewer, case: Case) -> bool:
    """True when the user sees the case only as an agency (own agency's returns only)."""
    return policy.is_agency_view(session, viewer.actor, case)
