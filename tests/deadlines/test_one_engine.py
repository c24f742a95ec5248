"""One deadline engine: one sweep chases case deadlines, agencies' return deadlines and CSP
priority-plan actions through one loop and one claim (`deadline_notice`), each rung exactly once."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from sqlmodel import col, select

from dhr_engine.bootstrap import SWEEP_SOURCES, build_context, run_sweep
from dhr_engine.config import Settings
from dhr_engine.context import AppContext
from dhr_engine.deadlines.scheduled import sweep_all
from dhr_engine.demo.builder import Reference, demo_password_hash, seed_reference_data
from dhr_engine.domain.clock import FakeClock
from dhr_engine.persistence.schema import alembic_config
from dhr_engine.persistence.tables import OutboxItem
from dhr_engine.persistence.tables_plans import PlanAuditRecord
from dhr_engine.persistence.tables_scheduler import DEADLINE_SUBJECT, DeadlineNotice, Notification
from dhr_engine.plans.scheduled import chase_all
from tests.plans.test_chase import add, priority_plan
from tests.scheduler.helpers import (
    add_member,
    audit_kinds,
    deadline,
    noon,
    notified_users,
    open_case,
    request_imr,
)

NOTIFIED = date(2026, 11, 25)  # csp_decision due 25 December 2026; an IMR asked the same day


def all_notices(ctx: AppContext) -> list[DeadlineNotice]:
    with ctx.reader() as uow:
        return list(uow.session.exec(select(DeadlineNotice).order_by(col(DeadlineNotice.subject_type))).all())


def test_one_sweep__a_case_deadline_an_agency_return_and_a_plan_action__each_claimed_once(
    ctx: AppContext, ref: Reference, clock: FakeClock
) -> None:
    case = open_case(ctx, ref, NOTIFIED)
    for username, role in [("police.author", "agency_author"), ("police.manager", "agency_manager")]:
        add_member(ctx, ref, case.id, username, role)
    decision = deadline(ctx, case.id)
    imr = request_imr(ctx, ref, case.id, "northmoor_police", NOTIFIED)
    day = imr.adjusted_due  # the IMR's due day; the decision (25 December) is overdue by then
    assert day > decision.adjusted_due
    plan, measure = priority_plan(ctx, ref)
    action = add(ctx, ref, plan, measure, day)

    noon(clock, day)
    line = run_sweep(ctx)  # the scheduler job: one call
    assert "3 notice(s)" in line and "2 deadline notice(s), 1 priority-plan notice(s)" in line

    notices = all_notices(ctx)
    assert sorted((n.subject_type, n.subject_id, n.rung) for n in notices) == sorted(
        [
            (DEADLINE_SUBJECT, decision.id, notices_rung(notices, decision.id)),
            (DEADLINE_SUBJECT, imr.id, "due"),
            ("action", action.id, "due"),
        ]
    )
    assert notices_rung(notices, decision.id).startswith("escalation:")  # the catch-up rule: latest only
    by_subject = {n.subject_id: n for n in notices}
    for row in (decision, imr):
        notice = by_subject[row.id]
        assert (notice.deadline_id, notice.case_id, notice.plan_id) == (row.id, case.id, None)
    plan_notice = by_subject[action.id]
    assert (plan_notice.deadline_id, plan_notice.case_id, plan_notice.plan_id) == (None, None, plan.id)

    # The agency's return reaches that agency's people; the plan's action its lead agency's users.
    police = {ref.users["police.author"].id, ref.users["police.manager"].id}
    assert notified_users(ctx, by_subject[imr.id].id) == police
    assert notified_users(ctx, plan_notice.id) == police
    with ctx.reader() as uow:
        notes = uow.session.exec(select(Notification)).all()
        emails = uow.session.exec(select(OutboxItem).where(OutboxItem.kind == "email")).all()
        plan_kinds = uow.session.exec(
            select(PlanAuditRecord.kind, PlanAuditRecord.data).where(PlanAuditRecord.plan_id == plan.id)
        ).all()
    assert {n.notice_id for n in notes} == {n.id for n in notices}  # every notification points at its claim
    assert len(emails) == len(notes)  # every demo user has an address
    assert {e.case_id for e in emails} == {case.id, None}
    assert [k for k, d in plan_kinds if d.get("notice_id") == str(plan_notice.id)] == ["plan_due_notice"]
    kinds = audit_kinds(ctx, case.id)
    assert kinds.count("deadline_due_notice") == 1 and kinds.count("deadline_escalated") == 1

    # A second sweep (the same moment, or the next day) claims and sends nothing.
    again = sweep_all(ctx, clock.now(), sources=SWEEP_SOURCES)
    assert again.notices == 0 and again.claims == 0
    assert sweep_all(ctx, noon(clock, day + timedelta(days=1)), sources=SWEEP_SOURCES).notices == 0
    assert sorted(n.id for n in all_notices(ctx) if n.status == "sent") == sorted(n.id for n in notices)


def notices_rung(notices: list[DeadlineNotice], subject_id: uuid.UUID) -> str:
    return next(n.rung for n in notices if n.subject_id == subject_id)


def test_two_concurrent_sweeps_of_every_source__send_every_rung_exactly_once(
    ctx: AppContext, ref: Reference, clock: FakeClock
) -> None:
    due = NOTIFIED + timedelta(days=30)  # the decisions: 25 December
    cases = [open_case(ctx, ref, NOTIFIED) for _ in range(3)]
    actions = []
    for priority in ("county_lines", "vawg", "hate_crime"):
        plan, measure = priority_plan(ctx, ref, priority)
        actions += [add(ctx, ref, plan, measure, due) for _ in range(2)]
    now = noon(clock, due)
    barrier = threading.Barrier(2)
    totals: list[int] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait()
            totals.append(sweep_all(ctx, now, 1, sources=SWEEP_SOURCES).notices)
        except BaseException as err:  # surfaced below
            errors.append(err)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(totals) == len(cases) + len(actions) == 9
    claimed = [(n.subject_type, n.subject_id, n.rung) for n in all_notices(ctx)]
    assert len(claimed) == len(set(claimed)) == 9
    assert {s for s, _, _ in claimed} == {DEADLINE_SUBJECT, "action"}
    with ctx.reader() as uow:
        notes = uow.session.exec(select(Notification.notice_id, Notification.user_id)).all()
    assert len(notes) == len(set(notes))
    assert sweep_all(ctx, now, sources=SWEEP_SOURCES).notices == 0


def test_migration__moves_the_priority_plans_claims_into_the_one_table(
    tmp_path: Path, clock: FakeClock
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'old.db'}", storage_dir=tmp_path / "storage")
    ctx = build_context(settings, clock=clock)
    config = alembic_config(ctx.engine)
    # The rows are made with today's models at today's schema, then the schema is taken back to
    # before the one notice table (later migrations changed other tables the models describe).
    with ctx.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    with ctx.uow() as uow:
        ref = seed_reference_data(uow.session, demo_password_hash())
        uow.commit()
    plan, _measure = priority_plan(ctx, ref)
    with ctx.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0005_one_history")
    old = sa.table(
        "plan_notice",
        *(sa.column(name, sa.Uuid()) for name in ("id", "plan_id", "subject_id")),
        *(sa.column(name) for name in ("subject_type", "due_on", "rung", "kind", "level", "status")),
        *(
            sa.column(name)
            for name in ("sent_on", "claimed_at", "claimed_by", "next_on", "addressees", "error")
        ),
        sa.column("roles", sa.JSON()),
        sa.column("skipped", sa.JSON()),
    )
    moved = uuid.uuid4()
    with ctx.engine.begin() as conn:
        conn.execute(
            sa.insert(old).values(
                id=moved,
                plan_id=plan.id,
                subject_id=plan.id,
                subject_type="plan_review",
                due_on=date(2027, 2, 25),
                rung="before:14",
                kind="reminder",
                level=14,
                status="sent",
                sent_on=date(2027, 2, 11),
                claimed_at=datetime(2027, 2, 11, 12, tzinfo=UTC),
                claimed_by="old:1",
                next_on=date(2027, 2, 25),
                addressees=1,
                error="",
                roles=["csp_officer"],
                skipped=[],
            )
        )
    with ctx.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    [notice] = all_notices(ctx)
    assert (notice.id, notice.subject_type, notice.subject_id, notice.plan_id) == (
        moved, "plan_review", plan.id, plan.id,
    )  # fmt: skip
    assert (notice.case_id, notice.deadline_id, notice.rung, notice.roles) == (
        None,
        None,
        "before:14",
        ["csp_officer"],
    )
    with ctx.engine.connect() as conn:
        assert "plan_notice" not in sa.inspect(conn).get_table_names()
    # The moved claim still counts: the sweep on that day does not send before:14 again.
    assert chase_all(ctx, noon(clock, date(2027, 2, 11))).by_rung.get("before:14", 0) == 0
    ctx.engine.dispose()
