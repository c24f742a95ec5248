"""Oversight figures against figures worked out by hand, on a small fixture and on the demo."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dhr_engine.context import AppContext
from dhr_engine.demo import load_demo
from dhr_engine.demo.builder import Reference
from dhr_engine.domain.clock import FakeClock
from dhr_engine.domain.roles import Role
from dhr_engine.plans import actions as action_service
from dhr_engine.plans import charts, export, service
from dhr_engine.plans.oversight import oversight_figures
from tests.plans.helpers import action
from tests.scenarios.walk import Walker, open_case

TODAY = date(2026, 11, 25)
D = date


def _to_decision(w: Walker, scoping: date, briefing: date) -> None:
    w.fire("start_scoping", scoping, "officer")
    w.fire("submit_decision_briefing", briefing, "officer")


def _fixture(ctx: AppContext, ref: Reference) -> Walker:
    """Four cases; A has a 60-day pause for a criminal trial. Returns A."""
    a = open_case(ctx, ref, D(2026, 1, 5))
    _to_decision(a, D(2026, 1, 6), D(2026, 1, 20))
    a.fire("decide_to_review", D(2026, 1, 30), "cspchair")  # due 5 Feb: on time, 25 days
    a.fire("notify_home_office_of_review", D(2026, 1, 30), "officer")
    for who, role in (("chair", Role.INDEPENDENT_CHAIR), ("panel", Role.PANEL_MEMBER)):
        a.member(who, role, D(2026, 2, 10))
    a.fire("appoint_chair", D(2026, 2, 10), "officer")
    a.fire("establish_panel", D(2026, 2, 15), "chair")
    a.fire("start_information_gathering", D(2026, 2, 16), "chair")
    trial = a.proceeding("criminal_trial", D(2026, 3, 1))
    a.fire("pause_for_proceedings", D(2026, 3, 1), "officer")
    a.conclude(trial, D(2026, 4, 30))
    a.fire("resume_review", D(2026, 4, 30), "officer")  # 60 days paused: completion due 28 Sep
    a.accepted_returns(D(2026, 5, 1), "northmoor_police")
    a.family("first_letter_sent", D(2026, 5, 2))
    a.fire("complete_information_gathering", D(2026, 5, 10), "chair")
    a.fire("start_drafting", D(2026, 5, 11), "chair")
    a.family("draft_shared", D(2026, 6, 1))
    a.fire("share_draft_with_family", D(2026, 6, 1), "chair")
    a.fire("agree_report_at_panel", D(2026, 6, 10), "chair")
    a.fire("sign_off_report", D(2026, 9, 1), "cspchair")  # 214 days after the decision: on time
    a.fire("submit_to_qa", D(2026, 9, 2), "officer")
    a.fire("record_qa_approved", D(2026, 10, 1), "officer")
    a.fire("send_publication_notices", D(2026, 10, 5), "officer")  # publication due 2 Nov
    a.fire("publish_report", D(2026, 11, 10), "officer")  # 70 days after completion: late

    b = open_case(ctx, ref, D(2026, 2, 1))
    _to_decision(b, D(2026, 2, 2), D(2026, 2, 20))
    b.fire("decide_no_review", D(2026, 3, 10), "cspchair", "criteria not met")  # due 1 Mar: late, 37 days

    c = open_case(ctx, ref, D(2025, 12, 20))
    _to_decision(c, D(2025, 12, 21), D(2026, 1, 5))
    c.fire("decide_to_review", D(2026, 1, 15), "cspchair")  # due 20 Jan: on time, 26 days

    open_case(ctx, ref, D(2026, 11, 1))  # notified, no decision yet
    return a


def _actions(ctx: AppContext, ref: Reference, a: Walker) -> None:
    plan = service.create_review_plan(
        ctx.uow(), actor=ref.actor("officer"), clock=ctx.clock, case_id=a.case_id, effective_on=D(2026, 9, 5)
    )
    service.add_recommendation(
        ctx.uow(),
        actor=ref.actor("officer"),
        clock=ctx.clock,
        plan_id=plan.id,
        text="Refer high-risk victims to MARAC.",
        level="multi_agency",
        themes=["risk_assessment"],
        actions=[
            action(ref, "northmoor_police", D(2026, 10, 1), "Brief officers"),  # open, overdue
            action(ref, "acute_trust", D(2027, 3, 1), "Train staff"),  # open
            action(ref, "northmoor_police", D(2026, 10, 1), "Audit referrals"),  # completed below
        ],
        effective_on=D(2026, 9, 5),
    )
    rows = {a.description: a for a in _plan_actions(ctx, plan.id)}
    done = rows["Audit referrals"].id
    action_service.fire_action(
        ctx.uow(),
        actor=ref.actor("officer"),
        clock=ctx.clock,
        action_id=done,
        trigger="agree",
        effective_on=D(2026, 9, 6),
    )
    action_service.fire_action(
        ctx.uow(),
        actor=ref.actor("officer"),
        clock=ctx.clock,
        action_id=done,
        trigger="complete",
        effective_on=D(2026, 9, 30),
        evidence="Audit report",
    )


def _plan_actions(ctx: AppContext, plan_id):
    from sqlmodel import select

    from dhr_engine.persistence.tables_plans import PlanAction

    with ctx.reader() as uow:
        return list(uow.session.exec(select(PlanAction).where(PlanAction.plan_id == plan_id)).all())


def _timings(figures):
    return {
        t.key: (t.events, t.mean_days, t.median_days, t.on_time, t.share_on_time) for t in figures.timings
    }


def test_oversight__fixture_matches_hand_figures(ctx: AppContext, ref: Reference) -> None:
    a = _fixture(ctx, ref)
    _actions(ctx, ref, a)
    with ctx.reader() as uow:
        figures = oversight_figures(uow.session, ref.csp.id, 2026, TODAY)
        last_year = oversight_figures(uow.session, ref.csp.id, 2025, TODAY)
    assert (figures.notified, figures.decided, figures.decided_to_review, figures.decided_no_review) == (
        3,
        3,
        2,
        1,
    )
    assert (figures.completed, figures.published) == (1, 1)
    assert _timings(figures) == {
        "decision": (3, 29.3, 26.0, 2, 66.7),  # 25, 37 and 26 days; B was late
        "completion": (1, 214.0, 214.0, 1, 100.0),  # due 30 Jul + 60 days paused = 28 Sep
        "publication": (1, 70.0, 70.0, 0, 0.0),  # published 10 Nov, due 2 Nov
    }
    assert figures.paused_days == {"criminal_trial": 60}
    assert figures.paused_cases == 1
    assert [(x.agency, x.open, x.overdue) for x in figures.actions] == [
        ("Northmoor Hospitals NHS Foundation Trust", 1, 0),
        ("Northmoor Police", 1, 1),
    ]
    assert (last_year.notified, last_year.decided, last_year.as_of) == (1, 0, D(2025, 12, 31))
    assert last_year.actions == []


def test_oversight__pause_spanning_the_new_year_is_split_between_years(
    lite: AppContext, lite_ref: Reference
) -> None:
    ctx, ref = lite, lite_ref
    ctx.clock = FakeClock.on(D(2026, 2, 10))
    w = open_case(ctx, ref, D(2025, 11, 3))
    _to_decision(w, D(2025, 11, 4), D(2025, 11, 20))
    w.fire("decide_to_review", D(2025, 11, 28), "cspchair")
    proceeding = w.proceeding("inquest", D(2025, 12, 11))
    w.fire("pause_for_proceedings", D(2025, 12, 11), "officer")
    w.conclude(proceeding, D(2026, 1, 21))
    w.fire("resume_review", D(2026, 1, 21), "officer")
    with ctx.reader() as uow:
        y2025 = oversight_figures(uow.session, ref.csp.id, 2025, ctx.clock.today())
        y2026 = oversight_figures(uow.session, ref.csp.id, 2026, ctx.clock.today())
    assert y2025.paused_days == {"inquest": 21}  # 11 to 31 December
    assert y2026.paused_days == {"inquest": 20}  # 1 to 20 January (resumed on the 21st)


@pytest.fixture
def demo(lite: AppContext) -> tuple[AppContext, Reference]:
    return lite, load_demo(lite)


def test_oversight__demo_matches_hand_figures(demo, tmp_path: Path) -> None:
    """Demo dates are days before 25 November 2026 (day 329 of the year; 1 January = 328 days ago)."""
    ctx, ref = demo
    with ctx.reader() as uow:
        figures = oversight_figures(uow.session, ref.csp.id, 2026, TODAY)
    # Notified in 2026: Alice 3, Beth 9, Carol 20, Dawn 160, Eve 200, Hannah 150, Imogen 90 days ago
    # (Fran 400 and Grace 700 were notified earlier).
    assert figures.notified == 7
    # Decisions: Dawn (160 -> 135), Eve (200 -> 175) to review; Hannah (150 -> 125), Imogen (90 -> 62) not.
    assert (figures.decided, figures.decided_to_review, figures.decided_no_review) == (4, 2, 2)
    # Fran: decided 375 days ago (15 Nov 2025, due 15 May 2026), signed off 190 days ago (19 May 2026).
    # Grace: notices 330 days ago (publication due 302 days ago), signed off 450, published 310 days ago.
    assert (figures.completed, figures.published) == (1, 1)
    assert _timings(figures) == {
        "decision": (4, 25.8, 25.0, 4, 100.0),
        "completion": (1, 185.0, 185.0, 0, 0.0),
        "publication": (1, 140.0, 140.0, 1, 100.0),
    }
    # Eve: paused for the criminal trial 120 days ago and still paused.
    assert (figures.paused_days, figures.paused_cases) == ({"criminal_trial": 120}, 1)
    # Open actions: four per priority plan (overdue, due soon, no update, on track) led by the agencies
    # at positions 2, 4, 5 and 6 of demo.PRIORITY_ACTIONS; Grace's four open; Fran's four proposed.
    # Overdue: the second action of each priority plan, and Grace's emergency department action.
    assert {x.agency: (x.open, x.overdue) for x in figures.actions} == {
        "Northmoor Council Adult Social Care": (4, 1),
        "Northmoor Council Children's Services": (5, 2),
        "Northmoor Council Housing": (4, 1),
        "Northmoor Hospitals NHS Foundation Trust": (5, 1),
        "Northmoor Integrated Care Board": (4, 0),
        "Northmoor Mental Health NHS Trust": (1, 0),
        "Northmoor Police": (6, 4),
        "Northmoor Recovery Service": (4, 0),
        "Northmoor Women's Aid": (1, 0),
        "Probation Service (Northmoor)": (6, 0),
    }
    [xlsx] = export.write([export.oversight_sheet(figures)], tmp_path / "oversight", "xlsx")
    sheet = load_workbook(xlsx)["Oversight 2026"]
    values = {(row[0], row[1]): row[2] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values[("Reviews", "Notifications received")] == 7
    assert values[("Timeliness", "Notification to decision: share on time (%)")] == 100
    assert values[("Pauses", "Days paused: criminal trial")] == 120
    paths = charts.oversight_charts(figures, tmp_path / "charts")
    assert sorted(p.name for p in paths) == sorted(
        f"{name}-2026.{fmt}"
        for name in ("reviews", "durations", "on-time", "pauses", "actions")
        for fmt in ("png", "svg")
    )
    assert all(p.stat().st_size > 1000 for p in paths)
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
