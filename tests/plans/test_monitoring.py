"""Overdue actions and the monitoring cadence are deadline rows the scheduler's sweep chases."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import col, select

from dhr_engine.context import AppContext
from dhr_engine.deadlines.scheduled import sweep_all
from dhr_engine.demo.builder import Reference
from dhr_engine.persistence.tables import Deadline
from dhr_engine.persistence.tables_plans import PlanAction, PlanAuditRecord
from dhr_engine.persistence.tables_scheduler import DeadlineNotice
from dhr_engine.plans import actions as action_service
from dhr_engine.plans import monitoring, service
from dhr_engine.plans.rag import Rag, RagInput, rate
from tests.plans.helpers import action, monitored_case, review_plan_with_recommendation

TODAY = date(2026, 11, 25)


def test_overdue_action__is_past_due_and_escalated_by_the_sweep(ctx: AppContext, ref: Reference) -> None:
    """The sweep picks open rows with adjusted_due before today (services/sweep.py, scheduler issue)."""
    case = monitored_case(ctx, ref)
    _plan, _rec = review_plan_with_recommendation(
        ctx, ref, case, TODAY - timedelta(days=100), TODAY - timedelta(days=10)
    )
    with ctx.reader() as uow:
        first = uow.session.exec(select(PlanAction).where(PlanAction.number == "1.1")).one()
        overdue = uow.session.exec(
            select(Deadline).where(
                Deadline.case_id == case.id,
                Deadline.status == "open",
                col(Deadline.adjusted_due) < TODAY,
            )
        ).all()
    assert [
        (d.key, d.subject_type, d.subject_id, d.owner_role) for d in overdue if d.key == "action_target"
    ] == [("action_target", "action", first.id, "agency_manager")]
    with ctx.reader() as uow:
        items = monitoring.due_items(uow.session, TODAY)
    assert [(i.kind, i.action_number, i.days_late(TODAY)) for i in items if i.kind == "overdue_action"] == [
        ("overdue_action", "1.1", 10)
    ]
    assert rate(RagInput(first.stage, first.target_date, first.created_on, None), TODAY).rag is Rag.RED
    # The scheduler chases it: 10 days late, the due-day notice goes once (the latest rung after
    # the gap); 14 days late (escalate_every_days of action_target), the first escalation.
    row = next(d for d in overdue if d.key == "action_target")
    sweep_all(ctx, ctx.clock.now())
    sweep_all(ctx, ctx.clock.now())
    assert [(n.kind, n.addressees > 0) for n in _notices(ctx, row.id)] == [("due", True)]
    ctx.clock.advance(days=4)  # type: ignore[attr-defined]
    sweep_all(ctx, ctx.clock.now())
    assert [n.kind for n in _notices(ctx, row.id)] == ["due", "escalation"]


def _notices(ctx: AppContext, deadline_id: object) -> list[DeadlineNotice]:
    with ctx.reader() as uow:
        rows = uow.session.exec(
            select(DeadlineNotice)
            .where(DeadlineNotice.deadline_id == deadline_id)
            .order_by(col(DeadlineNotice.level))
        ).all()
        return sorted(rows, key=lambda n: (n.kind != "due", n.level))


def test_plan_review__rolls_the_action_plan_review_deadline(ctx: AppContext, ref: Reference) -> None:
    case = monitored_case(ctx, ref)
    plan, _rec = review_plan_with_recommendation(
        ctx, ref, case, TODAY - timedelta(days=250), TODAY + timedelta(days=30)
    )
    reviewed = TODAY - timedelta(days=5)
    monitoring.record_plan_review(
        ctx.uow(), actor=ref.actor("officer"), clock=ctx.clock, plan_id=plan.id, reviewed_on=reviewed
    )
    with ctx.reader() as uow:
        rows = uow.session.exec(
            select(Deadline)
            .where(Deadline.case_id == case.id, Deadline.key == "action_plan_review")
            .order_by(col(Deadline.opened_at))
        ).all()
    assert [r.status for r in rows] == ["met_late", "open"]  # the first one was due months ago
    assert rows[-1].adjusted_due == date(2027, 2, 20)  # 20 November 2026 + 3 calendar months


def test_progress_update__by_the_lead_agency_refreshes_the_rag(lite: AppContext, lite_ref: Reference) -> None:
    ctx, ref = lite, lite_ref
    case = monitored_case(ctx, ref)
    plan, _rec = review_plan_with_recommendation(
        ctx, ref, case, TODAY - timedelta(days=200), TODAY + timedelta(days=100)
    )
    with ctx.reader() as uow:
        first = uow.session.exec(
            select(PlanAction).where(PlanAction.plan_id == plan.id, PlanAction.number == "1.1")
        ).one()
    assert rate(RagInput(first.stage, first.target_date, first.created_on, None), TODAY).rag is Rag.AMBER
    update = action_service.record_progress(
        ctx.uow(),
        actor=ref.actor("police.author"),
        clock=ctx.clock,
        action_id=first.id,
        note="Briefing drafted",
    )
    assert update.agency_id == ref.agencies["northmoor_police"].id
    with ctx.reader() as uow:
        fresh = uow.session.get(PlanAction, first.id)
        assert fresh is not None and fresh.last_update_on == TODAY
        assert (
            rate(RagInput(fresh.stage, fresh.target_date, fresh.created_on, fresh.last_update_on), TODAY).rag
            is Rag.GREEN
        )


def test_priority_plan__changes_go_to_its_own_append_only_record(ctx: AppContext, ref: Reference) -> None:
    plan = service.create_priority_plan(
        ctx.uow(),
        actor=ref.actor("officer"),
        clock=ctx.clock,
        csp_id=ref.csp.id,
        priority="hate_crime",
        plan_type="tactical",
        period_start=date(2026, 4, 1),
        period_end=date(2029, 3, 31),
    )
    measure = service.add_outcome_measure(
        ctx.uow(), actor=ref.actor("officer"), clock=ctx.clock, plan_id=plan.id, text="More reports"
    )
    row = service.add_action(
        ctx.uow(),
        actor=ref.actor("officer"),
        clock=ctx.clock,
        plan_id=plan.id,
        action=action(ref, "housing", TODAY + timedelta(days=60), "Remove graffiti within a day"),
        outcome_measure_id=measure.id,
    )
    action_service.fire_action(
        ctx.uow(), actor=ref.actor("cspchair"), clock=ctx.clock, action_id=row.id, trigger="agree"
    )
    with ctx.reader() as uow:
        records = uow.session.exec(
            select(PlanAuditRecord)
            .where(PlanAuditRecord.plan_id == plan.id)
            .order_by(col(PlanAuditRecord.seq))
        ).all()
    assert [(r.seq, r.kind) for r in records] == [
        (1, "plan_created"),
        (2, "outcome_measure_added"),
        (3, "action_added"),
        (4, "action_stage_changed"),
    ]
    assert row.number == "1.1" and plan.yearly_review_on == date(2027, 4, 1)
