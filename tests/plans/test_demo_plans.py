"""The demo's priority plans, review plans, exports and repeated-recommendations report."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dhr_engine.context import AppContext
from dhr_engine.demo import load_demo
from dhr_engine.demo.builder import Reference
from dhr_engine.demo.plans import PLANTED_REPEAT, PRIORITY_ACTIONS
from dhr_engine.plans import export, lessons, queries
from dhr_engine.plans.rag import Rag

TODAY = date(2026, 11, 25)


@pytest.fixture
def demo(lite: AppContext) -> tuple[AppContext, Reference]:
    return lite, load_demo(lite)


def test_demo__every_priority_has_strategy_and_tactical_plans_in_every_rag_state(demo) -> None:
    ctx, _ref = demo
    with ctx.reader() as uow:
        plans = queries.list_plans(uow.session, kind="priority")
        rows = queries.action_rows(uow.session, TODAY, kind="priority")
    assert sorted((p.priority, p.plan_type) for p in plans) == sorted(
        (priority, t) for priority in PRIORITY_ACTIONS for t in ("strategy", "tactical")
    )
    for plan in plans:
        mine = [r for r in rows if r.plan_id == plan.id]
        assert {r.rag for r in mine} == {r.value for r in Rag}, plan.title
        reasons = Counter(r.rag_reason.split(" by ")[0] for r in mine)
        assert reasons["closed without being done"] == 1
        assert reasons["overdue"] == 1
        assert reasons["due within 28 days"] == 1
        assert reasons["no progress update for more than 91 days"] == 1


def test_demo__priority_plans_export_to_xlsx_with_expected_rows(demo, tmp_path: Path) -> None:
    ctx, _ref = demo
    with ctx.reader() as uow:
        rows = queries.action_rows(uow.session, TODAY, kind="priority")
    [path] = export.write(
        [export.summary_sheet(rows), export.actions_sheet(rows)], tmp_path / "plans", "xlsx"
    )
    book = load_workbook(path)
    assert book.sheetnames == ["Summary", "Actions"]
    summary = list(book["Summary"].iter_rows(values_only=True))
    assert summary[0] == (
        "Plan",
        "Plan type",
        "Priority",
        "Review",
        "Actions",
        "Red",
        "Amber",
        "Green",
        "Blue",
        "Overdue",
    )
    assert len(summary) == 1 + 8
    assert all(line[4:] == (6, 2, 2, 1, 1, 1) for line in summary[1:])
    actions = list(book["Actions"].iter_rows(values_only=True))
    assert actions[0][:3] == ("Plan", "Plan type", "Priority")
    assert len(actions) == 1 + 48
    headings = actions[0]
    county = [
        dict(zip(headings, line, strict=True))
        for line in actions[1:]
        if line[2] == "County lines and exploitation"
    ]
    texts = {line["Action to take"] for line in county}
    assert texts == {text for plan in PRIORITY_ACTIONS["county_lines"] for _agency, text in plan}
    overdue = [line for line in county if line["Overdue"] == "Yes"]
    assert len(overdue) == 2 and all(line["RAG"] == "red" for line in overdue)
    assert all(line["Target date"].date() < TODAY for line in overdue)


def test_demo__csv_export_has_one_line_per_action(demo, tmp_path: Path) -> None:
    ctx, _ref = demo
    with ctx.reader() as uow:
        rows = queries.action_rows(uow.session, TODAY)
    [path] = export.write([export.actions_sheet(rows)], tmp_path / "actions", "csv")
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 1 + 48 + 6 + 4  # priority actions, Grace's six, Fran's four


def test_demo__repeats_report_finds_the_planted_repeat_only(demo) -> None:
    ctx, _ref = demo
    with ctx.reader() as uow:
        pairs = lessons.repeats_report(uow.session)
        recs = lessons.review_recommendations(uow.session)
    assert len(recs) == 8
    assert [(p.themes, p.first_text, p.second_text) for p in pairs] == [
        (("risk_assessment",), PLANTED_REPEAT[0], PLANTED_REPEAT[1])
    ] or [(p.themes, p.second_text, p.first_text) for p in pairs] == [
        (("risk_assessment",), PLANTED_REPEAT[0], PLANTED_REPEAT[1])
    ]
    # Three other cross-review pairs share a theme but not the wording (the hospital flag with the
    # DASH recommendation and with the national information-sharing one; the two training ones).
    shared_theme_pairs = [
        (a, b)
        for a in recs
        for b in recs
        if a.case_id != b.case_id and set(a.themes) & set(b.themes) and a.id < b.id
    ]
    assert len(shared_theme_pairs) == 4


def test_demo__themes_report_counts_reviews_per_theme(demo) -> None:
    ctx, _ref = demo
    with ctx.reader() as uow:
        rows = {r.theme: r for r in lessons.themes_report(uow.session)}
    assert (rows["risk_assessment"].recommendations, rows["risk_assessment"].reviews) == (3, 2)
    assert (rows["training"].recommendations, rows["training"].reviews) == (2, 2)
    assert (rows["housing"].recommendations, rows["housing"].reviews) == (1, 1)
    assert rows["suicide"].recommendations == 0
