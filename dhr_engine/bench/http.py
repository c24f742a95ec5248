"""Metric 4: HTTP under wrk at 32 connections against one uvicorn worker.

POST fire-trigger and GET case, each against GET /bench/ping of the same app (the trivial
endpoint: no database, no auth). Rounds alternate the three so each sees the same machine.
"""

from __future__ import annotations

import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import col, select

from dhr_engine.api.deps import API_PREFIX
from dhr_engine.auth.tokens import issue_token
from dhr_engine.bench import wrk_scripts
from dhr_engine.bench.database import BenchDatabase
from dhr_engine.bench.http_server import PING_PATH
from dhr_engine.bench.results import MetricResult, Target
from dhr_engine.bench.sizes import Sizes
from dhr_engine.bench.walk import QA_LOOP, QA_LOOP_REASON, ReloadingBuilder, walk_to_qa
from dhr_engine.persistence.tables import Case

WRK = "wrk"
RATIO_TARGET = Target(on="ratio", direction="higher", value=0.15)
P99_TARGET = Target(on="figure", direction="lower", value=50.0)
QA_TRIGGERS = {"qa_submitted": QA_LOOP[0], "revising": QA_LOOP[1]}


@dataclass(frozen=True)
class WrkRun:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One uvicorn worker serving the bench app, in its own process."""

    def __init__(self, database_url: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dhr_engine.bench.http_server", database_url, str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def wait(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"the bench server stopped: {err[-2000:]}")
            try:
                with urllib.request.urlopen(self.base + PING_PATH, timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the bench server did not start in time")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        finally:
            if self.process.stderr:
                self.process.stderr.close()


def run_wrk(url: str, script: str, seconds: int, connections: int, workdir: Path) -> WrkRun:
    path = workdir / "script.lua"
    path.write_text(script, encoding="utf-8")
    command = [WRK, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(path), url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH-JSON "))
    data = json.loads(line.removeprefix("BENCH-JSON "))
    return WrkRun(
        rps=data["requests"] / (data["duration_us"] / 1e6),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=int(data["errors"]),
    )


def _cases_now(db: BenchDatabase, ids: list[object]) -> list[tuple[str, int, str]]:
    with db.ctx.reader() as uow:
        rows = uow.session.exec(select(Case).where(col(Case.id).in_(ids))).all()
        return [(c.ref, c.version, c.stage) for c in rows]


def _median(runs: list[WrkRun]) -> WrkRun:
    return WrkRun(
        rps=statistics.median(r.rps for r in runs),
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        errors=sum(r.errors for r in runs),
    )


def run(db: BenchDatabase, sizes: Sizes) -> list[MetricResult]:
    if shutil.which(WRK) is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install wrk)")
    builder = ReloadingBuilder(db)
    ids: list[object] = [walk_to_qa(builder, f"HTTP {n + 1}").id for n in range(sizes.http_cases)]
    officer = db.ref.users["officer"]
    token, _ = issue_token(
        user_id=officer.id,
        password_hash=officer.password_hash,
        secret=db.ctx.settings.secret_key,
        now=db.ctx.clock.now(),
        minutes=60,
    )
    server = Server(db.ctx.engine.url.render_as_string(hide_password=False))
    runs: dict[str, list[WrkRun]] = {"ping": [], "get": [], "post": []}
    rounds = max(1, min(sizes.rounds, 3))
    try:
        server.wait()
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            conns, secs = sizes.http_connections, sizes.http_seconds
            refs = [f"{API_PREFIX}/cases/{ref}" for ref, _v, _s in _cases_now(db, ids)]
            run_wrk(server.base + PING_PATH, wrk_scripts.ping_script(), 1, conns, work)  # warm-up
            run_wrk(server.base, wrk_scripts.get_script(token, refs), 1, conns, work)
            for _ in range(rounds):
                runs["ping"].append(
                    run_wrk(server.base + PING_PATH, wrk_scripts.ping_script(), secs, conns, work)
                )
                runs["get"].append(
                    run_wrk(server.base, wrk_scripts.get_script(token, refs), secs, conns, work)
                )
                script = wrk_scripts.fire_script(
                    token, API_PREFIX, _cases_now(db, ids), QA_TRIGGERS, QA_LOOP_REASON
                )
                runs["post"].append(run_wrk(server.base, script, secs, conns, work))
    finally:
        server.stop()
    ping, get, post = (_median(runs[k]) for k in ("ping", "get", "post"))
    sqlite = db.dialect == "sqlite"
    results = []
    for label, figures in (("GET case", get), ("POST fire-trigger", post)):
        detail = {
            "connections": sizes.http_connections,
            "seconds": sizes.http_seconds,
            "errors": figures.errors,
            "p50_ms": figures.p50_ms,
            "ping_p50_ms": ping.p50_ms,
        }
        results.append(
            MetricResult.measured(
                "http",
                f"{label} requests per second",
                figures.rps,
                "/s",
                baseline=ping.rps,
                baseline_name="GET /bench/ping (trivial endpoint, same app)",
                target=RATIO_TARGET if sqlite else None,
                rounds=rounds,
                detail=detail,
            )
        )
        results.append(
            MetricResult.measured(
                "http",
                f"{label} p99 latency (p50 {figures.p50_ms:.1f} ms)",
                figures.p99_ms,
                "ms",
                baseline=ping.p99_ms,
                baseline_name="p99 of GET /bench/ping",
                target=P99_TARGET if sqlite else None,
                rounds=rounds,
                detail=detail,
            )
        )
    return results
