"""Admin pages in the browser: forms keep what was typed and show errors the GOV.UK way."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.conftest import Browser

pytestmark = pytest.mark.browser


def test_admin_adds_a_user__weak_password_is_refused_at_the_field(web: Browser) -> None:
    web.sign_in("admin")
    web.click("Users and agencies")
    web.page.get_by_label("User name").fill("new.chair")
    web.page.get_by_label("Full name").fill("Nadia New (independent chair)")
    web.page.get_by_label("First password").fill("short")
    web.page.get_by_role("button", name="Add user").click()
    web.page.wait_for_load_state()
    web.axe()
    expect(web.page.locator(".govuk-error-summary")).to_contain_text("at least 12 characters")
    expect(web.page.locator("#f-password-error")).to_be_visible()
    expect(web.page.get_by_label("User name")).to_have_value("new.chair")  # what was typed stays
    expect(web.page.get_by_label("First password")).to_have_value("")  # a password is never sent back
    web.page.get_by_label("First password").fill("Long-Enough-Password-1")
    web.page.get_by_role("button", name="Add user").click()
    web.page.wait_for_load_state()
    web.axe()
    expect(web.page.locator(".govuk-notification-banner")).to_contain_text("new.chair")
    web.go("/accessibility")
    expect(web.page.get_by_role("heading", name="Accessibility statement")).to_be_visible()


def test_agency_user_is_refused_the_admin_page(web: Browser) -> None:
    web.sign_in("police.manager")
    expect(web.page.get_by_role("link", name="Users and agencies")).to_have_count(0)
    web.go("/admin")
    expect(web.page.get_by_role("heading", name="You cannot do this")).to_be_visible()
