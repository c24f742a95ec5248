"""create_app: nothing connects at import; lifespan hooks run when the server starts and stops."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from dhr_engine import main
from dhr_engine.context import AppContext


def test_import__connects_to_nothing() -> None:
    code = (
        "import sqlalchemy, sys\n"
        "calls = []\n"
        "real = sqlalchemy.create_engine\n"
        "sqlalchemy.create_engine = lambda *a, **k: calls.append(a) or real(*a, **k)\n"
        "import dhr_engine.main, dhr_engine.api.routes.cases, dhr_engine.cli.serve\n"
        "sys.exit(len(calls))\n"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_lifespan_hooks__entered_on_start_left_on_stop(
    lite: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    @contextmanager
    def hook(ctx: AppContext) -> Iterator[None]:
        assert ctx is lite
        seen.append("start")
        yield
        seen.append("stop")

    monkeypatch.setattr(main, "LIFESPAN_HOOKS", [hook])
    monkeypatch.setattr(main, "LIFESPAN_HOOK_MODULES", [])
    app = main.create_app(lite.settings, lite)
    with TestClient(app) as client:
        assert seen == ["start"]
        assert client.get("/openapi.json").status_code == 200
    assert seen == ["start", "stop"]
