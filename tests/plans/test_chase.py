"""The scheduler chases CSP priority plans: each rung of each action and review exactly once."""

from __future__ import annotations

import threading
import uuid
from datetime import date, timedelta

from sqlmodel import col, func, select

from dhr_engine.bootstrap import run_sweep
from dhr_engine.context import AppContext
from dhr_engine.deadlines.handlers import compose_deadline_notice
from dhr_engine.demo.builder import Reference
from dhr_engine.domain.clock import FakeClock
from dhr_engine.persistence.tables import OutboxItem
from dhr_engine.persistence.tables_plans import Plan, PlanAction, PlanAuditRecord
from dhr_engine.persistence.tables_scheduler import DeadlineNotice, Notification
from dhr_engine.plans import actions as action_service
from dhr_engine.plans import monitoring, service
from dhr_engine.plans.scheduled import chase_all, sweep_priority_plans
from dhr_engine.plans.service import ActionInput
from tests.scheduler.helpers import noon

TODAY = date(2026, 11, 25)


def priority_plan(ctx: AppContext, ref: Reference, priority: str = "county_lines") -> tuple[Plan, uuid.UUID]:
    """A tactical priority plan made today (next review 25 February 2027, yearly 1 April 2027)."""
    plan = service.create_priority_plan(
        ctx.uow(),
        actor=ref.actor("officer"),
        clock=ctx.clock,
        csp_id=ref.csp.id,
        priority=priority,
        plan_type="tactical",
        period_start=date(2026, 4, 1),
        period_end=date(2029, 3, 31),
    )
    measure = service.add_outcome_measure(
        ctx.uow(),
        actor=ref.actor("officer"),
        clock=ctx.clock,
        plan_id=plan.id,
        text="Fewer young people exploited",
    )
    return plan, measure.id


def add(
    ctx: AppContext,
    ref: Reference,
    plan: Plan,
    measure_id: uuid.UUID,
    target: date,
    agency: str = "northmoor_police",
) -> PlanAction:
    """An action of the plan led by `agency`, with a job title but no named owner."""
    item = ActionInput(
        description="Disrupt the line",
        lead_agency_id=ref.agencies[agency].id,
        target_date=target,
        owner_title="Head of safeguarding",
    )
    return service.add_action(
        ctx.uow(), actor=ref.actor("officer"), clock=ctx.clock, plan_id=plan.id, action=item,
        outcome_measure_id=measure_id,
    )  # fmt: skip


def notices(ctx: AppContext, subject_id: uuid.UUID) -> list[DeadlineNotice]:
    with ctx.reader() as uow:
        rows = uow.session.exec(
            select(DeadlineNotice)
            .where(DeadlineNotice.subject_id == subject_id)
            .order_by(col(DeadlineNotice.claimed_at))
        ).all()
        return list(rows)


def told(ctx: AppContext, ref: Reference, notice: DeadlineNotice) -> set[str]:
    """The usernames a notice reached (from the plan's audit record of it)."""
    with ctx.reader() as uow:
        records = uow.session.exec(
            select(PlanAuditRecord).where(PlanAuditRecord.plan_id == notice.plan_id)
        ).all()
    names = {str(u.id): name for name, u in ref.users.items()}
    record = next(r for r in records if r.data.get("notice_id") == str(notice.id))
    return {names[i] for i in record.data["user_ids"]}


def test_action__reminders_due_notice_and_escalations_each_once(
    ctx: AppContext, ref: Reference, clock: FakeClock
) -> None:
    plan, measure = priority_plan(ctx, ref)
    due = TODAY + timedelta(days=14)
    row = add(ctx, ref, plan, measure, due)
    sent: dict[date, dict[str, int]] = {}
    for offset in range(0, 14 + 43):
        day = TODAY + timedelta(days=offset)
        result = chase_all(ctx, noon(clock, day))
        again = chase_all(ctx, clock.now())  # a second sweep the same day sends nothing
        assert again.notices == 0, day
        if result.by_rung:
            sent[day] = result.by_rung
    assert sent == {
        TODAY: {"before:14": 1},
        due - timedelta(days=1): {"before:1": 1},
        due: {"due": 1},
        due + timedelta(days=14): {"escalation:1": 1},
        due + timedelta(days=28): {"escalation:2": 1},
        due + timedelta(days=42): {"escalation:3": 1},
    }
    rows = notices(ctx, row.id)
    assert [(n.rung, n.status, n.due_on) for n in rows] == [
        ("before:14", "sent", due), ("before:1", "sent", due), ("due", "sent", due),
        ("escalation:1", "sent", due), ("escalation:2", "sent", due), ("escalation:3", "sent", due),
    ]  # fmt: skip
    agency = {"police.author", "police.manager"}  # every active user of the lead agency
    assert [told(ctx, ref, n) for n in rows] == [
        agency, agency, agency, agency, agency | {"officer"}, agency | {"officer", "cspchair"},
    ]  # fmt: skip
    with ctx.reader() as uow:
        kinds = [
            r.kind
            for r in uow.session.exec(
                select(PlanAuditRecord)
                .where(PlanAuditRecord.plan_id == plan.id)
                .order_by(col(PlanAuditRecord.seq))
            ).all()
        ]
        notes = uow.session.exec(select(Notification).where(col(Notification.case_id).is_(None))).all()
        emails = uow.session.exec(
            select(func.count()).select_from(OutboxItem).where(OutboxItem.kind == "email")
        ).one()
    assert kinds[-6:] == ["plan_reminder_sent"] * 2 + ["plan_due_notice"] + ["plan_escalated"] * 3
    assert len(notes) == 2 * 4 + 3 + 4 == emails  # every demo user has an address
    first = next(n for n in notes if n.kind == "reminder" and n.user_id == ref.users["police.manager"].id)
    assert (
        first.title
        == "County lines and exploitation: tactical plan: action 1.1 — due in 14 days, on 9 December 2026"
    )
    assert "led by Northmoor Police" in first.body and "Disrupt the line" not in first.body


def test_completed_or_closed_actions__get_nothing(ctx: AppContext, ref: Reference, clock: FakeClock) -> None:
    plan, measure = priority_plan(ctx, ref)
    due = TODAY + timedelta(days=1)
    done = add(ctx, ref, plan, measure, due)
    dropped = add(ctx, ref, plan, measure, due)
    still_open = add(ctx, ref, plan, measure, due)
    officer, chair = ref.actor("officer"), ref.actor("cspchair")
    action_service.fire_action(ctx.uow(), actor=officer, clock=clock, action_id=done.id, trigger="agree")
    action_service.fire_action(
        ctx.uow(),
        actor=officer,
        clock=clock,
        action_id=done.id,
        trigger="complete",
        evidence="Briefing issued",
    )
    action_service.fire_action(
        ctx.uow(),
        actor=chair,
        clock=clock,
        action_id=dropped.id,
        trigger="close_not_done",
        reason="Superseded",
    )
    for day in (TODAY, due, due + timedelta(days=14), due + timedelta(days=60)):
        chase_all(ctx, noon(clock, day))
    assert notices(ctx, done.id) == [] and notices(ctx, dropped.id) == []
    assert [n.rung for n in notices(ctx, still_open.id)] == [
        "before:1",
        "due",
        "escalation:1",
        "escalation:4",
    ]


def test_plan_review__the_cadence_is_chased_and_a_recorded_review_starts_afresh(
    ctx: AppContext, ref: Reference, clock: FakeClock
) -> None:
    plan, _measure = priority_plan(ctx, ref)
    review = date(2027, 2, 25)
    assert plan.next_review_on == review
    assert chase_all(ctx, noon(clock, review - timedelta(days=15))).notices == 0
    assert chase_all(ctx, noon(clock, review - timedelta(days=14))).by_rung == {"before:14": 1}
    assert chase_all(ctx, noon(clock, review)).by_rung == {"due": 1}
    assert chase_all(ctx, noon(clock, review + timedelta(days=14))).by_rung == {"escalation:1": 1}
    cadence = [n for n in notices(ctx, plan.id) if n.subject_type == "plan_review"]
    assert [told(ctx, ref, n) for n in cadence] == [{"officer"}, {"officer"}, {"officer", "cspchair"}]
    monitoring.record_plan_review(ctx.uow(), actor=ref.actor("officer"), clock=clock, plan_id=plan.id)
    # The old date is done with; the yearly review (1 April 2027) has its own ladder.
    assert chase_all(ctx, noon(clock, review + timedelta(days=28))).by_rung == {"before:14": 1}
    assert [(n.subject_type, n.rung) for n in notices(ctx, plan.id)][-1] == ("yearly_review", "before:14")
    assert len([n for n in notices(ctx, plan.id) if n.subject_type == "plan_review"]) == 3
    # Reviewed on 11 March 2027: the next review, three months on, starts a fresh ladder (and the
    # yearly review, still not held, has escalated meanwhile).
    assert chase_all(ctx, noon(clock, date(2027, 5, 28))).by_rung == {"before:14": 1, "escalation:4": 1}
    latest = [(n.rung, n.due_on) for n in notices(ctx, plan.id) if n.subject_type == "plan_review"][-1]
    assert latest == ("before:14", date(2027, 6, 11))


def test_catch_up__after_a_long_gap_sends_one_notice_to_everyone_skipped_rungs_would_reach(
    ctx: AppContext, ref: Reference, clock: FakeClock
) -> None:
    plan, measure = priority_plan(ctx, ref)
    due = TODAY + timedelta(days=14)
    row = add(ctx, ref, plan, measure, due)
    result = chase_all(ctx, noon(clock, due + timedelta(days=50)))
    assert result.by_rung == {"escalation:3": 1}
    (only,) = notices(ctx, row.id)
    assert only.skipped == ["before:14", "before:1", "due", "escalation:1", "escalation:2"]
    assert told(ctx, ref, only) == {"police.author", "police.manager", "officer", "cspchair"}
    assert chase_all(ctx, clock.now()).notices == 0
    assert chase_all(ctx, noon(clock, due + timedelta(days=55))).notices == 0
    assert [n.rung for n in notices(ctx, row.id)] == ["escalation:3"]


def test_two_concurrent_sweeps__send_every_rung_exactly_once(
    ctx: AppContext, ref: Reference, clock: FakeClock
) -> None:
    rows: list[PlanAction] = []
    for priority in ("county_lines", "vawg", "hate_crime", "prevent"):
        plan, measure = priority_plan(ctx, ref, priority)
        rows += [add(ctx, ref, plan, measure, TODAY + timedelta(days=d)) for d in (1, 1, 14, 20)]
    now = noon(clock, TODAY)
    barrier = threading.Barrier(2)
    totals: list[int] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait()
            totals.append(sweep_priority_plans(ctx, now, batch_size=1))
        except BaseException as err:  # surfaced below
            errors.append(err)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(totals) == 12  # 4 plans x (2 x before:1 + 1 x before:14); the 20-day ones have none yet
    with ctx.reader() as uow:
        claimed = uow.session.exec(select(DeadlineNotice.subject_id, DeadlineNotice.rung)).all()
        notes = uow.session.exec(select(Notification.user_id, Notification.title)).all()
    assert len(claimed) == len(set(claimed)) == 12
    assert len(notes) == len(set(notes)) == 12 * 2
    assert sweep_priority_plans(ctx, now) == 0


def test_agency_without_accounts__the_csp_officer_is_told_and_the_email_composes(
    lite: AppContext, lite_ref: Reference, clock: FakeClock
) -> None:
    ctx, ref = lite, lite_ref
    plan, measure = priority_plan(ctx, ref)
    row = add(ctx, ref, plan, measure, TODAY, agency="housing")  # nobody at housing has an account
    assert "1 priority-plan notice(s)" in run_sweep(ctx)
    (notice,) = notices(ctx, row.id)
    assert (notice.rung, notice.roles, told(ctx, ref, notice)) == ("due", ["agency_manager"], {"officer"})
    with ctx.reader() as uow:
        item = uow.session.exec(select(OutboxItem).where(OutboxItem.kind == "email")).one()
        assert item.case_id is None
        mail = compose_deadline_notice(uow.session, item, ctx.settings)
    assert mail.to == ("officer@northmoor.example",)
    assert "action 1.1 — due today, 25 November 2026" in mail.subject
    assert "The action is led by Northmoor Council Housing." in mail.body
