"""`dhr returns ...` against a demo database: list by role, import with a row report, merged export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from docx import Document
from typer.testing import CliRunner

from dhr_engine.console import app

runner = CliRunner()


@pytest.fixture
def demo_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DHR_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("DHR_STORAGE_DIR", str(tmp_path / "storage"))
    monkeypatch.delenv("DHR_CLI_USER", raising=False)
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    cases = json.loads(run("case", "list", "--json", "--stage", "information_gathering"))
    return str(cases[0]["ref"])


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_list_import_and_merged_export(demo_db: str, tmp_path: Path) -> None:
    ref = demo_db
    everyone = json.loads(run("returns", "list", "--case", ref, "--json", "--as", "chair"))
    council = json.loads(run("returns", "list", "--case", ref, "--json", "--as", "council.author"))
    assert len(everyone) > len(council) > 0
    assert {r["agency"] for r in council} == {"Northmoor Council Adult Social Care"}
    draft = next(r for r in council if r["kind"] == "chronology")

    bad = tmp_path / "bad.csv"
    bad.write_text("Date,Event\n01/02/2025,Visit\nnot a date,Call\n03/02/2025,\n", encoding="utf-8")
    result = runner.invoke(
        app, ["returns", "import-chronology", draft["id"], str(bad), "--as", "council.author"]
    )
    assert result.exit_code == 2
    assert "row 3: date: is not a date" in result.output and "row 4: event: is missing" in result.output
    good = tmp_path / "good.csv"
    good.write_text("Date,Event\n01/02/2025,Visit\n02/02/2025,Call\n", encoding="utf-8")
    out = run("returns", "import-chronology", draft["id"], str(good), "--as", "council.author")
    assert "imported 2 entries" in out
    # Another agency's user is told the request does not exist.
    result = runner.invoke(
        app, ["returns", "import-chronology", draft["id"], str(good), "--as", "police.author"]
    )
    assert result.exit_code == 2 and "no such return request" in result.output

    csv_path, docx_path = tmp_path / "merged.csv", tmp_path / "merged.docx"
    run(
        "returns",
        "merged-chronology",
        "--case",
        ref,
        "--format",
        "csv",
        "--out",
        str(csv_path),
        "--as",
        "chair",
    )
    run(
        "returns",
        "merged-chronology",
        "--case",
        ref,
        "--format",
        "docx",
        "--out",
        str(docx_path),
        "--as",
        "chair",
    )
    rows = list(csv.DictReader(io.StringIO(csv_path.read_bytes().decode("utf-8-sig"))))
    assert rows and [r["Date"] for r in rows] == sorted(r["Date"] for r in rows)
    table = Document(str(docx_path)).tables[0]
    assert len(table.rows) > len(rows)  # a header, the entries and the gap rows
    result = runner.invoke(
        app,
        ["returns", "merged-chronology", "--case", ref, "--out", str(docx_path), "--as", "council.author"],
    )
    assert result.exit_code == 2
