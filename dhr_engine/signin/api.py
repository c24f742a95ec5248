"""Sign in (OAuth2 password flow) and "who am I"."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import OAuth2PasswordRequestForm

from dhr_engine.api.deps import API_PREFIX, CtxDep, CurrentUserDep, PageDep, page_body, require_action
from dhr_engine.api.errors import ErrorBody, TooManyAttempts
from dhr_engine.api.paging import Page
from dhr_engine.auth.policy import POLICY, Action
from dhr_engine.auth.tokens import issue_token
from dhr_engine.domain.actor import Actor
from dhr_engine.errors import Unauthenticated
from dhr_engine.persistence.tables import Agency
from dhr_engine.persistence.tables_signin import API
from dhr_engine.signin import queries
from dhr_engine.signin import service as lockout
from dhr_engine.signin.schemas import AgencyRef, MeOut, SignInRecordOut, TokenOut

router = APIRouter(prefix=API_PREFIX, tags=["auth"])

AccountAdmin = Annotated[Actor, Depends(require_action(Action.USERS_MANAGE))]


def request_source(ctx: CtxDep, request: Request) -> str:
    """The address a request comes from (X-Forwarded-For only from a trusted proxy)."""
    return lockout.client_address(
        request.client.host if request.client else None,
        request.headers.getlist("x-forwarded-for"),
        ctx.settings.trusted_proxies,
    )


@router.post(
    "/auth/token",
    response_model=TokenOut,
    summary="Sign in",
    responses={
        429: {
            "model": ErrorBody,
            "description": "Too many wrong passwords from this address: slowed or locked",
        }
    },
)
def sign_in(
    ctx: CtxDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    source: Annotated[str, Depends(request_source)],
) -> TokenOut:
    """Exchange a user name and password for a short-lived bearer token.

    Wrong passwords are counted per address: three for one name slow further attempts at it from
    that address, five make it wait 15 minutes there; an address with many wrong passwords over
    any names is slowed, then made to wait. Someone else's wrong passwords elsewhere never stop
    you. Every attempt is recorded for the administrator.
    """
    result = lockout.check_sign_in(ctx, form.username, form.password, source=source, interface=API)
    if result.user is None:
        if result.refused:
            raise TooManyAttempts(result.problem, result.retry_after)
        raise Unauthenticated(result.problem, field="password")
    token, expires = issue_token(
        user_id=result.user.id,
        password_hash=result.user.password_hash,
        secret=ctx.settings.secret_key,
        now=ctx.clock.now(),
        minutes=ctx.settings.token_minutes,
    )
    return TokenOut(
        access_token=token,
        token_type="bearer",
        expires_in=ctx.settings.token_minutes * 60,
        expires_at=expires,
    )


@router.get("/auth/me", response_model=MeOut, summary="Who am I")
def who_am_i(ctx: CtxDep, me: CurrentUserDep) -> MeOut:
    """The signed-in user, their global roles, their agency and what their global roles allow."""
    agency = None
    if me.user.agency_id is not None:
        with ctx.reader() as uow:
            row = uow.session.get(Agency, me.user.agency_id)
            if row is not None:
                agency = AgencyRef(id=row.id, name=row.name)
    allowed = sorted(a.value for a, roles in POLICY.items() if me.actor.global_roles & roles)
    return MeOut(
        id=me.user.id,
        username=me.user.username,
        display_name=me.user.display_name,
        email=me.user.email,
        global_roles=sorted(r.value for r in me.actor.global_roles),
        agency=agency,
        allowed_actions=allowed,
    )


@router.get(
    "/admin/sign-ins",
    response_model=Page[SignInRecordOut],
    tags=["admin"],
    summary="Sign-in records",
)
def list_sign_ins(
    ctx: CtxDep,
    _admin: AccountAdmin,
    page: PageDep,
    user: Annotated[
        str, Query(max_length=80, description="Only this account's attempts and sign-outs (a user name)")
    ] = "",
) -> dict[str, Any]:
    """Every sign-in attempt (web and API) and sign-out, newest first: outcome, address, interface
    and time (administrators only). A name that is no account's is never shown."""
    with ctx.reader() as uow:
        found = queries.list_sign_ins(uow.session, username=user, limit=page.limit, offset=page.offset)
    return page_body([row.as_dict() for row in found.rows], found.total, page)
