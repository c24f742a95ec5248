"""The dashboard's task lists in the browser (axe-core on every page): the CSP chair finds the
letters waiting for approval on the demo and opens one from the list; the police author, whose
agency has nothing waiting, sees no other agency's tasks."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.conftest import Browser

pytestmark = pytest.mark.browser


def test_chair_opens_a_letter_to_approve_from_the_dashboard(web: Browser) -> None:
    web.sign_in("cspchair")
    web.go("/")
    table = web.page.get_by_test_id("tasks-letters-to-approve")
    expect(table).to_be_visible()
    first = table.get_by_role("link").first
    href = first.get_attribute("href")
    assert href is not None and href.startswith("/letters/")
    first.click()
    web.page.wait_for_load_state()
    web.axe()
    assert web.page.url.endswith(href)
    expect(web.page.get_by_role("button", name="Approve")).to_be_visible()


def test_agency_user_sees_only_their_own_lists(web: Browser) -> None:
    web.sign_in("police.author")
    web.go("/")
    expect(web.page.get_by_role("heading", name="Returns due from your agency (0)")).to_be_visible()
    expect(web.page.get_by_test_id("tasks-letters-to-approve")).to_have_count(0)
    expect(web.page.get_by_test_id("tasks-returns-to-accept")).to_have_count(0)
