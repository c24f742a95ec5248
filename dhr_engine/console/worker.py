"""A scheduler loop without APScheduler: sweep, then drain, until there is nothing left to do.

`python -m dhr_engine.console.worker --database-url URL [--now 2026-12-25T12:00:00+00:00]` runs
the one sweep over every source the composition root names (deadline rows, priority plans) batch
by batch until none locks anything, then drains the outbox, and repeats until a whole round
claims and drains nothing. It prints one line per step ("sweep N", "drain N", "idle"), so a supervisor (or the
multi-process tests) can see what it is doing. `--now` starts its clock at that moment (the clock
then moves on with real time), for catching up a past day or testing.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, datetime, timedelta

from dhr_engine.bootstrap import SWEEP_SOURCES, build_context
from dhr_engine.config import Settings
from dhr_engine.deadlines.scheduled import SweepResult, sweep_all
from dhr_engine.domain.clock import LONDON
from dhr_engine.outbox.service import drain_outbox


class OffsetClock:
    """Starts at a given moment and moves on with real (monotonic) time."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.started = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.started)

    def today(self) -> date:
        return self.now().astimezone(LONDON).date()


def _print_batch(result: SweepResult) -> None:
    print(f"sweep {result.processed}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--now", help="start the clock at this ISO moment (default: the real time)")
    parser.add_argument("--smtp-host", default=None)
    parser.add_argument("--smtp-port", type=int, default=None)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument(
        "--idle-rounds", type=int, default=2, help="stop after this many rounds with nothing done"
    )
    args = parser.parse_args(argv)
    overrides: dict[str, object] = {"database_url": args.database_url, "run_scheduler_in_process": False}
    if args.smtp_host:
        overrides["smtp_host"] = args.smtp_host
    if args.smtp_port:
        overrides["smtp_port"] = args.smtp_port
    settings = Settings.model_validate(overrides)
    clock = OffsetClock(datetime.fromisoformat(args.now)) if args.now else None
    ctx = build_context(settings, clock=clock)
    idle = 0
    try:
        while idle < args.idle_rounds:
            swept = sweep_all(
                ctx, ctx.clock.now(), args.batch, sources=SWEEP_SOURCES, on_batch=_print_batch
            ).claims
            print("phase drain", flush=True)
            drained = drain_outbox(ctx, limit=args.batch)
            print(f"drain {drained.taken}", flush=True)
            idle = idle + 1 if swept == 0 and drained.taken == 0 else 0
            if idle:
                print("idle", flush=True)
                time.sleep(0.2)
    finally:
        ctx.engine.dispose()
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
