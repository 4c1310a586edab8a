"""The practice settings page in Chromium (issue 10 item 3): the touch-up threshold, the
"book your touch-up" lead and the healed-check day. Changing one and saving changes what the
client page and the client's reminders say; a bad value shows a message and changes nothing.

Screenshots: ``test-artifacts/test_settings_page/``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from smptrack.extensions import db
from smptrack.models import Client, PracticeSettings, Reminder, TreatmentSession
from smptrack.models.treatments import Placement
from smptrack.services import projections
from smptrack.services.reminders import plan_reminders
from tests.browser.conftest import log_in_as
from tests.conftest import PASSWORD, Personas

THRESHOLD = "A zone is due for a touch-up at (% of its healed density)"
LEAD = "Touch-up reminder this many days before the most likely date"
HEALED = "Healed check on day"
NO_SIDEWAYS_SCROLL = (
    "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
)


@pytest.fixture
def treated(app: Flask, personas: Personas) -> Client:
    """Ada's crown, three sessions ending about 14 months ago: at 70 % years from due."""
    record = personas.record_a
    now = datetime.now(UTC)
    first = now.date() - timedelta(days=470)
    for offset, kind in ((0, "initial"), (14, "build_up"), (42, "build_up")):
        treatment = TreatmentSession(
            client_id=record.id, performed_on=first + timedelta(days=offset), kind=kind
        )
        treatment.placements.append(Placement(zone="crown", pigment_free_text="carbon SMP"))
        db.session.add(treatment)
    db.session.flush()
    projections.refresh_client(record, now)
    plan_reminders(record, now)
    db.session.commit()
    return record


def touch_up_due_at(client: Client) -> datetime | None:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Reminder.due_at).where(
            Reminder.client_id == client.id,
            Reminder.kind == "touch_up",
            Reminder.status == "pending",
        )
    )


def stored_settings() -> tuple | None:
    db.session.expire_all()
    row = db.session.scalar(sa.select(PracticeSettings))
    if row is None:
        return None
    return row.touch_up_threshold_pct, (row.reminder_offsets or {}).get("touch_up_lead")


def crown_window(page: Page, base: str, client: Client) -> tuple[str, str]:
    page.goto(f"{base}/clients/{client.id}")
    window = page.locator(".window-text", has_text="Crown").inner_text()
    threshold = page.locator(".fade-plot:visible .threshold-label").text_content().strip()
    return window, threshold


def touch_up_row(page: Page, base: str, client: Client) -> str:
    page.goto(f"{base}/clients/{client.id}/reminders")
    return page.get_by_role("row", name=re.compile("Book your touch-up")).first.inner_text()


def save_settings(page: Page, base: str, **values: str) -> None:
    page.goto(f"{base}/practice/reminders")
    for label, value in values.items():
        page.get_by_label({"threshold": THRESHOLD, "lead": LEAD, "healed": HEALED}[label]).fill(
            value
        )
    page.get_by_role("button", name="Save reminder settings").click()


def test_a_changed_lead_and_threshold_show_on_the_client_page_and_its_reminders(
    treated: Client, live_server: str, page: Page, personas: Personas, artifacts
) -> None:
    base = live_server
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in_as(page, base, personas.practitioner_p.email, PASSWORD)
    window_before, threshold_before = crown_window(page, base, treated)
    assert threshold_before == "touch-up level 70 %"
    row_before = touch_up_row(page, base, treated)
    due_before = touch_up_due_at(treated)
    assert due_before is not None

    # The lead: 60 -> 120 days moves the pending "book your touch-up" 60 days earlier.
    save_settings(page, base, lead="120")
    expect(page.get_by_text("Reminder settings saved; 1 client replanned.")).to_be_visible()
    expect(page.get_by_label(LEAD)).to_have_value("120")
    due_after = touch_up_due_at(treated)
    assert abs((due_before - due_after) - timedelta(days=60)) <= timedelta(days=1)
    assert touch_up_row(page, base, treated) != row_before
    assert crown_window(page, base, treated) == (window_before, threshold_before)

    # The threshold: 70 -> 90 % brings the crown's window forward and redraws the chart's line.
    save_settings(page, base, threshold="90")
    expect(page.get_by_text("Reminder settings saved; 1 client replanned.")).to_be_visible()
    window_after, threshold_after = crown_window(page, base, treated)
    assert threshold_after == "touch-up level 90 %"
    assert window_after != window_before
    most_likely = re.compile(r"most likely (\w+ \d{4})")
    before = datetime.strptime(most_likely.search(window_before).group(1), "%B %Y")
    after = datetime.strptime(most_likely.search(window_after).group(1), "%B %Y")
    assert after < before, "a higher threshold is reached sooner"
    page.screenshot(path=str(artifacts / "client-after-threshold-90.png"), full_page=True)
    assert stored_settings() == (90, 120)


@pytest.mark.parametrize("width", [390, 1280])
def test_bad_values_show_a_message_and_change_nothing(
    treated: Client, live_server: str, page: Page, personas: Personas, artifacts, width: int
) -> None:
    base = live_server
    page.set_viewport_size({"width": width, "height": 900})
    log_in_as(page, base, personas.practitioner_p.email, PASSWORD)
    window_before = crown_window(page, base, treated)
    due_before = touch_up_due_at(treated)

    save_settings(page, base, threshold="150")
    expect(page.get_by_text("Enter a whole percentage from 50 to 95.")).to_be_visible()
    expect(page.get_by_label(THRESHOLD)).to_have_value("150")  # what was typed, to correct
    assert page.evaluate(NO_SIDEWAYS_SCROLL), f"the settings page scrolls sideways at {width}"
    page.screenshot(path=str(artifacts / f"bad-threshold-{width}.png"), full_page=True)

    save_settings(page, base, healed="5", lead="120")
    expect(page.get_by_text("Enter a whole number from 14 to 90.")).to_be_visible()
    expect(page.get_by_text("Reminder settings saved")).to_have_count(0)

    # Nothing was stored, planned or re-projected, though a valid lead came with the bad day.
    assert stored_settings() is None
    assert touch_up_due_at(treated) == due_before
    assert crown_window(page, base, treated) == window_before
    page.goto(f"{base}/practice/reminders")
    expect(page.get_by_label(THRESHOLD)).to_have_value("70")
    expect(page.get_by_label(LEAD)).to_have_value("60")
    expect(page.get_by_label(HEALED)).to_have_value("28")
