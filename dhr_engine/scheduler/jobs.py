"""The scheduler's jobs: what each runs, and how often.

Deadlines are rows, not APScheduler jobs (ARCHITECTURE.md §10): two static jobs run in every
scheduler process, in the in-memory job store, and claim their work in the database, so running
several schedulers (or a scheduler beside `dhr serve`) cannot send anything twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from dhr_engine.context import AppContext
from dhr_engine.plans.chase import sweep_priority_plans  # CSP priority plans have no deadline rows
from dhr_engine.services.outbox import drain_outbox
from dhr_engine.services.sweep import sweep_all

log = logging.getLogger(__name__)

SWEEP_JOB = "sweep-deadlines"
DRAIN_JOB = "drain-outbox"


@dataclass(frozen=True)
class JobSpec:
    id: str
    description: str
    every_seconds: int
    run: Callable[[AppContext], str]


def run_sweep(ctx: AppContext) -> str:
    """Send today's reminders, due-day notices and escalations; then drain what they queued."""
    result = sweep_all(ctx, ctx.clock.now())
    by_rung = ", ".join(f"{rung}: {n}" for rung, n in sorted(result.by_rung.items())) or "nothing due"
    summary = (
        f"{result.processed} deadline(s) looked at, {result.notices} notice(s) ({by_rung}), "
        f"{result.notifications} notification(s), {result.emails} e-mail(s) queued, {result.failed} failed"
    )
    summary += f"; {sweep_priority_plans(ctx, ctx.clock.now())} priority-plan notice(s)"
    log.info("sweep: %s", summary)
    return summary


def run_drain(ctx: AppContext) -> str:
    """Do the queued work: send e-mails (and whatever other kinds have a handler)."""
    result = drain_outbox(ctx)
    summary = f"{result.done} done, {result.retried} to retry later, {result.failed} failed"
    log.info("drain: %s", summary)
    return summary


JOBS: dict[str, JobSpec] = {
    SWEEP_JOB: JobSpec(
        SWEEP_JOB, "Reminders, due-day notices and escalations of open deadlines", 300, run_sweep
    ),
    DRAIN_JOB: JobSpec(
        DRAIN_JOB, "Send queued e-mails and other outbox work, retrying with back-off", 60, run_drain
    ),
}
