"""`dhr audit verify` through the console app: exit 0 and "intact" for an intact trail, exit 1 and
one line per problem (case reference and position) once an event is deleted."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from dhr_engine.console import app
from dhr_engine.persistence.db import make_engine

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DHR_DATABASE_URL", url)
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    return url


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _new_case() -> str:
    ref = _run("case", "new", "--notified-on", date.today().isoformat()).strip()
    _run("case", "fire", ref, "start_scoping")
    return ref


def _delete(url: str, ref: str, seq: int | None = None) -> int:
    """Delete one event of the case (its last one when seq is None); returns its position."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            case_id, count = conn.execute(
                text("SELECT id, audit_count FROM dhr_case WHERE ref = :r"), {"r": ref}
            ).one()
            position = count if seq is None else seq
            deleted = conn.execute(
                text("DELETE FROM audit_event WHERE case_id = :c AND seq = :s"), {"c": case_id, "s": position}
            )
            assert deleted.rowcount == 1
    finally:
        engine.dispose()
    return int(position)


def test_audit_verify__an_intact_trail_exits_0(db: str) -> None:
    _new_case()
    _new_case()
    out = _run("audit", "verify")
    assert out.strip() == "Audit trail intact."


def test_audit_verify__a_deleted_middle_event_and_a_deleted_last_event_exit_1_naming_each(db: str) -> None:
    middle, end, intact = _new_case(), _new_case(), _new_case()
    _delete(db, middle, seq=2)
    last = _delete(db, end)
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1, result.output
    lines = sorted(result.output.strip().splitlines())
    assert lines == sorted(
        [
            f"{middle}: event 2: event deleted (gap in the sequence)",
            f"{end}: event {last}: event deleted (missing at the end of the chain)",
        ]
    )
    assert intact not in result.output and "intact" not in result.output
