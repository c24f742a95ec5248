"""Journey 1: the demo case DHR-2026-003 goes from the CSP chair's decision to an established
panel, each step by the user whose role it is, and the deadlines change on the way."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.web.conftest import Browser

pytestmark = pytest.mark.browser
CASE = "/cases/DHR-2026-003"


def deadline_row(web: Browser, key: str):
    return web.page.locator(f'[data-testid="deadlines"] tr[data-deadline="{key}"]')


def fire(web: Browser, label: str, reason: str) -> None:
    web.click(label)  # the action page asks for a reason
    web.page.get_by_label("Reason for this step").fill(reason)
    web.page.get_by_role("button", name=label).click()
    web.page.wait_for_load_state()
    web.axe()


def test_chair_advances_case_from_decision_to_panel(web: Browser) -> None:
    # The CSP chair sees the decision due on the dashboard, then decides to hold a review.
    web.sign_in("cspchair")
    expect(web.page.get_by_role("heading", name="Needs my attention")).to_be_visible()
    expect(web.page.get_by_test_id("due-soon")).to_contain_text("DHR-2026-003")
    web.click("DHR-2026-003")
    expect(web.page.get_by_test_id("stage")).to_have_text("Awaiting the CSP chair's decision")
    expect(deadline_row(web, "csp_decision")).to_have_attribute("data-status", "due soon")
    expect(deadline_row(web, "review_completion")).to_have_count(0)

    # A reason is required: the form comes back with the GOV.UK error pattern and nothing changes.
    web.click("Decide to hold a review")
    web.page.get_by_role("button", name="Decide to hold a review").click()
    web.page.wait_for_load_state()
    web.axe()
    expect(web.page.locator(".govuk-error-summary")).to_contain_text("Enter the reason for this step")
    expect(web.page.locator("#f-reason-error")).to_contain_text("Enter the reason for this step")
    web.page.get_by_label("Reason for this step").fill("Criteria met: intimate partner homicide")
    web.page.get_by_role("button", name="Decide to hold a review").click()
    web.page.wait_for_load_state()
    web.axe()
    expect(web.page.locator(".govuk-notification-banner")).to_contain_text("Decided to hold a review")
    expect(web.page.get_by_test_id("stage")).to_have_text("Decided to hold a review")
    # The decision deadline is met; the review's own clocks have started.
    expect(deadline_row(web, "csp_decision")).to_have_attribute("data-status", "met")
    expect(deadline_row(web, "review_completion")).to_contain_text("25 May 2027")
    expect(deadline_row(web, "chair_appointment")).to_contain_text("25 December 2026")
    expect(deadline_row(web, "ho_decision_notice")).to_have_count(1)
    expect(web.page.get_by_test_id("history")).to_contain_text("Criteria met: intimate partner homicide")

    # Refusal: telling the Home Office is the officer's step, not the chair's.
    web.go(CASE + "/actions/notify_home_office_of_review")
    expect(web.page.get_by_test_id("refusal")).to_contain_text("Only a CSP officer may do it")
    expect(
        web.page.get_by_role("button", name="Record that the Home Office has been told of the review")
    ).to_have_count(0)
    web.sign_out()

    # The officer tells the Home Office, adds the chair and the panel, and appoints the chair.
    web.sign_in("officer")
    web.go(CASE)
    fire(web, "Record that the Home Office has been told of the review", "Home Office notified by e-mail")
    expect(deadline_row(web, "ho_decision_notice")).to_have_attribute("data-status", "met")
    expect(web.page.get_by_test_id("blocked-appoint_chair")).to_contain_text(
        "an independent chair has been added to the case"
    )
    web.click(re.compile("Members of DHR-2026-003"))
    for person, role in (
        ("Indira Independent (independent chair)", "Independent chair"),
        ("Pat Panel (panel member)", "Panel member"),
    ):
        web.page.get_by_label("Person").select_option(label=person)
        web.page.get_by_label("Role on this case").select_option(label=role)
        web.page.get_by_role("button", name="Add member").click()
        web.page.wait_for_load_state()
        web.axe()
        expect(web.page.locator(".govuk-notification-banner")).to_be_visible()
    web.go(CASE)
    fire(web, "Appoint the independent chair", "Commissioned after interview panel")
    expect(web.page.get_by_test_id("stage")).to_have_text("Independent chair appointed")
    expect(deadline_row(web, "chair_appointment")).to_have_attribute("data-status", "met")
    web.sign_out()

    # The independent chair establishes the panel.
    web.sign_in("chair")
    web.go(CASE)
    fire(web, "Establish the panel and agree the terms of reference", "First panel meeting held; ToR agreed")
    expect(web.page.get_by_test_id("stage")).to_have_text("Panel established and terms of reference agreed")
    expect(deadline_row(web, "review_completion")).to_have_attribute("data-status", "open")
    expect(web.page.locator(".dhr-timeline")).to_be_visible()
    assert len(web.checked) >= 15
