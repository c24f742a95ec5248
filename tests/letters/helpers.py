"""Shared helpers of the letters tests: sample values, text extraction, a case with people."""

from __future__ import annotations

import io
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

from docx import Document

from dhr_engine.cases import service as case_service
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import Reference
from dhr_engine.domain.calendar import format_date
from dhr_engine.persistence.tables import Case

NOT_PRINTED = {"outcome", "contact"}  # choices shown as sentences, not as their codes


def printed_values(context: dict[str, Any], key: str = "") -> list[str]:
    """Every merge value as the letter prints it (dates in British form, addresses line by line)."""
    if isinstance(context, dict):
        return [v for k, item in context.items() if k not in NOT_PRINTED for v in printed_values(item, k)]
    if isinstance(context, list):
        return [v for item in context for v in printed_values(item, key)]
    if isinstance(context, date):
        return [format_date(context)]
    text = str(context)
    if key.endswith("address"):
        parts = text.splitlines() if "\n" in text else text.split(",")
        return [p.strip() for p in parts if p.strip()]
    return [text]


def squash(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(data)
    return squash(
        subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    )


def pdf_pages(data: bytes, tmp_path: Path) -> int:
    path = tmp_path / "letter.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    section = document.sections[0]
    parts += [p.text for p in section.header.paragraphs] + [p.text for p in section.footer.paragraphs]
    return squash(" ".join(parts))


def open_case_with_people(ctx: AppContext, ref: Reference, **kw: Any) -> Case:
    """A case with a victim, a perpetrator and a family member, all with (invented) real names."""
    people = [
        case_service.PersonInput(role="victim", pseudonym="Dawn", real_name="Jane Example",
                                 date_of_birth=date(1984, 3, 14), age_at_death=42, sex="Female"),
        case_service.PersonInput(role="perpetrator", pseudonym="the perpetrator", real_name="John Example",
                                 date_of_birth=date(1980, 8, 2), relationship="Husband"),
        case_service.PersonInput(role="family", pseudonym="Dawn's mother", real_name="Margaret Sample"),
    ]  # fmt: skip
    return case_service.open_case(
        ctx.uow(),
        actor=ref.actor("officer"),
        clock=ctx.clock,
        csp_id=ref.csp.id,
        notified_on=date(2026, 11, 20),
        date_of_death=date(2026, 11, 15),
        summary="Dawn was killed at home; her husband has been charged with murder.",
        people=people,
        **kw,
    )
