"""What every API route needs: the context, the signed-in actor, a case the actor may see, paging.

How a router (yours, in its own module) gets them — sync `def` endpoints, they run in the threadpool:

    from typing import Annotated
    from fastapi import APIRouter, Depends
    from dhr_engine.api.deps import ActorDep, CaseAccess, CtxDep, PageDep, case_access, paginate
    from dhr_engine.api.schemas.common import Page
    from dhr_engine.auth.policy import Action

    router = APIRouter(prefix="/api/v1", tags=["letters"])

    @router.get("/cases/{ref}/letters", response_model=Page[LetterOut])
    def list_letters(
        ctx: CtxDep,                                   # the AppContext (ctx.uow(), ctx.reader(), ctx.clock)
        access: Annotated[CaseAccess, Depends(case_access(Action.CASE_VIEW))],
        page: PageDep,                                 # ?limit=&offset=
    ) -> Page[LetterOut]:
        # access.case: the case (read-only copy); access.actor: the caller with their roles on it.
        # A case the caller may not see has already answered 404; a role without the action 403.
        with ctx.reader() as uow:
            query = select(Letter).where(Letter.case_id == access.case.id)
            return paginate(uow.session, query, page, LetterOut.from_row)

    @router.get("/me/anything")
    def mine(actor: ActorDep) -> ...:                  # the signed-in user's Actor (global roles)
        ...

Register the module by adding its name to `router_modules` in dhr_engine/api/routes/__init__.py.
Writes go through a service (services/*) with `ctx.uow()` and `actor=access.actor`; raise the
errors of dhr_engine.errors (api/errors.py maps them to JSON). Never write case.stage yourself.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import func
from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from dhr_engine.auth import policy
from dhr_engine.auth.policy import Action
from dhr_engine.auth.tokens import password_fingerprint, read_token
from dhr_engine.context import AppContext
from dhr_engine.domain.actor import Actor
from dhr_engine.errors import CaseNotFound, Unauthenticated
from dhr_engine.persistence.tables import Case, User
from dhr_engine.services.cases import actor_for_user

API_PREFIX = "/api/v1"
TOKEN_URL = f"{API_PREFIX}/auth/token"

oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl=TOKEN_URL,
    auto_error=False,
    description="Sign in with a user name and password at the token URL; send the token as "
    "'Authorization: Bearer <token>'. Tokens are short-lived.",
)


def get_ctx(request: Request) -> AppContext:
    """The application context create_app put on app.state."""
    ctx: AppContext = request.app.state.ctx
    return ctx


CtxDep = Annotated[AppContext, Depends(get_ctx)]


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in user (a detached copy) and the Actor the services and policy see."""

    user: User
    actor: Actor


def current_user(ctx: CtxDep, token: Annotated[str | None, Depends(oauth2_scheme)]) -> CurrentUser:
    """The user the bearer token names; 401 if missing, wrong, expired, tampered or revoked."""
    if not token:
        raise Unauthenticated("sign in first: no bearer token was sent", field="token")
    claims = read_token(token, secret=ctx.settings.secret_key, now=ctx.clock.now())
    with ctx.reader() as uow:
        user = uow.session.get(User, claims.user_id)
        if (
            user is None
            or not user.is_active
            or password_fingerprint(user.password_hash) != claims.fingerprint
        ):
            raise Unauthenticated("the token is no longer valid; sign in again", field="token")
        uow.session.expunge(user)
    return CurrentUser(user=user, actor=actor_for_user(user))


CurrentUserDep = Annotated[CurrentUser, Depends(current_user)]


async def current_actor(me: CurrentUserDep) -> Actor:  # async: no I/O, so no threadpool hop
    return me.actor


ActorDep = Annotated[Actor, Depends(current_actor)]


def require_action(action: Action) -> Callable[[Actor], Actor]:
    """A dependency allowing only actors whose global roles permit `action` (for non-case routes)."""

    def dependency(actor: ActorDep) -> Actor:
        policy.require(actor, action)
        return actor

    return dependency


@dataclass(frozen=True)
class CaseAccess:
    """A case the caller may see (read-only copy) and the caller with their roles on it."""

    case: Case
    actor: Actor

    @property
    def case_id(self) -> uuid.UUID:
        return self.case.id


RefPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=40,
        description="The case reference",
        examples=["DHR-2026-003"],
    ),
]


def load_case_access(ctx: AppContext, actor: Actor, ref: str, action: Action) -> CaseAccess:
    """Find the case by reference and check the actor may see it and do `action` (404 / 403)."""
    with ctx.reader() as uow:
        session = uow.session
        case = session.exec(select(Case).where(Case.ref == ref)).first()
        if case is None:
            raise CaseNotFound("no such case", field="ref")
        acting = policy.require_case_access(session, actor, case, action)
        session.expunge(case)
    return CaseAccess(case=case, actor=acting)


def case_access(action: Action = Action.CASE_VIEW) -> Callable[..., CaseAccess]:
    """A dependency giving the case named by the `{ref}` path parameter, checked for `action`."""

    def dependency(ctx: CtxDep, actor: ActorDep, ref: RefPath) -> CaseAccess:
        return load_case_access(ctx, actor, ref, action)

    return dependency


CaseDep = Annotated[CaseAccess, Depends(case_access(Action.CASE_VIEW))]


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=200, description="How many items to return")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="How many items to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]

RowT = TypeVar("RowT")
ItemT = TypeVar("ItemT")


def paginate(
    session: Session,
    query: SelectOfScalar[RowT],
    page: PageParams,
    convert: Callable[[RowT], ItemT],
) -> dict[str, Any]:
    """Count the query's rows and return one page of them, converted, as a Page body."""
    total = session.exec(select(func.count()).select_from(query.order_by(None).subquery())).one()
    rows = session.exec(query.limit(page.limit).offset(page.offset)).all()
    return page_body([convert(r) for r in rows], int(total), page)


def paginate_list(items: Sequence[ItemT], page: PageParams) -> dict[str, Any]:
    """One page of a list already in memory (e.g. after a field filter)."""
    return page_body(list(items[page.offset : page.offset + page.limit]), len(items), page)


def page_body(items: list[Any], total: int, page: PageParams) -> dict[str, Any]:
    return {"items": items, "total": total, "limit": page.limit, "offset": page.offset}
