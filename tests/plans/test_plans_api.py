"""The action-plan API end to end: a review's plan, a recommendation with its action, the action
agreed, started, reported on (with evidence) and completed, its RAG rating in the read, the
oversight figures and the CSV and XLSX exports; bad input refused naming the field, with nothing
half-written."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlmodel import SQLModel

from dhr_engine.bootstrap.app import create_app
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import Reference
from dhr_engine.persistence.tables import Case
from tests.api.scenario import World
from tests.plans.helpers import monitored_case

TODAY = date(2026, 11, 25)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BRIEFING = "Issue a force-wide briefing on MARAC referral"
EVIDENCE = "Briefing issued to every officer; attendance log held by training"


def _client(ctx: AppContext) -> TestClient:
    return TestClient(create_app(ctx.settings, ctx))


def _as(ctx: AppContext, ref: Reference, username: str) -> dict[str, str]:
    return World(ctx, ref).headers(username)


def _rows(ctx: AppContext) -> dict[str, int]:
    """The number of rows of every table (to show a refused request wrote nothing)."""
    with ctx.engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in SQLModel.metadata.sorted_tables
        }


def _field(response: Any) -> str | None:
    field: str | None = response.json()["detail"][0].get("field")
    return field


def _recommendation(ref: Reference, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "text": "Police should refer every high-risk victim to MARAC within one working day.",
        "level": "single_agency",
        "addressee": "Northmoor Police",
        "themes": ["risk_assessment"],
        "effective_on": (TODAY - timedelta(days=10)).isoformat(),
        "actions": [
            {
                "description": BRIEFING,
                "lead_agency_id": str(ref.agencies["northmoor_police"].id),
                "target_date": (TODAY + timedelta(days=60)).isoformat(),
                "owner_title": "Head of safeguarding",
            }
        ],
    }
    body.update(changes)
    return body


def test_journey__plan_to_completed_action_with_rag_oversight_and_exports(
    ctx: AppContext, ref: Reference
) -> None:
    case = monitored_case(ctx, ref)
    client = _client(ctx)
    officer = _as(ctx, ref, "officer")
    police = _as(ctx, ref, "police.manager")

    made = client.post(
        f"/api/v1/cases/{case.ref}/plan",
        headers=officer,
        json={"cadence_months": 3, "effective_on": (TODAY - timedelta(days=20)).isoformat()},
    )
    assert made.status_code == 201, made.text
    plan = made.json()
    assert (plan["kind"], plan["case_ref"], plan["recommendations"]) == ("review", case.ref, [])
    again = client.post(f"/api/v1/cases/{case.ref}/plan", headers=officer, json={})
    assert (again.status_code, _field(again)) == (422, "case_id")

    rec = client.post(
        f"/api/v1/plans/{plan['id']}/recommendations", headers=officer, json=_recommendation(ref)
    )
    assert rec.status_code == 201, rec.text
    (action,) = rec.json()["actions"]
    assert (rec.json()["number"], action["number"], action["stage"]) == (1, "1.1", "proposed")
    assert (action["rag"], action["rag_reason"], action["lead_agency"]) == (
        "green",
        "on track",
        "Northmoor Police",
    )
    action_url = f"/api/v1/actions/{action['id']}"

    agreed = client.post(f"{action_url}/triggers/agree", headers=officer, json={"expected_version": 1})
    assert (agreed.status_code, agreed.json()["stage"], agreed.json()["version"]) == (200, "agreed", 2)
    stale = client.post(f"{action_url}/triggers/start", headers=police, json={"expected_version": 1})
    assert (stale.status_code, _field(stale)) == (409, "expected_version")
    started = client.post(f"{action_url}/triggers/start", headers=police, json={"expected_version": 2})
    assert started.json()["stage"] == "in_progress", started.text

    progress = client.post(f"{action_url}/progress", headers=police, json={"note": EVIDENCE})
    assert progress.status_code == 201, progress.text
    assert (progress.json()["reported_on"], progress.json()["note"]) == (TODAY.isoformat(), EVIDENCE)
    milestone = client.post(
        f"{action_url}/milestones",
        headers=police,
        json={"text": "Briefing drafted", "achieved_on": (TODAY - timedelta(days=2)).isoformat()},
    )
    assert milestone.status_code == 201, milestone.text
    moved = client.put(
        f"{action_url}/target",
        headers=officer,
        json={"target_date": (TODAY + timedelta(days=20)).isoformat(), "reason": "Board meets earlier"},
    )
    assert (moved.json()["rag"], moved.json()["rag_reason"]) == ("amber", "due within 28 days"), moved.text

    read = client.get(action_url, headers=police).json()
    assert [p["note"] for p in read["progress"]] == [EVIDENCE]
    assert read["milestones"] == [{"on": (TODAY - timedelta(days=2)).isoformat(), "text": "Briefing drafted"}]
    assert read["last_update_on"] == TODAY.isoformat()

    figures = client.get("/api/v1/oversight/2026", headers=officer)
    assert figures.status_code == 200, figures.text
    assert figures.json()["actions"] == [{"agency": "Northmoor Police", "open": 1, "overdue": 0}]
    assert {"section": "Actions", "measure": "Northmoor Police: open", "value": 1} in figures.json()["rows"]

    blocked = client.post(f"{action_url}/triggers/complete", headers=police, json={"evidence": " "})
    assert blocked.status_code == 409
    assert blocked.json()["detail"][0]["guards"] == ["evidence_given"]
    done = client.post(f"{action_url}/triggers/complete", headers=police, json={"evidence": EVIDENCE})
    assert (done.json()["stage"], done.json()["evidence"], done.json()["ended_on"]) == (
        "complete",
        EVIDENCE,
        TODAY.isoformat(),
    )

    whole = client.get(f"/api/v1/plans/{plan['id']}", headers=officer).json()
    assert whole["rag"] == {"red": 0, "amber": 0, "green": 0, "blue": 1}
    assert [(a["number"], a["rag"], a["rag_label"]) for a in whole["recommendations"][0]["actions"]] == [
        ("1.1", "blue", "Blue (complete)")
    ]
    assert client.get(f"/api/v1/cases/{case.ref}/plan", headers=officer).json()["id"] == plan["id"]
    listed = client.get("/api/v1/plans", headers=officer).json()
    assert [(p["id"], p["actions"], p["rag"]["blue"]) for p in listed["items"]] == [(plan["id"], 1, 1)]
    after = client.get("/api/v1/oversight/2026", headers=officer).json()
    assert after["actions"] == []

    as_csv = client.get("/api/v1/plans/export?format=csv", headers=officer)
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.headers["content-disposition"] == 'attachment; filename="action-plans-2026-11-25.csv"'
    table = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert [(r["Action"], r["Action to take"], r["RAG"], r["Evidence"]) for r in table] == [
        ("1.1", BRIEFING, "blue", EVIDENCE)
    ]
    as_xlsx = client.get("/api/v1/plans/export?format=xlsx", headers=officer)
    assert as_xlsx.headers["content-type"] == XLSX
    book = load_workbook(io.BytesIO(as_xlsx.content))
    assert book.sheetnames == ["Summary", "Actions"]
    assert book["Summary"]["A2"].value == whole["title"]
    assert book["Actions"]["H2"].value == "1.1"
    oversight_xlsx = client.get("/api/v1/oversight/2026/export?format=xlsx", headers=officer)
    assert load_workbook(io.BytesIO(oversight_xlsx.content)).sheetnames == ["Oversight 2026"]
    themes = client.get("/api/v1/lessons/themes/export?format=csv", headers=officer)
    assert themes.status_code == 200 and "Theme" in themes.content.decode("utf-8-sig")


def test_bad_input__refused_naming_the_field_and_nothing_written(ctx: AppContext, ref: Reference) -> None:
    case = monitored_case(ctx, ref)
    client = _client(ctx)
    officer = _as(ctx, ref, "officer")
    plan = client.post(f"/api/v1/cases/{case.ref}/plan", headers=officer, json={}).json()
    rec = client.post(
        f"/api/v1/plans/{plan['id']}/recommendations", headers=officer, json=_recommendation(ref)
    )
    action_id = rec.json()["actions"][0]["id"]
    before = _rows(ctx)
    with ctx.reader() as uow:
        version = uow.session.get_one(Case, case.id).version
    good_action = _recommendation(ref)["actions"][0]
    unknown_agency = {**good_action, "lead_agency_id": str(uuid.uuid4())}
    refusals = [
        ("POST", f"/api/v1/plans/{plan['id']}/recommendations", _recommendation(ref, level="local"), "level"),
        ("POST", f"/api/v1/plans/{plan['id']}/recommendations", _recommendation(ref, actions=[]), "actions"),
        ("POST", f"/api/v1/plans/{plan['id']}/recommendations", _recommendation(ref, themes=["nope"]), "themes"),
        # the second action is bad: the recommendation and its first action are not kept either
        (
            "POST",
            f"/api/v1/plans/{plan['id']}/recommendations",
            _recommendation(ref, actions=[good_action, unknown_agency]),
            "lead_agency_id",
        ),
        (
            "POST",
            f"/api/v1/plans/{plan['id']}/recommendations",
            _recommendation(ref, effective_on="2027-01-01"),
            "effective_on",
        ),
        ("POST", f"/api/v1/plans/{plan['id']}/actions", {**good_action}, "recommendation_id"),
        ("POST", f"/api/v1/plans/{plan['id']}/outcome-measures", {"text": "An outcome"}, "plan_id"),
        ("POST", f"/api/v1/plans/{plan['id']}/reviews", {"yearly": True}, "yearly"),
        ("POST", f"/api/v1/actions/{action_id}/progress", {"note": ""}, "note"),
        ("POST", f"/api/v1/actions/{action_id}/progress", {"note": "x", "reported_on": "2030-01-01"}, "effective_on"),
        ("POST", f"/api/v1/actions/{action_id}/triggers/close_not_done", {}, "reason"),
        ("POST", f"/api/v1/actions/{action_id}/triggers/fly", {}, "trigger"),
        ("PUT", f"/api/v1/actions/{action_id}/target", {"target_date": "2026-12-01"}, "reason"),
        ("PUT", f"/api/v1/actions/{action_id}/target", {"target_date": "2020-01-01", "reason": "x"}, "target_date"),
        ("POST", f"/api/v1/actions/{action_id}/milestones", {"text": "x", "achieved_on": "tomorrow"}, "achieved_on"),
        ("POST", f"/api/v1/actions/{action_id}/milestones", {"text": "x", "achieved_on": "2026-11-20", "extra": 1}, "extra"),
        ("POST", "/api/v1/plans", {"priority": "vawg", "plan_type": "strategy",
                                   "period_start": "2026-04-01", "period_end": "2026-03-01"}, "period_end"),
        ("POST", "/api/v1/plans", {"priority": "vawg", "plan_type": "operational",
                                   "period_start": "2026-04-01", "period_end": "2027-03-31"}, "plan_type"),
        ("GET", "/api/v1/oversight/1999", None, "year"),
        ("GET", "/api/v1/plans/export?format=pdf", None, "format"),
        ("GET", "/api/v1/lessons/repeats?threshold=2", None, "threshold"),
    ]  # fmt: skip
    for method, path, body, field in refusals:
        response = client.request(method, path, headers=officer, json=body)
        assert response.status_code in (400, 404, 409, 422), (path, field, response.text)
        assert _field(response) == field, (path, field, response.text)
        assert set(response.json()) == {"detail"}
    assert _rows(ctx) == before
    with ctx.reader() as uow:
        assert uow.session.get_one(Case, case.id).version == version


def test_unknown_plan_or_action__404_in_the_one_error_shape(ctx: AppContext, ref: Reference) -> None:
    client = _client(ctx)
    officer = _as(ctx, ref, "officer")
    for path in (f"/api/v1/plans/{uuid.uuid4()}", f"/api/v1/actions/{uuid.uuid4()}"):
        response = client.get(path, headers=officer)
        assert response.status_code == 404
        assert response.json()["detail"][0]["code"] == "not_found"
    response = client.get("/api/v1/cases/DHR-1999-999/plan", headers=officer)
    assert (response.status_code, response.json()["detail"][0]["code"]) == (404, "case_not_found")
