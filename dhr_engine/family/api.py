"""The family engagement log: contacts, leaflet, advocacy, meetings, draft shared, pseudonym."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, status
from sqlmodel import col, select

from dhr_engine.api.deps import API_PREFIX, CaseAccess, CtxDep, PageDep, case_access, paginate
from dhr_engine.api.paging import Page
from dhr_engine.audit.reads import Interface, ReadKind, record_read
from dhr_engine.auth.policy import Action
from dhr_engine.domain.family_log import KINDS as FAMILY_KINDS
from dhr_engine.errors import ValidationFailed
from dhr_engine.family import service as family_service
from dhr_engine.family.schemas import FamilyEntryIn, FamilyEntryOut
from dhr_engine.persistence.tables import FamilyContact, Person

router = APIRouter(prefix=API_PREFIX, tags=["family"])

Viewing = Annotated[CaseAccess, Depends(case_access(Action.FAMILY_VIEW))]
Managing = Annotated[CaseAccess, Depends(case_access(Action.FAMILY_MANAGE))]


def _out(row: FamilyContact) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "kind_label": FAMILY_KINDS.get(row.kind, row.kind),
        "occurred_on": row.occurred_on,
        "person_id": row.person_id,
        "note": row.note,
        "recorded_at": row.recorded_at,
    }


@router.get(
    "/cases/{ref}/family-log", response_model=Page[FamilyEntryOut], summary="The family engagement log"
)
def list_entries(ctx: CtxDep, access: Viewing, page: PageDep) -> dict[str, Any]:
    """Every contact with the family, in the order it happened (not for agency roles)."""
    with ctx.reader() as uow:
        query = (
            select(FamilyContact)
            .where(FamilyContact.case_id == access.case.id)
            .order_by(col(FamilyContact.occurred_on), col(FamilyContact.recorded_at))
        )
        body = paginate(uow.session, query, page, _out)
    record_read(
        ctx, actor=access.actor, interface=Interface.API, kind=ReadKind.FAMILY_LOG, case_id=access.case.id
    )
    return body


@router.post(
    "/cases/{ref}/family-log",
    response_model=FamilyEntryOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add to the family engagement log",
)
def add_entry(ctx: CtxDep, access: Managing, body: FamilyEntryIn) -> dict[str, Any]:
    """Record a contact: a first letter or leaflet sent meets the family-letter deadline."""
    if body.person_id is not None:
        with ctx.reader() as uow:
            person = uow.session.get(Person, body.person_id)
            if person is None or person.case_id != access.case.id:
                raise ValidationFailed("no such person on this case", field="person_id")
    row = family_service.record_family_contact(
        ctx.uow(),
        actor=access.actor,
        clock=ctx.clock,
        case_id=access.case.id,
        kind=body.kind,
        occurred_on=body.occurred_on,
        note=body.note,
        person_id=body.person_id,
    )
    return _out(row)
