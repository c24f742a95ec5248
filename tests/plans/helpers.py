"""Helpers for the plan tests: a review walked to monitoring, a plan with actions."""

from __future__ import annotations

from datetime import date, timedelta

from dhr_engine.context import AppContext
from dhr_engine.demo.builder import DemoBuilder, Reference
from dhr_engine.demo.returns import walk_returns
from dhr_engine.persistence.tables import Case
from dhr_engine.plans import service
from dhr_engine.plans.service import ActionInput


def monitored_case(ctx: AppContext, ref: Reference, pseudonym: str = "Grace", start: int = 700) -> Case:
    """A review walked from notification (`start` days ago) to action-plan monitoring."""
    b = DemoBuilder(ctx, ref, ctx.clock.today())
    case = b.open(pseudonym, start)
    b.to_information_gathering(case, start)
    walk_returns(b, case, {"northmoor_police": "imr"}, "accepted", start - 80)
    b.family(case, "first_letter_sent", start - 60)
    b.fire(case, "complete_information_gathering", start - 140, "chair")
    b.fire(case, "start_drafting", start - 150, "chair")
    b.family(case, "draft_shared", start - 220)
    b.fire(case, "share_draft_with_family", start - 220, "chair")
    b.fire(case, "agree_report_at_panel", start - 240, "chair")
    b.fire(case, "sign_off_report", start - 250, "cspchair")
    b.fire(case, "submit_to_qa", start - 255, "officer")
    b.fire(case, "record_qa_approved", start - 320, "officer")
    b.fire(case, "send_publication_notices", start - 370, "officer")
    b.fire(case, "publish_report", start - 390, "officer")
    b.fire(case, "start_action_plan_monitoring", start - 400, "officer")
    return case


def action(
    ref: Reference, agency: str, target: date, text: str = "Do the thing", **kw: object
) -> ActionInput:
    return ActionInput(
        description=text,
        lead_agency_id=ref.agencies[agency].id,
        target_date=target,
        owner_title="Head of safeguarding",
        **kw,  # type: ignore[arg-type]
    )


def review_plan_with_recommendation(ctx: AppContext, ref: Reference, case: Case, on: date, target: date):
    plan = service.create_review_plan(
        ctx.uow(), actor=ref.actor("officer"), clock=ctx.clock, case_id=case.id, effective_on=on
    )
    rec = service.add_recommendation(
        ctx.uow(),
        actor=ref.actor("officer"),
        clock=ctx.clock,
        plan_id=plan.id,
        text="Police should refer every high-risk victim to MARAC within one working day.",
        level="single_agency",
        addressee="Northmoor Police",
        themes=["risk_assessment"],
        actions=[
            action(ref, "northmoor_police", target, "Issue a force-wide briefing on MARAC referral"),
            action(ref, "northmoor_police", target + timedelta(days=60), "Audit MARAC referrals"),
        ],
        effective_on=on,
    )
    return plan, rec
