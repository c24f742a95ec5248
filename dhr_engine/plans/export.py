"""Exports for board papers: CSV (one table) and XLSX (one sheet per table), dates as real dates.

Every cell goes through `safe_cell` (no text is ever a formula). A table that carries free text
from reviews (the plans' actions, the repeated recommendations) names the reviews it comes from and
the columns of free text; `refuse_identities` checks those cells against the real names and dates
of birth of the people of those reviews (`dhr_engine/domain/privacy.py`) and refuses the export,
saying what kind of value is in which cell, never the value, since these files may leave the
partnership.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlmodel import Session, col, select

from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.privacy import Finding, PrivacyCheck, describe_kinds, protected_people
from dhr_engine.domain.spreadsheet import safe_cell
from dhr_engine.errors import Conflict, ErrorItem, ValidationFailed
from dhr_engine.persistence.tables import Case, Person
from dhr_engine.plans.lessons import RepeatPair, ThemeRow
from dhr_engine.plans.oversight import OversightFigures
from dhr_engine.plans.queries import EXPORT_COLUMNS, EXPORT_HEADINGS, ActionRow

RAG_FILLS = {"red": "D4351C", "amber": "FFDD00", "green": "00703C", "blue": "1D70B8"}
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class Sheet:
    """A titled table: headings and rows of plain values; `cases` are the references of the
    reviews whose free text it carries, in the columns `free_text` (their indexes)."""

    title: str
    headings: list[str]
    rows: list[list[object]]
    cases: tuple[str, ...] = ()
    free_text: tuple[int, ...] = ()


class IdentityInExport(Conflict):
    """The tables hold a real name or date of birth; the export is not made."""

    code = "restricted_identity"


def _cell_text(value: object) -> object:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):
        return format_date(value)
    return "" if value is None else safe_cell(value)


def _free_text_cells(sheet: Sheet) -> list[tuple[str, str]]:
    cells = []
    for number, row in enumerate(sheet.rows, start=2):  # row 1 holds the headings
        for index in sheet.free_text:
            value = row[index]
            if isinstance(value, str) and value:
                column = f"column {get_column_letter(index + 1)} ({sheet.headings[index]})"
                cells.append((f"the {sheet.title} table, row {number}, {column}", value))
    return cells


def identity_findings(session: Session, sheets: Sequence[Sheet]) -> list[Finding]:
    """The real names and dates of birth of the reviews' people found in the tables' free text."""
    refs = sorted({ref for sheet in sheets for ref in sheet.cases if ref})
    if not refs:
        return []
    people = session.exec(
        select(Person).join(Case, col(Person.case_id) == col(Case.id)).where(col(Case.ref).in_(refs))
    ).all()
    protected, allowed = protected_people(people)
    check = PrivacyCheck.of(protected, allowed)
    return check.check(cell for sheet in sheets if sheet.cases for cell in _free_text_cells(sheet))


def refuse_identities(session: Session, sheets: Sequence[Sheet]) -> None:
    """Raise IdentityInExport, naming each cell and the kind of value in it, unless the tables'
    free text is free of the reviews' real names and dates of birth."""
    findings = identity_findings(session, sheets)
    if findings:
        items = [
            ErrorItem(IdentityInExport.code, f"{f.describe()}: write the pseudonym instead") for f in findings
        ]
        cells = len({f.where for f in findings})
        where = "one cell holds" if cells == 1 else f"{cells} cells hold"
        raise IdentityInExport(f"not exported: {where} {describe_kinds(findings)}", items=items)


def write_csv(sheet: Sheet, path: Path) -> Path:
    """One table as CSV (UTF-8 with BOM so spreadsheet programs read the accents); dates in words."""
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(sheet.headings)
        for row in sheet.rows:
            writer.writerow([_cell_text(v) for v in row])
    return path


def write_xlsx(sheets: Sequence[Sheet], path: Path) -> Path:
    """Several tables as one workbook; bold headings, real date cells, RAG cells coloured."""
    book = Workbook()
    if book.active is not None:
        book.remove(book.active)  # the default empty sheet
    for sheet in sheets:
        ws = book.create_sheet(sheet.title[:31])
        ws.append(sheet.headings)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        rag_col = sheet.headings.index("RAG") + 1 if "RAG" in sheet.headings else None
        for row in sheet.rows:
            ws.append([("Yes" if v else "No") if isinstance(v, bool) else safe_cell(v) for v in row])
            current = ws.max_row
            for index, value in enumerate(row, start=1):
                if isinstance(value, date):
                    ws.cell(current, index).number_format = "d mmmm yyyy"
            if rag_col is not None:
                colour = RAG_FILLS.get(str(row[rag_col - 1]))
                if colour:
                    ws.cell(current, rag_col).fill = PatternFill(
                        "solid", start_color=colour, end_color=colour
                    )
        for index, heading in enumerate(sheet.headings, start=1):
            width = max([len(str(heading)), *(len(str(_cell_text(r[index - 1]))) for r in sheet.rows)])
            ws.column_dimensions[get_column_letter(index)].width = min(60, max(10, width + 2))
        ws.freeze_panes = "A2"
    book.save(path)
    return path


# The columns of the actions table typed by people (the rest are codes, labels, counts and dates).
ACTION_FREE_TEXT = (
    "plan_title",
    "parent_text",
    "description",
    "owner",
    "evidence",
    "closed_reason",
    "milestones",
)


def _refs(refs: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted({r for r in refs if r}))


def actions_sheet(rows: Sequence[ActionRow]) -> Sheet:
    return Sheet(
        "Actions",
        [EXPORT_HEADINGS[c] for c in EXPORT_COLUMNS],
        [[getattr(r, c) for c in EXPORT_COLUMNS] for r in rows],
        cases=_refs([r.case_ref for r in rows]),
        free_text=tuple(EXPORT_COLUMNS.index(c) for c in ACTION_FREE_TEXT),
    )


def summary_sheet(rows: Sequence[ActionRow]) -> Sheet:
    """One line per plan: how many actions in each RAG state, and how many overdue."""
    plans: dict[str, Counter[str]] = {}
    meta: dict[str, tuple[str, str, str]] = {}
    for r in rows:
        plans.setdefault(r.plan_title, Counter())[r.rag] += 1
        plans[r.plan_title]["overdue"] += int(r.overdue)
        meta[r.plan_title] = (r.plan_type, r.priority, r.case_ref)
    headings = [
        "Plan",
        "Plan type",
        "Priority",
        "Review",
        "Actions",
        "Red",
        "Amber",
        "Green",
        "Blue",
        "Overdue",
    ]
    out = []
    for title, counts in plans.items():
        total = sum(counts[c] for c in ("red", "amber", "green", "blue"))
        plan_type, priority, case_ref = meta[title]
        out.append(
            [
                title,
                plan_type,
                priority,
                case_ref,
                total,
                counts["red"],
                counts["amber"],
                counts["green"],
                counts["blue"],
                counts["overdue"],
            ]
        )
    return Sheet("Summary", headings, out, cases=_refs([r.case_ref for r in rows]), free_text=(0,))


def themes_sheet(rows: Sequence[ThemeRow]) -> Sheet:
    return Sheet(
        "Themes",
        ["Theme", "Recommendations", "Reviews", "Open actions", "Reviews raising it"],
        [[r.label, r.recommendations, r.reviews, r.open_actions, r.review_refs] for r in rows],
    )


def repeats_sheet(pairs: Sequence[RepeatPair]) -> Sheet:
    return Sheet(
        "Repeated recommendations",
        [
            "Themes",
            "Similarity",
            "Review",
            "Recommendation",
            "Text",
            "Repeated in review",
            "Recommendation",
            "Text",
        ],
        [
            [
                p.theme_labels,
                p.similarity,
                p.first_ref,
                p.first_number,
                p.first_text,
                p.second_ref,
                p.second_number,
                p.second_text,
            ]
            for p in pairs
        ],
        cases=_refs([ref for p in pairs for ref in (p.first_ref, p.second_ref)]),
        free_text=(4, 7),
    )


def oversight_sheet(figures: OversightFigures) -> Sheet:
    return Sheet(
        f"Oversight {figures.year}",
        ["Section", "Measure", "Value"],
        [[section, measure, value] for section, measure, value in figures.rows()],
    )


def write(sheets: Sequence[Sheet], out: Path, fmt: str) -> list[Path]:
    """Write the tables in the format asked for: one workbook, or one CSV per table."""
    if fmt not in FORMATS:
        raise ValidationFailed(f"format must be one of: {', '.join(FORMATS)}", field="format")
    if fmt == "xlsx":
        return [write_xlsx(sheets, out if out.suffix == ".xlsx" else out.with_suffix(".xlsx"))]
    if len(sheets) == 1:
        return [write_csv(sheets[0], out if out.suffix == ".csv" else out.with_suffix(".csv"))]
    stem = out.with_suffix("")
    return [write_csv(s, Path(f"{stem}-{s.title.lower().replace(' ', '-')}.csv")) for s in sheets]
