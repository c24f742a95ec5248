"""Who may change a plan and act on its actions.

- A review's action plan is edited by the CSP officer, the CSP chair or the review's independent
  chair (roles on the case); a priority plan by the CSP officer or CSP chair. Admins may do both.
- Which role may move an action (agree, start, complete, close) is in workflows/action_plan.yaml.
  Agency roles count only for an action led by the user's own agency (agency users are bound to
  their agency), and the action's named owner acts as its agency manager.
- Progress is reported by the lead agency (any of its users), the owner or the plan's editors.
"""

from __future__ import annotations

from sqlmodel import Session

from dhr_engine.auth.actors import actor_on_case
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.roles import AGENCY_ROLES, PLANS_EDIT_PRIORITY, PLANS_EDIT_REVIEW, Role, roles_that
from dhr_engine.errors import PermissionDenied
from dhr_engine.persistence.tables_plans import Plan, PlanAction

REVIEW_EDITORS = roles_that(PLANS_EDIT_REVIEW)
PRIORITY_EDITORS = roles_that(PLANS_EDIT_PRIORITY)


def plan_actor(session: Session, actor: Actor, plan: Plan) -> Actor:
    """The actor with their roles on the plan's case (a priority plan has no case roles)."""
    if plan.case_id is None:
        return actor.on_case(frozenset())
    return actor_on_case(session, actor, plan.case_id)


def editors_of(plan: Plan) -> frozenset[Role]:
    return REVIEW_EDITORS if plan.case_id is not None else PRIORITY_EDITORS


def require_editor(session: Session, actor: Actor, plan: Plan) -> Actor:
    """Raise PermissionDenied unless the actor may change this plan."""
    acting = plan_actor(session, actor, plan)
    allowed = editors_of(plan)
    if not acting.has_any(allowed):
        names = ", ".join(sorted(r.value for r in allowed))
        raise PermissionDenied(f"only {names} may change this plan", field="role")
    return acting


def action_actor(session: Session, actor: Actor, plan: Plan, action: PlanAction) -> Actor:
    """The actor's roles for one action: agency roles only for their own agency's action."""
    acting = plan_actor(session, actor, plan)
    roles = set(acting.case_roles)
    if actor.agency_id is None or actor.agency_id != action.lead_agency_id:
        roles -= AGENCY_ROLES
    if actor.user_id is not None and actor.user_id == action.owner_user_id:
        roles.add(Role.AGENCY_MANAGER)
    return acting.on_case(frozenset(roles))


def require_progress_reporter(session: Session, actor: Actor, plan: Plan, action: PlanAction) -> Actor:
    """Raise PermissionDenied unless the actor may report progress on this action."""
    acting = action_actor(session, actor, plan, action)
    own_agency = actor.agency_id is not None and actor.agency_id == action.lead_agency_id
    is_owner = actor.user_id is not None and actor.user_id == action.owner_user_id
    if own_agency or is_owner or acting.has_any(editors_of(plan)):
        return acting
    raise PermissionDenied(
        "only the lead agency, the action's owner or the plan's editors may report progress", field="role"
    )
