"""The whole application (API and web pages) around an existing context, e.g. for browser tests."""

from __future__ import annotations

from fastapi import FastAPI

from dhr_engine.context import AppContext
from dhr_engine.main import create_app


def build_app(ctx: AppContext) -> FastAPI:
    """create_app with this context; the web pages are mounted by main.INSTALLER_MODULES."""
    return create_app(ctx.settings, ctx)
