"""`dhr proceedings add|conclude|list` on a copy of the demo database: the service's rules, the
access policy (notes hidden from agency roles), the audit, and a refusal as one plain line naming
the field."""

from __future__ import annotations

import json
import sqlite3
import uuid
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
    folder = tmp_path_factory.mktemp("proceedings-cli")
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


def test_add_list_conclude__audited_and_in_plain_words(db: str) -> None:
    ref = new_case()
    run("members", "add", ref, "police.author", "--role", "agency_author")
    started = NOTIFIED + timedelta(days=2)
    trial = run(
        "proceedings",
        "add",
        ref,
        "--kind",
        "trial",
        "--on",
        started.isoformat(),
        "--body",
        "Northmoor Crown Court",
        "--reference",
        "T2026-0042",
        "--note",
        "Listed for four days",
    ).stdout.strip()
    assert str(uuid.UUID(trial)) == trial
    inquest = run(
        "proceedings", "add", ref, "--kind", "inquest", "--on", started.isoformat(), "--does-not-pause"
    ).stdout.strip()

    listed = json.loads(run("proceedings", "list", ref, "--json").stdout)
    assert [(p["id"], p["kind"], p["started_on"], p["pauses_review"], p["note"]) for p in listed] == [
        (trial, "criminal_trial", started.isoformat(), True, "Listed for four days"),
        (inquest, "inquest", started.isoformat(), False, ""),
    ]
    words = run("proceedings", "list", ref).stdout
    assert f"- Criminal trial, Northmoor Crown Court, T2026-0042: started {format_date(started)}" in words
    assert f"id {trial}" in words and "note: Listed for four days" in words
    assert "criminal_trial" not in words and started.isoformat() not in words
    # an agency role reads the proceedings, never their notes
    agency = json.loads(run("proceedings", "list", ref, "--json", "--as", "police.author").stdout)
    assert [p["id"] for p in agency] == [trial, inquest] and all("note" not in p for p in agency)
    assert "Listed for four days" not in run("proceedings", "list", ref, "--as", "police.author").stdout

    concluded = started + timedelta(days=4)
    out = run(
        "proceedings", "conclude", ref, trial, "--on", concluded.isoformat(), "--outcome", "Verdict given"
    ).stdout
    assert out.strip() == f"{ref}: Criminal trial concluded on {format_date(concluded)}"
    after = {p["id"]: p for p in json.loads(run("proceedings", "list", ref, "--json").stdout)}
    assert after[trial]["concluded_on"] == concluded.isoformat() and after[inquest]["concluded_on"] is None
    assert f"concluded {format_date(concluded)}" in run("proceedings", "list", ref).stdout

    audited = [(kind, on) for kind, on, _data in events(db, ref) if kind.startswith("proceeding_")]
    assert audited == [
        ("proceeding_recorded", started.isoformat()),
        ("proceeding_recorded", started.isoformat()),
        ("proceeding_concluded", concluded.isoformat()),
    ]


BAD_INPUT: list[tuple[list[str], int, str]] = [
    (
        ["add", "{ref}", "--kind", "duel", "--on", "{day}"],
        2,
        "--kind: unknown kind 'duel'; give one of trial (or criminal_trial), inquest, iopc or other",
    ),
    (["add", "{ref}", "--kind", "iopc", "--on", "30/11/2026"], 1, "--on: '30/11/2026' is not a date"),
    (
        ["add", "{ref}", "--kind", "iopc", "--on", "2999-01-01"],
        2,
        "--on: the date an event happened cannot be later than today",
    ),
    (
        ["add", "{ref}", "--kind", "iopc", "--on", "{day}", "--body", "x" * 201],
        2,
        "--body: is longer than 200 characters",
    ),
    (["add", "DHR-1999-999", "--kind", "iopc", "--on", "{day}"], 2, "ref: no such case"),
    # a case the user may not see is not found, exactly as one that does not exist
    (["add", "{ref}", "--kind", "iopc", "--on", "{day}", "--as", "council.author"], 2, "ref: no such case"),
    (
        ["add", "{ref}", "--kind", "iopc", "--on", "{day}", "--as", "police.author"],
        2,
        "role: only a CSP officer or an independent chair may record proceedings",
    ),
    (["conclude", "{ref}", "not-an-id", "--on", "{day}"], 1, "id: 'not-an-id' is not an identifier"),
    (["conclude", "{ref}", str(uuid.UUID(int=1)), "--on", "{day}"], 2, "id: no such proceeding on this case"),
    (["conclude", "{ref}", "{open}", "--on", "{before}"], 2, "--on: a proceeding cannot conclude before it"),
    (
        ["conclude", "{ref}", "{open}", "--on", "{day}", "--outcome", "x" * 2001],
        2,
        "--outcome: is longer than 2000 characters",
    ),
    (["conclude", "{ref}", "{closed}", "--on", "{day}"], 2, "id: that proceeding has already concluded"),
    (["list", "{ref}", "--as", "council.author"], 2, "ref: no such case"),
]


def test_bad_input__one_plain_line_naming_the_field_and_nothing_written(db: str) -> None:
    ref = new_case()
    day = NOTIFIED + timedelta(days=5)
    run("members", "add", ref, "police.author", "--role", "agency_author")
    opened = run("proceedings", "add", ref, "--kind", "inquest", "--on", day.isoformat()).stdout.strip()
    closed = run("proceedings", "add", ref, "--kind", "other", "--on", day.isoformat()).stdout.strip()
    run("proceedings", "conclude", ref, closed, "--on", day.isoformat())
    before = events(db, ref)
    names = {
        "{ref}": ref,
        "{day}": day.isoformat(),
        "{before}": (day - timedelta(days=1)).isoformat(),
        "{open}": opened,
        "{closed}": closed,
    }
    for args, code, error in BAD_INPUT:
        result = run("proceedings", *(names.get(a, a) for a in args), code=code)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"Error: {error}"), (args, result.output)
    assert events(db, ref) == before
