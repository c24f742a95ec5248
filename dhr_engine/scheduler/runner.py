"""Running the jobs: `dhr scheduler run` (its own process) or inside `dhr serve` (one process).

Every job is registered with an explicit id, `replace_existing=True`, `coalesce=True` (missed runs
roll into one) and `max_instances=1` (a slow sweep is never overlapped by the next one in the same
process), in APScheduler's in-memory job store: nothing is pickled or shared between processes.
Several schedulers may run at once; the database claims decide who sends what. The sweep also runs
at start-up (30 seconds after it, inside the web server), so a scheduler coming back after
downtime catches up straight away.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from dhr_engine.context import AppContext
from dhr_engine.domain.clock import LONDON
from dhr_engine.errors import NotFound
from dhr_engine.scheduler.jobs import Jobs, JobSpec

log = logging.getLogger(__name__)

# Inside the web server the first catch-up run waits a little, so start-up is not slowed.
IN_PROCESS_FIRST_RUN = timedelta(seconds=30)
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}


def _job(ctx: AppContext, spec: JobSpec) -> None:
    try:
        spec.run(ctx)
    except Exception:  # a failed run is logged and the next one tries again
        log.exception("scheduler job %s failed", spec.id)


def add_jobs(
    scheduler: BaseScheduler, ctx: AppContext, jobs: Jobs, *, first_run_after: timedelta | None
) -> None:
    """Register every job; the first run comes after `first_run_after` (None: after one interval)."""
    first = datetime.now(UTC) + first_run_after if first_run_after is not None else None
    for spec in jobs.values():
        scheduler.add_job(
            _job,
            trigger=IntervalTrigger(seconds=spec.every_seconds, timezone=LONDON),
            args=(ctx, spec),
            id=spec.id,
            name=spec.description,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            **({"next_run_time": first} if first is not None else {}),
        )


def build_scheduler(
    ctx: AppContext, jobs: Jobs, *, blocking: bool = False, first_run_after: timedelta | None = timedelta(0)
) -> BaseScheduler:
    scheduler: BaseScheduler = (
        BlockingScheduler(timezone=LONDON, job_defaults=JOB_DEFAULTS)
        if blocking
        else BackgroundScheduler(timezone=LONDON, job_defaults=JOB_DEFAULTS)
    )
    add_jobs(scheduler, ctx, jobs, first_run_after=first_run_after)
    return scheduler


def start_in_process(
    ctx: AppContext, jobs: Jobs, *, first_run_after: timedelta | None = IN_PROCESS_FIRST_RUN
) -> BackgroundScheduler:
    """Start the jobs in a background thread of this process (the embedded `dhr serve` set-up)."""
    scheduler = build_scheduler(ctx, jobs, blocking=False, first_run_after=first_run_after)
    assert isinstance(scheduler, BackgroundScheduler)
    scheduler.start()
    log.info("scheduler started in-process: %s", ", ".join(jobs))
    return scheduler


def stop(scheduler: BaseScheduler, *, wait: bool = True) -> None:
    """Stop the scheduler, letting a running job finish its transaction."""
    if scheduler.running:
        scheduler.shutdown(wait=wait)
        log.info("scheduler stopped")


@contextmanager
def lifespan(ctx: AppContext, jobs: Jobs) -> Iterator[BackgroundScheduler | None]:
    """What create_app enters while the server runs, when settings.run_scheduler_in_process is on."""
    if not ctx.settings.run_scheduler_in_process:
        yield None
        return
    scheduler = start_in_process(ctx, jobs)
    try:
        yield scheduler
    finally:
        stop(scheduler)


def run_blocking(ctx: AppContext, jobs: Jobs) -> None:
    """Run the jobs in the foreground until interrupted (`dhr scheduler run`)."""
    scheduler = build_scheduler(ctx, jobs, blocking=True)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        stop(scheduler, wait=True)


def run_now(ctx: AppContext, jobs: Jobs, job_id: str) -> str:
    """Run one job once, here and now (`dhr scheduler run-now JOB`); returns its summary."""
    spec = jobs.get(job_id)
    if spec is None:
        raise NotFound(f"no job '{job_id}'; the jobs are {', '.join(jobs)}", field="job")
    return spec.run(ctx)
