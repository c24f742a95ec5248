"""The web application: `create_app(settings)` builds it; nothing connects at import.

Extension points (append to them before create_app runs, e.g. from your module's import):
- `dhr_engine.api.routes.router_modules`: module names whose `router` is included in the API.
- `INSTALLER_MODULES` below: "module:function" names called as function(app, ctx) to mount more
  (the web interface mounts its pages and static files this way).
- `LIFESPAN_HOOKS` below: callables hook(ctx) returning a context manager, entered when the server
  starts and left when it stops (e.g. the in-process scheduler). A module named in
  `LIFESPAN_HOOK_MODULES` that exists and defines `lifespan(ctx)` is used the same way, only when
  settings.run_scheduler_in_process is true.
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, ExitStack, asynccontextmanager
from typing import Any

import anyio
import anyio.to_thread
from fastapi import FastAPI

from dhr_engine import __version__
from dhr_engine.api.deps import TOKEN_URL
from dhr_engine.api.errors import COMMON_ERROR_RESPONSES, install_error_handlers
from dhr_engine.api.routes import all_routers
from dhr_engine.config import Settings
from dhr_engine.context import AppContext, build_context

LifespanHook = Callable[[AppContext], AbstractContextManager[Any]]
LIFESPAN_HOOKS: list[LifespanHook] = []
LIFESPAN_HOOK_MODULES: list[str] = ["dhr_engine.scheduler.runner"]
INSTALLER_MODULES: list[str] = ["dhr_engine.web:install_web"]

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
]


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _lifespan_hooks(ctx: AppContext) -> list[LifespanHook]:
    hooks = list(LIFESPAN_HOOKS)
    if ctx.settings.run_scheduler_in_process:
        for name in LIFESPAN_HOOK_MODULES:
            if _module_exists(name):
                hook = getattr(importlib.import_module(name), "lifespan", None)
                if hook is not None:
                    hooks.append(hook)
    return hooks


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


def create_app(settings: Settings, ctx: AppContext | None = None) -> FastAPI:
    """Build the FastAPI application around a context (built from settings when not given)."""
    context = ctx or build_context(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        _limit_worker_threads(context)
        with ExitStack() as stack:
            for hook in _lifespan_hooks(context):
                stack.enter_context(hook(context))
            _freeze_startup_heap()
            yield
        if ctx is None:
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
    for router in all_routers():
        app.include_router(router, responses=COMMON_ERROR_RESPONSES)
    for target in INSTALLER_MODULES:
        module_name, _, function = target.partition(":")
        install = getattr(importlib.import_module(module_name), function or "install")
        install(app, context)
    return app
