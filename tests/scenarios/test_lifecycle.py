"""Scenario tests: real cases through the statutory stages, reloaded from the database between steps."""

from datetime import date

import pytest

from dhr_engine.audit.service import verify_all
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import Reference
from dhr_engine.domain.roles import Role
from dhr_engine.errors import TransitionBlocked
from tests.scenarios.walk import open_case


def test_review__notification_to_closure_with_two_qa_resubmissions(ctx: AppContext, ref: Reference) -> None:
    w = open_case(ctx, ref, date(2025, 1, 31))
    assert w.stage == "notified"
    decision = w.deadline("csp_decision")
    assert (decision.statutory_due, decision.status) == (date(2025, 2, 28), "open")  # 31 Jan + 1 month

    w.fire("start_scoping", date(2025, 2, 3), "officer")
    w.fire("submit_decision_briefing", date(2025, 2, 17), "officer")
    w.fire("decide_to_review", date(2025, 2, 20), "cspchair")
    assert w.deadline("csp_decision").status == "met"
    completion = w.deadline("review_completion")
    assert (completion.anchor_on, completion.statutory_due) == (date(2025, 2, 20), date(2025, 8, 20))
    assert w.deadline("family_first_letter").statutory_due == date(2025, 3, 6)  # 10 working days

    w.fire("notify_home_office_of_review", date(2025, 2, 20), "officer")
    assert w.deadline("ho_decision_notice").status == "met"
    w.member("chair", Role.INDEPENDENT_CHAIR, date(2025, 3, 10))
    w.member("panel", Role.PANEL_MEMBER, date(2025, 3, 10))
    w.fire("appoint_chair", date(2025, 3, 10), "officer")
    w.fire("establish_panel", date(2025, 4, 1), "chair")
    w.fire("start_information_gathering", date(2025, 4, 2), "chair")
    w.family("first_letter_sent", date(2025, 3, 5))
    assert w.deadline("family_first_letter").status == "met"
    w.accepted_returns(date(2025, 4, 3), "northmoor_police", "acute_trust")
    w.fire("complete_information_gathering", date(2025, 6, 2), "chair")
    w.fire("start_drafting", date(2025, 6, 3), "chair")
    w.family("draft_shared", date(2025, 7, 1))
    w.fire("share_draft_with_family", date(2025, 7, 1), "chair")
    w.fire("agree_report_at_panel", date(2025, 7, 28), "chair")
    w.fire("sign_off_report", date(2025, 8, 4), "cspchair")
    assert w.deadline("review_completion").status == "met"
    w.fire("submit_to_qa", date(2025, 8, 6), "officer")
    for round_no, (outcome, resubmitted) in enumerate(
        [(date(2025, 10, 1), date(2025, 11, 20)), (date(2026, 1, 14), date(2026, 2, 20))], start=1
    ):
        w.fire("record_qa_resubmission_required", outcome, "officer", reason=f"QA round {round_no}")
        assert w.stage == "revising"
        w.fire("resubmit_to_qa", resubmitted, "officer")
        assert w.stage == "qa_submitted"
        assert w.deadline("qa_resubmission").status == "met"
    w.fire("record_qa_approved", date(2026, 3, 25), "officer")
    w.fire("send_publication_notices", date(2026, 4, 1), "officer")
    w.fire("publish_report", date(2026, 4, 20), "officer")
    w.fire("start_action_plan_monitoring", date(2026, 4, 21), "officer")
    assert w.deadline("action_plan_review").statutory_due == date(2026, 7, 21)
    case = w.fire("close_review", date(2026, 10, 1), "cspchair")

    assert (case.stage, case.closed_on) == ("closed", date(2026, 10, 1))
    kinds = w.audit_kinds()
    assert kinds[0] == "case_opened"
    assert kinds.count("stage_changed") == 22
    assert kinds.count("letter_queued") >= 10
    with ctx.reader() as uow:
        assert verify_all(uow.session) == []


def test_no_review__home_office_review_to_secretary_of_state_direction(
    ctx: AppContext, ref: Reference
) -> None:
    w = open_case(ctx, ref, date(2026, 3, 2))
    w.fire("start_scoping", date(2026, 3, 2), "officer")
    w.fire("submit_decision_briefing", date(2026, 3, 20), "officer")
    w.fire("decide_no_review", date(2026, 3, 27), "cspchair", reason="criteria not met")
    assert w.deadline("csp_decision").status == "met"
    w.fire("notify_home_office_no_review", date(2026, 3, 30), "officer")
    assert w.deadline("ho_decision_notice").status == "met_late"  # due with the decision
    w.fire("record_ho_review_started", date(2026, 5, 6), "officer")
    w.fire(
        "record_ho_reconsideration_request",
        date(2026, 6, 10),
        "officer",
        reason="QA Panel asks to reconsider",
    )
    assert w.stage == "decision_pending"
    again = w.deadline("csp_decision")
    assert (again.anchor_on, again.statutory_due, again.status) == (
        date(2026, 6, 10),
        date(2026, 7, 10),
        "open",
    )
    w.fire("decide_no_review", date(2026, 7, 1), "cspchair", reason="still not met")
    w.fire("notify_home_office_no_review", date(2026, 7, 1), "officer")
    w.fire("record_ho_review_started", date(2026, 7, 15), "officer")
    w.fire(
        "record_sos_direction", date(2026, 9, 1), "officer", reason="Secretary of State direction under s.9"
    )
    assert w.stage == "decided_proceed"
    completion = w.deadline("review_completion")
    assert (completion.anchor_on, completion.statutory_due) == (date(2026, 9, 1), date(2027, 3, 1))
    w.fire("notify_home_office_of_review", date(2026, 9, 1), "officer")
    assert w.stage == "ho_notified_review"


def test_no_review__upheld_closes_case_and_cancels_open_deadlines(ctx: AppContext, ref: Reference) -> None:
    w = open_case(ctx, ref, date(2026, 3, 2))
    w.fire("start_scoping", date(2026, 3, 2), "officer")
    w.fire("submit_decision_briefing", date(2026, 3, 20), "officer")
    w.fire("decide_no_review", date(2026, 3, 27), "cspchair", reason="criteria not met")
    w.fire("notify_home_office_no_review", date(2026, 3, 27), "officer")
    w.fire("record_ho_review_started", date(2026, 4, 1), "officer")
    case = w.fire("record_ho_upheld_decision", date(2026, 5, 1), "officer")
    assert (case.stage, case.closed_on) == ("closed_no_review", date(2026, 5, 1))


def _to_information_gathering(ctx: AppContext, ref: Reference, version: str | None = None):  # type: ignore[no-untyped-def]
    w = open_case(ctx, ref, date(2025, 12, 1), version)
    w.fire("start_scoping", date(2025, 12, 1), "officer")
    w.fire("submit_decision_briefing", date(2025, 12, 15), "officer")
    w.fire("decide_to_review", date(2026, 1, 5), "cspchair")
    w.fire("notify_home_office_of_review", date(2026, 1, 5), "officer")
    w.member("chair", Role.INDEPENDENT_CHAIR, date(2026, 1, 20))
    w.member("panel", Role.PANEL_MEMBER, date(2026, 1, 20))
    w.fire("appoint_chair", date(2026, 1, 20), "officer")
    w.fire("establish_panel", date(2026, 2, 2), "chair")
    w.fire("start_information_gathering", date(2026, 2, 3), "chair")
    return w


def test_pause__criminal_trial_overlapped_by_inquest_adjusts_completion_once(
    ctx: AppContext, ref: Reference
) -> None:
    w = _to_information_gathering(ctx, ref)
    assert w.deadline("review_completion").statutory_due == date(2026, 7, 5)  # 5 January + 6 months

    trial = w.proceeding("criminal_trial", date(2026, 3, 1))
    w.fire(
        "pause_for_proceedings",
        date(2026, 3, 2),
        "chair",
        reason="CPS asked the review to wait for the trial",
    )
    assert w.stage == "paused"
    assert w.deadline("review_completion").paused_since == date(2026, 3, 2)
    inquest = w.proceeding("inquest", date(2026, 4, 15))  # overlaps the trial
    w.conclude(trial, date(2026, 5, 20))
    with pytest.raises(TransitionBlocked) as blocked:
        w.fire("resume_review", date(2026, 5, 21), "chair")
    assert blocked.value.failed_guards == ["no_open_proceedings"]
    assert w.stage == "paused"
    w.conclude(inquest, date(2026, 6, 30))
    case = w.fire("resume_review", date(2026, 7, 1), "chair")

    assert case.stage == "information_gathering"  # resumes to the stage it left
    completion = w.deadline("review_completion")
    # Paused 2 March to 1 July = 121 days, counted once although trial and inquest overlapped.
    assert completion.statutory_due == date(2026, 7, 5)
    assert completion.adjusted_due == date(2026, 11, 3)
    assert completion.paused_since is None and completion.status == "open"
    # Remaining time kept: 125 days were left on 2 March; 1 July + 125 days = 3 November.
    assert (date(2026, 7, 5) - date(2026, 3, 2)).days == (completion.adjusted_due - date(2026, 7, 1)).days
    # Deadlines that do not pause (the decision) are untouched.
    assert w.deadline("csp_decision").adjusted_due == w.deadline("csp_decision").statutory_due


def test_pause__twice_adds_both_pauses(ctx: AppContext, ref: Reference) -> None:
    w = _to_information_gathering(ctx, ref)
    first = w.proceeding("iopc", date(2026, 3, 1))
    w.fire("pause_for_proceedings", date(2026, 3, 1), "officer", reason="IOPC investigation")
    w.conclude(first, date(2026, 3, 11))
    w.fire("resume_review", date(2026, 3, 11), "officer")
    second = w.proceeding("inquest", date(2026, 4, 1))
    w.fire("pause_for_proceedings", date(2026, 4, 1), "officer", reason="Coroner asked to defer")
    w.conclude(second, date(2026, 4, 6))
    w.fire("resume_review", date(2026, 4, 6), "officer")
    completion = w.deadline("review_completion")
    assert completion.adjusted_due == date(2026, 7, 20)  # 10 + 5 days added
    assert completion.pause_log == [["2026-03-01", "2026-03-11"], ["2026-04-01", "2026-04-06"]]


def test_pause__needs_an_open_proceeding(ctx: AppContext, ref: Reference) -> None:
    w = _to_information_gathering(ctx, ref)
    with pytest.raises(TransitionBlocked) as blocked:
        w.fire("pause_for_proceedings", date(2026, 3, 1), "chair", reason="no proceeding recorded")
    assert blocked.value.failed_guards == ["open_proceeding_recorded"]


def test_dardr_edition__selectable_per_case_with_twelve_months(lite: AppContext, lite_ref: Reference) -> None:
    w = _to_information_gathering(lite, lite_ref, version="2024.draft")
    assert w.reload().workflow_version == "2024.draft"
    assert w.deadline("review_completion").statutory_due == date(2027, 1, 5)
