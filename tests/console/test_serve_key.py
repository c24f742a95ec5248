"""`dhr serve` refuses the built-in or a short secret key unless development mode is explicit.

The command is run through typer's CliRunner; uvicorn's `Server.run` is replaced, so nothing is
served: the tests see whether the command got as far as serving, and what it printed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from dhr_engine.config import DEV_SECRET_KEY, Settings
from dhr_engine.console import app
from dhr_engine.console.serve import KEY_REFUSED, MAKE_A_KEY, secret_key_problem

runner = CliRunner()
GOOD_KEY = "k" * 48
AUDIT_KEY = "a" * 40
SETTINGS = (
    "DHR_SECRET_KEY",
    "DHR_DEV_MODE",
    "DHR_AUDIT_KEY",
    "DHR_AUDIT_KEY_FILE",
    "DHR_RUN_SCHEDULER_IN_PROCESS",
)


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[uvicorn.Server]:
    """A fresh database, none of the key settings, and a uvicorn that records instead of serving."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DHR_DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}")
    monkeypatch.setenv("DHR_STORAGE_DIR", str(tmp_path / "storage"))
    monkeypatch.chdir(tmp_path)  # no .env file is read from the project
    calls: list[uvicorn.Server] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, *a, **k: calls.append(self))
    return calls


def test_the_check__refuses_the_built_in_and_a_short_key_names_the_fix_never_the_key() -> None:
    built_in = secret_key_problem(Settings(secret_key=DEV_SECRET_KEY, audit_key=AUDIT_KEY))
    short = secret_key_problem(Settings(secret_key="s3cret-but-short", audit_key=AUDIT_KEY))
    assert built_in is not None and short is not None
    for message in (built_in, short):
        assert "\n" not in message
        assert "DHR_SECRET_KEY" in message and MAKE_A_KEY in message and "DHR_DEV_MODE=1" in message
    assert "16 characters" in short and "s3cret-but-short" not in short
    assert DEV_SECRET_KEY not in built_in


def test_the_check__passes_a_long_key_and_anything_in_development_mode() -> None:
    assert secret_key_problem(Settings(secret_key=GOOD_KEY, audit_key=AUDIT_KEY)) is None
    assert secret_key_problem(Settings(secret_key="short", dev_mode=True)) is None
    assert secret_key_problem(Settings(), dev=True) is None


def test_serve__with_the_built_in_key_exits_2_with_one_plain_line(served: list[uvicorn.Server]) -> None:
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == KEY_REFUSED
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("dhr serve will not start: DHR_SECRET_KEY is not set")
    assert "Traceback" not in result.output + result.stderr
    assert served == []  # it never got as far as serving


def test_serve__with_a_short_key_exits_2(
    served: list[uvicorn.Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DHR_SECRET_KEY", "too-short")
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == KEY_REFUSED
    assert "too short (9 characters" in result.stderr and "too-short" not in result.stderr
    assert served == []


def test_serve__a_bad_setting_is_one_line_naming_it_without_its_value(
    served: list[uvicorn.Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DHR_SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("DHR_MAX_JSON_BYTES", "-5")
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == KEY_REFUSED
    assert result.stderr.count("\n") == 1 and "DHR_MAX_JSON_BYTES" in result.stderr
    assert "-5" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("how", ["flag", "setting"])
def test_serve__in_development_mode_starts_with_the_built_in_key(
    served: list[uvicorn.Server], monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    monkeypatch.setenv("DHR_RUN_SCHEDULER_IN_PROCESS", "false")
    if how == "setting":
        monkeypatch.setenv("DHR_DEV_MODE", "1")
    result = runner.invoke(app, ["serve", "--port", "8765", *(["--dev"] if how == "flag" else [])])
    assert result.exit_code == 0, result.output + result.stderr
    assert len(served) == 1 and served[0].config.port == 8765
    assert "Development mode" in result.output


def test_serve__with_its_own_keys_starts_without_development_mode(
    served: list[uvicorn.Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DHR_SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("DHR_AUDIT_KEY", AUDIT_KEY)
    monkeypatch.setenv("DHR_RUN_SCHEDULER_IN_PROCESS", "false")
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 0, result.output + result.stderr
    assert len(served) == 1
    assert "Development mode" not in result.output
