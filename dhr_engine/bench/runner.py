"""Run the chosen metrics on one database and collect their results."""

from __future__ import annotations

import os
import platform
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from dhr_engine.bench import fire, http, letters, lifecycle, memory, scale, sweep, uploads
from dhr_engine.bench.database import BenchDatabase
from dhr_engine.bench.results import MetricResult
from dhr_engine.bench.sizes import Sizes

Metric = Callable[[BenchDatabase, Sizes], list[MetricResult]]

# metric name -> its run(db, sizes), in the order they run
METRICS: dict[str, Metric] = {
    "fire_trigger": fire.run,
    "lifecycle": lifecycle.run,
    "memory": memory.run,
    "scale": scale.run,
    "sweep": sweep.run,
    "http": http.run,
    "letters": letters.run,
    "uploads": uploads.run,
}

Progress = Callable[[str], None]


@dataclass
class BenchReport:
    database: str
    quick: bool
    rounds: int
    started_at: str
    environment: dict[str, Any]
    results: list[MetricResult] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "quick": self.quick,
            "rounds": self.rounds,
            "started_at": self.started_at,
            "environment": self.environment,
            "seconds": self.seconds,
            "metrics": [r.as_json() for r in self.results],
        }


def environment(db: BenchDatabase) -> dict[str, Any]:
    with db.ctx.engine.connect() as conn:
        if db.dialect == "postgresql":
            server = str(conn.execute(text("SHOW server_version")).scalar())
        else:
            server = sqlite3.sqlite_version
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "database": db.dialect,
        "database_version": server,
    }


def run_metrics(
    db: BenchDatabase, sizes: Sizes, names: list[str], *, quick: bool, progress: Progress
) -> BenchReport:
    report = BenchReport(
        database=db.ctx.engine.url.render_as_string(hide_password=True),
        quick=quick,
        rounds=sizes.rounds,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        environment=environment(db),
    )
    for name in names:
        progress(name)
        started = time.perf_counter()
        run = METRICS[name]
        report.results.extend(run(db, sizes))
        report.seconds[name] = round(time.perf_counter() - started, 1)
    return report
