"""Metric 6: resident memory after 1,000 and after 20,000 fire_trigger calls in one process."""

from __future__ import annotations

import gc

from dhr_engine.bench.database import BenchDatabase
from dhr_engine.bench.qa_loop import QaLoop
from dhr_engine.bench.results import MetricResult, Target
from dhr_engine.bench.sizes import Sizes
from dhr_engine.bench.timing import rss_bytes

TARGET = Target(on="ratio", direction="lower", value=1.10)
MIB = 1024 * 1024


def run(db: BenchDatabase, sizes: Sizes) -> list[MetricResult]:
    loop = QaLoop(db, sizes.memory_cases)
    loop.fire(sizes.memory_first)
    gc.collect()
    first = rss_bytes()
    loop.fire(sizes.memory_last - sizes.memory_first)
    gc.collect()
    last = rss_bytes()
    return [
        MetricResult.measured(
            "memory",
            f"resident memory after {sizes.memory_last:,} fire_trigger calls",
            last / MIB,
            "MiB",
            baseline=first / MIB,
            baseline_name=f"resident memory after {sizes.memory_first:,} calls",
            target=TARGET,
            rounds=1,
            detail={"calls": loop.calls, "cases": sizes.memory_cases},
        )
    ]
