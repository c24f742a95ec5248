"""`dhr members add|list|remove` on a copy of the demo database: the service's rules, the access
policy, the audit, and a refusal as one plain line naming the field."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from dhr_engine.console import app
from dhr_engine.persistence.db import make_engine

runner = CliRunner()
NOTIFIED = date.today() - timedelta(days=30)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo data, loaded once for the module."""
    folder = tmp_path_factory.mktemp("members-cli")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DHR_DATABASE_URL", f"sqlite:///{folder / 'demo.db'}")
        mp.setenv("DHR_STORAGE_DIR", str(folder / "storage"))
        mp.delenv("DHR_CLI_USER", raising=False)
        mp.chdir(folder)
        loaded = runner.invoke(app, ["demo"])
        assert loaded.exit_code == 0, loaded.output
    yield folder / "demo.db"


@pytest.fixture
def db(demo_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A copy of the demo database of this test's own."""
    copy = tmp_path / "cli.db"
    with sqlite3.connect(demo_file) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    url = f"sqlite:///{copy}"
    monkeypatch.setenv("DHR_DATABASE_URL", url)
    monkeypatch.setenv("DHR_STORAGE_DIR", str(tmp_path / "storage"))
    monkeypatch.delenv("DHR_CLI_USER", raising=False)
    monkeypatch.setenv("COLUMNS", "1000")  # tables and messages unwrapped, one line each
    monkeypatch.chdir(tmp_path)
    return url


def run(*args: str, code: int = 0) -> Result:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def new_case() -> str:
    return run("case", "new", "--notified-on", NOTIFIED.isoformat()).stdout.strip()


def events(url: str, ref: str) -> list[tuple[str, str, str]]:
    """The case's audit events: kind, effective date and data."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT e.kind, e.effective_on, e.data FROM audit_event e "
                    "JOIN dhr_case c ON c.id = e.case_id WHERE c.ref = :ref ORDER BY e.seq"
                ),
                {"ref": ref},
            ).all()
    finally:
        engine.dispose()
    return [(str(kind), str(on), str(data)) for kind, on, data in rows]


def squeezed(output: str) -> str:
    return " ".join(output.split())


def test_add_list_remove__audited_and_in_plain_words(db: str) -> None:
    ref = new_case()
    added_on = NOTIFIED + timedelta(days=3)
    out = run("members", "add", ref, "chair", "--role", "independent_chair", "--on", added_on.isoformat())
    assert out.stdout.strip() == f"chair now holds the role of independent chair on {ref}"
    # the chair may now manage the case's members herself; an agency role names the user's agency
    run("members", "add", ref, "panel", "--role", "panel_member", "--as", "chair")
    run(
        "members",
        "add",
        ref,
        "police.manager",
        "--role",
        "agency_manager",
        "--agency",
        "northmoor police",
        "--as",
        "chair",
    )

    listed = json.loads(run("members", "list", ref, "--json").stdout)
    assert sorted((m["username"], m["role"], m["agency"]) for m in listed) == [
        ("chair", "independent_chair", None),
        ("panel", "panel_member", None),
        ("police.manager", "agency_manager", "Northmoor Police"),
    ]
    table = squeezed(run("members", "list", ref, "--as", "panel").stdout)
    assert "independent chair" in table and "agency senior manager" in table and "Northmoor Police" in table
    assert "independent_chair" not in table and "agency_manager" not in table
    recorded = {m["added_on"] for m in listed}
    assert len(recorded) == 1 and recorded.pop() in table  # a date as "25 November 2026", no ISO date
    assert date.today().isoformat() not in table

    out = run("members", "remove", ref, "police.manager", "--role", "agency_manager", "--as", "chair")
    assert out.stdout.strip() == f"police.manager no longer holds the role of agency senior manager on {ref}"
    assert {m["username"] for m in json.loads(run("members", "list", ref, "--json").stdout)} == {
        "chair",
        "panel",
    }

    audited = [(kind, on) for kind, on, _data in events(db, ref) if kind.startswith("member_")]
    assert audited[0] == ("member_added", added_on.isoformat())
    assert [kind for kind, _on in audited] == ["member_added"] * 3 + ["member_removed"]
    # the chair can now be appointed: the guard reads the membership the command wrote
    run("case", "fire", ref, "start_scoping", "--on", NOTIFIED.isoformat())
    run("case", "fire", ref, "submit_decision_briefing", "--on", NOTIFIED.isoformat())
    run("case", "fire", ref, "decide_to_review", "--on", NOTIFIED.isoformat(), "--as", "cspchair")
    run("case", "fire", ref, "notify_home_office_of_review", "--on", NOTIFIED.isoformat())
    assert "chair_appointed" in run("case", "fire", ref, "appoint_chair", "--on", added_on.isoformat()).stdout


BAD_INPUT: list[tuple[list[str], int, str]] = [
    (["add", "{ref}", "panel", "--role", "judge"], 2, "role: unknown role 'judge'; give one of"),
    (["add", "{ref}", "panel", "--role", "csp_officer"], 2, "role: 'csp_officer' is not a per-case role"),
    (["add", "{ref}", "nobody", "--role", "panel_member"], 2, "username: no such user"),
    (
        ["add", "{ref}", "panel", "--role", "panel_member", "--on", "23/11/2026"],
        1,
        "--on: '23/11/2026' is not a date; write it as YYYY-MM-DD",
    ),
    (
        ["add", "{ref}", "panel", "--role", "panel_member", "--on", "2999-01-01"],
        2,
        "--on: the date an event happened cannot be later than today",
    ),
    (["add", "DHR-1999-999", "panel", "--role", "panel_member"], 2, "ref: no such case"),
    # a case the user may not see is not found, exactly as one that does not exist
    (
        ["add", "{ref}", "panel", "--role", "panel_member", "--as", "police.author"],
        2,
        "ref: no such case",
    ),
    (
        ["add", "{ref}", "author", "--role", "overview_author", "--as", "panel"],
        2,
        "role: only an administrator, a CSP officer or an independent chair may change case members",
    ),
    (
        ["add", "{ref}", "health.author", "--role", "agency_author", "--agency", "Northmoor Police"],
        2,
        "--agency: this user is not of that agency",
    ),
    (
        ["add", "{ref}", "author", "--role", "overview_author", "--agency", "Northmoor Police"],
        2,
        "--agency: the role of overview report author is not held for an agency",
    ),
    (["add", "{ref}", "panel", "--role", "panel_member"], 2, "role: that user already holds that role"),
    (
        ["remove", "{ref}", "author", "--role", "overview_author"],
        2,
        "role: that user does not hold that role on this case",
    ),
    (["remove", "{ref}", "panel", "--role", "judge"], 2, "role: unknown role 'judge'"),
    (["list", "{ref}", "--as", "council.author"], 2, "ref: no such case"),
]


def test_bad_input__one_plain_line_naming_the_field_and_nothing_written(db: str) -> None:
    ref = new_case()
    run("members", "add", ref, "panel", "--role", "panel_member")
    before = events(db, ref)
    for args, code, error in BAD_INPUT:
        result = run("members", *(a.replace("{ref}", ref) for a in args), code=code)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"Error: {error}"), (args, result.output)
    assert events(db, ref) == before
