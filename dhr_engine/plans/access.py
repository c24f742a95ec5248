"""Who may see a plan and its actions, and who may change a plan and act on its actions.

- A review's action plan is seen by whoever may see its case; an agency user sees only the actions
  their own agency leads. A priority plan is seen by CSP staff of its own partnership (an admin:
  every partnership). A plan or action one may not see is not found (its existence is not told).

- A review's action plan is edited by the CSP officer, the CSP chair or the review's independent
  chair (roles on the case); a priority plan by the CSP officer or CSP chair. Admins may do both.
- Which role may move an action (agree, start, complete, close) is in workflows/action_plan.yaml.
  Agency roles count only for an action led by the user's own agency (agency users are bound to
  their agency), and the action's named owner acts as its agency manager.
- Progress is reported by the lead agency (any of its users), the owner or the plan's editors.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlmodel import Session, col, select

from dhr_engine.auth import policy
from dhr_engine.auth.actors import actor_on_case
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.roles import (
    AGENCY_ROLES,
    GLOBAL_ROLES,
    PLANS_EDIT_PRIORITY,
    PLANS_EDIT_REVIEW,
    Role,
    roles_that,
)
from dhr_engine.errors import NotFound, PermissionDenied
from dhr_engine.persistence.tables import Case
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


def is_csp_staff(actor: Actor) -> bool:
    return bool(actor.global_roles & GLOBAL_ROLES)


def tied_csp(actor: Actor) -> uuid.UUID | None:
    """The partnership a non-admin account is bound to (None: every partnership)."""
    return None if Role.ADMIN in actor.global_roles else actor.csp_id


def visible_plans(session: Session, actor: Actor, kind: str | None = None) -> list[Plan]:
    """Review plans of the cases the actor may see; priority plans of their CSP for CSP staff."""
    plans: list[Plan] = []
    if kind in (None, "review"):
        cases = select(Case.id).where(policy.case_visibility_clause(session, actor))
        plans.extend(session.exec(select(Plan).where(col(Plan.case_id).in_(cases))).all())
    if kind in (None, "priority") and is_csp_staff(actor):
        query = select(Plan).where(Plan.kind == "priority")
        tied = tied_csp(actor)
        if tied is not None:
            query = query.where(Plan.csp_id == tied)
        plans.extend(session.exec(query).all())
    return sorted(plans, key=lambda p: (p.kind != "review", p.title, str(p.id)))


def agency_only(session: Session, actor: Actor, plan: Plan) -> bool:
    """True when the actor sees this plan only as an agency (their own agency's actions)."""
    if plan.case_id is None:
        return False
    case = session.get(Case, plan.case_id)
    return case is not None and policy.is_agency_view(session, actor, case)


def visible_actions(session: Session, actor: Actor, plans: Sequence[Plan]) -> list[PlanAction]:
    by_id = {p.id: p for p in plans}
    if not by_id:
        return []
    rows = session.exec(select(PlanAction).where(col(PlanAction.plan_id).in_(list(by_id)))).all()
    agency_plans = {p.id for p in plans if agency_only(session, actor, p)}
    return sorted(
        (
            a
            for a in rows
            if a.plan_id not in agency_plans
            or (actor.agency_id is not None and a.lead_agency_id == actor.agency_id)
        ),
        key=lambda a: (str(a.plan_id), number_key(a.number)),
    )


def number_key(number: str) -> tuple[int, ...]:
    return tuple(int(part) for part in number.split(".") if part.isdigit())


def load_visible_plan(session: Session, actor: Actor, plan_id: uuid.UUID) -> Plan:
    """The plan, if the actor may see it; 404 otherwise (its existence is not told)."""
    plan = session.get(Plan, plan_id)
    if plan is None or plan.id not in {p.id for p in visible_plans(session, actor, plan.kind)}:
        raise NotFound("no such plan", field="plan_id")
    return plan


def load_visible_action(session: Session, actor: Actor, action_id: uuid.UUID) -> tuple[Plan, PlanAction]:
    """The action and its plan, if the actor may see them; 404 otherwise."""
    action = session.get(PlanAction, action_id)
    if action is None:
        raise NotFound("no such action", field="action_id")
    try:
        plan = load_visible_plan(session, actor, action.plan_id)
    except NotFound:
        raise NotFound("no such action", field="action_id") from None
    if action.id not in {a.id for a in visible_actions(session, actor, [plan])}:
        raise NotFound("no such action", field="action_id")
    return plan, action
