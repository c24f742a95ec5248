"""Sign in and sign out, and the administrator's page of sign-in records (/admin/sign-ins)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Query
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from dhr_engine.auth import policy
from dhr_engine.auth.policy import Action
from dhr_engine.errors import ValidationFailed
from dhr_engine.persistence.tables import User
from dhr_engine.persistence.tables_signin import WEB
from dhr_engine.signin import queries
from dhr_engine.signin.service import check_sign_in, client_address, sign_out_everywhere
from dhr_engine.web.deps import Page, WebRoute, checked_form, get_page, signed_in
from dhr_engine.web.forms import FormState
from dhr_engine.web.session import new_session

router = APIRouter(route_class=WebRoute)

PER_PAGE = 50
MAX_PAGE = 20_000  # 1,000,000 rows: the API's largest offset


def _source(page: Page) -> str:
    """The address the request comes from (X-Forwarded-For only from a trusted proxy)."""
    request = page.request
    return client_address(
        request.client.host if request.client else None,
        request.headers.getlist("x-forwarded-for"),
        page.ctx.settings.trusted_proxies,
    )


def _safe_next(target: str) -> str:
    """Only a path on this site: never an open redirect."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/sign-in")
def sign_in_form(next: str = "/", page: Page = Depends(get_page)) -> Response:
    if page.viewer is not None:
        return page.redirect(_safe_next(next))
    return page.render(
        "web/sign_in.html", {"title": "Sign in", "form": FormState(), "next": _safe_next(next)}
    )


@router.post("/sign-in")
async def sign_in(form_data: FormData = Depends(checked_form), page: Page = Depends(get_page)) -> Response:
    form = FormState.from_form(form_data)
    username = form.require("username", "Enter your user name")
    password = form_data.get("password")
    password = password if isinstance(password, str) else ""
    if not password:
        form.add("password", "Enter your password")
    target = _safe_next(form.value("next", "/"))
    if form.ok:
        result = await run_in_threadpool(
            lambda: check_sign_in(page.ctx, username, password, source=_source(page), interface=WEB)
        )
        if result.user is not None:
            # A new session and CSRF token after sign-in, bound to the account's session version.
            page.session = new_session(result.user.id, result.user.session_version)
            page.dirty = True
            return page.redirect(target)
        form.add("username", result.problem)
    return page.render("web/sign_in.html", {"title": "Sign in", "form": form, "next": target}, status=400)


@router.post("/sign-out")
def sign_out(page: Page = Depends(get_page), _form: FormData = Depends(checked_form)) -> Response:
    if page.viewer is not None:  # ends this session and every copy of it, in any browser
        sign_out_everywhere(page.ctx, page.viewer.user_id, source=_source(page), interface=WEB)
    page.session = new_session()
    page.dirty = True
    page.flash("You have signed out.")
    return page.redirect("/sign-in")


@router.get("/accessibility")
def accessibility(page: Page = Depends(get_page)) -> Response:
    return page.render("web/accessibility.html", {"title": "Accessibility statement"})


def _link(user: str, number: int) -> str:
    query = {"user": user} if user else {}
    if number > 1:
        query["page"] = str(number)
    return "/admin/sign-ins" + (f"?{urlencode(query)}" if query else "")


@router.get("/admin/sign-ins")
def sign_in_records(
    page: Page = Depends(signed_in),
    user: str = "",
    at: Annotated[str, Query(alias="page")] = "1",
) -> Response:
    """Every sign-in attempt and sign-out, newest first (administrators only)."""
    policy.require(page.me.actor, Action.USERS_MANAGE)
    form = FormState(values={"user": user.strip()})
    raw_page = at.strip() or "1"
    current = int(raw_page) if raw_page.isdigit() and len(raw_page) < 9 else 0
    if not 1 <= current <= MAX_PAGE:
        form.general.append(f"The page must be a whole number from 1 to {MAX_PAGE:,}")
        current = 1
    if len(form.value("user")) > 80:
        form.add("user", "A user name is 80 characters or fewer")
    found = queries.SignInPage([], 0)
    with page.ctx.reader() as uow:
        users = list(uow.session.exec(select(User).order_by(col(User.display_name))).all())
        if form.ok:
            try:
                found = queries.list_sign_ins(
                    uow.session,
                    username=form.value("user"),
                    limit=PER_PAGE,
                    offset=(current - 1) * PER_PAGE,
                )
            except ValidationFailed as err:
                form.absorb(err)
    last = max(1, -(-found.total // PER_PAGE))
    username = form.value("user")
    pages = {
        "previous": {"href": _link(username, current - 1)} if current > 1 else None,
        "next": {"href": _link(username, current + 1)} if current < last else None,
    }
    return page.render(
        "web/admin/sign_ins.html",
        {
            "title": "Sign-in records",
            "rows": found.rows,
            "total": found.total,
            "first": (current - 1) * PER_PAGE + 1,
            "current": current,
            "last": last,
            "pages": pages,
            "users": users,
            "form": form,
            "filtered": bool(username),
        },
        status=200 if form.ok else 400,
    )
