"""The plans exports never carry a live formula, and are refused, naming the cell and the kind of
value but never the value, while their free text holds a real name or date of birth of the
reviews' people (the files may leave the partnership)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, select
from typer.testing import CliRunner

from dhr_engine.bootstrap.app import create_app
from dhr_engine.console import app
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import Reference
from dhr_engine.persistence.db import make_engine
from dhr_engine.persistence.tables import Case, Person
from dhr_engine.plans import service
from tests.api.scenario import World
from tests.plans.helpers import action, monitored_case

runner = CliRunner()
FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)"]
TODAY = date(2026, 11, 25)
TEXT = "Police should refer every high-risk victim to MARAC within one working day."


@pytest.fixture
def demo_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "demo.db"
    monkeypatch.setenv("DHR_DATABASE_URL", f"sqlite:///{path}")
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    return path


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _complete(action_id: str, stage: str, evidence: str) -> None:
    if stage == "Proposed":
        run("plans", "fire", action_id, "agree", "--as", "officer")
    run("plans", "fire", action_id, "complete", "--evidence", evidence, "--as", "officer")


def test_plans_export__evidence_is_never_a_formula_in_csv_or_xlsx(demo_db: Path) -> None:
    actions = json.loads(run("plans", "actions", "--kind", "review", "--json"))
    open_ones = [a for a in actions if a["stage"] in ("Proposed", "Agreed")]
    assert len(open_ones) >= len(FORMULAS)
    chosen = {a["id"]: f for a, f in zip(open_ones, FORMULAS, strict=False)}
    for a in open_ones[: len(FORMULAS)]:
        _complete(a["id"], a["stage"], chosen[a["id"]])
    # Action numbers repeat across plans ("1.1" in several): a row is its plan and its number.
    numbers = {(a["plan_title"], a["number"]): chosen[a["id"]] for a in open_ones[: len(FORMULAS)]}
    assert len(numbers) == len(FORMULAS)

    book_path = run("plans", "export", "--format", "xlsx", "--out", str(demo_db.parent / "p.xlsx")).strip()
    ws = load_workbook(book_path)["Actions"]
    headings = [c.value for c in ws[1]]
    plan_col, number_col = headings.index("Plan"), headings.index("Action")
    evidence_col = headings.index("Evidence")
    seen = {}
    for row in ws.iter_rows(min_row=2):
        assert all(cell.data_type != "f" for cell in row)
        key = (row[plan_col].value, row[number_col].value)
        if key in numbers:
            seen[key] = row[evidence_col]
    assert set(seen) == set(numbers)
    for key, cell in seen.items():
        assert cell.data_type != "f" and cell.data_type == "s"
        assert cell.value == f"'{numbers[key]}"

    csv_path = run("plans", "export", "--format", "csv", "--out", str(demo_db.parent / "p.csv")).strip()
    table = list(csv.DictReader(io.StringIO(Path(csv_path).read_bytes().decode("utf-8-sig"), newline="")))
    evidence = {(r["Plan"], r["Action"]): r["Evidence"] for r in table if (r["Plan"], r["Action"]) in numbers}
    assert evidence == {key: f"'{f}" for key, f in numbers.items()}


def test_plans_export__refused_for_a_real_name_or_birth_date_in_the_evidence(demo_db: Path) -> None:
    actions = json.loads(run("plans", "actions", "--kind", "review", "--json"))
    target = next(a for a in actions if a["stage"] in ("Proposed", "Agreed", "In progress"))
    engine = make_engine(f"sqlite:///{demo_db}")
    with Session(engine) as session:
        case = session.exec(select(Case).where(Case.ref == target["case_ref"])).one()
        family = session.exec(
            select(Person).where(Person.case_id == case.id, Person.role == "family")
        ).first()
        victim = session.exec(select(Person).where(Person.case_id == case.id, Person.role == "victim")).one()
    engine.dispose()
    assert family is not None and victim.date_of_birth is not None
    surname = family.real_name.split()[-1]
    born = victim.date_of_birth.strftime("%d/%m/%Y")
    _complete(target["id"], target["stage"], f"Agreed with {surname.upper()}\u2019S GP.\nBorn {born}.")

    for fmt in ("xlsx", "csv"):
        out = demo_db.parent / f"refused.{fmt}"
        refused = runner.invoke(app, ["plans", "export", "--format", fmt, "--out", str(out)])
        assert refused.exit_code == 2, refused.output
        said = " ".join(refused.output.split())
        assert "a family member's real name in the Actions table, row" in said
        assert "column S (Evidence), line 1" in said and "a date of birth" in said and "line 2" in said
        assert surname.casefold() not in said.casefold() and born not in said
        assert not out.exists()


def _plan_with(ctx: AppContext, ref: Reference, case: Case, text: str) -> None:
    on = TODAY - timedelta(days=20)
    plan = service.create_review_plan(
        ctx.uow(), actor=ref.actor("officer"), clock=ctx.clock, case_id=case.id, effective_on=on
    )
    service.add_recommendation(
        ctx.uow(),
        actor=ref.actor("officer"),
        clock=ctx.clock,
        plan_id=plan.id,
        text=text,
        level="single_agency",
        themes=["risk_assessment"],
        actions=[action(ref, "northmoor_police", TODAY + timedelta(days=60), "Brief every officer")],
        effective_on=on,
    )


def test_api_exports__refused_for_a_planted_real_name_others_still_served(
    ctx: AppContext, ref: Reference
) -> None:
    first = monitored_case(ctx, ref, "Grace")
    second = monitored_case(ctx, ref, "Kim", start=690)
    _plan_with(ctx, ref, first, TEXT)
    _plan_with(ctx, ref, second, f"{TEXT} kim demo-victim asked for it.")  # the victim's real name
    client = TestClient(create_app(ctx.settings, ctx))
    officer = World(ctx, ref).headers("officer")

    for url in ("/api/v1/plans/export?format=csv", "/api/v1/plans/export?format=xlsx"):
        refused = client.get(url, headers=officer)
        assert refused.status_code == 409, refused.text
        details = refused.json()["detail"]
        assert {d["code"] for d in details} == {"restricted_identity"}
        assert any("the victim's real name in the Actions table, row" in d["msg"] for d in details)
        assert "demo-victim" not in refused.text.casefold()
    repeats = client.get("/api/v1/lessons/repeats/export?format=xlsx", headers=officer)
    assert repeats.status_code == 409, repeats.text
    assert "Repeated recommendations table, row 2, column" in repeats.text
    assert "demo-victim" not in repeats.text.casefold()
    # The figures and the themes carry no free text from a review: they are served.
    assert client.get("/api/v1/oversight/2026/export?format=csv", headers=officer).status_code == 200
    assert client.get("/api/v1/lessons/themes/export?format=csv", headers=officer).status_code == 200
