"""`dhr letters`: codes, render to a file, draft, list, approve, send, refuse to cancel a sent letter,
verify, and the quarter's progress requests in bulk."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from typer.testing import CliRunner

from dhr_engine.bootstrap import build_context
from dhr_engine.config import Settings
from dhr_engine.console import app
from dhr_engine.demo.builder import demo_password_hash, seed_reference_data
from dhr_engine.letters import service as svc
from dhr_engine.persistence.schema import upgrade
from dhr_engine.persistence.tables_plans import Plan, PlanAction, Recommendation
from tests.letters.helpers import open_case_with_people, pdf_text

runner = CliRunner()


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DHR_DATABASE_URL", url)
    ctx = build_context(Settings(database_url=url))
    upgrade(ctx.engine)
    with ctx.uow() as uow:
        ref = seed_reference_data(uow.session, demo_password_hash())
        uow.commit()
    case = open_case_with_people(ctx, ref)
    yield ctx, ref, case
    ctx.engine.dispose()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_codes_lists_the_catalogue(world):
    out = run("letters", "codes", "--json")
    assert out.count('"code"') == 23 and "c23_family_publication_notice" in out


def test_render_draft_approve_send_and_a_sent_letter_cannot_be_cancelled(world, tmp_path: Path):
    _ctx, _ref, case = world
    fields = ["-f", "reason=The trial is listed for March 2027.", "-f", "original_target=2027-05-20",
              "-f", "new_expected_date=2027-09-30"]  # fmt: skip
    missing = runner.invoke(
        app, ["letters", "render", case.ref, "c14", "--format", "pdf", "--out", str(tmp_path / "x.pdf")]
    )
    assert (
        missing.exit_code == 2
        and "new_expected_date" in missing.output
        and "original_target" in missing.output
    )
    run(
        "letters", "render", case.ref, "c14", "--format", "docx", "--out", str(tmp_path / "c14.docx"), *fields
    )
    text = " ".join(p.text for p in Document(io.BytesIO((tmp_path / "c14.docx").read_bytes())).paragraphs)
    assert "30 September 2027" in text and case.ref in text
    letter_id = run("letters", "draft", case.ref, "c14", *fields, "--as", "officer").split()[0]
    assert "draft" in run("letters", "list", case.ref)
    refused = runner.invoke(app, ["letters", "approve", letter_id[:8], "--as", "officer"])
    assert refused.exit_code == 2 and "someone other than its drafter" in refused.output
    run("letters", "approve", letter_id[:8], "--as", "cspchair")
    assert "sha256" in run("letters", "send", letter_id[:8], "--via", "post", "--as", "officer")
    cancel = runner.invoke(app, ["letters", "cancel", letter_id[:8], "--reason", "oops", "--as", "officer"])
    assert cancel.exit_code == 2 and "cannot be cancelled or deleted" in cancel.output
    out = run("letters", "verify", letter_id[:8])
    assert "hashes verify" in out and "same bytes" in out
    run("letters", "download", letter_id[:8], "--format", "pdf", "--out", str(tmp_path / "sent.pdf"))
    assert "The trial is listed for March 2027." in pdf_text((tmp_path / "sent.pdf").read_bytes(), tmp_path)


def test_progress_requests_for_a_quarter_in_bulk(world):
    ctx, ref, case = world
    with ctx.uow() as uow:
        plan = Plan(
            csp_id=ref.csp.id,
            case_id=case.id,
            kind="review",
            title="Action plan",
            created_on=date(2026, 10, 1),
        )
        rec = Recommendation(plan_id=plan.id, number=1, text="Risk-assess every repeat incident.",
                             level="single_agency", created_on=date(2026, 10, 1))  # fmt: skip
        uow.session.add(plan)
        uow.session.flush()
        uow.session.add(rec)
        uow.session.flush()
        for number, agency, stage in (("1.1", "northmoor_police", "in_progress"), ("1.2", "acute_trust", "proposed"),
                                      ("1.3", "housing", "complete")):  # fmt: skip
            uow.session.add(PlanAction(plan_id=plan.id, recommendation_id=rec.id, number=number,
                                       description=f"Action {number}", lead_agency_id=ref.agencies[agency].id,
                                       target_date=date(2027, 3, 31), stage=stage, stage_entered_on=date(2026, 10, 1),
                                       created_on=date(2026, 10, 1)))  # fmt: skip
        uow.commit()
    out = run("letters", "progress-requests", "--quarter", "2026-Q4", "--as", "officer")
    assert "2 drafted, 0 already drafted, 0 failed" in out
    again = run("letters", "progress-requests", "--quarter", "2026-Q4", "--as", "officer")
    assert "0 drafted, 2 already drafted" in again
    letters = svc.list_letters(ctx, actor=ref.actor("officer"), case_id=case.id)
    assert sorted(entry.recipient_label for entry in letters) == [
        "Northmoor Hospitals NHS Foundation Trust",
        "Northmoor Police",
    ]
    police = next(entry for entry in letters if entry.recipient_label == "Northmoor Police")
    assert police.context["period"] == "October to December 2026" and police.batch_key == "2026-Q4"
    assert [a["number"] for a in police.context["actions"]] == ["1.1"]
    bad = runner.invoke(app, ["letters", "progress-requests", "--quarter", "2026-5"])
    assert bad.exit_code == 2 and "YYYY-Qn" in bad.output
