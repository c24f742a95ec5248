"""The composition root: the one place that names every domain's router, pages, outbox handlers,
scheduler jobs and commands, and builds the context and the application from them.

Nothing else imports a module by name in a string, and no domain registers itself: a new feature
is added here, one line per part (CONTRIBUTING.md, "a whole feature"). The domains below never
import this module; the entry points above it (`dhr_engine.console`, `dhr_engine.bench`) do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import typer
from fastapi import APIRouter, FastAPI

from dhr_engine.accounts import api as accounts_api
from dhr_engine.accounts import cli as accounts_cli
from dhr_engine.accounts import pages as accounts_pages
from dhr_engine.api.app import LifespanHook, build_app
from dhr_engine.audit import cli as audit_cli
from dhr_engine.cases import api as cases_api
from dhr_engine.cases import cli as cases_cli
from dhr_engine.cases import pages as cases_pages
from dhr_engine.config import Settings
from dhr_engine.context import AppContext, OutboxHandlers, make_context
from dhr_engine.deadlines import api as deadlines_api
from dhr_engine.deadlines import cli as deadlines_cli
from dhr_engine.deadlines import pages as deadlines_pages
from dhr_engine.deadlines import scheduled as deadlines_scheduled
from dhr_engine.deadlines.handlers import EmailHandler
from dhr_engine.deadlines.sources import DueSource
from dhr_engine.domain.clock import Clock
from dhr_engine.domain.family_log import KINDS as FAMILY_KINDS
from dhr_engine.family import api as family_api
from dhr_engine.family import pages as family_pages
from dhr_engine.letters import api as letters_api
from dhr_engine.letters import cli as letters_cli
from dhr_engine.letters import pages as letters_pages
from dhr_engine.letters.handlers import draft_letter
from dhr_engine.members import api as members_api
from dhr_engine.members import pages as members_pages
from dhr_engine.outbox import scheduled as outbox_scheduled
from dhr_engine.plans import api as plans_api
from dhr_engine.plans import cli as plans_cli
from dhr_engine.plans import pages as plans_pages
from dhr_engine.plans import scheduled as plans_scheduled
from dhr_engine.proceedings import api as proceedings_api
from dhr_engine.proceedings import pages as proceedings_pages
from dhr_engine.returns import api as returns_api
from dhr_engine.returns import cli as returns_cli
from dhr_engine.returns import pages as returns_pages
from dhr_engine.returns.merged import describe_when
from dhr_engine.scheduler import runner
from dhr_engine.scheduler.jobs import JobSpec
from dhr_engine.signin import api as signin_api
from dhr_engine.signin import pages as signin_pages
from dhr_engine.web import install_web

# The JSON API, in the order its operations appear in the OpenAPI document.
ROUTERS: tuple[APIRouter, ...] = (
    signin_api.router,
    cases_api.router,
    members_api.router,
    proceedings_api.router,
    family_api.router,
    accounts_api.router,
    letters_api.router,
    deadlines_api.router,
    returns_api.router,
    plans_api.router,
)

# The web pages (GOV.UK Frontend), and what their templates may call.
PAGES: tuple[APIRouter, ...] = (
    signin_pages.router,
    deadlines_pages.router,
    cases_pages.router,
    members_pages.router,
    proceedings_pages.router,
    family_pages.router,
    returns_pages.router,
    letters_pages.router,
    plans_pages.router,
    accounts_pages.router,
)
# The command groups of `dhr` (name, group, one line of help); dhr_engine.console adds the
# application-level commands (init, demo, serve, workflows, scheduler, bench).
COMMANDS: tuple[tuple[str, typer.Typer, str], ...] = (
    ("case", cases_cli.app, "Open cases, fire triggers, read them."),
    ("deadlines", deadlines_cli.app, "List and explain deadlines."),
    ("audit", audit_cli.app, "Check the audit trail."),
    ("user", accounts_cli.app, "User accounts: add, reset a password, list."),
    ("plans", plans_cli.app, "Action plans, lessons across reviews, oversight figures."),
    ("letters", letters_cli.app, "Letters C1-C21: render, draft, approve, send."),
    ("returns", returns_cli.app, "Agency returns and the merged chronology."),
)

PAGE_GLOBALS: Mapping[str, Any] = {"family_labels": FAMILY_KINDS, "describe_when": describe_when}


def outbox_handlers() -> OutboxHandlers:
    """What the outbox drain does with each kind of item (a new set per context: the e-mail handler
    keeps its SMTP connection for the length of one drain)."""
    return {"email": EmailHandler(), "letter": draft_letter}


# What the one sweep chases: case and return deadlines (deadline rows), CSP priority plans.
SWEEP_SOURCES: tuple[DueSource, ...] = (deadlines_scheduled.DEADLINE_ROWS, plans_scheduled.PRIORITY_PLANS)


def run_sweep(ctx: AppContext) -> str:
    """The sweep job: one sweep of every source (case and return deadlines, priority plans)."""
    return deadlines_scheduled.run_sweep(ctx, SWEEP_SOURCES)


JOBS: Mapping[str, JobSpec] = {
    spec.id: spec
    for spec in (
        JobSpec(
            deadlines_scheduled.SWEEP_JOB,
            "Reminders, due-day notices and escalations of open deadlines",
            300,
            run_sweep,
        ),
        JobSpec(
            outbox_scheduled.DRAIN_JOB,
            "Send queued e-mails and other outbox work, retrying with back-off",
            60,
            outbox_scheduled.run_drain,
        ),
    )
}


def build_context(settings: Settings, clock: Clock | None = None) -> AppContext:
    """Connect to the database, load the workflows and give the context every outbox handler."""
    return make_context(settings, clock, outbox_handlers=outbox_handlers())


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
