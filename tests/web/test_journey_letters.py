"""Journey 3: the DHR coordinator drafts a delay notice (C14) to the Home Office by hand on
DHR-2026-004 — the preview first names what is missing, then shows the letter — saves it; the CSP
chair approves it (the drafter may not); the coordinator sends it and downloads the Word and PDF
copies. Trying to change the sent letter is refused."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.conftest import Browser

pytestmark = pytest.mark.browser
CASE = "DHR-2026-004"
REASON = "The criminal trial is listed for March 2027; the panel will meet after the verdict."


def test_officer_drafts_chair_approves_officer_sends_and_downloads(web: Browser) -> None:
    page = web.page
    web.sign_in("officer")
    web.go(f"/cases/{CASE}")
    web.click(f"Letters of {CASE}")
    web.click("Draft a letter")
    page.get_by_label("Letter", exact=True).select_option(value="c14_delay_notice")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    web.axe()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Draft C14: Notice of delay to a Domestic Homicide Review"
    )

    # The preview names the merge fields the case record cannot supply, at their fields.
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state()
    web.axe()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Reason: This merge field is required")
    expect(summary).to_contain_text("New expected date: This merge field is required")
    expect(page.locator("#f-reason-error")).to_be_visible()

    page.get_by_label("Reason").fill(REASON)
    new_date = page.get_by_role("group", name="New expected date")
    new_date.get_by_label("Day").fill("30")
    new_date.get_by_label("Month").fill("9")
    new_date.get_by_label("Year").fill("2027")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state()
    web.axe()
    preview = page.frame_locator('[data-testid="preview"]')
    expect(preview.locator("body")).to_contain_text(REASON)
    expect(preview.locator("body")).to_contain_text("30 September 2027")
    expect(page.get_by_label("Reason")).to_have_value(REASON)  # what was typed is kept

    page.get_by_role("button", name="Save as draft").click()
    page.wait_for_load_state()
    web.axe()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("C14 drafted")
    expect(page.get_by_test_id("letter-status")).to_have_text("draft", use_inner_text=False)
    # The drafter cannot approve their own letter: no button, and the page says who must.
    expect(page.get_by_role("button", name="Approve the letter")).to_have_count(0)
    expect(page.get_by_text("You drafted this letter, so someone else must approve it")).to_be_visible()
    letter_url = page.url.removeprefix(web.base)
    web.sign_out()

    # The CSP chair approves it.
    web.sign_in("cspchair")
    web.go(letter_url)
    expect(page.get_by_test_id("preview")).to_be_visible()
    page.get_by_role("button", name="Approve the letter").click()
    page.wait_for_load_state()
    web.axe()
    expect(page.get_by_test_id("letter-status")).to_have_text("approved", use_inner_text=False)
    web.sign_out()

    # The coordinator records it as sent, then downloads the copies that were kept.
    web.sign_in("officer")
    web.go(letter_url)
    page.get_by_role("button", name="Record as sent").click()  # how it was sent is required
    page.wait_for_load_state()
    web.axe()
    expect(page.locator("#f-via-error")).to_contain_text("Choose how the letter was sent")
    page.get_by_label("By email").check()
    page.get_by_role("button", name="Record as sent").click()
    page.wait_for_load_state()
    web.axe()
    expect(page.get_by_test_id("letter-status")).to_have_text("sent", use_inner_text=False)
    expect(page.get_by_role("link", name="Change the draft")).to_have_count(0)
    for name, suffix, magic in (("PDF", ".pdf", b"%PDF-"), ("Word (.docx)", ".docx", b"PK\x03\x04")):
        with page.expect_download() as info:
            page.get_by_role("link", name=f"{name} of C14").click()
        download = info.value
        assert download.suggested_filename == f"{CASE}-C14-2026-11-25{suffix}"
        path = download.path()
        assert path is not None and path.read_bytes().startswith(magic)

    # Refusal: a sent letter is the record of what went out and cannot be changed.
    web.go(letter_url + "/edit")
    expect(page.get_by_role("heading", level=1)).to_have_text("This could not be done")
    expect(page.get_by_test_id("refusal")).to_contain_text("This letter has been sent")
    expect(page.get_by_test_id("refusal")).to_contain_text("cannot be changed")
    web.go(f"/cases/{CASE}/letters")
    expect(page.get_by_test_id("letters")).to_contain_text("Notice of delay")
    expect(page.get_by_test_id("letters")).to_contain_text("Sent")
    assert len(web.checked) >= 14
