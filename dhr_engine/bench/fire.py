"""Metric 1: fire_trigger per second against the one-row transaction per second."""

from __future__ import annotations

from dhr_engine.bench.baseline import FLOOR_NAME, floor_work
from dhr_engine.bench.database import BenchDatabase
from dhr_engine.bench.qa_loop import QaLoop
from dhr_engine.bench.results import MetricResult, Target
from dhr_engine.bench.sizes import Sizes
from dhr_engine.bench.timing import paired_rates

TARGET = Target(on="ratio", direction="higher", value=0.5)


def run(db: BenchDatabase, sizes: Sizes) -> list[MetricResult]:
    loop = QaLoop(db, sizes.fire_cases)
    paired = paired_rates(
        loop.fire, sizes.fire_per_round, floor_work(db.ctx), sizes.baseline_per_round, sizes.rounds
    )
    return [
        MetricResult.measured(
            "fire_trigger",
            "fire_trigger per second",
            paired.figure.median,
            "/s",
            baseline=paired.baseline.median,
            baseline_name=f"{FLOOR_NAME} per second",
            target=TARGET,
            rounds=sizes.rounds,
            detail={
                "figure_range": [paired.figure.low, paired.figure.high],
                "baseline_range": [paired.baseline.low, paired.baseline.high],
                "per_round": sizes.fire_per_round,
                "cases": sizes.fire_cases,
                "triggers": "record_qa_resubmission_required / resubmit_to_qa",
            },
        )
    ]
