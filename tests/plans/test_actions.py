"""A review's recommendations become actions; actions follow action_plan.yaml with evidence and reasons."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from dhr_engine.audit.service import verify_all
from dhr_engine.cases import service as case_service
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import Reference
from dhr_engine.errors import PermissionDenied, TransitionBlocked, ValidationFailed
from dhr_engine.persistence.tables import AuditEvent, Deadline
from dhr_engine.persistence.tables_plans import PlanAction
from dhr_engine.plans import actions as action_service
from tests.plans.helpers import monitored_case, review_plan_with_recommendation

TODAY = date(2026, 11, 25)


def _actions(ctx: AppContext, plan_id) -> list[PlanAction]:
    with ctx.reader() as uow:
        return list(
            uow.session.exec(
                select(PlanAction).where(PlanAction.plan_id == plan_id).order_by(col(PlanAction.number))
            ).all()
        )


def _fire(ctx: AppContext, ref: Reference, action_id, trigger: str, who: str = "officer", **kw):
    return action_service.fire_action(
        ctx.uow(), actor=ref.actor(who), clock=ctx.clock, action_id=action_id, trigger=trigger, **kw
    )


def test_recommendation__becomes_actions_with_target_deadlines(ctx: AppContext, ref: Reference) -> None:
    case = monitored_case(ctx, ref)
    plan, rec = review_plan_with_recommendation(
        ctx, ref, case, TODAY - timedelta(days=200), TODAY + timedelta(days=30)
    )
    rows = _actions(ctx, plan.id)
    assert [(a.number, a.stage, a.recommendation_id) for a in rows] == [
        ("1.1", "proposed", rec.id),
        ("1.2", "proposed", rec.id),
    ]
    with ctx.reader() as uow:
        deadlines = uow.session.exec(
            select(Deadline).where(Deadline.case_id == case.id, Deadline.key == "action_target")
        ).all()
        assert {(d.subject_type, d.subject_id, d.adjusted_due, d.status) for d in deadlines} == {
            ("action", rows[0].id, TODAY + timedelta(days=30), "open"),
            ("action", rows[1].id, TODAY + timedelta(days=90), "open"),
        }
        kinds = [
            e.kind for e in uow.session.exec(select(AuditEvent).where(AuditEvent.case_id == case.id)).all()
        ]
        assert {"plan_created", "recommendation_added", "action_added"} <= set(kinds)
        assert verify_all(uow.session) == []


def test_complete__needs_evidence_and_closes_deadline(ctx: AppContext, ref: Reference) -> None:
    case = monitored_case(ctx, ref)
    plan, _rec = review_plan_with_recommendation(
        ctx, ref, case, TODAY - timedelta(days=200), TODAY + timedelta(days=30)
    )
    first = _actions(ctx, plan.id)[0]
    _fire(ctx, ref, first.id, "agree", effective_on=TODAY - timedelta(days=190))
    _fire(ctx, ref, first.id, "start", who="police.manager", effective_on=TODAY - timedelta(days=180))
    with pytest.raises(TransitionBlocked) as blocked:
        _fire(ctx, ref, first.id, "complete", who="police.manager", evidence="  ")
    assert blocked.value.failed_guards == ["evidence_given"]
    assert _actions(ctx, plan.id)[0].stage == "in_progress"
    done = _fire(
        ctx, ref, first.id, "complete", who="police.manager", evidence="Briefing issued; copy on file"
    )
    assert (done.stage, done.evidence, done.ended_on) == ("complete", "Briefing issued; copy on file", TODAY)
    with ctx.reader() as uow:
        row = uow.session.exec(select(Deadline).where(Deadline.subject_id == first.id)).one()
        assert (row.status, row.closed_on) == ("met", TODAY)


def test_close_not_done__needs_a_reason_and_cancels_deadline(ctx: AppContext, ref: Reference) -> None:
    case = monitored_case(ctx, ref)
    plan, _rec = review_plan_with_recommendation(
        ctx, ref, case, TODAY - timedelta(days=200), TODAY + timedelta(days=30)
    )
    second = _actions(ctx, plan.id)[1]
    with pytest.raises(ValidationFailed) as err:
        _fire(ctx, ref, second.id, "close_not_done", reason=" ")
    assert err.value.items[0].field == "reason"
    closed = _fire(ctx, ref, second.id, "close_not_done", reason="Superseded by the national MARAC review")
    assert (closed.stage, closed.closed_reason) == (
        "closed_not_done",
        "Superseded by the national MARAC review",
    )
    with ctx.reader() as uow:
        row = uow.session.exec(select(Deadline).where(Deadline.subject_id == second.id)).one()
        assert row.status == "cancelled"


def test_agency_roles__only_for_the_lead_agency(lite: AppContext, lite_ref: Reference) -> None:
    ctx, ref = lite, lite_ref
    case = monitored_case(ctx, ref)
    plan, _rec = review_plan_with_recommendation(
        ctx, ref, case, TODAY - timedelta(days=200), TODAY + timedelta(days=30)
    )
    first = _actions(ctx, plan.id)[0]
    _fire(ctx, ref, first.id, "agree")
    with pytest.raises(PermissionDenied):
        _fire(ctx, ref, first.id, "start", who="health.manager")  # a manager on the case, wrong agency
    with pytest.raises(PermissionDenied):
        _fire(ctx, ref, first.id, "close_not_done", who="police.manager", reason="x")  # CSP only
    assert _fire(ctx, ref, first.id, "start", who="police.author").stage == "in_progress"
    with pytest.raises(PermissionDenied):
        _fire(ctx, ref, first.id, "complete", who="police.author", evidence="x")  # authors cannot complete


def test_close_review__blocked_until_every_action_is_closed(ctx: AppContext, ref: Reference) -> None:
    case = monitored_case(ctx, ref)
    plan, _rec = review_plan_with_recommendation(
        ctx, ref, case, TODAY - timedelta(days=200), TODAY + timedelta(days=30)
    )
    first, second = _actions(ctx, plan.id)

    def close_review():
        return case_service.fire_trigger(
            ctx.uow(), actor=ref.actor("cspchair"), clock=ctx.clock, case_id=case.id, trigger="close_review"
        )

    with pytest.raises(TransitionBlocked) as blocked:
        close_review()
    assert blocked.value.failed_guards == ["all_actions_closed"]
    _fire(ctx, ref, first.id, "agree")
    _fire(ctx, ref, first.id, "complete", evidence="Briefing issued")
    with pytest.raises(TransitionBlocked):
        close_review()
    _fire(ctx, ref, second.id, "close_not_done", reason="No longer needed")
    assert close_review().stage == "closed"
