"""Done-when: importing a chronology with bad rows reports each bad row with its reason and imports
nothing; a good file imports every row (CSV, XLSX, pasted text and the form)."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from dhr_engine.errors import PermissionDenied, ValidationFailed
from dhr_engine.returns import chronology
from dhr_engine.returns.chronology_input import ChronologyRejected, EntryInput
from dhr_engine.returns.service import draft_entries
from tests.returns.files import PDF_BYTES, xlsx_bytes
from tests.returns.helpers import gathering_case, request

HEADER = "Date,Time,Agency,Source record,Event,Action taken,Practitioner role\n"
GOOD_CSV = (
    HEADER
    + "14/03/2025,09:05,Northmoor Police,Storm log 123,Call from neighbour about shouting,Officers attended,PC\n"
    + "15 March 2025,,,Crime report 55,Victim reported threats,DASH completed; referred to MARAC,DS\n"
    + "April 2025,,,Intelligence log,Several calls to the address,None recorded,Analyst\n"
    + "2024,,,PNC,Perpetrator's earlier conviction noted,,\n"
)
BAD_CSV = (
    HEADER
    + "14/03/2025,09:05,Northmoor Police,Storm log 123,Call from neighbour,Officers attended,PC\n"  # row 2 good
    + ",,,Crime report,No date given,,\n"  # row 3: date missing
    + "31/02/2025,,,Crime report,Impossible date,,\n"  # row 4: not a date
    + "14/03/25,,,Crime report,Two-digit year,,\n"  # row 5: year in full
    + "01/12/2027,,,Crime report,Future,,\n"  # row 6: after today
    + "16/03/2025,25:99,,Crime report,Bad time,,\n"  # row 7: time
    + "17/03/2025,,Northmoor Council Housing,Tenancy file,Other agency,,\n"  # row 8: agency
    + "18/03/2025,,,Crime report,,Nothing,\n"  # row 9: event missing
)


@pytest.fixture
def police_request(lite, lite_ref):
    case = gathering_case(lite, lite_ref)
    (req,) = request(lite, lite_ref, case, "chronology", ["northmoor_police"])
    return req


def _draft(ctx, request_id):
    with ctx.reader() as uow:
        return draft_entries(uow.session, request_id)


def _import(ctx, ref, req, content, who="police.author", replace=False):
    return chronology.import_file(
        ctx.uow(), actor=ref.actor(who), clock=ctx.clock, request_id=req.id, content=content, replace=replace
    )


def test_bad_rows_are_each_reported_and_nothing_is_imported(lite, lite_ref, police_request):
    _import(lite, lite_ref, police_request, GOOD_CSV.encode())
    before = [(e.id, e.event) for e in _draft(lite, police_request.id)]
    with pytest.raises(ChronologyRejected) as rejected:
        _import(lite, lite_ref, police_request, BAD_CSV.encode())
    found = {(e.row, e.field) for e in rejected.value.errors}
    assert found == {
        (3, "date"),
        (4, "date"),
        (5, "date"),
        (6, "date"),
        (7, "time"),
        (8, "agency"),
        (9, "event"),
    }
    reasons = {e.row: e.reason for e in rejected.value.errors}
    assert reasons[3] == "is missing"
    assert "year in full" in reasons[5]
    assert "after today" in reasons[6]
    assert "another agency" in reasons[8]
    # Each problem is an error item naming its row and column; no cell value is repeated.
    assert rejected.value.items[0].field == "rows[3].date"
    assert all("Impossible" not in i.msg and "Two-digit" not in i.msg for i in rejected.value.items)
    assert "nothing was imported" in rejected.value.msg
    # The good row 2 was not imported either, and the earlier draft is untouched.
    assert [(e.id, e.event) for e in _draft(lite, police_request.id)] == before


def test_good_csv_imports_every_row_with_its_precision(lite, lite_ref, police_request):
    result = _import(lite, lite_ref, police_request, GOOD_CSV.encode("cp1252"))
    assert (result.imported, result.total) == (4, 4)
    rows = _draft(lite, police_request.id)
    assert [(e.occurred_on, e.occurred_time, e.precision) for e in rows] == [
        (date(2025, 3, 14), time(9, 5), "minute"),
        (date(2025, 3, 15), None, "day"),
        (date(2025, 4, 1), None, "month"),
        (date(2024, 1, 1), None, "year"),
    ]
    assert rows[1].action_taken == "DASH completed; referred to MARAC"
    assert rows[1].practitioner_role == "DS"
    # Importing again with replace swaps the draft.
    again = _import(lite, lite_ref, police_request, GOOD_CSV.encode(), replace=True)
    assert (again.imported, again.replaced, again.total) == (4, 4, 4)


def test_xlsx_with_date_cells_imports_every_row(lite, lite_ref, police_request):
    content = xlsx_bytes(
        [
            ["Date", "Time", "Source", "Event", "Action taken", "Practitioner"],
            [datetime(2025, 5, 2, 14, 30), None, "Custody record", "Arrest", "Charged", "Custody sergeant"],
            [date(2025, 5, 1), time(8, 0), "Storm log", "999 call", "Attended", "PC"],
            [None, None, None, None, None, None],
            ["June 2025", None, "Intelligence", "Sighting", "", ""],
        ]
    )
    result = _import(lite, lite_ref, police_request, content)
    assert result.imported == 3
    rows = _draft(lite, police_request.id)
    assert [(e.occurred_on, e.occurred_time, e.precision) for e in rows] == [
        (date(2025, 5, 2), time(14, 30), "minute"),
        (date(2025, 5, 1), time(8, 0), "minute"),
        (date(2025, 6, 1), None, "month"),
    ]


def test_xlsx_bad_rows_are_reported_by_spreadsheet_row(lite, lite_ref, police_request):
    content = xlsx_bytes(
        [["Date", "Event"], [date(2025, 5, 1), "ok"], ["soon", "bad date"], [date(2025, 5, 3), None]]
    )
    with pytest.raises(ChronologyRejected) as rejected:
        _import(lite, lite_ref, police_request, content)
    assert {(e.row, e.field) for e in rejected.value.errors} == {(3, "date"), (4, "event")}
    assert _draft(lite, police_request.id) == []


def test_pasted_cells_without_a_header_and_the_form(lite, lite_ref, police_request):
    pasted = (
        "14/03/2025\t09:05\tStorm log\t999 call\tAttended\tPC\n15/03/2025\t\tCrime report\tStatement\t\tDC\n"
    )
    result = chronology.import_text(
        lite.uow(),
        actor=lite_ref.actor("police.author"),
        clock=lite.clock,
        request_id=police_request.id,
        text=pasted,
    )
    assert result.imported == 2
    form = chronology.add_entries(
        lite.uow(),
        actor=lite_ref.actor("police.manager"),
        clock=lite.clock,
        request_id=police_request.id,
        entries=[EntryInput(when=date(2025, 3, 16), time="7.45pm", event="Welfare check", precision="")],
    )
    assert form.total == 3
    assert _draft(lite, police_request.id)[-1].occurred_time == time(19, 45)


def test_unusable_files_and_headers_are_refused(lite, lite_ref, police_request):
    for content, field in (
        (PDF_BYTES, "file"),
        (b"", "file"),
        (b"Date,Event,Colour\n01/01/2025,x,blue\n", "column 3"),
        (b"Event,Time\n", "date"),
    ):
        with pytest.raises(ChronologyRejected) as rejected:
            _import(lite, lite_ref, police_request, content)
        assert field in {e.field for e in rejected.value.errors}
    assert _draft(lite, police_request.id) == []


def test_only_the_agency_edits_its_draft_and_only_before_submission(lite, lite_ref, police_request):
    with pytest.raises(PermissionDenied):
        _import(lite, lite_ref, police_request, GOOD_CSV.encode(), who="chair")
    _import(lite, lite_ref, police_request, GOOD_CSV.encode())
    from dhr_engine.returns import service
    from tests.returns.helpers import step

    service.submit_return(
        lite.uow(),
        actor=lite_ref.actor("police.author"),
        clock=lite.clock,
        request_id=police_request.id,
        submission=service.Submission(text=""),
    )
    with pytest.raises(ValidationFailed):
        _import(lite, lite_ref, police_request, GOOD_CSV.encode())
    step(lite, lite_ref.actor("police.manager"), police_request.id, "return_to_author", "Check the dates")
    assert _import(lite, lite_ref, police_request, GOOD_CSV.encode(), replace=True).total == 4
