"""The whole practice in a real browser (issues 3 and 4): a practitioner signs up, builds a
catalogue, adds a client and records a session with two placements; the client accepts the
invitation, logs sun exposure and sees the session and the projected touch-up window; the
practitioner's due list shows them. Each step is checked on the rendered page."""

from __future__ import annotations

import re
from datetime import date, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.test_foundation_pages import PASSWORD, sign_up_practitioner
from tests.outbox import send_account_mail

WINDOW_TEXT = re.compile(
    r"(Crown|Frontal hairline): most likely (\w+) (\d{4}), between (\w+) (\d{4}) and (\w+) (\d{4})"
)


def invitation_link(app: Flask, to: str) -> str:
    send_account_mail(app)  # the invitation was queued; the worker's sweep sends it
    parser = BytesParser(policy=policy.default)
    for path in sorted(Path(app.config["MAIL_FOLDER"]).glob("*.eml")):
        message = parser.parsebytes(path.read_bytes())
        if message["To"] == to:
            text = message.get_body(preferencelist=("plain",)).get_content()
            return re.search(r"https?://\S+/auth/invite/\S+", text).group(0)
    raise AssertionError(f"no invitation was mailed to {to}")


def test_a_practice_records_a_session_and_its_client_follows_it(
    app: Flask, live_server: str, page: Page, browser
) -> None:
    base = live_server
    today = date.today()

    # The practitioner signs up and builds a catalogue with one lot.
    sign_up_practitioner(page, base, "owner@studio.test")
    page.get_by_role("link", name="Pigments").click()
    page.locator("#brand").fill("Nordic Scalp")
    page.locator("#shade").fill("Dark Ash")
    page.get_by_role("button", name="Add pigment").click()
    expect(page.get_by_text("Dark Ash").first).to_be_visible()
    if page.locator("#lot_number").count() == 0:
        page.get_by_role("link", name=re.compile("Dark Ash")).first.click()
    page.locator("#lot_number").fill("DA-7781")
    page.locator("#expires_on").fill((today + timedelta(days=400)).isoformat())
    page.get_by_role("button", name="Add lot").click()
    expect(page.get_by_text("DA-7781").first).to_be_visible()

    # A client record.
    page.get_by_role("link", name="Add client").first.click()
    page.get_by_label("Name").fill("Casey Client")
    page.get_by_label("Email").fill("casey@clients.example.com")
    page.get_by_role("button", name="Add client").click()
    expect(page.get_by_role("heading", name="Casey Client", exact=True)).to_be_visible()

    # A session with two placements.
    page.get_by_role("link", name="Record a session").first.click()
    page.locator("#kind").select_option("initial")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    for row, zone in enumerate(("crown", "frontal_hairline")):
        page.locator(f"#placements-{row}-zone").select_option(zone)
        lot = page.locator(f"#placements-{row}-pigment_lot_id")
        option = lot.locator("option", has_text="DA-7781").first.get_attribute("value")
        lot.select_option(option)
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text("Crown").first).to_be_visible()
    expect(page.get_by_text("Frontal hairline").first).to_be_visible()
    expect(page.get_by_text("DA-7781").first).to_be_visible()

    # The client page now shows the projection, and the invitation goes out.
    page.get_by_role("link", name="Clients").first.click()
    page.get_by_role("link", name="Casey Client").click()
    window = page.locator(".window-text").first
    expect(window).to_have_text(WINDOW_TEXT)
    most_likely_year = int(WINDOW_TEXT.search(window.inner_text()).group(3))
    assert today.year + 2 <= most_likely_year <= today.year + 8
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to casey@clients.example.com")).to_be_visible()
    link = invitation_link(app, "casey@clients.example.com")

    # The client accepts the invitation in their own browser.
    context = browser.new_context()
    client_page = context.new_page()
    try:
        client_page.goto(link)
        # The invitation keeps the record's name and asks only for a password (issue 13 item 5).
        expect(client_page.get_by_label("Your name")).to_have_count(0)
        client_page.get_by_label("Choose a password").fill(PASSWORD)
        client_page.get_by_label("Repeat password").fill(PASSWORD)
        client_page.get_by_role("button", name="Create my login").click()
        expect(client_page.get_by_text("Your login is ready")).to_be_visible()
        expect(client_page.get_by_text("Casey Client").first).to_be_visible()

        # They log an hour in the sun today.
        client_page.get_by_role("link", name="Sun log").first.click()
        client_page.locator("#duration_minutes").fill("60")
        client_page.locator("#uv_index").fill("5")
        client_page.locator("#hat").select_option("cap")
        client_page.get_by_role("button", name="Log today").click()
        expect(client_page.get_by_text(re.compile(r"60 min"))).to_be_visible()

        # Their own page shows the session's zones and their touch-up window.
        client_page.get_by_role("link", name="My record", exact=True).click()
        expect(client_page.get_by_text("Frontal hairline").first).to_be_visible()
        expect(client_page.get_by_text("DA-7781").first).to_be_visible()
        expect(client_page.locator(".window-text").first).to_have_text(WINDOW_TEXT)
        expect(client_page.locator(".fade-chart svg.fade-plot:visible")).to_have_count(1)
    finally:
        context.close()

    # The practitioner's due list, looking far enough ahead, lists the client with the zone.
    page.goto(f"{base}/due?before={(today + timedelta(days=3650)).isoformat()}")
    row = page.get_by_role("row", name=re.compile("Casey Client"))
    expect(row).to_be_visible()
    expect(row).to_contain_text(re.compile("Crown|Frontal hairline"))
    cells = row.locator("td").all_inner_texts()
    zone, most_likely = cells[0], cells[1]  # e.g. "Crown", "3 October 2030"
    month_year = most_likely.split(" ", 1)[1]

    # The client page says the same of that zone, in words under the chart.
    row.get_by_role("link", name="Casey Client").click()
    words = page.locator(".window-text", has_text=f"{zone}: most likely")
    expect(words).to_have_text(WINDOW_TEXT)
    expect(words).to_contain_text(f"most likely {month_year}")
    expect(page.locator(".fade-table")).to_contain_text(zone)
