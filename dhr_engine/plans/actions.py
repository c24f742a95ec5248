"""Move actions through workflows/action_plan.yaml, change targets, record milestones and progress.

proposed -> agreed -> in_progress -> complete (evidence required: guard `evidence_given`),
or closed_not_done from any open stage (a reason is required). Every change is audited: on the
review's case, or in the priority plan's own record.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from dhr_engine.cases.service import require_role
from dhr_engine.deadlines.service import validate_effective_date
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.clock import Clock
from dhr_engine.errors import StaleCase, TransitionBlocked, ValidationFailed
from dhr_engine.persistence.facts import FINISHED_RETURN_STAGES
from dhr_engine.persistence.tables import ReturnRequest
from dhr_engine.persistence.tables_plans import PlanAction, ProgressUpdate
from dhr_engine.persistence.unit_of_work import UnitOfWork
from dhr_engine.plans import deadlines as plan_deadlines
from dhr_engine.plans.access import action_actor, require_editor, require_progress_reporter
from dhr_engine.plans.audit import record_change
from dhr_engine.plans.rag import COMPLETE, FINISHED
from dhr_engine.plans.scope import ACTION_WORKFLOW, PlanScope, load_action
from dhr_engine.workflow.flow import CaseFlow
from dhr_engine.workflow.machine import fire

PROGRESS_RETURN_KIND = "action_plan_progress"


class _NoCaseFacts:
    """The action workflow's only guard reads the payload; it asks nothing of a case."""

    def member_roles(self) -> frozenset[str]:
        return frozenset()

    def open_proceedings(self) -> int:
        return 0

    def return_counts(self, kinds: frozenset[str]) -> tuple[int, int]:
        return (0, 0)

    def family_log_kinds(self) -> frozenset[str]:
        return frozenset()

    def open_actions(self) -> int:
        return 0


def _check_version(action: PlanAction, expected: int | None) -> None:
    if expected is not None and action.version != expected:
        raise StaleCase(
            f"the action is at version {action.version}, not {expected}; reload it and try again",
            field="expected_version",
        )


def _save_action(
    session: Session,
    scope: PlanScope,
    action: PlanAction,
    *,
    kind: str,
    actor: Actor,
    clock: Clock,
    effective_on: date,
    data: dict[str, Any] | None = None,
) -> None:
    """Bump the action's version, store it and audit the change (naming the action) in one go."""
    action.version += 1
    session.add(action)
    record_change(
        session,
        scope.plan,
        scope.case,
        kind=kind,
        actor=actor,
        effective_on=effective_on,
        recorded_at=clock.now(),
        data={"action_id": str(action.id), "number": action.number, **(data or {})},
    )


def fire_action(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    action_id: uuid.UUID,
    trigger: str,
    effective_on: date | None = None,
    reason: str = "",
    evidence: str = "",
    outcome: str = "",
    expected_version: int | None = None,
) -> PlanAction:
    """Apply one trigger of the action workflow, atomically with its audit and deadline."""
    on = effective_on or clock.today()
    with uow:
        session = uow.session
        scope, action = load_action(uow, action_id)
        _check_version(action, expected_version)
        validate_effective_date(on, clock.today(), not_before=action.stage_entered_on)
        definition = uow.workflows.get(ACTION_WORKFLOW, action.workflow_version)
        acting = action_actor(session, actor, scope.plan, action)
        require_role(definition, action.stage, trigger, acting)
        if (
            any(t.requires_reason for t in definition.transitions_for(trigger, action.stage))
            and not reason.strip()
        ):
            raise ValidationFailed(f"'{trigger}' needs a reason", field="reason")
        flow = CaseFlow(
            action,
            definition,
            acting,
            facts=_NoCaseFacts(),
            effective_on=on,
            reason=reason,
            payload={"evidence": evidence},
        )
        source = action.stage
        if not fire(definition, flow, trigger):
            raise TransitionBlocked(trigger, sorted(set(flow.effects.failed_guards)))
        action.stage_entered_on = on
        if action.stage == COMPLETE:
            action.evidence, action.outcome, action.ended_on = evidence.strip(), outcome.strip(), on
        elif action.stage in FINISHED:
            action.closed_reason, action.ended_on = reason.strip(), on
        _save_action(
            session,
            scope,
            action,
            kind="action_stage_changed",
            actor=acting,
            clock=clock,
            effective_on=on,
            data={"trigger": trigger, "from_stage": source, "to_stage": action.stage, "reason": reason},
        )
        if scope.case is not None and action.stage in FINISHED:
            plan_deadlines.close_target(
                session, scope.plan, scope.case, action, acting, clock, on, done=action.stage == COMPLETE
            )
        uow.commit()
        return action


def change_target(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    action_id: uuid.UUID,
    target_date: date,
    reason: str,
) -> PlanAction:
    """Move an open action's target date (with a reason); its deadline row moves with it."""
    if not reason.strip():
        raise ValidationFailed("say why the target date changes", field="reason")
    today = clock.today()
    with uow:
        session = uow.session
        scope, action = load_action(uow, action_id)
        acting = require_editor(session, actor, scope.plan)
        if action.stage in FINISHED:
            raise ValidationFailed("the action is finished; its target cannot change", field="action_id")
        if target_date < action.created_on:
            raise ValidationFailed(
                f"the target date cannot be before {format_date(action.created_on)}", field="target_date"
            )
        previous = action.target_date
        action.target_date = target_date
        _save_action(
            session,
            scope,
            action,
            kind="action_target_changed",
            actor=acting,
            clock=clock,
            effective_on=today,
            data={"from": previous.isoformat(), "to": target_date.isoformat(), "reason": reason},
        )
        if scope.case is not None:
            plan_deadlines.open_target(uow, scope.plan, scope.case, action, acting, clock, today)
        uow.commit()
        return action


def add_milestone(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    action_id: uuid.UUID,
    text: str,
    achieved_on: date,
) -> PlanAction:
    """Record a key milestone achieved in carrying out the action."""
    if not text.strip():
        raise ValidationFailed("describe the milestone", field="text")
    validate_effective_date(achieved_on, clock.today())
    with uow:
        session = uow.session
        scope, action = load_action(uow, action_id)
        acting = require_progress_reporter(session, actor, scope.plan, action)
        action.milestones = [*action.milestones, {"on": achieved_on.isoformat(), "text": text.strip()}]
        _save_action(
            session,
            scope,
            action,
            kind="action_milestone_added",
            actor=acting,
            clock=clock,
            effective_on=achieved_on,
        )
        uow.commit()
        return action


def _open_progress_return(session: Session, case_id: uuid.UUID, agency_id: uuid.UUID) -> ReturnRequest | None:
    """The agency's open action-plan progress return on the case, if the returns service made one."""
    query = (
        select(ReturnRequest)
        .where(
            ReturnRequest.case_id == case_id,
            ReturnRequest.agency_id == agency_id,
            ReturnRequest.kind == PROGRESS_RETURN_KIND,
            col(ReturnRequest.stage).not_in(sorted(FINISHED_RETURN_STAGES)),
        )
        .order_by(col(ReturnRequest.requested_on).desc())
    )
    return session.exec(query).first()


def record_progress(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    action_id: uuid.UUID,
    note: str,
    reported_on: date | None = None,
) -> ProgressUpdate:
    """Record the lead agency's progress update on an open action.

    On a review's plan the update is linked to the agency's open ReturnRequest of kind
    'action_plan_progress' when there is one, so the returns workflow sees it answered.
    """
    if not note.strip():
        raise ValidationFailed("the update has no text", field="note")
    on = reported_on or clock.today()
    validate_effective_date(on, clock.today())
    with uow:
        session = uow.session
        scope, action = load_action(uow, action_id)
        acting = require_progress_reporter(session, actor, scope.plan, action)
        if action.stage in FINISHED:
            raise ValidationFailed("the action is finished; no more updates", field="action_id")
        if on < action.created_on:
            raise ValidationFailed("the update cannot be before the action was added", field="reported_on")
        linked = None
        if scope.case is not None and action.lead_agency_id is not None:
            linked = _open_progress_return(session, scope.case.id, action.lead_agency_id)
        update = ProgressUpdate(
            action_id=action.id,
            agency_id=action.lead_agency_id,
            reported_on=on,
            note=note.strip(),
            return_request_id=linked.id if linked else None,
            recorded_by=actor.user_id,
        )
        session.add(update)
        action.last_update_on = max(on, action.last_update_on or on)
        _save_action(
            session,
            scope,
            action,
            kind="action_progress_recorded",
            actor=acting,
            clock=clock,
            effective_on=on,
            data={
                "progress_update_id": str(update.id),
                "return_request_id": str(linked.id) if linked else None,
            },
        )
        uow.commit()
        return update


def progress_history(session: Session, action_id: uuid.UUID) -> list[ProgressUpdate]:
    query = select(ProgressUpdate).where(ProgressUpdate.action_id == action_id)
    return list(session.exec(query.order_by(col(ProgressUpdate.reported_on))).all())
