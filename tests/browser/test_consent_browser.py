"""Consent in a real browser (headless Chromium, issue 12 item 1), at a phone's width and a
desktop's: the owner publishes the practice's consent text; the session form then warns about
client A; A signs from their own page; the practitioner sees the signature and opens the
printable copy. Screenshots are kept in test-artifacts/test_consent_browser/."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in_as
from tests.conftest import PASSWORD, Personas

TEXT = "I understand that SMP is a cosmetic tattoo that fades and needs touch-ups."


@pytest.mark.parametrize("width", [390, 1280])
def test_the_owner_publishes_the_client_signs_and_the_practitioner_prints_it(
    app: Flask,
    personas: Personas,
    live_server: str,
    browser,
    artifacts: Path,
    width: int,
) -> None:
    base = live_server
    record = personas.record_a.id
    staff = browser.new_context(viewport={"width": width, "height": 900})
    owner: Page = staff.new_page()
    log_in_as(owner, base, personas.practitioner_p.email, PASSWORD)
    owner.goto(f"{base}/practice")
    owner.get_by_role("link", name="Consent text").click()
    owner.get_by_label("Consent text").fill(TEXT)
    owner.get_by_role("button", name="Publish this version").click()
    expect(owner.get_by_text("Version 1 of the consent text is published.")).to_be_visible()

    owner.goto(f"{base}/clients/{record}/sessions/new")
    expect(owner.get_by_text("No valid consent.")).to_be_visible()
    expect(owner.get_by_label("Reason to record without a valid consent")).to_be_visible()
    owner.screenshot(path=str(artifacts / f"session-form-warning-{width}.png"), full_page=True)

    own = browser.new_context(viewport={"width": width, "height": 900})
    client: Page = own.new_page()
    log_in_as(client, base, personas.client_a.email, PASSWORD)
    client.goto(f"{base}/me")
    client.get_by_role("link", name="Sign the consent form").click()
    expect(client.get_by_text(TEXT)).to_be_visible()
    client.get_by_label("Your full name").fill("Ada Client")
    client.get_by_label("I have read this consent form and I agree to it").check()
    client.screenshot(path=str(artifacts / f"client-signs-{width}.png"), full_page=True)
    client.get_by_role("button", name="Sign").click()
    expect(client.get_by_text("Thank you: your consent is signed.")).to_be_visible()
    expect(client.get_by_text("Signed on version 1, the current one.")).to_be_visible()

    owner.goto(f"{base}/clients/{record}/consent")
    expect(owner.get_by_text("Signed on version 1, the current one.")).to_be_visible()
    owner.get_by_role("link", name="Printable copy").click()
    expect(owner.get_by_text(TEXT)).to_be_visible()
    expect(owner.get_by_role("cell", name="Ada Client").first).to_be_visible()
    owner.screenshot(path=str(artifacts / f"printable-{width}.png"), full_page=True)
    owner.emulate_media(media="print")
    assert owner.locator(".screen-only").is_hidden(), "the print view hides the page's links"
    owner.goto(f"{base}/clients/{record}/sessions/new")
    expect(owner.get_by_text("No valid consent.")).to_have_count(0)
    staff.close()
    own.close()
