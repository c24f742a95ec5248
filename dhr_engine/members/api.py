"""Case members: who holds which role on a case (add, remove, change role)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response, status
from sqlmodel import col, select

from dhr_engine.accounts.service import get_user
from dhr_engine.api.deps import API_PREFIX, CaseAccess, CtxDep, PageDep, case_access, paginate
from dhr_engine.api.paging import Page
from dhr_engine.auth.policy import Action
from dhr_engine.members import service as member_service
from dhr_engine.members.schemas import MemberIn, MemberOut, MemberRoleIn
from dhr_engine.persistence.tables import CaseMember, User

router = APIRouter(prefix=API_PREFIX, tags=["members"])

MemberPath = Annotated[uuid.UUID, Path(description="The membership id")]
Viewing = Annotated[CaseAccess, Depends(case_access(Action.MEMBERS_VIEW))]
Managing = Annotated[CaseAccess, Depends(case_access(Action.MEMBERS_MANAGE))]


def _member_out(member: CaseMember, user: User) -> dict[str, Any]:
    return {
        "id": member.id,
        "user_id": member.user_id,
        "username": user.username,
        "display_name": user.display_name,
        "role": member.role,
        "agency_id": member.agency_id,
        "added_at": member.added_at,
    }


def _one(ctx: CtxDep, member_id: uuid.UUID) -> dict[str, Any]:
    with ctx.reader() as uow:
        member = uow.session.get(CaseMember, member_id)
        assert member is not None
        user = uow.session.get(User, member.user_id)
        assert user is not None
        return _member_out(member, user)


@router.get("/cases/{ref}/members", response_model=Page[MemberOut], summary="Members of a case")
def list_members(ctx: CtxDep, access: Viewing, page: PageDep) -> dict[str, Any]:
    """Who holds which role on this case."""
    with ctx.reader() as uow:
        query = (
            select(CaseMember, User)
            .join(User, col(User.id) == col(CaseMember.user_id))
            .where(CaseMember.case_id == access.case.id)
            .order_by(col(CaseMember.role), col(User.username))
        )
        return paginate(uow.session, query, page, lambda row: _member_out(row[0], row[1]))  # type: ignore[arg-type]


@router.post(
    "/cases/{ref}/members",
    response_model=MemberOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a member",
)
def add_member(ctx: CtxDep, access: Managing, body: MemberIn) -> dict[str, Any]:
    """Give a user a role on this case (agency roles bind to the user's agency)."""
    with ctx.reader() as uow:
        user_id = get_user(uow.session, username=body.username).id
    member = member_service.add_member(
        ctx.uow(),
        actor=access.actor,
        clock=ctx.clock,
        case_id=access.case.id,
        user_id=user_id,
        role=body.role,
    )
    return _one(ctx, member.id)


@router.patch("/cases/{ref}/members/{member_id}", response_model=MemberOut, summary="Change a member's role")
def change_role(ctx: CtxDep, access: Managing, member_id: MemberPath, body: MemberRoleIn) -> dict[str, Any]:
    """Change the role a member holds on this case."""
    member = member_service.change_role(
        ctx.uow(),
        actor=access.actor,
        clock=ctx.clock,
        case_id=access.case.id,
        member_id=member_id,
        role=body.role,
    )
    return _one(ctx, member.id)


@router.delete(
    "/cases/{ref}/members/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Remove a member",
)
def remove_member(ctx: CtxDep, access: Managing, member_id: MemberPath) -> Response:
    """Take a role on this case away from a user."""
    member_service.remove_member(
        ctx.uow(), actor=access.actor, clock=ctx.clock, case_id=access.case.id, member_id=member_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
