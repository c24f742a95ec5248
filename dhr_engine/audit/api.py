"""The read log of sensitive records, for the CSP's administrator (GET /audit/reads)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from dhr_engine.api.deps import API_PREFIX, CtxDep, PageDep, page_body, require_action
from dhr_engine.api.paging import Page
from dhr_engine.audit import reads
from dhr_engine.audit.schemas import ReadOut
from dhr_engine.auth.policy import Action
from dhr_engine.domain.actor import Actor

router = APIRouter(prefix=API_PREFIX, tags=["admin"])

ReadsAdmin = Annotated[Actor, Depends(require_action(Action.AUDIT_READS))]


@router.get("/audit/reads", response_model=Page[ReadOut], summary="Who read sensitive records")
def list_reads(
    ctx: CtxDep,
    _actor: ReadsAdmin,
    page: PageDep,
    case: Annotated[
        str | None, Query(max_length=40, description="Only reads of this case (its reference)")
    ] = None,
    user: Annotated[str | None, Query(max_length=80, description="Only reads by this user name")] = None,
) -> dict[str, Any]:
    """Every recorded read of real names, the family log, chronologies, returns, attachments, the
    merged chronology and its downloads, and letters naming the family or the subjects: newest
    first (administrators only). An unknown case or user name is a 422 naming the filter."""
    with ctx.reader() as uow:
        found = reads.list_reads(
            uow.session, case_ref=case or "", username=user or "", limit=page.limit, offset=page.offset
        )
    return page_body([row.as_dict() for row in found.rows], found.total, page)
