"""The APScheduler jobs (ids, coalescing, one instance), the in-process start and stop behind the
setting, and `dhr scheduler list|run-now|notices` against a real database and SMTP server."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from dateutil.relativedelta import relativedelta
from typer.testing import CliRunner

from dhr_engine.audit.scheduled import CHECKPOINT_JOB
from dhr_engine.bootstrap import JOBS
from dhr_engine.console import app
from dhr_engine.context import AppContext
from dhr_engine.deadlines.scheduled import SWEEP_JOB
from dhr_engine.errors import NotFound
from dhr_engine.outbox.scheduled import DRAIN_JOB
from dhr_engine.scheduler import runner
from tests.scheduler.smtp import smtp_server

cli = CliRunner()


def test_jobs_are_registered_with_ids_coalescing_and_one_instance(lite: AppContext) -> None:
    scheduler = runner.start_in_process(lite, JOBS, first_run_after=None)
    try:
        assert isinstance(scheduler, BackgroundScheduler) and scheduler.running
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {SWEEP_JOB, DRAIN_JOB, CHECKPOINT_JOB}
        for job in jobs.values():
            assert job.coalesce is True and job.max_instances == 1
        assert jobs[SWEEP_JOB].trigger.interval == timedelta(minutes=5)
        assert jobs[DRAIN_JOB].trigger.interval == timedelta(minutes=1)
        assert jobs[CHECKPOINT_JOB].trigger.interval == timedelta(days=1)
        runner.add_jobs(scheduler, lite, JOBS, first_run_after=None)  # replace_existing: still three jobs
        assert len(scheduler.get_jobs()) == 3
    finally:
        runner.stop(scheduler)
    assert not scheduler.running


def test_lifespan_runs_the_scheduler_only_when_the_setting_is_on(lite: AppContext) -> None:
    with runner.lifespan(lite, JOBS) as scheduler:
        assert scheduler is not None and scheduler.running
    assert not scheduler.running
    lite.settings.run_scheduler_in_process = False
    with runner.lifespan(lite, JOBS) as nothing:
        assert nothing is None


def test_run_now_unknown_job(lite: AppContext) -> None:
    with pytest.raises(NotFound):
        runner.run_now(lite, JOBS, "no-such-job")


def _run(*args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_sweep_drain_list_and_notices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DHR_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    _run("init")
    # Notified a month and ten days ago: the CSP decision is about ten days overdue (the CLI uses the real clock).
    notified = date.today() - relativedelta(months=1) - timedelta(days=10)
    ref = _run("case", "new", "--notified-on", notified.isoformat()).strip()
    listing = json.loads(_run("scheduler", "list", "--json"))
    assert {j["id"] for j in listing["jobs"]} == {SWEEP_JOB, DRAIN_JOB, CHECKPOINT_JOB}
    assert listing["deadlines_with_a_notice_due"] == 1
    out = _run("scheduler", "run-now", SWEEP_JOB)
    assert "1 notice(s) (escalation:1: 1)" in out and "2 e-mail(s) queued" in out
    assert "0 notice(s)" in _run("scheduler", "run-now", SWEEP_JOB)  # once only
    [notice] = json.loads(_run("scheduler", "notices", ref, "--json"))
    assert notice["rung"] == "escalation:1" and notice["skipped"] == ["before:7", "before:1", "due"]
    with smtp_server() as (recorder, port):
        monkeypatch.setenv("DHR_SMTP_PORT", str(port))
        assert "2 done" in _run("scheduler", "run-now", DRAIN_JOB)
    assert recorder.count() == 2
    listing = json.loads(_run("scheduler", "list", "--json"))
    assert listing["emails"] == {"queued": 0, "waiting_to_retry": 0, "failed": 0, "sent": 2}
    assert listing["deadlines_with_a_notice_due"] == 0
    bad = cli.invoke(app, ["scheduler", "run-now", "sweep"])
    assert bad.exit_code == 2 and "no job 'sweep'" in bad.output
