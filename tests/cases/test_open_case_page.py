"""Opening a case in the browser: an officer opens one from a notification with every fact and sees
them on the case page; a bad date names its field and keeps what was typed; anyone else is refused;
the edit page changes a fact and the case history records it. axe-core checks every page."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import expect
from sqlmodel import func, select

from dhr_engine.persistence.tables import Case
from tests.web.conftest import Browser, Server, signed_in, token

pytestmark = pytest.mark.browser


def _fill_case(web: Browser) -> None:
    page = web.page
    page.locator("#f-notified_on-day").fill("20")
    page.locator("#f-notified_on-month").fill("11")
    page.locator("#f-notified_on-year").fill("2026")
    page.get_by_label("Pseudonym of the person who died").fill("Hope")
    page.get_by_label("Their real name (restricted, optional)").fill("Harriet Invented")
    page.get_by_label("Pseudonym of the suspect (optional)").fill("Mark")
    page.get_by_label("Their relationship to the person who died (optional)").fill("husband")
    page.get_by_label("Organisation").fill("Northmoor Police")
    page.get_by_label("Person who notified").fill("DS Alex Morgan")
    page.locator("#f-date_of_death-day").fill("14")
    page.locator("#f-date_of_death-month").fill("11")
    page.locator("#f-date_of_death-year").fill("2026")
    page.get_by_label("Place of death").fill("Moorside")
    page.get_by_label("Homicide", exact=True).check()
    page.get_by_label("Senior investigating officer").fill("DI Priya Shah")
    page.get_by_label("Their police force").fill("Northmoor Police")
    page.get_by_label("Their work e-mail or phone").fill("01632 960 123")
    page.get_by_label("A suspect has been charged").check()
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("How many children? (if any)").fill("2")


def _submit(web: Browser, name: str) -> None:
    web.page.get_by_role("button", name=name).click()
    web.page.wait_for_load_state()
    web.axe()


def test_officer_opens_a_case_with_every_fact__then_changes_one_and_the_history_says_so(
    web: Browser,
) -> None:
    web.sign_in("officer")
    web.go("/cases")
    web.click("Open a case", role="button")  # a link that looks like a button
    expect(web.page.get_by_role("heading", name="Open a case")).to_be_visible()
    _fill_case(web)
    _submit(web, "Open the case")
    expect(web.page.locator(".govuk-notification-banner")).to_contain_text("opened")
    facts = web.page.get_by_test_id("notification")
    for shown in (
        "DS Alex Morgan, Northmoor Police, on 20 November 2026",
        "14 November 2026",
        "Moorside",
        "Homicide",
        "DI Priya Shah, Northmoor Police, 01632 960 123",
        "A suspect has been charged",
        "Yes: 2 children",
    ):
        expect(facts).to_contain_text(shown)
    expect(web.page.locator("h1")).to_contain_text("Hope")
    web.click("Change the notification facts")
    expect(web.page.get_by_label("Place of death")).to_have_value("Moorside")  # what is recorded
    web.page.get_by_label("Awaiting or at trial").check()
    _submit(web, "Save the notification facts")
    expect(web.page.get_by_test_id("notification")).to_contain_text("Awaiting or at trial")
    expect(web.page.locator("body")).to_contain_text("Notification facts changed: the criminal proceedings")


def test_a_bad_date_names_the_field_and_keeps_what_was_typed(web: Browser) -> None:
    web.sign_in("officer")
    web.go("/cases/new")
    _fill_case(web)
    web.page.locator("#f-notified_on-day").fill("31")
    web.page.locator("#f-notified_on-month").fill("2")
    _submit(web, "Open the case")
    summary = web.page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("The date the partnership was notified must be a real date")
    expect(web.page.locator("#f-notified_on-error")).to_be_visible()
    expect(web.page.locator("#f-notified_on-day")).to_have_value("31")
    expect(web.page.get_by_label("Place of death")).to_have_value("Moorside")
    expect(web.page.get_by_label("Pseudonym of the person who died")).to_have_value("Hope")
    expect(web.page.get_by_label("Homicide", exact=True)).to_be_checked()
    expect(web.page.get_by_label("How many children? (if any)")).to_have_value("2")


def _cases(server: Server) -> int:
    with server.ctx.reader() as uow:
        return int(uow.session.exec(select(func.count()).select_from(Case)).one())


def test_only_an_officer_may_open_a_case(
    web: Browser, server: Server, clients: Callable[[], httpx.Client]
) -> None:
    web.sign_in("cspchair")
    web.go("/cases")
    expect(web.page.get_by_role("button", name="Open a case")).to_have_count(0)
    web.go("/cases/new")
    expect(web.page.get_by_role("heading", name="You cannot do this")).to_be_visible()
    before = _cases(server)
    chair = signed_in(clients, "cspchair")
    csrf = token(chair.get("/cases").text)
    form = {"csrf_token": csrf, "notified_on-day": "20", "notified_on-month": "11", "notified_on-year": "2026",
            "victim_pseudonym": "Hope"}  # fmt: skip
    assert chair.post("/cases/new", data=form).status_code == 403
    ref = "DHR-2026-003"
    assert chair.get(f"/cases/{ref}/notification").status_code == 403
    assert chair.post(f"/cases/{ref}/notification", data={"csrf_token": csrf}).status_code == 403
    assert _cases(server) == before
