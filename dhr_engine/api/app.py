"""The FastAPI application around a context: error shape, OpenAPI description, lifespan hooks.

`build_app` is the mechanism; what goes into it (every domain's router, the web pages, the
in-process scheduler) is chosen by the composition root, `dhr_engine.bootstrap.app.create_app`.
Every response passes the edge (api/edge.py: request bodies capped, security headers).
Nothing connects at import.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractContextManager, ExitStack, asynccontextmanager
from typing import Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, FastAPI

from dhr_engine import __version__
from dhr_engine.api.deps import TOKEN_URL
from dhr_engine.api.edge import EdgeMiddleware
from dhr_engine.api.errors import COMMON_ERROR_RESPONSES, install_error_handlers
from dhr_engine.config import Settings
from dhr_engine.context import AppContext

LifespanHook = Callable[[AppContext], AbstractContextManager[Any]]
Installer = Callable[[FastAPI, AppContext], None]

DESCRIPTION = f"""
Workflow and case management for Domestic Homicide Reviews (England and Wales).

Sign in with the OAuth2 password flow at `{TOKEN_URL}` and send the token as
`Authorization: Bearer <token>`. Access is deny-by-default and per case: a case you may not see
answers 404. Every list is paged (`limit`, `offset`). Every error has the shape
`{{"detail": [{{"code": ..., "msg": ..., "field": ...}}]}}`.
"""

TAGS = [
    {"name": "auth", "description": "Sign in and who am I"},
    {"name": "cases", "description": "Cases, their triggers, timeline and deadlines"},
    {"name": "members", "description": "Who holds which role on a case"},
    {"name": "proceedings", "description": "Parallel proceedings: record, conclude; pause and resume"},
    {"name": "family", "description": "The family engagement log"},
    {"name": "admin", "description": "Agencies and users"},
    {"name": "returns", "description": "Agency returns: requests, steps, versions and attachments"},
    {"name": "chronology", "description": "Agencies' chronology entries and the merged chronology"},
    {"name": "plans", "description": "Action plans of reviews and CSP priority plans, monitoring, exports"},
    {"name": "actions", "description": "Plan actions: their steps, target dates, milestones and progress"},
    {"name": "oversight", "description": "Yearly oversight figures and lessons across reviews (CSP staff)"},
]


def _limit_worker_threads(ctx: AppContext) -> None:
    """Bound the threads that run sync endpoints: SQLite has one writer, so more threads only queue
    on its lock and stretch the tail latency (LIBRARIES.md §8: one thread, same throughput, p99
    bounded). PostgreSQL keeps AnyIO's default of 40 unless DHR_WORKER_THREADS says otherwise."""
    threads = ctx.settings.worker_threads or (1 if ctx.engine.dialect.name == "sqlite" else 0)
    if threads:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads


def _freeze_startup_heap() -> None:
    """Take what startup built out of the garbage collector's full passes, once per process.

    The imported libraries, the app, the workflows and the templates are some 250,000 objects the
    cyclic collector tracks; a full (oldest-generation) pass walks every one of them, 70-140 ms on
    this 2-core machine, and every request in flight waits for it. A server meets such a pass each
    time the objects that outlive their requests reach a quarter of that heap (rarely: none came in
    a minute of benchmark load, so this is for the long run, not the benchmark's p99). Collected
    once, then frozen: later full passes walk only what was made since. Frozen objects are still
    freed by reference counting; a second app in the same process (tests) leaves the first freeze
    as it is."""
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()


def build_app(
    settings: Settings,
    context: AppContext,
    *,
    routers: Sequence[APIRouter],
    lifespan_hooks: Sequence[LifespanHook] = (),
    installers: Sequence[Installer] = (),
    owns_context: bool = False,
) -> FastAPI:
    """The FastAPI application: these routers, then each installer(app, ctx) (e.g. the web pages);
    each lifespan hook is entered while the server runs. `owns_context`: dispose of its engine at
    shutdown."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        _limit_worker_threads(context)
        with ExitStack() as stack:
            for hook in lifespan_hooks:
                stack.enter_context(hook(context))
            _freeze_startup_heap()
            yield
        if owns_context:
            context.engine.dispose()

    app = FastAPI(
        title="dhr-engine",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        swagger_ui_init_oauth={"usePkceWithAuthorizationCodeGrant": False},
    )
    app.state.ctx = context
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(
        EdgeMiddleware,  # request bodies capped; security headers on every response (api/edge.py)
        max_json_bytes=settings.max_json_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        docs_paths=[p for p in (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url) if p],
    )
    for router in routers:
        app.include_router(router, responses=COMMON_ERROR_RESPONSES)
    for install in installers:
        install(app, context)
    return app
