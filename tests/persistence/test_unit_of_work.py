"""UnitOfWork (dhr_engine/persistence/unit_of_work.py): one session, one transaction."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import date

import pytest
from sqlalchemy import update
from sqlalchemy.orm.exc import DetachedInstanceError
from sqlmodel import select

from dhr_engine.context import AppContext
from dhr_engine.errors import StaleCase
from dhr_engine.persistence.tables import Case, Csp
from dhr_engine.persistence.unit_of_work import UnitOfWork


def add_csp(ctx: AppContext, *, commit: bool) -> uuid.UUID:
    slug = f"csp-{uuid.uuid4().hex[:8]}"
    with ctx.uow() as uow:
        csp = Csp(slug=slug, name="Testshire Community Safety Partnership")
        uow.session.add(csp)
        uow.flush()
        csp_id = csp.id
        if commit:
            uow.commit()
    return csp_id


def csp_exists(ctx: AppContext, csp_id: uuid.UUID) -> bool:
    with ctx.reader() as uow:
        return uow.session.get(Csp, csp_id) is not None


def add_case(ctx: AppContext) -> uuid.UUID:
    csp_id = add_csp(ctx, commit=True)
    with ctx.uow() as uow:
        case = Case(
            ref=f"DHR-T-{uuid.uuid4().hex[:6]}",
            csp_id=csp_id,
            workflow_key="dhr",
            workflow_version="2016.1",
            stage="notified",
            stage_entered_on=date(2026, 11, 2),
            notified_on=date(2026, 11, 2),
        )
        uow.session.add(case)
        uow.commit()
        return case.id


def test_rolls_back__unless_commit_is_called(ctx: AppContext) -> None:
    kept = add_csp(ctx, commit=True)
    dropped = add_csp(ctx, commit=False)
    assert csp_exists(ctx, kept) is True
    assert csp_exists(ctx, dropped) is False


def test_rolls_back__when_the_block_raises_and_lets_the_error_through(ctx: AppContext) -> None:
    csp_id = uuid.uuid4()
    with pytest.raises(ZeroDivisionError), ctx.uow() as uow:
        uow.session.add(Csp(id=csp_id, slug=f"csp-{csp_id.hex[:8]}", name="Doomed"))
        uow.flush()
        _ = 1 / 0
    assert uow.committed is False
    assert csp_exists(ctx, csp_id) is False


def test_committed__says_whether_this_block_committed(ctx: AppContext) -> None:
    uow = ctx.uow()
    with uow:
        assert uow.committed is False
        uow.commit()
        assert uow.committed is True
    with uow:  # entering again starts afresh
        assert uow.committed is False


def test_reader__keeps_what_it_loaded_readable_after_the_block(ctx: AppContext) -> None:
    csp_id = add_csp(ctx, commit=True)
    with ctx.reader() as uow:
        csp = uow.session.get(Csp, csp_id)
    assert csp is not None
    assert csp.name == "Testshire Community Safety Partnership"


def test_writer_without_commit__expires_what_it_loaded(ctx: AppContext) -> None:
    csp_id = add_csp(ctx, commit=True)
    with ctx.uow() as uow:
        csp = uow.session.get(Csp, csp_id)
    assert csp is not None
    with pytest.raises(DetachedInstanceError):
        _ = csp.name


def test_writer_with_commit__keeps_what_it_loaded_readable(ctx: AppContext) -> None:
    csp_id = add_csp(ctx, commit=True)
    with ctx.uow() as uow:
        csp = uow.session.get(Csp, csp_id)
        uow.commit()
    assert csp is not None and csp.name == "Testshire Community Safety Partnership"


def _bump_behind_the_orm(uow: UnitOfWork, case_id: uuid.UUID) -> Case:
    """Load the case, then let 'someone else' raise its version in the database."""
    case = uow.session.exec(select(Case).where(Case.id == case_id)).one()
    # Core, on the same connection: the ORM's copy of the row is not told.
    table = Case.__table__  # type: ignore[attr-defined]
    uow.session.connection().execute(
        update(table).where(table.c.id == case_id).values(version=table.c.version + 1)
    )
    case.version += 1
    case.title = "Changed on a stale copy"
    uow.session.add(case)
    return case


def test_stale_data_on_flush__is_a_stale_case(ctx: AppContext) -> None:
    case_id = add_case(ctx)
    with ctx.uow() as uow:
        _bump_behind_the_orm(uow, case_id)
        with pytest.raises(StaleCase) as caught:
            uow.flush()
    assert caught.value.items[0].code == "stale_version"
    with ctx.reader() as uow:
        assert uow.session.get(Case, case_id).title == ""  # type: ignore[union-attr]


def test_stale_data_on_commit__is_a_stale_case_and_nothing_is_kept(ctx: AppContext) -> None:
    case_id = add_case(ctx)
    with ctx.uow() as uow:
        _bump_behind_the_orm(uow, case_id)
        with pytest.raises(StaleCase):
            uow.commit()
        assert uow.committed is False
    with ctx.reader() as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None
        assert (case.version, case.title) == (1, "")


def test_a_current_version__updates_without_a_stale_case(ctx: AppContext) -> None:
    case_id = add_case(ctx)
    with ctx.uow() as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None
        case.version += 1
        case.title = "Library-style title"
        uow.commit()
    with ctx.reader() as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None and (case.version, case.title) == (2, "Library-style title")


def test_outside_with__session_raises(lite: AppContext) -> None:
    uow = lite.uow()
    with pytest.raises(RuntimeError, match="outside its 'with' block"):
        _ = uow.session
    with uow:
        assert uow.session is not None
    with pytest.raises(RuntimeError, match="outside its 'with' block"):
        uow.commit()
    with pytest.raises(RuntimeError, match="outside its 'with' block"):
        _ = uow.dialect


def test_dialect__names_the_database(ctx: AppContext) -> None:
    with ctx.reader() as uow:
        assert uow.dialect == ctx.engine.dialect.name
        assert uow.dialect in {"sqlite", "postgresql"}


def _sqlite_path(ctx: AppContext) -> str:
    return ctx.settings.database_url.removeprefix("sqlite:///")


def test_sqlite_writer__takes_the_write_lock_when_it_starts(lite: AppContext) -> None:
    other = sqlite3.connect(_sqlite_path(lite), timeout=0, isolation_level=None)
    try:
        with lite.uow(), pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free again once the writer has finished
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_sqlite_reader__does_not_take_the_write_lock(lite: AppContext) -> None:
    csp_id = add_csp(lite, commit=True)
    other = sqlite3.connect(_sqlite_path(lite), timeout=0, isolation_level=None)
    try:
        with lite.reader() as uow:
            assert uow.session.get(Csp, csp_id) is not None
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
    finally:
        other.close()
