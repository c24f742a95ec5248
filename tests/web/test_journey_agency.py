"""Journey 2: the independent chair asks Northmoor Police for a chronology on DHR-2026-004; the
police IMR author imports it (a file with a bad row first, then a good one), attaches a PDF and
submits it; the police senior manager signs it off; the chair accepts it and finds it in the
merged chronology. The author's attempt to open another agency's request is refused."""

from __future__ import annotations

import pytest
from playwright.sync_api import FilePayload, expect
from sqlmodel import select

from dhr_engine.persistence.tables import Agency, Case, ReturnRequest
from tests.web.conftest import Browser, Server

pytestmark = pytest.mark.browser
CASE = "DHR-2026-004"

BAD_CSV = (
    "Date,Time,Source record,Event,Action taken,Practitioner role\r\n"
    "14/03/2025,09:05,Storm log 0101,Call from the victim's sister,Officers attended,Response officer\r\n"
    "31/02/2025,,Crime report CR-1,Report of criminal damage,Crime recorded,Police constable\r\n"
    "02/04/2025,,Custody record,,Perpetrator interviewed,Detective constable\r\n"
)
GOOD_CSV = (
    "Date,Time,Source record,Event,Action taken,Practitioner role\r\n"
    "14/03/2025,09:05,Storm log 0101,Call from the victim's sister,Officers attended,Response officer\r\n"
    "March 2025,,Intelligence log,Neighbours reported shouting,No further action,Analyst\r\n"
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def other_agency_request(server: Server) -> str:
    """The id of Adult Social Care's chronology request on the same case (not the police's)."""
    with server.ctx.reader() as uow:
        s = uow.session
        case = s.exec(select(Case).where(Case.ref == CASE)).one()
        council = s.exec(select(Agency).where(Agency.name == "Northmoor Council Adult Social Care")).one()
        request = s.exec(
            select(ReturnRequest).where(
                ReturnRequest.case_id == case.id,
                ReturnRequest.agency_id == council.id,
                ReturnRequest.kind == "chronology",
            )
        ).one()
    return str(request.id)


def step(web: Browser, label: str, trigger: str, comment: str = "") -> None:
    if comment:
        web.page.locator(f"#f-reason_{trigger}").fill(comment)
    web.page.get_by_role("button", name=label, exact=True).click()
    web.page.wait_for_load_state()
    web.axe()


def test_agency_chronology_submitted_signed_off_and_accepted(web: Browser, server: Server) -> None:
    page = web.page
    # The independent chair asks Northmoor Police for a chronology.
    web.sign_in("chair")
    web.go(f"/cases/{CASE}/returns")
    page.get_by_label("Chronology", exact=True).check()
    page.get_by_label("Northmoor Police", exact=True).check()
    page.get_by_label("Note to the agencies (optional)").fill("Please cover the two years before the death.")
    page.get_by_role("button", name="Send the requests").click()
    page.wait_for_load_state()
    web.axe()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Asked 1 agency for a chronology")
    web.sign_out()

    # The police author finds the request among their agency's returns and acknowledges it.
    web.sign_in("police.author")
    web.go("/returns")
    web.click(f"Chronology from Northmoor Police for {CASE}")
    request_url = page.url.removeprefix(web.base)
    expect(page.get_by_role("heading", level=1)).to_have_text("Chronology from Northmoor Police")
    expect(page.get_by_text("Please cover the two years before the death.")).to_be_visible()
    step(web, "Acknowledge the request", "acknowledge")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Acknowledged by the agency")

    # A file with two bad rows imports nothing and names each bad row.
    web.click("Add or import chronology entries")
    page.get_by_label("CSV or Excel file").set_input_files(
        files=[FilePayload(name="police.csv", mimeType="text/csv", buffer=BAD_CSV.encode())]
    )
    page.get_by_role("button", name="Import rows").click()
    page.wait_for_load_state()
    web.axe()
    expect(page.locator(".govuk-error-summary")).to_contain_text("2 problems found in the rows")
    errors = page.get_by_test_id("row-errors")
    expect(errors.locator("tbody tr")).to_have_count(2)
    expect(errors.locator("tbody tr").nth(0)).to_contain_text("3")
    expect(errors.locator("tbody tr").nth(0)).to_contain_text("is not a date")
    expect(errors.locator("tbody tr").nth(1)).to_contain_text("event")
    expect(page.get_by_test_id("entries")).to_contain_text("No entries.")

    # The corrected file goes in whole; one more entry is typed in the form.
    page.get_by_label("CSV or Excel file").set_input_files(
        files=[FilePayload(name="police.csv", mimeType="text/csv", buffer=GOOD_CSV.encode())]
    )
    page.get_by_role("button", name="Import rows").click()
    page.wait_for_load_state()
    web.axe()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Imported 2 entries")
    page.get_by_role("button", name="Add entry").click()  # empty: the GOV.UK error pattern
    page.wait_for_load_state()
    web.axe()
    expect(page.locator("#f-event-error")).to_contain_text("Say what happened")
    page.get_by_label("Day").fill("2")
    page.get_by_label("Month").fill("4")
    page.get_by_label("Year").fill("2025")
    page.get_by_label("Source record (optional)").fill("Custody record 77")
    page.get_by_label("What happened").fill("Perpetrator arrested for criminal damage")
    page.get_by_role("button", name="Add entry").click()
    page.wait_for_load_state()
    web.axe()
    expect(page.get_by_test_id("entries").locator("tbody tr")).to_have_count(3)
    expect(page.get_by_test_id("entries")).to_contain_text("March 2025")

    # A PDF goes with it; then the return is submitted for sign-off.
    web.go(request_url)
    page.get_by_label("Attach a Word (.docx) or PDF file").set_input_files(
        files=[FilePayload(name="covering-letter.pdf", mimeType="application/pdf", buffer=PDF)]
    )
    page.get_by_role("button", name="Attach file").click()
    page.wait_for_load_state()
    web.axe()
    expect(page.get_by_role("link", name="covering-letter.pdf")).to_be_visible()
    web.click("Submit for sign-off")
    expect(page.get_by_text("3 chronology entries in the draft")).to_be_visible()
    page.get_by_label("Covering note (optional)").fill("Chronology from the force's systems.")
    page.get_by_role("button", name="Submit for sign-off").click()
    page.wait_for_load_state()
    web.axe()
    expect(page.get_by_test_id("stage")).to_have_text("submitted", use_inner_text=False)
    expect(page.get_by_test_id("versions")).to_contain_text("Version 1")

    # Refusal: another agency's request is "not found", whoever's id is tried.
    web.go(f"/returns/{other_agency_request(server)}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.get_by_text("does not exist, or you do not have access to it")).to_be_visible()
    web.sign_out()

    # The senior manager signs it off (the author could not: it is not their step).
    web.sign_in("police.manager")
    web.go(request_url)
    step(web, "Sign off as senior manager", "sign_off", "Checked against the systems.")
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Signed off by the agency's senior manager"
    )
    expect(page.get_by_test_id("versions")).to_contain_text("Peter Police")
    web.sign_out()

    # The chair accepts it, and the entries appear in the merged chronology.
    web.sign_in("chair")
    web.go(request_url)
    expect(page.get_by_role("button", name="Ask for changes")).to_be_visible()
    step(web, "Accept the return", "accept", "Thank you: clear and complete.")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The return is now: Accepted")
    web.click("Version 1")
    expect(page.get_by_test_id("entries").locator("tbody tr")).to_have_count(3)
    web.go(f"/cases/{CASE}/chronology")
    merged = page.get_by_test_id("merged")
    expect(merged).to_contain_text("Perpetrator arrested for criminal damage")
    expect(merged).to_contain_text("Call from the victim's sister")
    assert len(web.checked) >= 20
