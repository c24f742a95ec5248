"""The web interface: server-rendered GOV.UK Frontend pages over the engine's services.

`install_web(app, ctx)` adds the pages and the static files to a FastAPI app.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from dhr_engine.context import AppContext
from dhr_engine.web.deps import WebState
from dhr_engine.web.routes import web_router
from dhr_engine.web.session import SessionCodec
from dhr_engine.web.templating import make_templates

STATIC_DIR = Path(__file__).resolve().parent / "static"


def install_web(app: FastAPI, ctx: AppContext, *, secure_cookies: bool = False) -> None:
    """Mount the web pages and /static on the app (the JSON API stays as it is)."""
    app.state.dhr_web = WebState(
        ctx=ctx,
        templates=make_templates(ctx.settings.templates_dir),
        codec=SessionCodec(ctx.settings.secret_key, secure=secure_cookies),
    )
    app.include_router(web_router())
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
