"""An agency's DHR contacts: list (who may see agencies), name and remove (administrator, CSP officer)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response, status

from dhr_engine.accounts.service import get_user
from dhr_engine.agencies import queries
from dhr_engine.agencies import service as contact_service
from dhr_engine.agencies.queries import ContactRow
from dhr_engine.agencies.schemas import ContactIn, ContactOut
from dhr_engine.api.deps import API_PREFIX, CtxDep, PageDep, paginate_list, require_action
from dhr_engine.api.paging import Page
from dhr_engine.auth.policy import Action
from dhr_engine.domain.actor import Actor

router = APIRouter(prefix=API_PREFIX, tags=["admin"])

AgencyPath = Annotated[uuid.UUID, Path(description="The agency id")]
ContactPath = Annotated[uuid.UUID, Path(description="The contact's id")]
Viewer = Annotated[Actor, Depends(require_action(Action.AGENCIES_VIEW))]
Keeper = Annotated[Actor, Depends(require_action(Action.AGENCY_CONTACTS))]


def contact_out(row: ContactRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "agency_id": row.agency_id,
        "user_id": row.user_id,
        "username": row.username,
        "display_name": row.display_name,
        "kind": row.kind,
        "kind_label": row.kind_label,
        "added_at": row.added_at,
    }


@router.get(
    "/agencies/{agency_id}/contacts", response_model=Page[ContactOut], summary="An agency's DHR contacts"
)
def list_contacts(ctx: CtxDep, actor: Viewer, agency_id: AgencyPath, page: PageDep) -> dict[str, Any]:
    """Who the agency's single point of contact, IMR authors and senior manager are."""
    with ctx.reader() as uow:
        agency = contact_service.agency_in_scope(uow.session, actor, agency_id)
        rows = queries.active_contacts(uow.session, agency.id)
    return paginate_list([contact_out(r) for r in rows], page)


@router.post(
    "/agencies/{agency_id}/contacts",
    response_model=ContactOut,
    status_code=status.HTTP_201_CREATED,
    summary="Name a DHR contact",
)
def add_contact(ctx: CtxDep, actor: Keeper, agency_id: AgencyPath, body: ContactIn) -> dict[str, Any]:
    """Name a user account of the agency as one of its DHR contacts (told of every request)."""
    with ctx.reader() as uow:
        user_id = get_user(uow.session, username=body.username).id
    made = contact_service.add_contact(
        ctx.uow(), actor=actor, clock=ctx.clock, agency_id=agency_id, user_id=user_id, kind=body.kind
    )
    with ctx.reader() as uow:
        row = next(r for r in queries.active_contacts(uow.session, agency_id) if r.id == made.id)
    return contact_out(row)


@router.delete(
    "/agencies/{agency_id}/contacts/{contact_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Remove a DHR contact",
)
def remove_contact(ctx: CtxDep, actor: Keeper, agency_id: AgencyPath, contact_id: ContactPath) -> Response:
    """Remove a contact: they are no longer told of requests and lose the access those gave them."""
    contact_service.remove_contact(
        ctx.uow(), actor=actor, clock=ctx.clock, agency_id=agency_id, contact_id=contact_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
