"""The application context: settings, database, workflows, clock and outbox handlers, built
explicitly (never at import). The composition root (`dhr_engine.bootstrap.build_context`) fills in
what every domain contributes; `make_context` is the mechanism."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from dhr_engine.config import Settings
from dhr_engine.config import audit_key as configured_audit_key
from dhr_engine.domain.clock import Clock, SystemClock
from dhr_engine.persistence import all_tables  # noqa: F401  (every table, and the guard counters they register)
from dhr_engine.persistence.db import SessionFactory, make_engine, make_session_factory
from dhr_engine.persistence.unit_of_work import CommitHook, UnitOfWork
from dhr_engine.workflow.loader import WorkflowRegistry, load_registry

# kind -> handler(ctx, item); outbox/service.py says what a handler does and may raise.
OutboxHandlers = Mapping[str, Callable[[Any, Any], None]]


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    session_factory: SessionFactory
    workflows: WorkflowRegistry
    clock: Clock = field(default_factory=SystemClock)
    # What the outbox drain does with each kind of queued item.
    outbox_handlers: OutboxHandlers = field(default_factory=dict)
    # What every unit of work does once it has committed (the audit checkpoints).
    commit_hooks: tuple[CommitHook, ...] = ()
    # The audit trail's HMAC key, read from the settings (a key file is read once, here).
    audit_key: bytes = b""

    def __post_init__(self) -> None:
        if not self.audit_key:
            self.audit_key = configured_audit_key(self.settings)

    def uow(self, *, write: bool = True) -> UnitOfWork:
        """A new unit of work (one transaction)."""
        return UnitOfWork(
            self.session_factory,
            self.workflows,
            write=write,
            holiday_subdivision=self.settings.holiday_subdivision,
            audit_key=self.audit_key,
            commit_hooks=self.commit_hooks,
        )

    def reader(self) -> UnitOfWork:
        return self.uow(write=False)


def make_context(
    settings: Settings, clock: Clock | None = None, *, outbox_handlers: OutboxHandlers | None = None
) -> AppContext:
    """Connect to the database and load the workflows."""
    engine = make_engine(settings.database_url, echo=settings.sql_echo)
    return AppContext(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        workflows=load_registry(settings.workflows_dir),
        clock=clock or SystemClock(),
        outbox_handlers=dict(outbox_handlers or {}),
    )
