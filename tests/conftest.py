"""Shared fixtures: a migrated database per test (SQLite, and the real PostgreSQL), a fake clock,
and the demo partnership's reference data.

Tests that need PostgreSQL skip with a reason when it cannot be reached, unless
DHR_REQUIRE_SERVICES=1 (set by .ci/run), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from psycopg import errors as pg_errors
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel

from dhr_engine.bootstrap import build_context
from dhr_engine.config import Settings
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import Reference, demo_password_hash, seed_reference_data
from dhr_engine.domain.clock import FakeClock
from dhr_engine.persistence import all_tables  # noqa: F401
from dhr_engine.persistence.db import make_engine, normalise_url
from dhr_engine.persistence.schema import upgrade
from tests.api.scenario import World, build_world

REQUIRE_SERVICES = os.environ.get("DHR_REQUIRE_SERVICES") == "1"
PG_ADMIN_URL = os.environ.get("DHR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TODAY = date(2026, 11, 25)


def skip_or_fail(reason: str) -> None:
    """Skip on a machine without the service; fail in CI, where it must be there."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (DHR_REQUIRE_SERVICES=1: this must run here)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per test session; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A private database on the real PostgreSQL for this test session, migrated once."""
    admin_url = normalise_url(PG_ADMIN_URL)
    name = f"dhr_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as err:
        skip_or_fail(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(err).__name__}")
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


TRUNCATE_LOCK_TIMEOUT = "5s"
TRUNCATE_ATTEMPTS = 12
# Every other client connection to this session's private database (a leftover worker's, a pool
# an earlier test did not dispose of), never our own; waits up to 30 s for each to end.
TERMINATE_OTHERS = text(
    "SELECT pg_terminate_backend(pid, 30000) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
)


def _truncate_all(url: str) -> None:
    """Empty every table. Nothing an earlier test left running may hold a lock the TRUNCATE waits
    for: other connections to the test database are ended first, and the TRUNCATE gives up on a
    lock after TRUNCATE_LOCK_TIMEOUT and tries again (ending whatever connected since)."""
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    engine = make_engine(url)
    try:
        for attempt in range(1, TRUNCATE_ATTEMPTS + 1):
            with engine.connect() as conn:
                conn.execute(TERMINATE_OTHERS)
                conn.commit()
                try:
                    conn.execute(text(f"SET LOCAL lock_timeout = '{TRUNCATE_LOCK_TIMEOUT}'"))
                    conn.execute(text(f"TRUNCATE {names} CASCADE"))
                    conn.commit()
                    return
                except OperationalError as err:
                    waited = isinstance(err.orig, pg_errors.LockNotAvailable | pg_errors.DeadlockDetected)
                    if not waited or attempt == TRUNCATE_ATTEMPTS:
                        raise
                    conn.rollback()
    finally:
        engine.dispose()


@pytest.fixture(autouse=True)
def _audit_checkpoints_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's audit checkpoints go to its own file (commands run through the CLI included), never
    to a shared ./var/storage where another test's cases would read as deleted. The audit key is the
    built-in development one (DHR_AUDIT_KEY unset), the same in every process a test starts."""
    monkeypatch.setenv("DHR_AUDIT_CHECKPOINTS", str(tmp_path / "audit-checkpoints.jsonl"))
    monkeypatch.delenv("DHR_AUDIT_KEY", raising=False)
    monkeypatch.delenv("DHR_AUDIT_KEY_FILE", raising=False)


@pytest.fixture(scope="session", autouse=True)
def _session_audit_checkpoints_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The same for what session-wide fixtures build (the web tests' demo database)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DHR_AUDIT_CHECKPOINTS", str(tmp_path_factory.mktemp("audit") / "checkpoints.jsonl"))
        yield


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock.on(TODAY)


def _make_ctx(url: str, tmp_path: Path, clock: FakeClock) -> AppContext:
    settings = Settings(database_url=url, storage_dir=tmp_path / "storage")
    return build_context(settings, clock=clock)


@pytest.fixture
def lite(sqlite_template: Path, tmp_path: Path, clock: FakeClock) -> Iterator[AppContext]:
    """An AppContext on a fresh, migrated SQLite file."""
    path = tmp_path / "dhr.db"
    shutil.copy(sqlite_template, path)
    ctx = _make_ctx(f"sqlite:///{path}", tmp_path, clock)
    yield ctx
    ctx.engine.dispose()


@pytest.fixture
def pg(postgres_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[AppContext]:
    """An AppContext on the real PostgreSQL, emptied before the test."""
    _truncate_all(postgres_url)
    ctx = _make_ctx(postgres_url, tmp_path, clock)
    yield ctx
    ctx.engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ctx(request: pytest.FixtureRequest) -> AppContext:
    """The same test on SQLite and on the real PostgreSQL."""
    fixture = "lite" if request.param == "sqlite" else "pg"
    context: AppContext = request.getfixturevalue(fixture)
    return context


def seed(context: AppContext) -> Reference:
    with context.uow() as uow:
        reference = seed_reference_data(uow.session, demo_password_hash())
        uow.commit()
    return reference


@pytest.fixture
def ref(ctx: AppContext) -> Reference:
    """The demo CSP, its ten agencies and a user for every role (on ctx's database)."""
    return seed(ctx)


@pytest.fixture
def lite_ref(lite: AppContext) -> Reference:
    """The demo reference data on the SQLite-only context."""
    return seed(lite)


@pytest.fixture
def world(lite: AppContext, lite_ref: Reference) -> World:
    """The two-case world of tests/api/scenario.py on SQLite (every role, two agencies)."""
    return build_world(lite, lite_ref)


@pytest.fixture
def any_world(ctx: AppContext, ref: Reference) -> World:
    """The two-case world on SQLite and on PostgreSQL."""
    return build_world(ctx, ref)
