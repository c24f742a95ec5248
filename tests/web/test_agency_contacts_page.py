"""An agency's DHR contacts in the browser (axe-core on every page): the officer reaches them from
the users and agencies page, removes and names a contact, sees which agency has none, and the form
asking agencies for a return warns that nobody at such an agency will be told."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from dhr_engine.persistence.tables import Case
from tests.web.conftest import Browser, Server

pytestmark = pytest.mark.browser


def test_officer_keeps_an_agencys_contacts_and_is_warned_of_an_agency_without(
    web: Browser, server: Server
) -> None:
    web.sign_in("officer")
    web.click("Users and agencies")
    web.click(re.compile(r"^Northmoor Police\s*: DHR contacts$"))
    expect(web.page.get_by_role("heading", name="DHR contacts")).to_be_visible()
    rows = web.page.locator("[data-testid=contacts] tbody tr")
    expect(rows).to_have_count(3)  # the demo: single point of contact, IMR author, senior manager
    expect(web.page.locator("[data-contact='police.manager']")).to_contain_text("Senior manager")
    web.page.get_by_role("button", name=re.compile("Remove Peter Police")).click()
    web.page.wait_for_load_state()
    web.axe()
    expect(web.page.locator(".govuk-notification-banner")).to_contain_text("Contact removed")
    expect(web.page.locator("[data-contact='police.manager']")).to_have_count(0)
    web.page.get_by_role("button", name="Name as contact").click()  # nothing chosen
    web.page.wait_for_load_state()
    web.axe()
    expect(web.page.locator(".govuk-error-summary")).to_contain_text("Select the person to name")
    web.page.get_by_label("Person at Northmoor Police").select_option(label="Peter Police (senior manager)")
    web.page.get_by_label("Contact for").select_option(label="Senior manager")
    web.page.get_by_role("button", name="Name as contact").click()
    web.page.wait_for_load_state()
    web.axe()
    expect(web.page.locator("[data-contact='police.manager']")).to_contain_text("Senior manager")

    web.click("Back to users and agencies")
    web.click(re.compile(r"^Northmoor Women's Aid\s*: DHR contacts$"))
    expect(web.page.locator("[data-testid=contacts]")).to_contain_text(
        "Northmoor Women's Aid has no DHR contact: nobody there will be told"
    )
    with server.ctx.reader() as uow:
        ref = uow.session.exec(select(Case.ref).where(Case.stage == "information_gathering")).first()
    web.go(f"/cases/{ref}/returns")
    expect(web.page.locator("#request")).to_be_visible()
    expect(web.page.locator("form[action$='/returns']")).to_contain_text(
        "Northmoor Women's Aid has no DHR contact: nobody there will be told"
    )
    expect(web.page.locator("form[action$='/returns']")).not_to_contain_text(
        "Northmoor Police has no DHR contact"
    )


def test_agency_user_may_not_change_contacts(web: Browser) -> None:
    web.sign_in("police.manager")
    web.go("/admin")
    expect(web.page.get_by_role("heading", name="You cannot do this")).to_be_visible()
