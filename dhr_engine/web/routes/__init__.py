"""Every web page router, gathered into one router that install_web includes."""

from __future__ import annotations

from fastapi import APIRouter

from dhr_engine.web.routes import (
    admin,
    auth,
    case_records,
    cases,
    dashboard,
    letters,
    plans,
    return_draft,
    return_versions,
    returns,
)


def web_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    for module in (
        auth,
        dashboard,
        cases,
        case_records,
        returns,
        return_draft,
        return_versions,
        letters,
        plans,
        admin,
    ):
        router.include_router(module.router)
    return router
