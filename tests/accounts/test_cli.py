"""`dhr user add`, `dhr user reset-password`, `dhr serve --help`: accounts from the console."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from dhr_engine.auth.passwords import verify_password
from dhr_engine.bootstrap import build_context
from dhr_engine.config import Settings
from dhr_engine.console import app
from dhr_engine.persistence.tables import User

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DHR_DATABASE_URL", url)
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    return url


def _user(url: str, username: str) -> User:
    ctx = build_context(Settings(database_url=url))
    try:
        with ctx.reader() as uow:
            return uow.session.exec(select(User).where(User.username == username)).one()
    finally:
        ctx.engine.dispose()


def test_user_add_then_reset_password(db: str) -> None:
    added = runner.invoke(
        app,
        [
            "user",
            "add",
            "priya",
            "--name",
            "Priya Probation",
            "--role",
            "csp_officer",
            "--agency",
            "Probation Service (Northmoor)",
        ],
        input="First-Password-1\nFirst-Password-1\n",
    )
    assert added.exit_code == 0, added.output
    assert "First-Password-1" not in added.output
    user = _user(db, "priya")
    assert user.global_roles == ["csp_officer"] and user.agency_id is not None
    assert verify_password("First-Password-1", user.password_hash)
    reset = runner.invoke(
        app, ["user", "reset-password", "priya"], input="Second-Password-2\nSecond-Password-2\n"
    )
    assert reset.exit_code == 0, reset.output
    assert verify_password("Second-Password-2", _user(db, "priya").password_hash)
    listed = runner.invoke(app, ["user", "list"])
    assert listed.exit_code == 0 and "priya" in listed.output and "$argon2" not in listed.output


def test_user_add__refuses_weak_password_unknown_role_and_duplicates(db: str) -> None:
    weak = runner.invoke(app, ["user", "add", "weak", "--name", "W"], input="short\nshort\n")
    assert weak.exit_code == 2 and "at least 12 characters" in weak.output
    role = runner.invoke(
        app,
        ["user", "add", "r", "--name", "R", "--role", "independent_chair"],
        input="Strong-Password-1\nStrong-Password-1\n",
    )
    assert role.exit_code == 2 and "held on a case" in role.output
    ok = runner.invoke(
        app, ["user", "add", "dup", "--name", "D"], input="Strong-Password-1\nStrong-Password-1\n"
    )
    assert ok.exit_code == 0
    again = runner.invoke(
        app, ["user", "add", "dup", "--name", "D"], input="Strong-Password-1\nStrong-Password-1\n"
    )
    assert again.exit_code == 2 and "taken" in again.output
    missing = runner.invoke(
        app, ["user", "reset-password", "ghost"], input="Strong-Password-1\nStrong-Password-1\n"
    )
    assert missing.exit_code == 2


def test_serve_help_names_host_and_port() -> None:
    result = runner.invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--host" in result.output and "--port" in result.output
