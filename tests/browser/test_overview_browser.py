"""The member's home and the client overview in Chromium at a phone's and a desk's width
(issue 13 items 2 and 3): the blocks and sections are there, their links lead where they say,
a section pages on its own, and nothing needs sideways scrolling. Screenshots are kept."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import WIDTHS, keep_screenshot, log_in_as
from tests.conftest import PASSWORD, Personas
from tests.test_home import a_busy_practice
from tests.test_overview import a_long_history


def _no_sideways_scroll(page: Page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_the_home_and_the_client_overview(
    app: Flask, live_server: str, page: Page, personas: Personas, artifacts, width: int
) -> None:
    a_busy_practice(personas)
    a_long_history(personas, sessions=7, months=8)
    page.set_viewport_size({"width": width, "height": 900})

    # Logging in lands a practitioner on their home.
    log_in_as(page, live_server, personas.practitioner_p.email, PASSWORD)
    expect(page.get_by_role("heading", name="Your appointments today")).to_be_visible()
    for heading in ("Due for a touch-up", "Reminders that failed", "Consent to sign"):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.get_by_role("list", name="Due now").get_by_role("link")).to_have_text(
        ["Olive Overdue"]
    )
    assert _no_sideways_scroll(page)
    keep_screenshot(page, artifacts, "home")

    # Today's appointment leads to Ada; from there, her record opens on the overview.
    page.goto(f"{live_server}/clients/{personas.record_a.id}")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.locator(".touch-up-words")).to_contain_text("Touch-up due")
    sessions = page.locator("section", has=page.locator("#sessions-heading"))
    expect(sessions.locator("article")).to_have_count(5)
    assert _no_sideways_scroll(page)
    keep_screenshot(page, artifacts, "client-overview")

    # The sessions section pages on its own and comes back to itself.
    sessions.get_by_role("link", name="Older").click()
    expect(sessions.locator("article")).to_have_count(2)
    expect(sessions.get_by_text("Page 2 of 2")).to_be_visible()
    assert page.url.endswith("sessions_page=2#sessions-heading")
    sun = page.locator("section", has=page.locator("#sun-heading"))
    expect(sun.get_by_text("Page 1 of 2")).to_be_visible()
