"""No exported cell is ever a formula (OWASP CSV injection): the shared cell function, and the
CSV and XLSX writers of the plans and the merged chronology that go through it."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dhr_engine.domain.spreadsheet import looks_like_formula, safe_cell, safe_text
from dhr_engine.persistence.tables_returns import ChronologyEntry
from dhr_engine.plans import export as plans_export
from dhr_engine.returns import export as returns_export
from dhr_engine.returns.merged import MergedChronology, MergedRow

DANGEROUS = [
    '=HYPERLINK("http://x","y")',
    "+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",  # after leading spaces
    "\n@SUM(A1)",  # after a line break
    " \t-2",
]
HARMLESS = ["Minutes of the board, 4 March", "MARAC referral made", "", "1 + 1", "a=b", "'quoted"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_text_a_spreadsheet_would_run_gets_a_single_quote(text: str) -> None:
    assert looks_like_formula(text)
    assert safe_text(text) == f"'{text}"
    assert safe_cell(text) == f"'{text}"


@pytest.mark.parametrize("text", HARMLESS)
def test_other_text_is_left_as_it_is(text: str) -> None:
    assert not looks_like_formula(text) and safe_cell(text) == text


@pytest.mark.parametrize("value", [-2, 3, -1.5, Decimal("-7.25"), date(2026, 11, 25), True, None])
def test_numbers_and_dates_stay_numbers_and_dates(value: object) -> None:
    assert safe_cell(value) is value


def _sheet() -> plans_export.Sheet:
    rows: list[list[object]] = [[text, -2, date(2026, 11, 25)] for text in DANGEROUS]
    return plans_export.Sheet("Actions", ["Evidence", "Count", "Target date"], rows)


def test_plans_xlsx_has_no_formula_and_keeps_numbers_and_dates(tmp_path: Path) -> None:
    book = load_workbook(plans_export.write_xlsx([_sheet()], tmp_path / "out.xlsx"))
    ws = book["Actions"]
    for row, text in enumerate(DANGEROUS, start=2):
        cell = ws.cell(row, 1)
        assert cell.data_type == "s" and cell.value == f"'{text}"
        assert ws.cell(row, 2).value == -2 and ws.cell(row, 2).data_type == "n"
        assert ws.cell(row, 3).is_date
    assert all(c.data_type != "f" for line in ws.iter_rows() for c in line)


def test_plans_csv_cells_start_with_a_quote(tmp_path: Path) -> None:
    path = plans_export.write_csv(_sheet(), tmp_path / "out.csv")
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    assert [r[0] for r in rows[1:]] == [f"'{text}" for text in DANGEROUS]
    assert {r[1] for r in rows[1:]} == {"-2"}


def test_merged_chronology_csv_neutralises_every_text_cell() -> None:
    entries = [
        ChronologyEntry(
            request_id=uuid.uuid4(),
            case_id=uuid.uuid4(),
            agency_id=uuid.uuid4(),
            occurred_on=date(2025, 3, 14),
            event=text,
            action_taken=text,
            source_record=text,
            practitioner_role=text,
        )
        for text in DANGEROUS
    ]
    rows = [MergedRow(e, "  =Agency()", "imr", 1, (), None) for e in entries]
    chain = MergedChronology("DHR-2026-001", "A review", rows, ["Agency"], None, None, 90)
    out = list(csv.DictReader(io.StringIO(returns_export.to_csv(chain).decode("utf-8-sig"), newline="")))
    assert [r["Event"] for r in out] == [f"'{text}" for text in DANGEROUS]
    for r in out:
        for column in ("Agency", "Source record", "Action taken", "Practitioner role"):
            assert r[column].startswith("'"), column
