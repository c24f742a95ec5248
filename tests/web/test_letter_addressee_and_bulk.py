"""Letters name their addressee on the case and letters pages, and the letters of a return request
are drafted, approved (by a second person) and e-mailed together from the request's page."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import expect
from sqlmodel import col, select

from dhr_engine.outbox.service import drain_outbox
from dhr_engine.persistence.tables import Agency, Case, ReturnRequest
from tests.web.conftest import Browser, Server, signed_in, token

CASE = "DHR-2026-004"


def _chronology_request(server: Server) -> tuple[str, str]:
    """A chronology request of the demo case, and the agency it asked."""
    with server.ctx.reader() as uow:
        row = uow.session.exec(
            select(ReturnRequest.id, Agency.name)
            .join(Case, col(Case.id) == col(ReturnRequest.case_id))
            .join(Agency, col(Agency.id) == col(ReturnRequest.agency_id))
            .where(Case.ref == CASE, ReturnRequest.kind == "chronology")
            .order_by(col(Agency.name))
        ).first()
    assert row is not None
    return str(row[0]), row[1]


def test_the_case_and_letters_pages_name_each_addressee(
    server: Server, clients: Callable[[], httpx.Client]
) -> None:
    officer = signed_in(clients, "officer")
    case_page = officer.get(f"/cases/{CASE}").text
    assert re.search(r"C\d\d [A-Z][^<]+</a> – [^<–]+ – draft", case_page)
    register = officer.get(f"/cases/{CASE}/letters").text
    assert "Northmoor Police" in register
    lines = re.findall(r"</a> – ([^<–]+) – ", case_page)
    assert lines and all(line.strip() for line in lines)


def test_a_bulk_action_needs_its_confirmation(server: Server, clients: Callable[[], httpx.Client]) -> None:
    request_id, _agency = _chronology_request(server)
    officer = signed_in(clients, "officer")
    page = officer.get(f"/returns/{request_id}/letters")
    assert page.status_code == 200
    reply = officer.post(f"/returns/{request_id}/letters/draft", data={"csrf_token": token(page.text)})
    assert reply.status_code == 400 and "Confirm that the action is for every agency" in reply.text
    agency_user = signed_in(clients, "police.author")
    assert agency_user.get(f"/returns/{request_id}/letters").status_code in {403, 404}


@pytest.mark.browser
def test_chair_drafts_csp_chair_approves_officer_emails_every_agency(web: Browser, server: Server) -> None:
    from tests.scheduler.smtp import smtp_server

    request_id, agency = _chronology_request(server)
    page = web.page
    web.sign_in("officer")
    web.go(f"/returns/{request_id}")
    web.click("Letters to every agency asked with this request: draft, approve and send them together")
    expect(page.get_by_role("heading", level=1)).to_contain_text("every agency of this request")
    web.sign_out()

    # The independent chair drafts them, and so may not approve them.
    web.sign_in("chair")
    web.go(f"/returns/{request_id}/letters")
    page.get_by_label(re.compile("Yes, draft")).check()
    page.get_by_role("button", name="Draft the letters").click()
    page.wait_for_load_state()
    web.axe()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Drafted the letters")
    expect(page.get_by_test_id("request-letters")).to_contain_text(agency)
    page.get_by_label(re.compile("Yes, approve")).check()
    page.get_by_role("button", name="Approve the letters").click()
    page.wait_for_load_state()
    web.axe()
    expect(page.locator(".govuk-error-summary")).to_contain_text("someone other than its drafter")
    web.sign_out()

    web.sign_in("cspchair")
    web.go(f"/returns/{request_id}/letters")
    page.get_by_label(re.compile("Yes, approve")).check()
    page.get_by_role("button", name="Approve the letters").click()
    page.wait_for_load_state()
    web.axe()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Approved every draft letter")
    web.sign_out()

    web.sign_in("officer")
    web.go(f"/returns/{request_id}/letters")
    web.click(re.compile(f"C10 Request for a chronology – {re.escape(agency)}"))  # one letter: e-mail or post
    expect(page.get_by_role("button", name="Send by e-mail")).to_be_visible()
    expect(page.get_by_role("button", name="Record as sent")).to_be_visible()
    web.go(f"/returns/{request_id}/letters")
    page.get_by_label(re.compile("Yes, e-mail")).check()
    page.get_by_role("button", name="Send the letters by e-mail").click()
    page.wait_for_load_state()
    web.axe()
    expect(page.get_by_test_id("request-letters")).to_contain_text("queued, not sent yet")
    with smtp_server() as (recorder, port):
        server.ctx.settings.smtp_port = port
        drain_outbox(server.ctx)
    assert recorder.count() >= 1
    web.go(f"/returns/{request_id}/letters")
    expect(page.get_by_test_id("request-letters")).to_contain_text(
        re.compile(r"sent by e-mail on \d+ \w+ \d{4}")
    )
