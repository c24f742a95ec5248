"""Administration: partner agencies and user accounts."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response, status
from sqlmodel import col, select

from dhr_engine.accounts import service as directory
from dhr_engine.accounts.schemas import (
    AgencyIn,
    AgencyOut,
    AgencyPatch,
    PasswordIn,
    UserIn,
    UserOut,
    UserPatch,
)
from dhr_engine.api.deps import API_PREFIX, CtxDep, PageDep, paginate, require_action
from dhr_engine.api.paging import Page
from dhr_engine.auth.policy import Action
from dhr_engine.domain.actor import Actor
from dhr_engine.errors import NotFound
from dhr_engine.persistence.tables import Agency, User

router = APIRouter(prefix=API_PREFIX, tags=["admin"])

AgencyPath = Annotated[uuid.UUID, Path(description="The agency id")]
UserPath = Annotated[uuid.UUID, Path(description="The user id")]
AgencyViewer = Annotated[Actor, Depends(require_action(Action.AGENCIES_VIEW))]
AgencyAdmin = Annotated[Actor, Depends(require_action(Action.AGENCIES_MANAGE))]
UserViewer = Annotated[Actor, Depends(require_action(Action.USERS_VIEW))]
UserAdmin = Annotated[Actor, Depends(require_action(Action.USERS_MANAGE))]


def _agency_out(row: Agency) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "kind": row.kind,
        "email": row.email,
        "senior_manager_email": row.senior_manager_email,
        "csp_id": row.csp_id,
    }


def _user_out(row: User, locked: set[uuid.UUID]) -> dict[str, Any]:
    """`locked`: the accounts waiting to sign in from some address (directory.locked_user_ids)."""
    return {
        "id": row.id,
        "username": row.username,
        "display_name": row.display_name,
        "email": row.email,
        "global_roles": list(row.global_roles),
        "agency_id": row.agency_id,
        "csp_id": row.csp_id,
        "is_active": row.is_active,
        "locked": row.id in locked,
        "created_at": row.created_at,
    }


@router.get("/agencies", response_model=Page[AgencyOut], summary="Partner agencies")
def list_agencies(ctx: CtxDep, _actor: AgencyViewer, page: PageDep) -> dict[str, Any]:
    """Every partner agency, by name."""
    with ctx.reader() as uow:
        return paginate(uow.session, select(Agency).order_by(col(Agency.name)), page, _agency_out)


@router.post(
    "/agencies", response_model=AgencyOut, status_code=status.HTTP_201_CREATED, summary="Add an agency"
)
def add_agency(ctx: CtxDep, _actor: AgencyAdmin, body: AgencyIn) -> dict[str, Any]:
    """Add a partner agency (administrators only)."""
    with ctx.uow() as uow:
        row = directory.add_agency(uow.session, **body.model_dump())
        uow.commit()
        return _agency_out(row)


@router.patch("/agencies/{agency_id}", response_model=AgencyOut, summary="Change an agency")
def change_agency(
    ctx: CtxDep, _actor: AgencyAdmin, agency_id: AgencyPath, body: AgencyPatch
) -> dict[str, Any]:
    """Change an agency's name, kind or e-mail addresses (administrators only)."""
    with ctx.uow() as uow:
        row = uow.session.get(Agency, agency_id)
        if row is None:
            raise NotFound("no such agency", field="agency_id")
        directory.update_agency(uow.session, row, **body.model_dump(exclude_unset=True))
        uow.commit()
        return _agency_out(row)


@router.get("/users", response_model=Page[UserOut], summary="User accounts")
def list_users(ctx: CtxDep, _actor: UserViewer, page: PageDep) -> dict[str, Any]:
    """Every account, by user name (never a password or its hash)."""
    with ctx.reader() as uow:
        query = select(User).order_by(col(User.username))
        locked = directory.locked_user_ids(uow.session, ctx.clock.now())
        return paginate(uow.session, query, page, lambda u: _user_out(u, locked))


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED, summary="Add a user")
def add_user(ctx: CtxDep, _actor: UserAdmin, body: UserIn) -> dict[str, Any]:
    """Create an account (administrators only); the password must be strong enough."""
    with ctx.uow() as uow:
        row = directory.add_user(uow.session, **body.model_dump())
        uow.commit()
        return _user_out(row, set())


@router.patch("/users/{user_id}", response_model=UserOut, summary="Change a user")
def change_user(ctx: CtxDep, _actor: UserAdmin, user_id: UserPath, body: UserPatch) -> dict[str, Any]:
    """Change an account: name, e-mail, global roles, agency, active; or clear a lockout."""
    given = body.model_fields_set
    with ctx.uow() as uow:
        row = directory.get_user(uow.session, user_id=user_id)
        directory.update_user(
            uow.session,
            row,
            display_name=body.display_name,
            email=body.email,
            global_roles=body.global_roles,
            agency_id=body.agency_id,
            set_agency="agency_id" in given,
            is_active=body.is_active,
            unlock=body.unlock,
        )
        locked = directory.locked_user_ids(uow.session, ctx.clock.now())
        uow.commit()
        return _user_out(row, locked)


@router.put(
    "/users/{user_id}/password",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Reset a user's password",
)
def reset_password(ctx: CtxDep, _actor: UserAdmin, user_id: UserPath, body: PasswordIn) -> Response:
    """Set a new password (administrators only); the user's old tokens stop working."""
    with ctx.uow() as uow:
        row = directory.get_user(uow.session, user_id=user_id)
        directory.reset_password(uow.session, row, body.password)
        uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
