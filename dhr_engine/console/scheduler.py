"""`dhr scheduler run|list|run-now|notices`: the deadline sweep and the outbox drain."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import typer
from rich.table import Table
from sqlalchemy import func
from sqlmodel import col, select

from dhr_engine.bootstrap import JOBS
from dhr_engine.cli.common import console, context, fail, print_json, report
from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.reminders import rung_in_words
from dhr_engine.errors import DhrError
from dhr_engine.outbox.service import queue_counts
from dhr_engine.persistence.tables import Case, Deadline
from dhr_engine.persistence.tables_scheduler import DeadlineNotice
from dhr_engine.scheduler import runner

app = typer.Typer(no_args_is_help=True)


@app.command("run")
def run(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log each job run")) -> None:
    """Run the jobs in this process until stopped (Ctrl-C): the multi-worker set-up.

    Run it beside `dhr serve` with DHR_RUN_SCHEDULER_IN_PROCESS=false. Running more than one is
    safe: every notice and e-mail is claimed in the database.
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(message)s")
    ctx = context()
    for spec in JOBS.values():
        console.print(f"{spec.id}: every {spec.every_seconds} s — {spec.description}")
    console.print("Scheduler running; Ctrl-C stops it.")
    runner.run_blocking(ctx, JOBS)


@app.command("list")
def list_jobs(as_json: bool = typer.Option(False, "--json")) -> None:
    """The jobs, and what is waiting: deadlines with a notice due now, e-mails queued or failed."""
    ctx = context()
    from dhr_engine.deadlines.scheduled import candidate_clause, today_in_london

    today = today_in_london(ctx.clock.now())
    with ctx.reader() as uow:
        due_now = int(
            uow.session.exec(
                select(func.count()).select_from(Deadline).where(candidate_clause(ctx.workflows, today))
            ).one()
        )
        failed_notices = int(
            uow.session.exec(
                select(func.count()).select_from(DeadlineNotice).where(DeadlineNotice.status == "failed")
            ).one()
        )
    emails = queue_counts(ctx, "email")
    data = {
        "jobs": [{"id": s.id, "every_seconds": s.every_seconds, "description": s.description}
                 for s in JOBS.values()],
        "deadlines_with_a_notice_due": due_now,
        "notices_failed": failed_notices,
        "emails": {"queued": emails.pending, "waiting_to_retry": emails.waiting_retry,
                   "failed": emails.failed, "sent": emails.done},
    }  # fmt: skip
    if as_json:
        print_json(data)
        return
    table = Table(title="Scheduler jobs")
    for column in ("job", "every", "what it does"):
        table.add_column(column)
    for spec in JOBS.values():
        table.add_row(spec.id, f"{spec.every_seconds} s", spec.description)
    console.print(table)
    console.print(f"Deadlines with a notice due now ({format_date(today)}): {due_now}")
    console.print(f"Notices that failed (looked at again tomorrow): {failed_notices}")
    console.print(
        f"E-mails: {emails.pending} queued, {emails.waiting_retry} waiting to retry, "
        f"{emails.failed} failed, {emails.done} sent"
    )


@app.command("run-now")
def run_now(job: str = typer.Argument(..., help=f"One of: {', '.join(JOBS)}")) -> None:
    """Run one job once, now, in this process (e.g. after downtime, or to test the mail set-up)."""
    ctx = context()
    try:
        summary = runner.run_now(ctx, JOBS, job)
    except DhrError as err:
        report(err)
    console.print(f"{job}: {summary}")


@app.command("notices")
def notices(ref: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """The reminders, due-day notices and escalations a case's deadlines have had."""
    ctx = context()
    with ctx.reader() as uow:
        case = uow.session.exec(select(Case).where(Case.ref == ref)).first()
        if case is None:
            fail(f"no case '{ref}'")
        rows = uow.session.exec(
            select(DeadlineNotice, Deadline.key, Deadline.label)
            .join(Deadline, col(Deadline.id) == col(DeadlineNotice.deadline_id))
            .where(DeadlineNotice.case_id == case.id)
            .order_by(col(DeadlineNotice.claimed_at), col(DeadlineNotice.rung))
        ).all()
        data: list[dict[str, Any]] = [
            {"key": key, "label": label, "rung": n.rung, "status": n.status, "sent_on": n.sent_on.isoformat(),
             "due_on": n.due_on.isoformat(), "addressees": n.addressees, "roles": n.roles,
             "skipped": n.skipped, "error": n.error}
            for n, key, label in rows
        ]  # fmt: skip
    if as_json:
        print_json(data)
        return
    table = Table(title=f"Deadline notices of {ref}")
    for column in ("deadline", "rung", "sent on", "due", "to", "status"):
        table.add_column(column)
    for d in data:
        skipped = ", ".join(rung_in_words(r) for r in d["skipped"])
        status = d["status"].replace("_", " ") + (f" (skipped: {skipped})" if skipped else "")
        table.add_row(
            d["label"],
            rung_in_words(d["rung"]),
            format_date(date.fromisoformat(d["sent_on"])),
            format_date(date.fromisoformat(d["due_on"])),
            str(d["addressees"]),
            status,
        )
    console.print(table)
