"""Metric 3: the deadline sweep over the scale data set (1,000,000 deadlines, 10,000 of them due).

- The due query (open rows due by today, oldest first, one batch), its median time and its plan.
- Due items claimed and processed per second by the scheduler's `sweep_due(ctx, now, batch_size)`,
  when that module is present; the due rows are put back as they were between rounds.
The floor for the query is one deadline read by primary key; for the sweep, the one-row
transaction per second (one item can hardly cost less than one write transaction).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.engine import Connection

from dhr_engine.bench.baseline import FLOOR_NAME, floor_work
from dhr_engine.bench.database import BenchDatabase
from dhr_engine.bench.results import MetricResult, Target
from dhr_engine.bench.sizes import Sizes
from dhr_engine.bench.timing import median_seconds, rate
from dhr_engine.deadlines.scheduled import sweep_due
from dhr_engine.persistence.tables import Deadline

# each round sweeps every due row (10,000: a few seconds on SQLite, about 30 s on PostgreSQL,
# which keeps `dhr bench` on a fresh PostgreSQL database under ten minutes)
SWEEP_ROUNDS = {"sqlite": 2, "postgresql": 1}
QUERY_TARGET = Target(on="figure", direction="lower", value=1.0)
SWEEP_TARGET_SQLITE = Target(on="figure", direction="higher", value=2000.0)

DEADLINE = cast(Table, Deadline.__table__)  # type: ignore[attr-defined]
NOTICE_TABLE = "deadline_notice"  # the scheduler's claims (deadlines/scheduled.py), when present


def due_query(today: date, batch: int) -> Any:
    """The scheduler's question: open deadlines due by today, oldest first, one batch."""
    return (
        select(DEADLINE.c.id, DEADLINE.c.case_id, DEADLINE.c.key, DEADLINE.c.adjusted_due)
        .where(DEADLINE.c.status == "open", DEADLINE.c.adjusted_due <= today)
        .order_by(DEADLINE.c.adjusted_due)
        .limit(batch)
    )


def query_plan(conn: Connection, statement: Any) -> list[str]:
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    if conn.dialect.name == "postgresql":
        rows = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}").all()
        return [str(r[0]) for r in rows]
    rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
    return [str(r[-1]) for r in rows]


def _query_result(db: BenchDatabase, sizes: Sizes, today: date) -> MetricResult:
    statement = due_query(today, sizes.sweep_batch)
    with db.ctx.engine.connect() as conn:
        due_count = len(conn.execute(due_query(today, sizes.sweep_due * 2)).all())
        some_id = conn.execute(select(DEADLINE.c.id).limit(1)).scalar_one()
        plan = query_plan(conn, statement)

        def query() -> object:
            return conn.execute(statement).all()

        def floor() -> object:
            return conn.execute(select(DEADLINE).where(DEADLINE.c.id == some_id)).all()

        rounds = max(sizes.query_rounds, 5)
        figure_ms = median_seconds(query, rounds, warmup=3) * 1000
        floor_ms = median_seconds(floor, rounds, warmup=3) * 1000
    return MetricResult.measured(
        "sweep",
        f"due query: {sizes.sweep_batch} of the {due_count:,} due, oldest first",
        figure_ms,
        "ms",
        baseline=floor_ms,
        baseline_name="one deadline read by primary key",
        target=QUERY_TARGET,
        rounds=rounds,
        detail={"plan": plan, "due": due_count, "deadlines": sizes.scale_deadlines},
    )


class DueRows:
    """The due rows as they were, to put back after a sweep round."""

    def __init__(self, db: BenchDatabase, today: date) -> None:
        self.db = db
        with db.ctx.engine.connect() as conn:
            ids = select(DEADLINE.c.id).where(DEADLINE.c.status == "open", DEADLINE.c.adjusted_due <= today)
            self.rows = [
                dict(r._mapping) for r in conn.execute(select(DEADLINE).where(DEADLINE.c.id.in_(ids)))
            ]

    def restore(self) -> None:
        columns = [c.name for c in DEADLINE.c if c.name != "id"]
        statement = (
            update(DEADLINE)
            .where(DEADLINE.c.id == bindparam("row_id"))
            .values({name: bindparam(f"v_{name}") for name in columns})
        )
        params = [{"row_id": r["id"], **{f"v_{n}": r[n] for n in columns}} for r in self.rows]
        with self.db.ctx.engine.begin() as conn:
            conn.execute(statement, params)
            notices = Deadline.metadata.tables.get(NOTICE_TABLE)
            if notices is not None:  # forget the sweep's claims: the next round (and run) finds them due
                ids = [r["id"] for r in self.rows]
                for start in range(0, len(ids), 500):
                    conn.execute(delete(notices).where(notices.c.deadline_id.in_(ids[start : start + 500])))


def _sweep_result(db: BenchDatabase, sizes: Sizes, today: date, sweep: Callable[..., int]) -> MetricResult:
    due = DueRows(db, today)
    rates: list[float] = []
    processed_per_round: list[int] = []
    for _ in range(max(1, min(sizes.rounds, SWEEP_ROUNDS.get(db.dialect, 1)))):
        started = time.perf_counter()
        processed = 0
        while True:
            n = sweep(db.ctx, db.ctx.clock.now())  # the scheduler job's own batch size
            if n <= 0:
                break
            processed += n
        elapsed = time.perf_counter() - started
        due.restore()
        processed_per_round.append(processed)
        if processed == 0:
            break
        rates.append(processed / elapsed)
    floor = rate(floor_work(db.ctx), sizes.baseline_per_round, sizes.rounds)
    figure = statistics.median(rates) if rates else 0.0
    return MetricResult.measured(
        "sweep",
        f"due deadlines claimed and processed per second ({len(due.rows):,} due)",
        figure,
        "/s",
        baseline=floor.median,
        baseline_name=f"{FLOOR_NAME} per second",
        target=SWEEP_TARGET_SQLITE if db.dialect == "sqlite" else None,
        rounds=len(rates),
        detail={"processed_per_round": processed_per_round, "batch": "the scheduler's default"},
    )


def run(db: BenchDatabase, sizes: Sizes) -> list[MetricResult]:
    today = db.ctx.clock.today()
    return [_query_result(db, sizes, today), _sweep_result(db, sizes, today, sweep_due)]
