"""The stable command forms scripts depend on, run against a real database via DHR_DATABASE_URL."""

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import text
from typer.testing import CliRunner

from dhr_engine.console import app
from dhr_engine.persistence.db import make_engine

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DHR_DATABASE_URL", url)
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    return url


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_case_new_fire_list_and_deadlines(db: str) -> None:
    notified = date.today() - timedelta(days=40)
    ref = run("case", "new", "--notified-on", notified.isoformat()).strip()
    assert ref.startswith(f"DHR-{notified.year}-")
    run(
        "case", "fire", ref, "start_scoping", "--on", notified.isoformat(), "--reason", "scoping letters sent"
    )
    out = run(
        "case", "fire", ref, "submit_decision_briefing", "--on", (notified + timedelta(days=10)).isoformat()
    )
    assert "decision_pending" in out

    cases = json.loads(run("case", "list", "--json"))
    assert [(c["ref"], c["stage"]) for c in cases] == [(ref, "decision_pending")]

    deadlines = json.loads(run("deadlines", "list", ref, "--json"))
    assert deadlines[0]["key"] == "csp_decision"
    assert set(deadlines[0]) >= {"key", "statutory_due", "adjusted_due", "status"}
    assert deadlines[0]["statutory_due"] == (notified + relativedelta(months=1)).isoformat()
    explanation = run("deadlines", "explain", ref, "csp_decision")
    assert "Rule: 1 calendar month from notification received" in explanation
    assert "Statutory due date:" in explanation


def test_case_fire__refusals_are_clear_errors(db: str) -> None:
    ref = run("case", "new", "--notified-on", date.today().isoformat()).strip()
    wrong = runner.invoke(app, ["case", "fire", ref, "publish_report"])
    assert wrong.exit_code == 2 and "cannot be fired from stage 'notified'" in wrong.output
    future = runner.invoke(app, ["case", "fire", ref, "start_scoping", "--on", "2999-01-01"])
    assert future.exit_code == 2 and "effective_on" in future.output
    bad_date = runner.invoke(app, ["case", "fire", ref, "start_scoping", "--on", "yesterday"])
    assert bad_date.exit_code == 1 and "YYYY-MM-DD" in bad_date.output


def test_audit_verify__reports_edited_and_deleted_events(db: str) -> None:
    ref = run("case", "new", "--notified-on", date.today().isoformat()).strip()
    run("case", "fire", ref, "start_scoping")
    assert "intact" in run("audit", "verify")
    engine = make_engine(db)
    with engine.begin() as conn:
        case_id = conn.execute(text("SELECT id FROM dhr_case WHERE ref = :r"), {"r": ref}).scalar_one()
        conn.execute(
            text('UPDATE audit_event SET data = \'{"reason": "forged"}\' WHERE case_id = :c AND seq = 3'),
            {"c": case_id},
        )
    edited = runner.invoke(app, ["audit", "verify"])
    assert edited.exit_code == 1
    assert f"{ref}: event 3: event edited" in edited.output
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE case_id = :c AND seq = 2"), {"c": case_id})
        last = conn.execute(
            text("SELECT max(seq) FROM audit_event WHERE case_id = :c"), {"c": case_id}
        ).scalar_one()
        conn.execute(
            text("DELETE FROM audit_event WHERE case_id = :c AND seq = :s"), {"c": case_id, "s": last}
        )
    deleted = runner.invoke(app, ["audit", "verify"])
    assert deleted.exit_code == 1
    assert f"{ref}: event 2: event deleted" in deleted.output
    assert f"{ref}: event {last}: event deleted (missing at the end of the chain)" in deleted.output


def test_holidays_import__adds_one_off_days(db: str, tmp_path: Path) -> None:
    file = tmp_path / "bank-holidays.json"
    file.write_text(
        json.dumps(
            {
                "england-and-wales": {
                    "division": "england-and-wales",
                    "events": [
                        {
                            "title": "Extra day for a national event",
                            "date": "2027-06-07",
                            "notes": "",
                            "bunting": True,
                        },
                        {
                            "title": "Christmas Day",
                            "date": "2027-12-27",
                            "notes": "Substitute day",
                            "bunting": True,
                        },
                    ],
                }
            }
        )
    )
    assert "2 days read, 2 added" in run("holidays", "import", str(file))
    assert "0 added" in run("holidays", "import", str(file))
    broken = tmp_path / "broken.json"
    broken.write_text("{}")
    result = runner.invoke(app, ["holidays", "import", str(broken)])
    assert result.exit_code == 1 and "england-and-wales" in result.output


def test_demo__prints_sign_in_names(db: str) -> None:
    out = run("demo")
    assert "officer" in out and "Demo-Password-2026" in out
    cases = json.loads(run("case", "list", "--json"))
    assert len(cases) >= 8
    assert len({c["stage"] for c in cases}) >= 7
