"""How much work each metric does: the full run, and --quick (seconds, for the test suite)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    rounds: int
    fire_per_round: int
    fire_cases: int
    baseline_per_round: int
    lifecycles_per_round: int
    memory_first: int
    memory_last: int
    memory_cases: int
    sweep_due: int
    sweep_batch: int
    http_seconds: int
    http_connections: int
    http_cases: int
    letters_per_round: int
    scale_cases: int
    scale_deadlines: int
    scale_events: int
    scale_largest_events: int
    query_rounds: int
    upload_xlsx_rows: int = 1_000_000  # the XLSX that must be refused at once (uploads)
    upload_csv_mb: int = 50  # the CSV that must be refused at once (uploads)


FULL = Sizes(
    rounds=5,
    fire_per_round=400,
    fire_cases=20,
    baseline_per_round=500,
    lifecycles_per_round=3,
    memory_first=1_000,
    memory_last=20_000,
    memory_cases=50,
    sweep_due=10_000,
    sweep_batch=100,
    http_seconds=5,
    http_connections=32,
    http_cases=64,  # twice the connections: a case is never in flight twice
    letters_per_round=20,
    scale_cases=100_000,
    scale_deadlines=1_000_000,
    scale_events=5_000_000,
    scale_largest_events=20_000,
    query_rounds=21,
)

QUICK = Sizes(
    rounds=2,
    fire_per_round=10,
    fire_cases=2,
    baseline_per_round=20,
    lifecycles_per_round=1,
    memory_first=10,
    memory_last=40,
    memory_cases=2,
    sweep_due=40,
    sweep_batch=20,
    http_seconds=1,
    http_connections=4,
    http_cases=8,
    letters_per_round=1,
    scale_cases=200,
    scale_deadlines=2_000,
    scale_events=10_000,
    scale_largest_events=500,
    query_rounds=3,
    upload_xlsx_rows=20_000,
    upload_csv_mb=26,  # still past the edge's 25 MB
)
