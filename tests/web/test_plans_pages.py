"""Action plans, RAG and the oversight figures in the browser, with axe-core on every page."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.conftest import Browser, Server

pytestmark = pytest.mark.browser


def test_csp_chair_reads_plans_records_progress_and_sees_oversight_charts(
    web: Browser, server: Server
) -> None:
    page = web.page
    web.sign_in("cspchair")
    web.click("Action plans")
    expect(page.get_by_test_id("review-plans")).to_contain_text("Action plan of DHR-2025-001")
    expect(page.get_by_test_id("priority-plans")).to_contain_text("County lines and exploitation")
    web.click("Action plan of DHR-2025-001")
    actions = page.get_by_test_id("actions")
    # RAG is told in words as well as colour.
    first = actions.locator("tbody tr").first
    rag = first.get_attribute("data-rag")
    assert rag in {"red", "amber", "green", "blue"}
    expect(first.locator(".dhr-rag")).to_have_text(
        {"red": "Red", "amber": "Amber", "green": "Green"}.get(rag, "Blue (complete)")
    )
    first.get_by_role("link").click()
    page.wait_for_load_state()
    web.axe()
    page.get_by_role("button", name="Record progress update").click()  # empty: GOV.UK error pattern
    page.wait_for_load_state()
    web.axe()
    expect(page.locator("#f-note-error")).to_contain_text("Say what progress has been made")
    page.get_by_label("Progress update").fill("Training plan agreed with the trust's safeguarding lead.")
    page.get_by_role("button", name="Record progress update").click()
    page.wait_for_load_state()
    web.axe()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Progress update recorded")
    expect(page.get_by_test_id("progress")).to_contain_text("25 November 2026")

    web.go("/oversight")
    expect(page.get_by_role("heading", level=1)).to_have_text("Oversight figures 2026")
    images = page.locator("img.dhr-chart")
    expect(images).to_have_count(5)
    for i in range(5):
        alt = images.nth(i).get_attribute("alt") or ""
        assert "the figures are in the table below" in alt
        assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", images.nth(i).element_handle())
    expect(page.get_by_test_id("timings")).to_contain_text("Median days")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    png = httpx.get(f"{server.url}/oversight/2026/charts/reviews.png", cookies=cookies)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


def test_agency_user_sees_own_agency_actions_only_and_no_oversight(web: Browser) -> None:
    page = web.page
    web.sign_in("police.author")
    web.click("Action plans")
    expect(page.get_by_test_id("priority-plans")).to_have_count(0)
    web.click("Action plan of DHR-2024-001")
    rows = page.get_by_test_id("actions").locator("tbody tr")
    for i in range(rows.count()):
        expect(rows.nth(i)).to_contain_text("Northmoor Police")
    web.go("/oversight")
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot do this")
    expect(page.get_by_test_id("refusal")).to_contain_text("The oversight figures are for CSP staff")
