"""The studio in a real browser (issue 11's browser acceptance): the owner sets the practice's
time zone and invites a colleague and a front-desk member; each follows the mailed link, sets a
password and logs in; the front desk books an appointment and cannot open the client's record
or the session's placements; the practitioner records the session from the appointment (the
form comes pre-filled) and the appointment shows done."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from smptrack.extensions import db
from smptrack.models import Appointment, Pigment, PigmentLot, TreatmentSession
from tests.browser.conftest import log_in_as
from tests.conftest import PASSWORD, make_client, make_user
from tests.outbox import send_account_mail

COLLEAGUE_PASSWORD = "colleague password 1"
DESK_PASSWORD = "front desk password 1"


def morning_zone(now: datetime) -> str:
    """An IANA zone where it is now about 8 in the morning, so that a booking at 10:00 today is
    in the future and a session recorded from it is not (wherever and whenever this runs)."""
    offset = (8 - now.hour + 12) % 24 - 12  # hours east of UTC, -12..11
    if offset == 0:
        return "Etc/GMT"
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"  # POSIX signs are inverted


def mailed_links(app: Flask) -> dict[str, str]:
    """Each recipient's join link, from the mail the outbox's sweep wrote to the mail folder."""
    send_account_mail(app)
    parser = BytesParser(policy=policy.default)
    links = {}
    for path in sorted(Path(app.config["MAIL_FOLDER"]).glob("*.eml")):
        message = parser.parsebytes(path.read_bytes())
        text = message.get_body(preferencelist=("plain",)).get_content()
        found = re.search(r"https?://\S+/practice/join/\S+", text)
        if found:
            links[str(message["To"])] = found.group(0)
    return links


def join(page: Page, link: str, name: str, password: str) -> None:
    page.goto(link)
    expect(page.get_by_role("heading", name=re.compile("^Join "))).to_be_visible()
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Choose a password").fill(password)
    page.get_by_label("Repeat password").fill(password)
    page.get_by_role("button", name="Join the practice").click()
    expect(page.get_by_text("Log in with your new password")).to_be_visible()


def test_a_studio_invites_its_team_books_and_records_a_session(
    app: Flask, live_server: str, page: Page, browser, artifacts: Path
) -> None:
    base = live_server
    zone = morning_zone(datetime.now(UTC))
    owner = make_user("practitioner", "owner@studio.test", "Olive Owner")
    record = make_client(owner, "Casey Client", email="casey@clients.test", time_zone=zone)
    pigment = Pigment(practice_id=owner.practice_id, brand="Nordic Scalp", shade="Dark Ash")
    db.session.add(pigment)
    db.session.flush()
    db.session.add(
        PigmentLot(
            pigment_id=pigment.id, lot_number="DA-7781", expires_on=date.today() + timedelta(400)
        )
    )
    db.session.commit()
    client_id = record.id

    # The owner sets the practice's time zone and invites a colleague and the front desk.
    log_in_as(page, base, "owner@studio.test", PASSWORD)
    page.get_by_role("link", name="Practice").first.click()
    page.get_by_label("Practice name").fill("Crown & Temple Studio")
    page.get_by_label("Time zone").select_option(zone)
    page.get_by_label("Booking link").fill("https://book.example.com/crown-temple")
    page.get_by_role("button", name="Save practice details").click()
    expect(page.get_by_text("The practice's details are saved.")).to_be_visible()
    page.get_by_role("link", name="Members of the practice").click()
    for name, email, role in (
        ("Cole Colleague", "cole@studio.test", "Practitioner"),
        ("Dee Desk", "dee@studio.test", "Front desk"),
    ):
        page.get_by_label("Their name").fill(name)
        page.get_by_label("Their email").fill(email)
        page.get_by_label("Role").select_option(label=role)
        page.get_by_role("button", name="Send invitation").click()
        expect(page.get_by_text(f"Invitation sent to {email}.")).to_be_visible()
    pending = page.get_by_role("table").nth(1)
    expect(pending).to_contain_text("cole@studio.test")
    expect(pending).to_contain_text("dee@studio.test")

    links = mailed_links(app)
    assert set(links) == {"cole@studio.test", "dee@studio.test"}

    # Each follows their link in their own browser, sets a password and logs in.
    desk_context = browser.new_context(viewport={"width": 1100, "height": 900})
    colleague_context = browser.new_context(viewport={"width": 1100, "height": 900})
    try:
        desk = desk_context.new_page()
        colleague = colleague_context.new_page()
        join(desk, links["dee@studio.test"], "Dee Desk", DESK_PASSWORD)
        join(colleague, links["cole@studio.test"], "Cole Colleague", COLLEAGUE_PASSWORD)
        log_in_as(desk, base, "dee@studio.test", DESK_PASSWORD)
        log_in_as(colleague, base, "cole@studio.test", COLLEAGUE_PASSWORD)
        for member in (desk, colleague):
            member.goto(f"{base}/practice/members")
            expect(member.get_by_role("table").first).to_contain_text("Olive Owner")
            expect(member.get_by_role("button", name="Send invitation")).to_have_count(0)
        page.reload()
        expect(page.get_by_text("No invitation is waiting to be accepted.")).to_be_visible()

        # The front desk books Casey with Cole at 10:00 today, in the practice's time zone.
        today = datetime.now(UTC).astimezone(ZoneInfo(zone)).date()
        desk.goto(f"{base}/appointments/new")
        desk.get_by_label("Client").select_option(label="Casey Client")
        desk.get_by_label("Practitioner").select_option(label="Cole Colleague")
        desk.get_by_label("Date").fill(today.isoformat())
        desk.get_by_label("Starts at").fill("10:00")
        desk.get_by_label("Length (minutes)").fill("180")
        desk.get_by_label("Kind of session").select_option("initial")
        desk.get_by_role("button", name="Book").click()
        expect(desk.get_by_text(re.compile("^Booked for "))).to_be_visible()
        expect(desk.locator("dl")).to_contain_text("10:00–13:00")
        appointment_url = desk.url
        # The front desk sees the name, not a way into the clinical record.
        expect(desk.get_by_role("link", name="Casey Client")).to_have_count(0)
        expect(desk.get_by_role("link", name="Record this session")).to_have_count(0)
        desk.screenshot(path=str(artifacts / "front-desk-booked.png"), full_page=True)
        refused = desk.goto(f"{base}/clients/{client_id}")
        assert refused.status == 403

        # The practitioner records the session from the appointment.
        colleague.goto(appointment_url)
        colleague.get_by_role("link", name="Record this session").click()
        expect(colleague.locator("#performed_on")).to_have_value(today.isoformat())
        expect(colleague.locator("#kind")).to_have_value("initial")
        expect(colleague.locator("#duration_minutes")).to_have_value("180")
        colleague.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        colleague.locator("#placements-0-zone").select_option("crown")
        lot = colleague.locator("#placements-0-pigment_lot_id")
        lot.select_option(lot.locator("option", has_text="DA-7781").first.get_attribute("value"))
        colleague.get_by_role("button", name="Save session").click()
        expect(colleague.get_by_text("DA-7781").first).to_be_visible()
        colleague.goto(appointment_url)
        expect(colleague.locator("dl")).to_contain_text("Done")
        expect(colleague.get_by_role("link", name="The session recorded from it")).to_be_visible()
        colleague.screenshot(path=str(artifacts / "appointment-done.png"), full_page=True)

        # The session and its placements stay closed to the front desk.
        db.session.expire_all()
        appointment = db.session.scalar(sa.select(Appointment))
        assert appointment.status == "done" and appointment.session_id is not None
        session_row = db.session.get(TreatmentSession, appointment.session_id)
        assert session_row.client_id == client_id
        desk.goto(appointment_url)
        expect(desk.locator("dl")).to_contain_text("Done")
        expect(desk.get_by_role("link", name="The session recorded from it")).to_have_count(0)
        assert desk.goto(f"{base}/sessions/{appointment.session_id}").status == 403
        expect(desk.get_by_text("DA-7781")).to_have_count(0)
    finally:
        desk_context.close()
        colleague_context.close()
