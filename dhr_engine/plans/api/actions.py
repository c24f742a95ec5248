"""Plan actions: read one with its progress, move it through workflows/action_plan.yaml, change its
target, add milestones and record progress."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from dhr_engine.api.deps import API_PREFIX, ActorDep, CtxDep
from dhr_engine.plans import actions as action_service
from dhr_engine.plans.api.common import (
    ActionIdPath,
    TriggerPath,
    action_body,
    check_action,
    progress_out,
)
from dhr_engine.plans.schemas import (
    ActionDetailOut,
    ActionFireIn,
    ActionOut,
    MilestoneIn,
    ProgressIn,
    ProgressOut,
    TargetIn,
)

router = APIRouter(prefix=API_PREFIX)


# --- actions -------------------------------------------------------------------------------------


@router.get("/actions/{action_id}", response_model=ActionDetailOut, tags=["actions"], summary="One action")
def read_action(ctx: CtxDep, actor: ActorDep, action_id: ActionIdPath) -> dict[str, Any]:
    """The action with its RAG rating today, its milestones and its progress updates."""
    return action_body(ctx, actor, action_id)


@router.post(
    "/actions/{action_id}/triggers/{trigger}",
    response_model=ActionOut,
    tags=["actions"],
    summary="Move an action on",
)
def fire_action(
    ctx: CtxDep, actor: ActorDep, action_id: ActionIdPath, trigger: TriggerPath, body: ActionFireIn
) -> dict[str, Any]:
    """agree, start, complete (needs `evidence`) or close_not_done (needs a `reason`); who may fire
    each is in workflows/action_plan.yaml (agency roles only on their own agency's actions). 409 if
    the action has moved past `expected_version`, the trigger does not apply at its stage, or a
    guard blocks it (the guard names come back in `guards`)."""
    check_action(ctx, actor, action_id)
    action_service.fire_action(
        ctx.uow(),
        actor=actor,
        clock=ctx.clock,
        action_id=action_id,
        trigger=trigger,
        effective_on=body.effective_on,
        reason=body.reason,
        evidence=body.evidence,
        outcome=body.outcome,
        expected_version=body.expected_version,
    )
    return action_body(ctx, actor, action_id)


@router.put(
    "/actions/{action_id}/target",
    response_model=ActionOut,
    tags=["actions"],
    summary="Change the target date",
)
def change_target(ctx: CtxDep, actor: ActorDep, action_id: ActionIdPath, body: TargetIn) -> dict[str, Any]:
    """Move an open action's target date, saying why (the plan's editors); its deadline moves too."""
    check_action(ctx, actor, action_id)
    action_service.change_target(
        ctx.uow(),
        actor=actor,
        clock=ctx.clock,
        action_id=action_id,
        target_date=body.target_date,
        reason=body.reason,
    )
    return action_body(ctx, actor, action_id)


@router.post(
    "/actions/{action_id}/milestones",
    response_model=ActionOut,
    status_code=status.HTTP_201_CREATED,
    tags=["actions"],
    summary="Record a milestone",
)
def add_milestone(ctx: CtxDep, actor: ActorDep, action_id: ActionIdPath, body: MilestoneIn) -> dict[str, Any]:
    """A key milestone achieved (the lead agency, the action's owner or the plan's editors)."""
    check_action(ctx, actor, action_id)
    action_service.add_milestone(
        ctx.uow(),
        actor=actor,
        clock=ctx.clock,
        action_id=action_id,
        text=body.text,
        achieved_on=body.achieved_on,
    )
    return action_body(ctx, actor, action_id)


@router.post(
    "/actions/{action_id}/progress",
    response_model=ProgressOut,
    status_code=status.HTTP_201_CREATED,
    tags=["actions"],
    summary="Record progress",
)
def record_progress(
    ctx: CtxDep, actor: ActorDep, action_id: ActionIdPath, body: ProgressIn
) -> dict[str, Any]:
    """The lead agency's progress update on an open action, with its evidence (the lead agency,
    the action's owner or the plan's editors); it answers the agency's open progress return."""
    check_action(ctx, actor, action_id)
    update = action_service.record_progress(
        ctx.uow(),
        actor=actor,
        clock=ctx.clock,
        action_id=action_id,
        note=body.note,
        reported_on=body.reported_on,
    )
    return progress_out(update)
