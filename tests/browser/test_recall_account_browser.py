"""Recall notices and API tokens in Chromium at a phone's and a desk's width (issue 13 items 7
and 8): the practitioner notifies a lot's clients through write, preview and send, and makes an
API token that is shown once.

Screenshots: ``test-artifacts/test_recall_account_browser/``.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from smptrack.extensions import db
from smptrack.models import AccountMail, ApiToken
from tests.browser.conftest import WIDTHS, keep_screenshot, log_in_as
from tests.conftest import PASSWORD, Personas, make_client
from tests.test_catalogue import add_pigment_with_lot, record

NO_SIDEWAYS_SCROLL = (
    "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
)


@pytest.fixture
def lot_id(app: Flask, personas: Personas) -> int:
    p = personas.practitioner_p
    lot = add_pigment_with_lot(p, lot_number="RC-7")
    cy = make_client(p, "Cy Client", email="cy@example.com")
    record(p, personas.record_a, date(2026, 1, 10), ("frontal_hairline", lot.id))
    record(p, cy, date(2026, 2, 1), ("crown", lot.id))
    db.session.commit()
    return lot.id


@pytest.mark.parametrize("width", WIDTHS)
def test_a_practitioner_notifies_the_clients_of_a_lot(
    page: Page, live_server: str, personas: Personas, lot_id: int, artifacts, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    log_in_as(page, live_server, personas.practitioner_p.email, PASSWORD)
    page.goto(f"{live_server}/lots/{lot_id}/recall")
    expect(page.get_by_text("Frontal hairline")).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    keep_screenshot(page, artifacts, "recall-trace")

    page.get_by_role("link", name="Notify these clients").click()
    page.get_by_label("Message to each client").fill("Please call us to book a check.")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text("2 recipients")).to_be_visible()
    expect(page.get_by_text("cy@example.com")).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    keep_screenshot(page, artifacts, "recall-preview")
    page.get_by_role("button", name="Send the notices").click()
    expect(page.get_by_text("Recall notice queued for 2 clients")).to_be_visible()
    expect(page.get_by_text("last went out on")).to_be_visible()
    keep_screenshot(page, artifacts, "recall-sent")

    db.session.expire_all()
    recipients = db.session.scalars(
        sa.select(AccountMail.recipient).where(AccountMail.template == "recall_notice")
    )
    assert sorted(recipients) == ["a@clients.test", "cy@example.com"]


@pytest.mark.parametrize("width", WIDTHS)
def test_a_token_is_made_on_the_account_page_and_shown_once(
    page: Page, live_server: str, personas: Personas, artifacts, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    log_in_as(page, live_server, personas.practitioner_p.email, PASSWORD)
    page.goto(f"{live_server}/account")
    page.get_by_label("Token name").fill("Bookkeeping")
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_label("Token", exact=True).input_value()
    assert len(secret) > 30
    expect(page.get_by_text("shown only")).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    keep_screenshot(page, artifacts, "token-shown-once")

    page.goto(f"{live_server}/account")
    assert secret not in page.content()
    page.get_by_role("link", name="Revoke token Bookkeeping").click()
    page.get_by_role("button", name="Revoke the token").click()
    expect(page.get_by_text("The token is revoked")).to_be_visible()
    db.session.expire_all()
    assert db.session.scalar(sa.select(ApiToken.revoked_at)) is not None
