"""Parallel proceedings: record one, pause the review's clock, conclude it, resume the review."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, status
from sqlmodel import col, select

from dhr_engine.api.deps import API_PREFIX, CaseAccess, CtxDep, PageDep, case_access, paginate
from dhr_engine.api.paging import Page
from dhr_engine.auth import policy
from dhr_engine.auth.policy import Action
from dhr_engine.cases.api import fire
from dhr_engine.cases.schemas import CaseOut, VersionedIn
from dhr_engine.context import AppContext
from dhr_engine.domain.actor import Actor
from dhr_engine.errors import TransitionNotAllowed
from dhr_engine.persistence.tables import ParallelProceeding
from dhr_engine.proceedings import service as proceeding_service
from dhr_engine.proceedings.schemas import ConcludeIn, ProceedingIn, ProceedingOut

router = APIRouter(prefix=API_PREFIX, tags=["proceedings"])

ProceedingPath = Annotated[uuid.UUID, Path(description="The proceeding id")]
Viewing = Annotated[CaseAccess, Depends(case_access(Action.PROCEEDINGS_VIEW))]
Managing = Annotated[CaseAccess, Depends(case_access(Action.PROCEEDINGS_MANAGE))]
Firing = Annotated[CaseAccess, Depends(case_access(Action.CASE_FIRE))]


def _out(actor: Actor, row: ParallelProceeding) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": row.id,
        "kind": row.kind,
        "body": row.body,
        "reference": row.reference,
        "started_on": row.started_on,
        "concluded_on": row.concluded_on,
        "pauses_review": row.pauses_review,
    }
    if policy.may_read_field(actor, "proceeding", "note"):
        data["note"] = row.note
    return data


@router.get(
    "/cases/{ref}/proceedings",
    response_model=Page[ProceedingOut],
    response_model_exclude_unset=True,
    summary="Parallel proceedings",
)
def list_proceedings(ctx: CtxDep, access: Viewing, page: PageDep) -> dict[str, Any]:
    """Criminal trials, inquests and other proceedings running beside the review."""
    with ctx.reader() as uow:
        query = (
            select(ParallelProceeding)
            .where(ParallelProceeding.case_id == access.case.id)
            .order_by(col(ParallelProceeding.started_on), col(ParallelProceeding.id))
        )
        return paginate(uow.session, query, page, lambda r: _out(access.actor, r))


@router.post(
    "/cases/{ref}/proceedings",
    response_model=ProceedingOut,
    response_model_exclude_unset=True,
    status_code=status.HTTP_201_CREATED,
    summary="Record a proceeding",
)
def record(ctx: CtxDep, access: Managing, body: ProceedingIn) -> dict[str, Any]:
    """Record a proceeding; pausing the review is then `POST .../pause`."""
    row = proceeding_service.record_proceeding(
        ctx.uow(), actor=access.actor, clock=ctx.clock, case_id=access.case.id, **body.model_dump()
    )
    return _out(access.actor, row)


@router.post(
    "/cases/{ref}/proceedings/{proceeding_id}/conclude",
    response_model=ProceedingOut,
    response_model_exclude_unset=True,
    summary="Conclude a proceeding",
)
def conclude(
    ctx: CtxDep, access: Managing, proceeding_id: ProceedingPath, body: ConcludeIn
) -> dict[str, Any]:
    """Record that a proceeding has ended; the review is then resumed with `POST .../resume`."""
    row = proceeding_service.conclude_proceeding(
        ctx.uow(),
        actor=access.actor,
        clock=ctx.clock,
        case_id=access.case.id,
        proceeding_id=proceeding_id,
        concluded_on=body.concluded_on,
        outcome=body.outcome,
    )
    return _out(access.actor, row)


def _pause_triggers(ctx: AppContext, access: CaseAccess) -> tuple[str, str]:
    definition = ctx.workflows.get(access.case.workflow_key, access.case.workflow_version)
    if definition.pause is None:
        raise TransitionNotAllowed("this workflow cannot be paused", field="trigger")
    return definition.pause.pause_trigger, definition.pause.resume_trigger


@router.post(
    "/cases/{ref}/pause",
    response_model=CaseOut,
    response_model_exclude_unset=True,
    summary="Pause the review for proceedings",
)
def pause(ctx: CtxDep, access: Firing, body: VersionedIn) -> dict[str, Any]:
    """Stop the review's clock while an open proceeding runs (the workflow's pause trigger)."""
    trigger, _ = _pause_triggers(ctx, access)
    return fire(ctx, access, trigger, body.expected_version, body.reason, body.effective_on)


@router.post(
    "/cases/{ref}/resume",
    response_model=CaseOut,
    response_model_exclude_unset=True,
    summary="Resume the review",
)
def resume(ctx: CtxDep, access: Firing, body: VersionedIn) -> dict[str, Any]:
    """Restart the clock where the review left off, once no proceeding that pauses it is open."""
    _, trigger = _pause_triggers(ctx, access)
    return fire(ctx, access, trigger, body.expected_version, body.reason, body.effective_on)
