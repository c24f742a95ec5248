"""The pages work under their Content-Security-Policy in a real browser: nothing is refused, GOV.UK
Frontend's inline script runs (with the nonce), and the letter preview keeps its style sheet."""

from __future__ import annotations

import re

from playwright.sync_api import ConsoleMessage, expect

from tests.web.conftest import Browser

CASE = "DHR-2026-004"


def test_pages_and_the_letter_preview_break_no_rule_of_the_policy(web: Browser) -> None:
    page = web.page
    refused: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            refused.append(f"{page.url}: {message.text}")

    page.on("console", watch)
    web.sign_in("officer")
    # GOV.UK Frontend's inline script ran (its nonce matched), and so did the module that starts it.
    expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))
    web.go(f"/cases/{CASE}")
    web.go("/oversight")
    web.go(f"/cases/{CASE}/letters/new?code=c14_delay_notice")
    page.get_by_label("Reason").fill("The trial is listed for March 2027.")
    new_date = page.get_by_role("group", name="New expected date")
    new_date.get_by_label("Day").fill("30")
    new_date.get_by_label("Month").fill("9")
    new_date.get_by_label("Year").fill("2027")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state()
    heading = page.frame_locator('[data-testid="preview"]').locator("h1")
    expect(heading).to_have_css("color", "rgb(29, 63, 110)")  # letter.css, under the page's nonce
    assert refused == []
