"""Sign in (OAuth2 password flow) and "who am I"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from dhr_engine.api.deps import API_PREFIX, CtxDep, CurrentUserDep
from dhr_engine.api.errors import ErrorBody, TooManyAttempts
from dhr_engine.auth.policy import POLICY
from dhr_engine.auth.tokens import issue_token
from dhr_engine.errors import Unauthenticated
from dhr_engine.persistence.tables import Agency
from dhr_engine.signin import service as lockout
from dhr_engine.signin.schemas import AgencyRef, MeOut, TokenOut

router = APIRouter(prefix=API_PREFIX, tags=["auth"])


@router.post(
    "/auth/token",
    response_model=TokenOut,
    summary="Sign in",
    responses={429: {"model": ErrorBody, "description": "Too many wrong passwords: slowed or locked"}},
)
def sign_in(ctx: CtxDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> TokenOut:
    """Exchange a user name and password for a short-lived bearer token.

    Three wrong passwords in a row slow further attempts; five lock the account for a while.
    """
    result = lockout.check_sign_in(ctx, form.username, form.password)
    if result.user is None:
        if result.retry_after and result.problem != lockout.WRONG:
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
