"""Each rung on its day with a controllable clock, on SQLite and PostgreSQL: reminders before, the
notice on the day, escalations while overdue (up the ladder), nothing while paused, and one
notice (never a flood) after a long gap."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from dhr_engine.audit.service import verify_all
from dhr_engine.context import AppContext
from dhr_engine.deadlines import service as deadline_service
from dhr_engine.deadlines.scheduled import sweep_all, sweep_due
from dhr_engine.demo.builder import Reference
from dhr_engine.domain.clock import FakeClock
from dhr_engine.persistence.tables import Case, Deadline, OutboxItem
from dhr_engine.persistence.tables_scheduler import DeadlineNotice, Notification
from tests.scheduler.helpers import (
    add_member,
    audit_kinds,
    count,
    deadline,
    noon,
    notices,
    notified_users,
    open_case,
    request_imr,
    rungs,
)

NOTIFIED = date(2026, 11, 25)  # csp_decision: one calendar month, due Friday 25 December 2026
DUE = date(2026, 12, 25)


def test_each_rung_on_its_day(ctx: AppContext, ref: Reference, clock: FakeClock) -> None:
    case = open_case(ctx, ref, NOTIFIED)
    row = deadline(ctx, case.id)
    assert row.adjusted_due == DUE
    staff = {ref.users["officer"].id, ref.users["cspchair"].id}
    expected: list[str] = []
    for day, rung in [
        (date(2026, 12, 17), None),  # 8 days before: nothing yet
        (date(2026, 12, 18), "before:7"),
        (date(2026, 12, 23), None),
        (date(2026, 12, 24), "before:1"),
        (DUE, "due"),
        (date(2026, 12, 26), None),  # overdue, but the first escalation is a week late
        (date(2027, 1, 1), "escalation:1"),
        (date(2027, 1, 7), None),
        (date(2027, 1, 8), "escalation:2"),
    ]:
        result = sweep_all(ctx, noon(clock, day))
        again = sweep_all(ctx, clock.now())  # a second sweep the same day is a no-op
        assert again.notices == 0 and again.processed == 0
        if rung is None:
            assert result.notices == 0, day
            continue
        expected.append(rung)
        assert result.by_rung == {rung: 1}, day
        assert rungs(ctx, row.id) == expected
        notice = notices(ctx, row.id)[-1]
        assert notice.sent_on == day and notice.due_on == DUE and notice.skipped == []
        assert notified_users(ctx, notice.id) == staff  # the CSP officer and the CSP chair
    kinds = audit_kinds(ctx, case.id)
    assert kinds.count("deadline_reminder_sent") == 2
    assert kinds.count("deadline_due_notice") == 1
    assert kinds.count("deadline_escalated") == 2
    assert count(ctx, Notification) == 2 * len(expected)
    assert count(ctx, OutboxItem, OutboxItem.kind == "email") == 2 * len(expected)
    with ctx.reader() as uow:
        assert verify_all(uow.session) == []
        titles = uow.session.exec(select(Notification.title)).all()
    assert any("due in 7 days, on 25 December 2026" in t for t in titles)
    assert any("overdue by 14 days — escalation 2" in t for t in titles)
    assert not any("Victim" in t or "Zara" in t for t in titles)


def test_nothing_while_paused_then_a_fresh_ladder(ctx: AppContext, ref: Reference, clock: FakeClock) -> None:
    case = open_case(ctx, ref, NOTIFIED)
    row = deadline(ctx, case.id)
    with ctx.uow() as uow:
        paused = uow.session.get(Deadline, row.id)
        assert paused is not None
        paused.paused_since = date(2026, 12, 10)
        paused.pause_log = [["2026-12-10", None]]
        uow.session.add(paused)
        uow.commit()
    for day in (date(2026, 12, 18), date(2026, 12, 24), DUE, date(2027, 1, 1), date(2027, 1, 10)):
        assert sweep_all(ctx, noon(clock, day)).notices == 0, day
    assert notices(ctx, row.id) == []
    with ctx.uow() as uow:
        loaded = uow.session.get(Case, case.id)
        assert loaded is not None
        deadline_service.resume_case_deadlines(uow.session, loaded, date(2027, 1, 10))
        uow.commit()
    resumed = deadline(ctx, case.id)
    assert resumed.adjusted_due == DUE + timedelta(days=31)
    assert sweep_all(ctx, noon(clock, resumed.adjusted_due - timedelta(days=7))).by_rung == {"before:7": 1}
    assert [n.due_on for n in notices(ctx, row.id)] == [resumed.adjusted_due]


def test_catch_up_after_a_long_gap_sends_one_notice(
    ctx: AppContext, ref: Reference, clock: FakeClock
) -> None:
    case = open_case(ctx, ref, NOTIFIED)
    row = deadline(ctx, case.id)
    assert sweep_all(ctx, noon(clock, date(2026, 12, 10))).notices == 0
    # The scheduler was down from 10 December to 16 January: five rungs fell in the gap.
    result = sweep_all(ctx, noon(clock, date(2027, 1, 16)))
    assert result.notices == 1 and result.by_rung == {"escalation:3": 1}
    [notice] = notices(ctx, row.id)
    assert notice.skipped == ["before:7", "before:1", "due", "escalation:1", "escalation:2"]
    assert count(ctx, Notification) == 2
    for _ in range(3):
        assert sweep_all(ctx, clock.now()).notices == 0
    assert sweep_all(ctx, noon(clock, date(2027, 1, 21))).notices == 0
    assert sweep_all(ctx, noon(clock, date(2027, 1, 22))).by_rung == {"escalation:4": 1}
    names = rungs(ctx, row.id)
    assert names == ["escalation:3", "escalation:4"] and len(names) == len(set(names))


def test_catch_up_before_the_due_date_sends_the_latest_reminder(
    ctx: AppContext, ref: Reference, clock: FakeClock
) -> None:
    case = open_case(ctx, ref, NOTIFIED)
    row = deadline(ctx, case.id)
    assert sweep_all(ctx, noon(clock, date(2026, 12, 24))).by_rung == {"before:1": 1}
    [notice] = notices(ctx, row.id)
    assert notice.skipped == ["before:7"]
    assert sweep_all(ctx, noon(clock, DUE)).by_rung == {"due": 1}


def test_agency_deadline_goes_to_that_agency_then_up_the_ladder(
    ctx: AppContext, ref: Reference, clock: FakeClock
) -> None:
    case = open_case(ctx, ref, NOTIFIED)
    for username, role in [
        ("police.author", "agency_author"),
        ("police.manager", "agency_manager"),
        ("health.author", "agency_author"),
        ("health.manager", "agency_manager"),
    ]:
        add_member(ctx, ref, case.id, username, role)
    row = request_imr(ctx, ref, case.id, "northmoor_police", NOTIFIED)
    police = {ref.users["police.author"].id, ref.users["police.manager"].id}
    chair = ref.users["cspchair"].id
    due = row.adjusted_due
    for day, rung, told in [
        (due - timedelta(days=7), "before:7", police),
        (due, "due", police),
        (due + timedelta(days=7), "escalation:1", police),  # escalate_to[0]: the agency's manager
        (due + timedelta(days=14), "escalation:2", police | {chair}),  # escalate_to[1]: the CSP chair
        (due + timedelta(days=21), "escalation:3", police | {chair}),  # the last rung repeats
    ]:
        assert sweep_all(ctx, noon(clock, day)).by_rung.get(rung) == 1, day
        notice = next(n for n in notices(ctx, row.id) if n.rung == rung)
        assert notified_users(ctx, notice.id) == told, rung
    with ctx.reader() as uow:
        health = {ref.users["health.author"].id, ref.users["health.manager"].id}
        told_health = uow.session.exec(
            select(Notification).where(Notification.deadline_id == row.id, Notification.user_id.in_(health))  # type: ignore[attr-defined]
        ).all()
    assert told_health == []


def test_closed_deadlines_and_nobody_to_tell(ctx: AppContext, ref: Reference, clock: FakeClock) -> None:
    case = open_case(ctx, ref, NOTIFIED)
    row = deadline(ctx, case.id)
    with ctx.uow() as uow:
        deadline_service.close_by_key(uow.session, case.id, "csp_decision", date(2026, 12, 1))
        uow.commit()
    assert sweep_all(ctx, noon(clock, DUE)).notices == 0
    # A deadline whose roles nobody holds is still claimed once, and the audit says nobody was told.
    second = open_case(ctx, ref, date(2026, 11, 20))
    with ctx.uow() as uow:
        for user in (ref.users["officer"], ref.users["cspchair"]):
            loaded = uow.session.get(type(user), user.id)
            assert loaded is not None
            loaded.is_active = False
            uow.session.add(loaded)
        uow.commit()
    due = deadline(ctx, second.id).adjusted_due
    result = sweep_all(ctx, noon(clock, due))
    assert result.notices == 1 and result.notifications == 0
    [notice] = notices(ctx, deadline(ctx, second.id).id)
    assert notice.status == "unaddressed" and notice.addressees == 0
    assert notices(ctx, row.id) == []


def test_sweep_due_counts_items_and_stops(ctx: AppContext, ref: Reference, clock: FakeClock) -> None:
    """The benchmark's entry point: batches until it returns 0."""
    made = [open_case(ctx, ref, NOTIFIED) for _ in range(5)]
    noon(clock, DUE)
    processed = []
    while (n := sweep_due(ctx, clock.now(), 2)) > 0:
        processed.append(n)
    assert sum(processed) == 5 and max(processed) <= 2
    assert count(ctx, DeadlineNotice, DeadlineNotice.rung == "due") == len(made)
