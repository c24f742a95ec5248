"""The demo cases: about ten cases spread over the stages, each moved there with plausible past dates."""

from __future__ import annotations

from sqlmodel import select

from dhr_engine.context import AppContext
from dhr_engine.demo.builder import DemoBuilder, Reference, seed_reference_data
from dhr_engine.demo.returns import walk_returns
from dhr_engine.persistence.tables import Case
from dhr_engine.proceedings import service as proceeding_service


def seed_demo(ctx: AppContext) -> tuple[Reference, bool]:
    """Create the demo partnership and about ten cases; False when the database already had cases."""
    with ctx.uow() as uow:
        ref = seed_reference_data(uow.session)
        uow.commit()
    with ctx.reader() as uow:
        if uow.session.exec(select(Case)).first() is not None:
            return ref, False
    today = ctx.clock.today()
    b = DemoBuilder(ctx, ref, today)

    b.open("Alice", 3, summary="Police notification received; scoping not yet started.")

    scoping = b.open("Beth", 9)
    b.fire(scoping, "start_scoping", 8, "officer")

    pending = b.open("Carol", 20, summary="The demo case: awaiting the CSP chair's decision.")
    b.fire(pending, "start_scoping", 19, "officer")
    b.fire(pending, "submit_decision_briefing", 6, "officer")

    gathering = b.open("Dawn", 160)
    b.to_information_gathering(gathering, 160)
    walk_returns(b, gathering, {"northmoor_police": "imr", "acute_trust": "imr"}, "accepted", 100)
    walk_returns(b, gathering, {"adult_social_care": "chronology", "housing": "chronology"}, "requested", 60)
    b.family(gathering, "first_letter_sent", 110)

    paused = b.open("Eve", 200)
    b.to_information_gathering(paused, 200)
    proceeding_service.record_proceeding(
        ctx.uow(),
        actor=ref.actor("officer"),
        clock=ctx.clock,
        case_id=paused.id,
        kind="criminal_trial",
        started_on=b.day(120),
        body="Northmoor Crown Court",
        reference="T2026-0001",
    )
    b.fire(
        paused, "pause_for_proceedings", 120, "officer", "Criminal trial: CPS asked for the review to wait"
    )

    qa = b.open("Fran", 400)
    b.to_information_gathering(qa, 400)
    walk_returns(
        b, qa, {"northmoor_police": "imr", "acute_trust": "imr", "probation": "chronology"}, "accepted", 330
    )
    b.family(qa, "first_letter_sent", 335)
    b.fire(qa, "complete_information_gathering", 300, "chair")
    b.fire(qa, "start_drafting", 290, "chair")
    b.family(qa, "draft_shared", 230)
    b.fire(qa, "share_draft_with_family", 230, "chair")
    b.fire(qa, "agree_report_at_panel", 200, "chair")
    b.fire(qa, "sign_off_report", 190, "cspchair")
    b.fire(qa, "submit_to_qa", 185, "officer")
    b.fire(qa, "record_qa_resubmission_required", 120, "officer", "QA Panel: equality analysis missing")
    b.fire(qa, "resubmit_to_qa", 40, "officer")

    published = b.open("Grace", 700)
    b.to_information_gathering(published, 700)
    walk_returns(
        b,
        published,
        {"northmoor_police": "imr", "mental_health": "imr", "recovery": "short_report"},
        "accepted",
        620,
    )
    b.family(published, "first_letter_sent", 640)
    b.fire(published, "complete_information_gathering", 560, "chair")
    b.fire(published, "start_drafting", 550, "chair")
    b.family(published, "draft_shared", 480)
    b.fire(published, "share_draft_with_family", 480, "chair")
    b.fire(published, "agree_report_at_panel", 460, "chair")
    b.fire(published, "sign_off_report", 450, "cspchair")
    b.fire(published, "submit_to_qa", 445, "officer")
    b.fire(published, "record_qa_approved_with_amendments", 380, "officer")
    b.fire(published, "complete_amendments", 350, "chair")
    b.fire(published, "send_publication_notices", 330, "officer")
    b.fire(published, "publish_report", 310, "officer")
    b.fire(published, "start_action_plan_monitoring", 300, "officer")

    no_review = b.open("Hannah", 150)
    b.fire(no_review, "start_scoping", 149, "officer")
    b.fire(no_review, "submit_decision_briefing", 130, "officer")
    b.fire(no_review, "decide_no_review", 125, "cspchair", "Criteria not met: no domestic relationship found")
    b.fire(no_review, "notify_home_office_no_review", 125, "officer")
    b.fire(no_review, "record_ho_review_started", 100, "officer")
    b.fire(no_review, "record_ho_upheld_decision", 60, "officer")

    challenged = b.open("Imogen", 90)
    b.fire(challenged, "start_scoping", 89, "officer")
    b.fire(challenged, "submit_decision_briefing", 70, "officer")
    b.fire(challenged, "decide_no_review", 62, "cspchair", "Death appears to be an accident")
    b.fire(challenged, "notify_home_office_no_review", 62, "officer")
    b.fire(challenged, "record_ho_review_started", 30, "officer")

    return ref, True
