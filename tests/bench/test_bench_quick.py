"""`dhr bench --quick` runs every metric and writes valid JSON. Never a timed assertion."""

from __future__ import annotations

import json
import math
from pathlib import Path

from typer.testing import CliRunner

from dhr_engine.bench.runner import METRICS
from dhr_engine.console import app


def test_quick_bench_writes_every_metric_as_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    result = CliRunner().invoke(app, ["bench", "--quick", "--database-url", url, "--json", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["quick"] is True
    assert report["environment"]["database"] == "sqlite"
    assert {m["metric"] for m in report["metrics"]} == set(METRICS)
    for metric in report["metrics"]:
        assert metric["unit"] and metric["name"]
        assert math.isfinite(metric["figure"]) and metric["figure"] >= 0
        assert metric["baseline"] is not None and metric["baseline"] > 0
        assert metric["ratio"] == metric["figure"] / metric["baseline"]
        assert metric["met"] in (True, False, None)
    assert "Results written to" in result.output


def test_bench_refuses_a_database_it_did_not_create(tmp_path: Path) -> None:
    """Benchmarks write thousands of rows: never into a database holding real cases."""
    from dhr_engine.bootstrap import build_context
    from dhr_engine.config import Settings
    from dhr_engine.demo import load_demo
    from dhr_engine.persistence.schema import upgrade

    url = f"sqlite:///{tmp_path / 'real.db'}"
    ctx = build_context(Settings(database_url=url, run_scheduler_in_process=False))
    upgrade(ctx.engine)
    load_demo(ctx)
    ctx.engine.dispose()
    result = CliRunner().invoke(
        app,
        [
            "bench",
            "--quick",
            "--database-url",
            url,
            "--only",
            "fire_trigger",
            "--json",
            str(tmp_path / "x.json"),
        ],
    )
    assert result.exit_code != 0
    assert "did not create" in result.output
    assert not (tmp_path / "x.json").exists()


def test_only_rejects_an_unknown_metric(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["bench", "--quick", "--only", "speed", "--json", str(tmp_path / "x.json")]
    )
    assert result.exit_code == 1
    assert "unknown metric speed" in result.output
