"""The composition root's web half: every domain's JSON API router and web pages, and
`create_app`, which builds the whole application (API, pages, in-process scheduler) around a context."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, FastAPI

from dhr_engine.accounts import api as accounts_api
from dhr_engine.accounts import pages as accounts_pages
from dhr_engine.agencies import api as agencies_api
from dhr_engine.agencies import pages as agencies_pages
from dhr_engine.api.app import LifespanHook, build_app
from dhr_engine.audit import api as audit_api
from dhr_engine.audit import pages as audit_pages
from dhr_engine.bootstrap import JOBS, build_context
from dhr_engine.cases import api as cases_api
from dhr_engine.cases import pages as cases_pages
from dhr_engine.config import Settings
from dhr_engine.context import AppContext
from dhr_engine.deadlines import api as deadlines_api
from dhr_engine.domain.family_log import KINDS as FAMILY_KINDS
from dhr_engine.family import api as family_api
from dhr_engine.family import pages as family_pages
from dhr_engine.letters import api as letters_api
from dhr_engine.letters import pages as letters_pages
from dhr_engine.members import api as members_api
from dhr_engine.members import pages as members_pages
from dhr_engine.plans import api as plans_api
from dhr_engine.plans import pages as plans_pages
from dhr_engine.proceedings import api as proceedings_api
from dhr_engine.proceedings import pages as proceedings_pages
from dhr_engine.returns import api as returns_api
from dhr_engine.returns import pages as returns_pages
from dhr_engine.returns.merged import describe_when
from dhr_engine.scheduler import runner
from dhr_engine.signin import api as signin_api
from dhr_engine.signin import pages as signin_pages
from dhr_engine.tasks import api as tasks_api
from dhr_engine.tasks import pages as tasks_pages
from dhr_engine.web import install_web

# The JSON API, in the order its operations appear in the OpenAPI document.
ROUTERS: tuple[APIRouter, ...] = (
    signin_api.router,
    cases_api.router,
    members_api.router,
    proceedings_api.router,
    family_api.router,
    accounts_api.router,
    agencies_api.router,
    audit_api.router,
    letters_api.router,
    deadlines_api.router,
    tasks_api.router,
    returns_api.router,
    plans_api.router,
)


# The web pages (GOV.UK Frontend), and what their templates may call.
PAGES: tuple[APIRouter, ...] = (
    signin_pages.router,
    tasks_pages.router,
    cases_pages.router,
    members_pages.router,
    proceedings_pages.router,
    family_pages.router,
    returns_pages.router,
    letters_pages.router,
    plans_pages.router,
    accounts_pages.router,
    agencies_pages.router,
    audit_pages.router,
)


PAGE_GLOBALS: Mapping[str, Any] = {"family_labels": FAMILY_KINDS, "describe_when": describe_when}


def _scheduler_in_process(ctx: AppContext) -> Any:
    return runner.lifespan(ctx, JOBS)


def _web(app: FastAPI, ctx: AppContext) -> None:
    install_web(app, ctx, PAGES, page_globals=PAGE_GLOBALS)


def create_app(settings: Settings, ctx: AppContext | None = None) -> FastAPI:
    """The whole application (JSON API and web pages) around a context (built when not given);
    the scheduler runs in-process when settings.run_scheduler_in_process is on."""
    hooks: list[LifespanHook] = [_scheduler_in_process]  # it starts nothing when the setting is off
    return build_app(
        settings,
        ctx or build_context(settings),
        routers=ROUTERS,
        lifespan_hooks=hooks,
        installers=[_web],
        owns_context=ctx is None,
    )
