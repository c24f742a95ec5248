"""A refused setting is one plain line on stderr naming the setting and the problem (never the value
given, which may be secret), and exit status 2, for every `dhr` command: no pydantic traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dhr_engine.cli.common import CONFIGURATION_REFUSED
from dhr_engine.console import app

DHR = Path(sys.executable).with_name("dhr")
HOLIDAYS = (
    "Configuration error: DHR_HOLIDAY_SUBDIVISION must be ENG or WLS (England and Wales bank holidays)."
)


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database of its own, and no .env file read from the project."""
    monkeypatch.setenv("DHR_DATABASE_URL", f"sqlite:///{tmp_path / 'dhr.db'}")
    monkeypatch.setenv("DHR_STORAGE_DIR", str(tmp_path / "storage"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ["case", "list"],
        ["letters", "codes"],
        ["audit", "verify"],
        ["scheduler", "list"],
        ["workflows", "check"],
        ["init"],
    ],
    ids=lambda a: " ".join(a),
)
def test_every_command_refuses_a_bad_setting_in_one_line(
    fresh: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.setenv("DHR_HOLIDAY_SUBDIVISION", "XYZ")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == CONFIGURATION_REFUSED == 2
    assert result.stderr.splitlines() == [HOLIDAYS]
    assert result.stdout == "" and "XYZ" not in result.stderr
    assert not (fresh / "dhr.db").exists()  # refused before anything was touched


def test_the_value_is_never_printed__and_every_bad_setting_is_named(
    fresh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DHR_HOLIDAY_SUBDIVISION", "XYZ")
    monkeypatch.setenv("DHR_SMTP_PORT", "s3cret-password")
    result = CliRunner().invoke(app, ["case", "list"])
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    line = result.stderr.strip()
    assert "DHR_HOLIDAY_SUBDIVISION must be ENG or WLS" in line
    assert "DHR_SMTP_PORT Input should be a valid integer" in line
    assert "s3cret" not in line and "XYZ" not in line and "pydantic" not in line


def test_the_installed_command_prints_one_line_on_stderr_and_exits_2(fresh: Path) -> None:
    env = {**os.environ, "DHR_HOLIDAY_SUBDIVISION": "XYZ"}
    done = subprocess.run(
        [str(DHR), "case", "list"], env=env, cwd=fresh, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [HOLIDAYS] and done.stdout == ""
