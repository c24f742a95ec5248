"""`dhr plans ...` against a demo database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from dhr_engine.console import app

runner = CliRunner()


@pytest.fixture
def demo_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DHR_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    return tmp_path


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_plans_cli__list_export_reports_and_charts(demo_db: Path) -> None:
    plans = json.loads(run("plans", "list", "--kind", "priority", "--json"))
    assert len(plans) == 8 and all(p["red"] == 2 and p["blue"] == 1 for p in plans)
    out = run(
        "plans", "export", "--format", "xlsx", "--out", str(demo_db / "plans.xlsx"), "--kind", "priority"
    )
    book = load_workbook(out.strip())
    assert book["Actions"].max_row == 1 + 48
    csv_path = run("plans", "export", "--format", "csv", "--out", str(demo_db / "plans.csv")).strip()
    assert Path(csv_path).read_text(encoding="utf-8-sig").count("\n") == 1 + 58
    repeats = json.loads(run("plans", "repeats", "--json"))
    assert len(repeats) == 1 and repeats[0]["themes"] == ["risk_assessment"]
    assert "Risk assessment" in run("plans", "themes")
    figures = json.loads(run("plans", "oversight", "--year", "2026", "--json"))
    assert {f["measure"] for f in figures} >= {"Notifications received", "Reviews published"}
    charts = run("plans", "charts", "--out", str(demo_db / "charts")).split()
    assert any(c.endswith("rag.svg") for c in charts) and all(Path(c).exists() for c in charts)
    due = json.loads(run("plans", "due", "--json"))
    assert any(d["kind"] == "overdue_action" for d in due)
    bad = runner.invoke(app, ["plans", "export", "--format", "pdf", "--out", str(demo_db / "x")])
    assert bad.exit_code == 2 and "format" in bad.output


def test_plans_cli__complete_needs_evidence(demo_db: Path) -> None:
    actions = json.loads(run("plans", "actions", "--kind", "review", "--json"))
    proposed = next(a for a in actions if a["stage"] == "Proposed")
    run("plans", "fire", proposed["id"], "agree", "--as", "officer")
    refused = runner.invoke(app, ["plans", "fire", proposed["id"], "complete", "--as", "officer"])
    assert refused.exit_code == 2 and "evidence_given" in refused.output
    assert "complete" in run(
        "plans", "fire", proposed["id"], "complete", "--evidence", "Minutes", "--as", "officer"
    )
