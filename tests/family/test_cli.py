"""`dhr family log|list` on a copy of the demo database: the service's rules (a first letter meets
its deadline), the access policy (never agency roles or panel members), the audit, and a refusal
as one plain line naming the field."""

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
from dhr_engine.domain.calendar import format_date
from dhr_engine.persistence.db import make_engine

runner = CliRunner()
NOTIFIED = date.today() - timedelta(days=30)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo data, loaded once for the module."""
    folder = tmp_path_factory.mktemp("family-cli")
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


def decided(ref: str) -> None:
    """Move the case to a decision to review: the family's first letter is then due."""
    run("case", "fire", ref, "start_scoping", "--on", NOTIFIED.isoformat())
    run("case", "fire", ref, "submit_decision_briefing", "--on", NOTIFIED.isoformat())
    run("case", "fire", ref, "decide_to_review", "--on", NOTIFIED.isoformat(), "--as", "cspchair")


def test_log_and_list__meets_the_first_letter_deadline_audited_and_in_plain_words(db: str) -> None:
    ref = new_case()
    decided(ref)
    run("members", "add", ref, "chair", "--role", "independent_chair")
    sent = NOTIFIED + timedelta(days=2)
    out = run(
        "family",
        "log",
        ref,
        "--kind",
        "first_letter_sent",
        "--on",
        sent.isoformat(),
        "--note",
        "Letter posted",
    ).stdout
    assert out.strip() == f"{ref}: First letter and Home Office leaflet sent, {format_date(sent)}"
    met = {d["key"]: d["status"] for d in json.loads(run("deadlines", "list", ref, "--json").stdout)}
    assert met["family_first_letter"] == "met"
    spoke = NOTIFIED + timedelta(days=4)
    run("family", "log", ref, "--kind", "contact", "--on", spoke.isoformat(), "--as", "chair")

    listed = json.loads(run("family", "list", ref, "--json", "--as", "chair").stdout)
    assert [(e["kind"], e["occurred_on"], e["note"]) for e in listed] == [
        ("first_letter_sent", sent.isoformat(), "Letter posted"),
        ("contact", spoke.isoformat(), ""),
    ]
    table = run("family", "list", ref).stdout
    assert format_date(sent) in table and "First letter and Home Office leaflet sent" in table
    assert "Contact with the family" in table and "Letter posted" in table
    assert "first_letter_sent" not in table and sent.isoformat() not in table

    audited = [(kind, on) for kind, on, _data in events(db, ref) if kind == "family_contact_recorded"]
    assert audited == [
        ("family_contact_recorded", sent.isoformat()),
        ("family_contact_recorded", spoke.isoformat()),
    ]


BAD_INPUT: list[tuple[list[str], int, str]] = [
    (
        ["log", "{ref}", "--kind", "gossip", "--on", "{day}"],
        2,
        "--kind: unknown kind 'gossip'; give one of first_letter_sent, contact,",
    ),
    (["log", "{ref}", "--kind", "contact", "--on", "24 November"], 1, "--on: '24 November' is not a date"),
    (
        ["log", "{ref}", "--kind", "contact", "--on", "2999-01-01"],
        2,
        "--on: the date an event happened cannot be later than today",
    ),
    (
        ["log", "{ref}", "--kind", "contact", "--on", "{day}", "--note", "x" * 4001],
        2,
        "--note: is longer than 4000 characters",
    ),
    (["log", "DHR-1999-999", "--kind", "contact", "--on", "{day}"], 2, "ref: no such case"),
    # a case the user may not see is not found, exactly as one that does not exist
    (["log", "{ref}", "--kind", "contact", "--on", "{day}", "--as", "chair"], 2, "ref: no such case"),
    (
        ["log", "{ref}", "--kind", "contact", "--on", "{day}", "--as", "panel"],
        2,
        "role: only a CSP officer or an independent chair may write the family log",
    ),
    (
        ["list", "{ref}", "--as", "panel"],
        2,
        "role: only a CSP chair, a CSP officer, an independent chair or an overview report author may read",
    ),
    (["list", "DHR-1999-999"], 2, "ref: no such case"),
]


def test_bad_input__one_plain_line_naming_the_field_and_nothing_written(db: str) -> None:
    ref = new_case()
    run("members", "add", ref, "panel", "--role", "panel_member")
    before = events(db, ref)
    names = {"{ref}": ref, "{day}": (NOTIFIED + timedelta(days=1)).isoformat()}
    for args, code, error in BAD_INPUT:
        result = run("family", *(names.get(a, a) for a in args), code=code)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"Error: {error}"), (args, result.output)
    assert events(db, ref) == before
