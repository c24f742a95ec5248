"""The application context: settings, database, workflows and clock, built explicitly (never at import)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from dhr_engine.config import Settings
from dhr_engine.domain.clock import Clock, SystemClock
from dhr_engine.persistence import all_tables  # noqa: F401  (every table, and the guard counters they register)
from dhr_engine.persistence.db import SessionFactory, make_engine, make_session_factory
from dhr_engine.services.unit_of_work import UnitOfWork
from dhr_engine.workflow.loader import WorkflowRegistry, load_registry


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    session_factory: SessionFactory
    workflows: WorkflowRegistry
    clock: Clock = field(default_factory=SystemClock)

    def uow(self, *, write: bool = True) -> UnitOfWork:
        """A new unit of work (one transaction)."""
        return UnitOfWork(
            self.session_factory,
            self.workflows,
            write=write,
            holiday_subdivision=self.settings.holiday_subdivision,
        )

    def reader(self) -> UnitOfWork:
        return self.uow(write=False)


def build_context(settings: Settings, clock: Clock | None = None) -> AppContext:
    """Connect to the database and load the workflows."""
    engine = make_engine(settings.database_url, echo=settings.sql_echo)
    return AppContext(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        workflows=load_registry(settings.workflows_dir),
        clock=clock or SystemClock(),
    )
