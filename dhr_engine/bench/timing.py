"""Medians over repeated rounds after a warm-up, and the process's resident memory."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    """Operations per second: the median round, with the slowest and fastest round."""

    median: float
    low: float
    high: float
    rounds: int


def rate(work: Callable[[int], None], per_round: int, rounds: int, *, warmup: int | None = None) -> Rate:
    """Run `work(n)` once as a warm-up, then `rounds` times, timing each round of n operations."""
    work(warmup if warmup is not None else max(1, per_round // 5))
    rates = []
    for _ in range(rounds):
        started = time.perf_counter()
        work(per_round)
        rates.append(per_round / (time.perf_counter() - started))
    return Rate(statistics.median(rates), min(rates), max(rates), rounds)


def median_seconds(work: Callable[[], object], rounds: int, *, warmup: int = 1) -> float:
    """The median wall time of one call, after `warmup` untimed calls."""
    for _ in range(warmup):
        work()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def rss_bytes() -> int:
    """This process's resident set size now (not its peak), from /proc."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("VmRSS not found in /proc/self/status")


@dataclass(frozen=True)
class Paired:
    """A figure and its baseline, timed in alternating rounds so both see the same noise."""

    figure: Rate
    baseline: Rate


def paired_rates(
    work: Callable[[int], None],
    per_round: int,
    floor: Callable[[int], None],
    floor_per_round: int,
    rounds: int,
) -> Paired:
    """Rates of `work` and `floor`, warm-up first, then rounds alternating floor and work."""
    floor(max(1, floor_per_round // 5))
    work(max(1, per_round // 5))
    works, floors = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        floor(floor_per_round)
        floors.append(floor_per_round / (time.perf_counter() - started))
        started = time.perf_counter()
        work(per_round)
        works.append(per_round / (time.perf_counter() - started))
    return Paired(
        figure=Rate(statistics.median(works), min(works), max(works), rounds),
        baseline=Rate(statistics.median(floors), min(floors), max(floors), rounds),
    )
