"""What every web page needs: the app's context, the session, the signed-in user, rendering.

Errors are turned into pages by WebRoute (one place): a page never builds an HTTP error itself.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from dhr_engine.auth import policy
from dhr_engine.auth.actors import actor_for_user
from dhr_engine.auth.policy import Action
from dhr_engine.context import AppContext
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.roles import Role
from dhr_engine.errors import DhrError
from dhr_engine.persistence.tables import User
from dhr_engine.web.session import CSRF_FIELD, SessionCodec, WebSession, new_session

SERVICE_NAME = "Domestic homicide reviews"
SESSION_ENDED = "You have been signed out. Sign in again to continue."


@dataclass
class WebState:
    """Built once by install_web and kept on app.state."""

    ctx: AppContext
    templates: Jinja2Templates
    codec: SessionCodec


class SignInRequired(Exception):
    """The page needs a signed-in user; `page`, when given, writes its session on the redirect (so
    the sign-in page can say why the last one ended)."""

    def __init__(self, page: Page | None = None) -> None:
        super().__init__()
        self.page = page


class CsrfFailed(Exception):
    """A form came back without this session's token."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in user (detached copy) and the actor the services see."""

    user_id: uuid.UUID
    username: str
    display_name: str
    actor: Actor
    global_roles: frozenset[Role]
    agency_id: uuid.UUID | None

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.global_roles

    @property
    def may_admin(self) -> bool:
        return policy.may(self.actor, Action.USERS_VIEW)

    @property
    def is_csp_staff(self) -> bool:
        return bool(self.global_roles & {Role.ADMIN, Role.CSP_OFFICER, Role.CSP_CHAIR})


def viewer_for(user: User) -> Viewer:
    actor = actor_for_user(user)
    return Viewer(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        actor=actor,
        global_roles=actor.global_roles,
        agency_id=user.agency_id,
    )


@dataclass
class Page:
    """One request's view of the web app: render pages, redirect, flash, session."""

    request: Request
    state: WebState
    session: WebSession
    viewer: Viewer | None
    dirty: bool = False  # the session changed and the cookie must be written
    ended: bool = False  # the cookie was signed in, but its session has ended (stale or account off)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ctx(self) -> AppContext:
        return self.state.ctx

    @property
    def me(self) -> Viewer:
        if self.viewer is None:
            raise SignInRequired(self)
        return self.viewer

    def flash(self, message: str) -> None:
        self.session = replace(self.session, flash=message)
        self.dirty = True

    def _finish(self, response: Response) -> Response:
        if self.dirty:
            self.state.codec.write(response, self.session)
        return response

    def render(
        self, template: str, context: Mapping[str, Any] | None = None, *, status: int = 200
    ) -> Response:
        flash = self.session.flash
        if flash:
            self.session = replace(self.session, flash="")
            self.dirty = True
        data: dict[str, Any] = {
            "request": self.request,
            "viewer": self.viewer,
            "csrf_token": self.session.csrf,
            "csrf_field": CSRF_FIELD,
            "flash": flash,
            "service_name": SERVICE_NAME,
            "today": self.ctx.clock.today(),
            "current_path": self.request.url.path,
            # The Content-Security-Policy's nonce for this response (dhr_engine/api/edge.py puts it
            # on the request); GOV.UK Frontend's template puts it on its one inline script.
            "cspNonce": getattr(self.request.state, "csp_nonce", ""),
        }
        data.update(context or {})
        response = self.state.templates.TemplateResponse(self.request, template, data, status_code=status)
        return self._finish(response)

    def redirect(self, url: str) -> Response:
        return self._finish(RedirectResponse(url, status_code=303))


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.dhr_web
    return state


def get_page(request: Request) -> Page:
    """The session (a fresh one for a new visitor) and the signed-in user, if any.

    A signed-in cookie counts only while its account is active and still has the session version
    the cookie carries (sign-out, a new password, a change of roles and deactivation raise it):
    otherwise the session ends here, and the next page says so."""
    state = web_state(request)
    session = state.codec.read(request)
    dirty = session is None
    if session is None:
        session = new_session()
    viewer = None
    ended = False
    if session.user_id is not None:
        with state.ctx.reader() as uow:
            user = uow.session.get(User, session.user_id)
            if user is not None and user.is_active and user.session_version == session.version:
                viewer = viewer_for(user)
        if viewer is None:
            session, dirty, ended = new_session(flash=SESSION_ENDED), True, True
    return Page(request=request, state=state, session=session, viewer=viewer, dirty=dirty, ended=ended)


def signed_in(page: Page = Depends(get_page)) -> Page:
    """A page only a signed-in user may see."""
    if page.viewer is None:
        raise SignInRequired(page)
    return page


async def checked_form(request: Request, page: Page = Depends(get_page)) -> AsyncIterator[FormData]:
    """The posted form, after checking the session's CSRF token; uploaded files are closed after.

    A form posted from a session that has just ended goes to the sign-in page (it could never carry
    the new session's token)."""
    if page.ended:
        raise SignInRequired(page)
    form = await request.form()
    try:
        token = form.get(CSRF_FIELD)
        if not page.session.csrf_matches(token if isinstance(token, str) else None):
            raise CsrfFailed()
        yield form
    finally:
        await form.close()


def error_page(request: Request, status: int, title: str, messages: list[str]) -> Response:
    page = get_page(request)
    return page.render("web/errors/error.html", {"title": title, "messages": messages}, status=status)


ERROR_TITLES = {
    400: "There is a problem",
    401: "Sign in",
    403: "You cannot do this",
    404: "Page not found",
    409: "This could not be done",
    422: "There is a problem",
}


class WebRoute(APIRoute):
    """Turns the engine's errors into GOV.UK-style pages instead of JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired as refused:
                # Back to the page after signing in; not to a form's target, which may have no page.
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                url = (
                    f"/sign-in?next={quote(target, safe='')}"
                    if request.method in ("GET", "HEAD")
                    else "/sign-in"
                )
                if refused.page is not None:
                    return refused.page.redirect(url)
                return RedirectResponse(url, status_code=303)
            except CsrfFailed:
                return error_page(
                    request,
                    403,
                    "Your form could not be accepted",
                    [
                        "The form was missing its security token or the token has expired. "
                        "Go back, reload the page and try again."
                    ],
                )
            except DhrError as err:
                status = err.status_code if err.status_code in ERROR_TITLES else 400
                if status == 404:
                    messages = ["The page or record does not exist, or you do not have access to it."]
                else:
                    messages = [_sentence(item.msg) for item in err.items]
                return error_page(request, status, ERROR_TITLES[status], messages)

        return guarded


def _sentence(message: str) -> str:
    message = message.strip()
    return message[:1].upper() + message[1:] + ("" if message.endswith((".", "?", "!")) else ".")


def form_text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""
