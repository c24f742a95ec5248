"""What every API route needs: the context, the signed-in actor, a case the actor may see, paging.

How a router (yours, in its own module) gets them — sync `def` endpoints, they run in the threadpool:

    from typing import Annotated
    from fastapi import APIRouter, Depends
    from dhr_engine.api.deps import ActorDep, CaseAccess, CtxDep, PageDep, case_access, paginate
    from dhr_engine.api.paging import Page
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

The router lives in the domain's api.py; add it to ROUTERS in dhr_engine/bootstrap/app.py.
Writes go through the domain's service (service.py) with `ctx.uow()` and `actor=access.actor`; raise the
errors of dhr_engine.errors (api/errors.py maps them to JSON). Never write case.stage yourself.

Each sync dependency and each sync endpoint is one turn of the worker thread (and a sync endpoint
with a response_model takes a second turn to check its body), and on SQLite there is one worker
thread (main.py), so a request waits behind every other request once per turn. `case_access`
authenticates and loads the case in one read transaction on one turn. A route on a hot path can
do everything in one turn and one read transaction: an `async def` endpoint taking a `CaseRequest`
(token checked, nothing read yet) that runs its work with `run_in_threadpool` and calls
`request.check(uow.session)` inside its own reader (cases/api.py: get_case, fire_trigger).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import bindparam, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar
from starlette.concurrency import run_in_threadpool

from dhr_engine.auth import policy
from dhr_engine.auth.policy import Action
from dhr_engine.auth.tokens import TokenClaims, password_fingerprint, read_token
from dhr_engine.context import AppContext
from dhr_engine.domain.actor import Actor
from dhr_engine.errors import CaseNotFound, Unauthenticated
from dhr_engine.persistence.tables import Case, User

API_PREFIX = "/api/v1"
TOKEN_URL = f"{API_PREFIX}/auth/token"

oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl=TOKEN_URL,
    auto_error=False,
    description="Sign in with a user name and password at the token URL; send the token as "
    "'Authorization: Bearer <token>'. Tokens are short-lived.",
)


async def get_ctx(request: Request) -> AppContext:  # async: no I/O, so no threadpool hop
    """The application context create_app put on app.state."""
    ctx: AppContext = request.app.state.ctx
    return ctx


CtxDep = Annotated[AppContext, Depends(get_ctx)]


async def bearer_claims(
    http_request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> TokenClaims:
    """The bearer token's claims once its signature and expiry check out (401 if not).

    Async: no I/O, so no threadpool hop. The account behind the token (still there, active, same
    password) is read by `current_user` or `authenticate`, on every request."""
    if not token:
        raise Unauthenticated("sign in first: no bearer token was sent", field="token")
    ctx: AppContext = http_request.app.state.ctx  # not CtxDep: each dependency costs ~20 µs to solve
    return read_token(token, secret=ctx.settings.secret_key, now=ctx.clock.now())


ClaimsDep = Annotated[TokenClaims, Depends(bearer_claims)]

STALE_TOKEN = "the token is no longer valid; sign in again"

# Built once: what the token's account must still be, and what the policy needs of it. Run on the
# reader's connection: plain columns, nothing for the ORM to do (half the cost of session.exec).
_ACCOUNT = sa_select(
    col(User.is_active),
    col(User.password_hash),
    col(User.global_roles),
    col(User.agency_id),
    col(User.display_name),
    col(User.csp_id),
).where(col(User.id) == bindparam("user_id"))


def authenticate(session: Session, claims: TokenClaims) -> Actor:
    """The Actor of the token's account: 401 if it is gone, deactivated or its password changed."""
    row = session.connection().execute(_ACCOUNT, {"user_id": claims.user_id}).first()
    if row is None:
        raise Unauthenticated(STALE_TOKEN, field="token")
    is_active, password_hash, global_roles, agency_id, display_name, csp_id = row
    if not is_active or password_fingerprint(password_hash) != claims.fingerprint:
        raise Unauthenticated(STALE_TOKEN, field="token")
    return Actor.for_user(
        user_id=claims.user_id,
        global_roles=global_roles,
        agency_id=agency_id,
        label=display_name,
        csp_id=csp_id,
    )


def _check_account(ctx: AppContext, claims: TokenClaims) -> None:
    with ctx.reader() as uow:
        authenticate(uow.session, claims)


def _authenticates(dependant: Dependant) -> bool:
    return any(d.call is bearer_claims or _authenticates(d) for d in dependant.dependencies)


async def refusal_before_invalid(http_request: Request) -> Unauthenticated | None:
    """The 401 a request refused as invalid (422) gets instead, when its token's account is gone,
    deactivated or has a new password (api/errors.py asks, on the 422 path only).

    The case routes read the account in the same transaction as the case, after FastAPI has checked
    the path, query and body; a stale account still comes first, as it does on every other route.
    The token itself (signature, expiry) was checked before any of them by `bearer_claims`."""
    dependant: Dependant | None = getattr(http_request.scope.get("route"), "dependant", None)
    if dependant is None or not _authenticates(dependant):
        return None
    token = await oauth2_scheme(http_request)
    ctx: AppContext = http_request.app.state.ctx
    try:
        if not token:
            raise Unauthenticated("sign in first: no bearer token was sent", field="token")
        claims = read_token(token, secret=ctx.settings.secret_key, now=ctx.clock.now())
        await run_in_threadpool(_check_account, ctx, claims)
    except Unauthenticated as refused:
        return refused
    return None


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in user (a detached copy) and the Actor the services and policy see."""

    user: User
    actor: Actor


def current_user(ctx: CtxDep, claims: ClaimsDep) -> CurrentUser:
    """The user the bearer token names; 401 if missing, wrong, expired, tampered or revoked."""
    with ctx.reader() as uow:
        user = uow.session.get(User, claims.user_id)
        if (
            user is None
            or not user.is_active
            or password_fingerprint(user.password_hash) != claims.fingerprint
        ):
            raise Unauthenticated(STALE_TOKEN, field="token")
        uow.session.expunge(user)
    actor = Actor.for_user(
        user_id=user.id,
        global_roles=user.global_roles,
        agency_id=user.agency_id,
        label=user.display_name,
        csp_id=user.csp_id,
    )
    return CurrentUser(user=user, actor=actor)


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


_CASE_BY_REF = select(Case).where(col(Case.ref) == bindparam("ref"))


def case_access_in(session: Session, actor: Actor, ref: str, action: Action) -> CaseAccess:
    """In an open read transaction: the case by reference, checked for the actor and `action`."""
    case = session.exec(_CASE_BY_REF, params={"ref": ref}).first()
    if case is None:
        raise CaseNotFound("no such case", field="ref")
    return CaseAccess(case=case, actor=policy.require_case_access(session, actor, case, action))


def load_case_access(ctx: AppContext, actor: Actor, ref: str, action: Action) -> CaseAccess:
    """Find the case by reference and check the actor may see it and do `action` (404 / 403)."""
    with ctx.reader() as uow:
        access = case_access_in(uow.session, actor, ref, action)
        uow.session.expunge(access.case)
    return access


@dataclass(frozen=True)
class CaseRequest:
    """A request about one case, before anything is read: the token's claims, the case reference
    and the action asked for (and the context, so a route needs no other dependency). `check`
    answers it inside the caller's own read transaction."""

    ctx: AppContext
    claims: TokenClaims
    ref: str
    action: Action

    def check(self, session: Session) -> CaseAccess:
        """401 for a stale account, 404 for a case the caller may not see, 403 for the action."""
        return case_access_in(session, authenticate(session, self.claims), self.ref, self.action)


def case_request(action: Action = Action.CASE_VIEW) -> Callable[..., Awaitable[CaseRequest]]:
    """A dependency naming the case of the `{ref}` path parameter, to be checked for `action`."""

    async def dependency(http_request: Request, claims: ClaimsDep, ref: RefPath) -> CaseRequest:
        # async: nothing is read yet, so no threadpool hop
        return CaseRequest(ctx=http_request.app.state.ctx, claims=claims, ref=ref, action=action)

    return dependency


def case_access(action: Action = Action.CASE_VIEW) -> Callable[..., CaseAccess]:
    """A dependency giving the case named by the `{ref}` path parameter, checked for `action`.

    One read transaction on one turn of the worker thread: the account, the case, the caller's roles."""
    requested = Depends(case_request(action))

    def dependency(request: CaseRequest = requested) -> CaseAccess:
        with request.ctx.reader() as uow:
            access = request.check(uow.session)
            uow.session.expunge(access.case)
        return access

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
