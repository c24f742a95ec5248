"""The application: nothing connects at import; lifespan hooks run when the server starts and stops."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient

from dhr_engine.api.app import build_app
from dhr_engine.bootstrap import app as composition
from dhr_engine.context import AppContext


def test_import__connects_to_nothing() -> None:
    code = (
        "import sqlalchemy, sys\n"
        "calls = []\n"
        "real = sqlalchemy.create_engine\n"
        "sqlalchemy.create_engine = lambda *a, **k: calls.append(a) or real(*a, **k)\n"
        "import dhr_engine.bootstrap.app, dhr_engine.cases.api, dhr_engine.console\n"
        "sys.exit(len(calls))\n"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_lifespan_hooks__entered_on_start_left_on_stop(
    lite: AppContext,
) -> None:
    seen: list[str] = []

    @contextmanager
    def hook(ctx: AppContext) -> Iterator[None]:
        assert ctx is lite
        seen.append("start")
        yield
        seen.append("stop")

    app = build_app(lite.settings, lite, routers=composition.ROUTERS, lifespan_hooks=[hook])
    with TestClient(app) as client:
        assert seen == ["start"]
        assert client.get("/openapi.json").status_code == 200
    assert seen == ["start", "stop"]
