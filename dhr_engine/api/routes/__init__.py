"""Every API router. A feature adds its router module to `router_modules`."""

from __future__ import annotations

import importlib

from fastapi import APIRouter

router_modules: list[str] = [
    "dhr_engine.api.routes.auth",
    "dhr_engine.api.routes.cases",
    "dhr_engine.api.routes.members",
    "dhr_engine.api.routes.proceedings",
    "dhr_engine.api.routes.family",
    "dhr_engine.api.routes.admin",
    "dhr_engine.api.routes.letters",
    "dhr_engine.api.routes.attention",
]


def all_routers() -> list[APIRouter]:
    """Import each router module and return its `router`."""
    return [importlib.import_module(name).router for name in router_modules]
