"""Done-when: the merged chronology of the demo case exports to .docx and .csv, in time order."""

from __future__ import annotations

import csv
import io
from datetime import date, time

import pytest
from docx import Document
from sqlmodel import select

from dhr_engine.demo import load_demo
from dhr_engine.demo.builder import load_reference
from dhr_engine.persistence.tables import Case, ReturnRequest
from dhr_engine.returns import export, merged
from dhr_engine.returns.merged import PRECISION_ORDER, period_end


@pytest.fixture
def demo(lite):
    load_demo(lite)
    with lite.reader() as uow:
        ref = load_reference(uow.session)
        case = uow.session.exec(select(Case).where(Case.ref == "DHR-2026-004")).one()
    return lite, ref, case


def test_demo_case_merged_chronology_exports_in_time_order(demo):
    ctx, ref, case = demo
    assert case.stage == "information_gathering"
    with ctx.reader() as uow:
        chain = merged.merged_chronology(uow.session, ref.actor("chair"), case)
        police_only = merged.merged_chronology(
            uow.session, ref.actor("chair"), case, agency_ids=[ref.agencies["northmoor_police"].id]
        )
        period = merged.merged_chronology(
            uow.session, ref.actor("chair"), case, start=date(2025, 9, 1), end=date(2026, 3, 31)
        )
    keys = [
        (r.entry.occurred_on, PRECISION_ORDER[r.entry.precision], r.entry.occurred_time or time(0))
        for r in chain.rows
    ]
    assert len(chain.rows) >= 10
    assert keys == sorted(keys)
    assert set(chain.agencies) >= {"Northmoor Police", "Northmoor Hospitals NHS Foundation Trust"}
    # Highlights: a day with contact by both police and hospital, and a long gap.
    assert chain.same_days and all(
        len({r.agency for r in chain.rows if r.entry.occurred_on == d}) > 1 for d in chain.same_days
    )
    assert chain.gaps and all(g.days > chain.gap_days for g in chain.gaps)
    assert {r.agency for r in police_only.rows} == {"Northmoor Police"}
    assert period.rows and all(
        period_end(r.entry) >= date(2025, 9, 1) and r.entry.occurred_on <= date(2026, 3, 31)
        for r in period.rows
    )

    # CSV: a header, then one line per entry, dates ascending, highlights filled in.
    text = export.to_csv(chain).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(chain.rows)
    stamps = [(r["Date"], r["Time"] or "00:00") for r in rows]
    assert [s[0] for s in stamps] == sorted(s[0] for s in stamps)
    assert [r["Event"] for r in rows] == [r.entry.event for r in chain.rows]
    assert any(r["Same-day contact with"] for r in rows)
    assert any(r["Days since previous contact"] for r in rows)

    # Word: one table row per entry plus one grey row per gap, in the same order.
    doc = Document(
        io.BytesIO(export.to_docx(chain, generated_on=date(2026, 11, 25), marking="OFFICIAL-SENSITIVE"))
    )
    table = doc.tables[0]
    body = [[c.text for c in row.cells] for row in table.rows[1:]]
    entry_rows = [cells for cells in body if not cells[0].startswith("No recorded contact")]
    gap_rows = [cells for cells in body if cells[0].startswith("No recorded contact")]
    assert len(entry_rows) == len(chain.rows) and len(gap_rows) == len(chain.gaps)
    assert [cells[2] for cells in entry_rows] == [r.entry.event for r in chain.rows]
    assert [cells[0].split("\n")[0] for cells in entry_rows] == [r.when for r in chain.rows]
    assert any("Same day as:" in cells[0] for cells in entry_rows)
    assert doc.sections[0].header.paragraphs[0].text == "OFFICIAL-SENSITIVE"
    assert "DHR-2026-004" in "\n".join(p.text for p in doc.paragraphs)


def test_demo_returns_have_history(demo):
    ctx, _ref, case = demo
    with ctx.reader() as uow:
        stages = {
            (r.kind, r.stage)
            for r in uow.session.exec(select(ReturnRequest).where(ReturnRequest.case_id == case.id))
        }
    assert ("imr", "accepted") in stages and ("scoping_reply", "accepted") in stages
    assert ("chronology", "acknowledged") in stages and ("chronology", "requested") in stages
    assert ("imr", "signed_off") in stages
