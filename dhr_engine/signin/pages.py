"""Sign in and sign out."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from dhr_engine.signin.service import check_sign_in
from dhr_engine.web.deps import Page, WebRoute, checked_form, get_page
from dhr_engine.web.forms import FormState
from dhr_engine.web.session import new_session

router = APIRouter(route_class=WebRoute)


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
        result = await run_in_threadpool(check_sign_in, page.ctx, username, password)
        if result.user is not None:
            page.session = new_session(result.user.id)  # a new session and CSRF token after sign-in
            page.dirty = True
            return page.redirect(target)
        form.add("username", result.problem)
    return page.render("web/sign_in.html", {"title": "Sign in", "form": form, "next": target}, status=400)


@router.post("/sign-out")
def sign_out(page: Page = Depends(get_page), _form: FormData = Depends(checked_form)) -> Response:
    page.session = new_session()
    page.dirty = True
    page.flash("You have signed out.")
    return page.redirect("/sign-in")


@router.get("/accessibility")
def accessibility(page: Page = Depends(get_page)) -> Response:
    return page.render("web/accessibility.html", {"title": "Accessibility statement"})
