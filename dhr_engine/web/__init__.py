"""The web interface: server-rendered GOV.UK Frontend pages over the engine's services.

`install_web(app, ctx, pages)` adds the pages (each domain's `pages.router`, listed by the
composition root) and the static files to a FastAPI app.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from dhr_engine.context import AppContext
from dhr_engine.web.deps import WebState
from dhr_engine.web.session import SessionCodec
from dhr_engine.web.templating import make_templates

STATIC_DIR = Path(__file__).resolve().parent / "static"


def install_web(
    app: FastAPI,
    ctx: AppContext,
    pages: Sequence[APIRouter],
    *,
    page_globals: Mapping[str, Any] | None = None,
    secure_cookies: bool | None = None,
) -> None:
    """Mount the web pages and /static on the app (the JSON API stays as it is). The session cookie
    is Secure when `secure_cookies` says so, else when the settings do (DHR_SECURE_COOKIES)."""
    secure = ctx.settings.secure_cookies if secure_cookies is None else secure_cookies
    app.state.dhr_web = WebState(
        ctx=ctx,
        templates=make_templates(ctx.settings.templates_dir, page_globals),
        codec=SessionCodec(ctx.settings.secret_key, secure=secure),
    )
    for router in pages:
        app.include_router(router, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
