"""Several scheduler processes over 10,000 due deadlines, one killed (SIGKILL) mid-sweep and
restarted: every deadline gets exactly one notice of the rung due, every addressee exactly one
e-mail at a real SMTP server, and every case's audit chain still verifies."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import Table, func, insert, select
from sqlmodel import col

from dhr_engine.audit.service import verify_all
from dhr_engine.context import AppContext
from dhr_engine.domain.clock import FakeClock
from dhr_engine.persistence.tables import AuditEvent, Case, Csp, Deadline, OutboxItem, User
from dhr_engine.persistence.tables_scheduler import DeadlineNotice, Notification
from tests.processes import Children, kill_group, lines, wait_for
from tests.scheduler.smtp import smtp_server

DEADLINES = 10_000
PER_CASE = 5
DUE = date(2026, 12, 25)
KEY = "ho_decision_notice"  # no reminders before the day; on the day to the CSP officer
ROOT = Path(__file__).resolve().parents[2]


def _table(model: type) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def populate(ctx: AppContext) -> uuid.UUID:
    """One partnership, its officer, 2,000 cases with five due deadlines each (bulk Core inserts)."""
    csp = Csp(slug="many", name="Many Community Safety Partnership")
    officer = User(username="many.officer", display_name="Officer", email="officer@many.example",
                   global_roles=["csp_officer"], csp_id=csp.id)  # fmt: skip
    created = datetime(2026, 11, 1, 9, tzinfo=UTC)
    cases: list[dict[str, Any]] = []
    deadlines: list[dict[str, Any]] = []
    for n in range(DEADLINES // PER_CASE):
        case_id = uuid.uuid4()
        cases.append({
            "id": case_id, "ref": f"DHR-2026-{n + 1:05d}", "csp_id": csp.id, "workflow_key": "dhr",
            "workflow_version": "2016.1", "review_type": "dhr", "stage": "decision_pending",
            "stage_entered_on": date(2026, 11, 20), "version": 1, "title": "", "notified_on": date(2026, 11, 1),
            "date_of_death": None, "date_of_death_precision": "day", "police_force_area": "", "summary": "",
            "created_at": created, "closed_on": None, "audit_count": 0, "audit_head": "",
            "resume_to": None,
        })  # fmt: skip
        for k in range(PER_CASE):
            deadlines.append({
                "id": uuid.uuid4(), "case_id": case_id, "key": KEY, "label": "Tell the Home Office of the decision",
                "subject_type": None, "subject_id": uuid.uuid4() if k else None, "owner_role": "csp_officer",
                "rule": "0 calendar days", "workflow_version": "2016.1", "anchor_on": DUE,
                "anchor_event": "decision", "statutory_due": DUE, "adjusted_due": DUE, "status": "open",
                "paused_since": None, "pause_log": [], "holidays_skipped": [], "opened_at": created,
                "closed_on": None,
            })  # fmt: skip
    with ctx.uow() as uow:
        uow.session.add(csp)
        uow.session.add(officer)
        uow.session.flush()
        uow.session.execute(insert(_table(Case)), cases)
        uow.session.execute(insert(_table(Deadline)), deadlines)
        uow.commit()
    return officer.id


def _count(ctx: AppContext, query: Any) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _start(children: Children, url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    now = datetime.combine(DUE, dtime(12), UTC).isoformat()
    command = [sys.executable, "-m", "dhr_engine.console.worker", "--database-url", url, "--now", now,
               "--smtp-port", str(port), "--batch", "50"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("DHR_")}
    return children.start(command, log=log, cwd=ROOT, env=env)


def run_schedulers(ctx: AppContext, children: Children, tmp_path: Path, processes: int) -> None:
    officer_id = populate(ctx)
    url = ctx.engine.url.render_as_string(hide_password=False)
    notices = select(func.count()).select_from(_table(DeadlineNotice))
    with smtp_server() as (recorder, port):
        logs = [tmp_path / f"worker{n}.log" for n in range(processes)]

        def progress() -> tuple[int, ...]:
            """What moves while the workers work: the notices, the e-mails, the lines they print."""
            return (_count(ctx, notices), recorder.count(), *(len(lines(log)) for log in logs))

        workers = [_start(children, url, port, log) for log in logs]
        wait_for(
            lambda: _count(ctx, notices) >= DEADLINES // 5,
            "a fifth of the notices",
            progress=progress,
            running=workers,
        )
        victim = workers[0]
        kill_group(victim)
        done_before_kill = _count(ctx, notices)
        assert "drain" not in logs[0].read_text().split(), (
            "the process was killed after its sweep, not during it"
        )
        assert done_before_kill < DEADLINES, "the sweep was over before the kill"
        workers[0] = _start(children, url, port, logs[0])  # restarted
        wait_for(
            lambda: all(w.poll() is not None for w in workers), "every scheduler to finish", progress=progress
        )
        assert [w.returncode for w in workers] == [0] * processes
        received = list(recorder.messages)

    rows = select(DeadlineNotice.rung, func.count(), func.count(func.distinct(DeadlineNotice.deadline_id)))
    with ctx.engine.connect() as conn:
        by_rung = conn.execute(rows.group_by(col(DeadlineNotice.rung))).all()
        claimers = conn.execute(select(func.count(func.distinct(DeadlineNotice.claimed_by)))).scalar_one()
        note_ids = set(
            conn.execute(select(Notification.id).where(Notification.user_id == officer_id)).scalars()
        )
        statuses = conn.execute(
            select(OutboxItem.status, func.count())
            .where(OutboxItem.kind == "email")
            .group_by(OutboxItem.status)
        ).all()
        due_events = conn.execute(
            select(func.count())
            .select_from(_table(AuditEvent))
            .where(AuditEvent.kind == "deadline_due_notice")
        ).scalar_one()
    assert [tuple(r) for r in by_rung] == [
        ("due", DEADLINES, DEADLINES)
    ]  # one each: none twice, none missing
    assert claimers >= processes  # the work really was shared (and the restarted process took part or not)
    assert len(note_ids) == DEADLINES
    assert [tuple(s) for s in statuses] == [("done", DEADLINES)]
    assert due_events == DEADLINES
    assert len(received) == DEADLINES  # no duplicate, none missing
    assert {m.message_id for m in received} == {f"<{n}@dhr-engine.invalid>" for n in note_ids}
    assert all(m.rcpt == ["officer@many.example"] for m in received)
    with ctx.reader() as uow:
        assert verify_all(uow.session) == []


@pytest.mark.slow
@pytest.mark.postgres
def test_three_schedulers_on_postgresql_one_killed(
    pg: AppContext, clock: FakeClock, children: Children, tmp_path: Path
) -> None:
    run_schedulers(pg, children, tmp_path, processes=3)


@pytest.mark.slow
def test_two_schedulers_on_sqlite_one_killed(
    lite: AppContext, clock: FakeClock, children: Children, tmp_path: Path
) -> None:
    run_schedulers(lite, children, tmp_path, processes=2)
