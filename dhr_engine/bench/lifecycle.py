"""Metric 2: whole lifecycles (notification to closure) per second, reloading between triggers.

The floor is the same number of one-row transactions: a lifecycle of W writes can go no faster
than the floor's transactions per second divided by W.
"""

from __future__ import annotations

from dhr_engine.bench.baseline import FLOOR_NAME, floor_work
from dhr_engine.bench.database import BenchDatabase
from dhr_engine.bench.results import MetricResult
from dhr_engine.bench.sizes import Sizes
from dhr_engine.bench.timing import paired_rates
from dhr_engine.bench.walk import ReloadingBuilder, whole_lifecycle


def run(db: BenchDatabase, sizes: Sizes) -> list[MetricResult]:
    builder = ReloadingBuilder(db)
    whole_lifecycle(builder, "Lifecycle count")
    writes = builder.writes  # commands per lifecycle, counted on a real walk
    done = 0

    def work(n: int) -> None:
        nonlocal done
        for _ in range(n):
            done += 1
            whole_lifecycle(builder, f"Lifecycle {done}")

    floor = floor_work(db.ctx)
    per_floor_round = writes * sizes.lifecycles_per_round
    paired = paired_rates(work, sizes.lifecycles_per_round, floor, per_floor_round, sizes.rounds)
    floor_lifecycles = paired.baseline.median / writes
    return [
        MetricResult.measured(
            "lifecycle",
            "whole lifecycles per second (notification to closure)",
            paired.figure.median,
            "/s",
            baseline=floor_lifecycles,
            baseline_name=f"{FLOOR_NAME}s per second / {writes} writes",
            rounds=sizes.rounds,
            detail={
                "writes_per_lifecycle": writes,
                "figure_range": [paired.figure.low, paired.figure.high],
                "per_round": sizes.lifecycles_per_round,
            },
        )
    ]
