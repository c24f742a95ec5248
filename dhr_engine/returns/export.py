"""Export the merged chronology to Word (.docx) and CSV, in time order, with the highlights."""

from __future__ import annotations

import csv
import io
from datetime import date

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import _Cell

from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.spreadsheet import safe_cell
from dhr_engine.returns.merged import MergedChronology, MergedRow, period_end

CSV_COLUMNS = (
    "Date",
    "Time",
    "Precision",
    "When",
    "Agency",
    "Source record",
    "Event",
    "Action taken",
    "Practitioner role",
    "Same-day contact with",
    "Days since previous contact",
)
DOCX_COLUMNS = ("When", "Agency", "Event", "Action taken", "Source record", "Practitioner role")
SAME_DAY_FILL = "FFF2CC"  # pale yellow
GAP_FILL = "E7E6E6"  # pale grey


def to_csv(merged: MergedChronology) -> bytes:
    """UTF-8 CSV (with BOM, so Excel reads the accents) of the rows in time order; no cell is ever
    read as a formula (`safe_cell`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in merged.rows:
        e = row.entry
        cells = [
            e.occurred_on.isoformat(),
            e.occurred_time.strftime("%H:%M") if e.occurred_time else "",
            e.precision,
            row.when,
            row.agency,
            e.source_record,
            e.event,
            e.action_taken,
            e.practitioner_role,
            "; ".join(row.same_day_with),
            str(row.gap_before.days) if row.gap_before else "",
        ]
        writer.writerow([safe_cell(cell) for cell in cells])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _shade(cell: _Cell, fill: str) -> None:
    props = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    props.append(shading)


def _entry_cells(row: MergedRow) -> list[str]:
    e = row.entry
    when = row.when
    if row.same_day_with:
        when += "\nSame day as: " + ", ".join(row.same_day_with)
    return [when, row.agency, e.event, e.action_taken, e.source_record, e.practitioner_role]


def to_docx(merged: MergedChronology, *, generated_on: date, marking: str) -> bytes:
    """A landscape Word document: title, filter, key, and one table row per entry."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.8))
    section.header.paragraphs[0].text = marking
    section.footer.paragraphs[0].text = marking
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(10)
    doc.add_heading("Merged multi-agency chronology", level=1)
    doc.add_paragraph(f"{merged.case_ref}: {merged.case_title}")
    doc.add_paragraph(f"Produced on {format_date(generated_on)}. {merged.describe_filter()}")
    summary = (
        f"{len(merged.rows)} entries from {len(merged.agencies)} agencies; "
        f"{len(merged.same_days)} days with contact by more than one agency (shaded yellow); "
        f"{len(merged.gaps)} gaps of more than {merged.gap_days} days (grey rows)."
    )
    doc.add_paragraph(summary)
    if merged.rows:
        last = max(period_end(r.entry) for r in merged.rows)
        doc.add_paragraph(f"Entries run from {merged.rows[0].when} to {format_date(last)}.")
    table = doc.add_table(rows=1, cols=len(DOCX_COLUMNS))
    table.style = "Table Grid"
    for cell, title in zip(table.rows[0].cells, DOCX_COLUMNS, strict=True):
        cell.text = title
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in merged.rows:
        if row.gap_before is not None:
            cells = table.add_row().cells
            merged_cell = cells[0].merge(cells[-1])
            merged_cell.text = row.gap_before.describe()
            for run in merged_cell.paragraphs[0].runs:
                run.italic = True
            _shade(merged_cell, GAP_FILL)
        cells = table.add_row().cells
        for cell, text in zip(cells, _entry_cells(row), strict=True):
            cell.text = text
            if row.same_day_with:
                _shade(cell, SAME_DAY_FILL)
    if not merged.rows:
        doc.add_paragraph("No agency has a signed-off chronology entry that matches.")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
