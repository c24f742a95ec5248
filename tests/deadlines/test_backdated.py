"""A backdated event does not escalate at once: a deadline it opens already due is held until the
next working day after the event was recorded (nothing is sent on the day itself), and the ladder
then resumes with its latest rung, the rungs that fell in the past skipped and listed, not sent.

Nothing is sent on the recording day, not even a notice to the owner: the person who recorded
the event has just seen the overdue deadline on the case (and it is on the overdue list for
everyone who looks). Escalating that day would tell the CSP chair of a lateness the officer has
had no working day to put right."""

from __future__ import annotations

from datetime import date, timedelta

from dhr_engine.context import AppContext
from dhr_engine.deadlines.scheduled import sweep_all
from dhr_engine.demo.builder import DemoBuilder, Reference
from dhr_engine.domain.calendar import BankHolidays
from dhr_engine.domain.clock import FakeClock
from dhr_engine.domain.reminders import HELD, held_until, rung_in_words
from tests.scheduler.helpers import deadline, noon, notices, notified_users, rungs

FRIDAY = date(2026, 11, 27)  # the day the backdated decision is recorded
SATURDAY, MONDAY = date(2026, 11, 28), date(2026, 11, 30)
DECIDED = FRIDAY - timedelta(days=61)  # "--on" two months ago: Home Office notice due that day


def test_a_backdated_decision_escalates_on_the_next_working_day_not_at_once(
    ctx: AppContext, ref: Reference, clock: FakeClock
) -> None:
    noon(clock, FRIDAY)
    b = DemoBuilder(ctx, ref, FRIDAY)
    case = b.open("Hannah", 100)
    b.fire(case, "start_scoping", 99, "officer")
    b.fire(case, "submit_decision_briefing", 70, "officer")
    b.fire(case, "decide_no_review", (FRIDAY - DECIDED).days, "cspchair", "Criteria not met")
    row = deadline(ctx, case.id, "ho_decision_notice")
    assert row.status == "open" and row.adjusted_due == DECIDED  # due with the decision: overdue

    today = sweep_all(ctx, noon(clock, FRIDAY))
    assert today.notices == 0 and rungs(ctx, row.id) == []
    [held] = notices(ctx, row.id)
    assert (held.rung, held.status, held.next_on, held.addressees) == (HELD, "quiet", MONDAY, 0)
    assert sweep_all(ctx, noon(clock, SATURDAY)).notices == 0  # the weekend is not a working day

    monday = sweep_all(ctx, noon(clock, MONDAY))
    level = (MONDAY - DECIDED).days // 7
    assert monday.by_rung == {f"escalation:{level}": 1}
    sent = notices(ctx, row.id)[-1]
    assert sent.sent_on == MONDAY and sent.skipped == ["due"] + [f"escalation:{k}" for k in range(1, level)]
    assert notified_users(ctx, sent.id) == {ref.users["officer"].id, ref.users["cspchair"].id}
    assert sweep_all(ctx, noon(clock, MONDAY)).notices == 0  # one notice, never a flood


def test_a_decision_recorded_on_its_day_is_chased_that_day(
    ctx: AppContext, ref: Reference, clock: FakeClock
) -> None:
    noon(clock, FRIDAY)
    b = DemoBuilder(ctx, ref, FRIDAY)
    case = b.open("Hannah", 40)
    b.fire(case, "start_scoping", 39, "officer")
    b.fire(case, "submit_decision_briefing", 20, "officer")
    b.fire(case, "decide_no_review", 0, "cspchair", "Criteria not met")
    row = deadline(ctx, case.id, "ho_decision_notice")
    assert sweep_all(ctx, noon(clock, FRIDAY)).by_rung == {"due": 1}
    assert [n.rung for n in notices(ctx, row.id)] == ["due"]
    assert notified_users(ctx, notices(ctx, row.id)[0].id) == {ref.users["officer"].id}


def test_held_until__the_next_working_day_only_for_a_deadline_already_due() -> None:
    calendar = BankHolidays("ENG")
    christmas_eve = date(2026, 12, 24)  # Thursday; 25 and 28 December are bank holidays
    assert held_until(date(2026, 12, 1), christmas_eve, christmas_eve, calendar) == date(2026, 12, 29)
    assert held_until(date(2026, 12, 1), christmas_eve, date(2026, 12, 1), calendar) == date(2026, 12, 29)
    assert held_until(date(2026, 12, 1), christmas_eve, date(2026, 12, 31), calendar) is None  # not due yet
    assert held_until(christmas_eve, christmas_eve, christmas_eve, calendar) is None  # not backdated
    assert "next working day" in rung_in_words(HELD)
