"""Booking in a real browser (issue 11): P's front desk books Ada through the form and cannot
open her clinical record; once the day has come P records the session from the appointment,
which arrives pre-filled and leaves the appointment done. The schedule and the booking form
fit a phone's width without sideways scrolling."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from smptrack.extensions import db
from smptrack.models import Appointment
from smptrack.services import catalogue
from tests.browser.conftest import log_in_as
from tests.conftest import PASSWORD, Personas


def _no_sideways_scroll(page: Page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_the_front_desk_books_and_the_practitioner_records_the_session_from_it(
    app: Flask, live_server: str, page: Page, browser, personas: Personas
) -> None:
    base = live_server
    now = datetime.now(UTC)
    pigment = catalogue.create_pigment(
        personas.practitioner_p,
        catalogue.PigmentInput("Nordic Scalp", "", "Dark Ash", "carbon"),
        now=now,
    )
    catalogue.add_lot(
        personas.practitioner_p,
        pigment.id,
        catalogue.LotInput("DA-7781", date.today() + timedelta(days=400)),
        now=now,
    )
    db.session.commit()
    tomorrow = (now + timedelta(days=1)).date()

    # The front desk books Ada with Pat for tomorrow morning.
    log_in_as(page, base, personas.front_desk_p.email, PASSWORD)
    page.get_by_role("link", name="Appointments").click()
    page.get_by_role("link", name="Book an appointment").click()
    page.get_by_label("Client").select_option(label="Ada Client")
    page.get_by_label("Practitioner").select_option(label="Pat Practitioner")
    page.get_by_label("Date").fill(tomorrow.isoformat())
    page.get_by_label("Starts at").fill("10:00")
    page.get_by_label("Length (minutes)").fill("150")
    page.get_by_label("Kind of session").select_option("touch_up")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text("Booked for")).to_be_visible()
    expect(page.get_by_text("10:00–12:30")).to_be_visible()
    expect(page.get_by_role("link", name="Record this session")).to_have_count(0)

    # The week shows it; the client's name is no way into her clinical record.
    page.get_by_role("link", name="Back to the week").click()
    expect(page.get_by_text("Ada Client").first).to_be_visible()
    expect(page.locator(f'a[href="/clients/{personas.record_a.id}"]')).to_have_count(0)
    for clinical in (
        f"/clients/{personas.record_a.id}",
        f"/clients/{personas.record_a.id}/sessions/new",
    ):
        assert page.goto(f"{base}{clinical}").status == 403

    # The day comes: the test moves the booking an hour into the past rather than wait for it.
    with db.engine.begin() as connection:
        table = Appointment.__table__
        connection.execute(
            sa.update(table).values(
                starts_at=now - timedelta(hours=1), ends_at=now + timedelta(minutes=90)
            )
        )
    appointment_id = db.session.scalar(sa.select(Appointment.id))

    # Pat records the session from the appointment: the form arrives pre-filled.
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    practitioner = context.new_page()
    log_in_as(practitioner, base, personas.practitioner_p.email, PASSWORD)
    practitioner.goto(f"{base}/appointments/{appointment_id}")
    practitioner.get_by_role("link", name="Record this session").click()
    expect(practitioner.locator("#kind")).to_have_value("touch_up")
    expect(practitioner.locator("#duration_minutes")).to_have_value("150")
    practitioner.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    practitioner.locator("#placements-0-zone").select_option("crown")
    lot = practitioner.locator("#placements-0-pigment_lot_id")
    lot.select_option(lot.locator("option", has_text="DA-7781").first.get_attribute("value"))
    practitioner.get_by_role("button", name="Save session").click()
    expect(practitioner.get_by_text("DA-7781").first).to_be_visible()
    practitioner.goto(f"{base}/appointments/{appointment_id}")
    expect(practitioner.locator(".tag", has_text="Done")).to_be_visible()
    expect(practitioner.get_by_role("link", name="The session recorded from it")).to_be_visible()
    context.close()


def test_the_schedule_and_the_booking_form_fit_a_phone(
    app: Flask, live_server: str, browser, personas: Personas
) -> None:
    from smptrack.services import appointments as booking

    start = datetime.now(UTC) + timedelta(days=1)
    for hour, who in ((9, personas.practitioner_p), (13, personas.colleague_p)):
        booking.book(
            personas.front_desk_p,
            client_id=personas.record_a.id,
            practitioner_id=who.id,
            day=start.date(),
            start=datetime.min.time().replace(hour=hour),
            minutes=180,
            kind="build_up",
            note="Prefers mornings; parks at the back of the building by the loading bay",
            now=datetime.now(UTC),
        )
    db.session.commit()
    context = browser.new_context(viewport={"width": 360, "height": 780})
    phone = context.new_page()
    log_in_as(phone, live_server, personas.front_desk_p.email, PASSWORD)
    for path in (f"/appointments?day={start.date().isoformat()}", "/appointments/new"):
        phone.goto(f"{live_server}{path}")
        assert _no_sideways_scroll(phone), path
    phone.goto(f"{live_server}/appointments?day={start.date().isoformat()}")
    expect(phone.locator("td", has_text="Cole Colleague")).to_be_visible()
    context.close()
