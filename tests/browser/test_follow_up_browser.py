"""Issue 12's browser acceptance for the follow-up email, at 390 and 1280 px: the client opens the
healed-check email's link (taken from the mail the sender wrote), uploads a healed photo (a real
JPEG made with Pillow) and rates; the practitioner logs in, opens the client's page, sees the
photo beside the healed baseline (the photo timeline) and rates from it on the assessment form.
Screenshots in test-artifacts/test_follow_up_browser/."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from smptrack.extensions import db
from smptrack.models import Client, FadeAssessment, Photo, Reminder, User
from smptrack.sending.sender import Sender
from smptrack.services import photos, projections
from tests.browser.conftest import log_in_as
from tests.conftest import PASSWORD, make_client, make_user
from tests.test_history import add_session

WIDTHS = (390, 1280)
ZONES = ("frontal_hairline", "crown")
NO_SIDEWAYS_SCROLL = (
    "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
)


def scalp_jpeg(shade: int) -> bytes:
    """A small real JPEG: a scalp-toned field dotted with pigment (darker = denser)."""
    image = Image.new("RGB", (320, 240), (214, 170, 140))
    draw = ImageDraw.Draw(image)
    for x in range(8, 320, 14):
        for y in range(8, 240, 14):
            draw.ellipse((x, y, x + 4, y + 4), fill=(shade, shade, shade))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def healed_client(practitioner: User, name: str, email: str) -> Client:
    """A client whose initial session was 30 days ago, with the practitioner's healed baseline
    photo of the crown from day 28."""
    record = make_client(practitioner, name, email=email)
    now = datetime.now(UTC)
    session_on = now.date() - timedelta(days=30)
    add_session(record, practitioner, session_on, zones=ZONES)
    photos.store_photo(
        record,
        zone="crown",
        taken_on=session_on + timedelta(days=28),
        data=scalp_jpeg(40),
        uploaded_by=practitioner,
        now=now,
    )
    projections.refresh_stale(now)  # plans the healed check (day 28: due yesterday)
    db.session.commit()
    return record


def emailed_links(app: Flask) -> dict[str, str]:
    """Each recipient's healed-check link, from the mail the sender wrote to the mail folder
    (no SMTP server configured: the default install's .eml files)."""
    due = db.session.scalars(
        sa.select(Reminder.due_at).where(
            Reminder.kind == "healed_check", Reminder.status == "pending"
        )
    ).all()
    Sender(app).send_due(lambda: max(due) + timedelta(minutes=1))
    parser = BytesParser(policy=policy.default)
    links = {}
    for path in sorted(Path(app.config["MAIL_FOLDER"]).glob("*.eml")):
        message = parser.parsebytes(path.read_bytes())
        if not str(message["Subject"]).startswith("Healed at day"):
            continue
        text = message.get_body(preferencelist=("plain",)).get_content()
        links[str(message["To"])] = re.search(r"https?://\S+/follow-up/\S+", text).group(0)
    return links


def answer_the_check_in(page: Page, link: str, width: int, artifacts: Path) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(link)
    expect(page.get_by_role("heading", name="Your healed check")).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL), f"the page fits {width} px"
    page.screenshot(path=str(artifacts / f"check-in-form-{width}.png"), full_page=True)

    crown = page.locator("#zone-crown")
    crown.get_by_label("How full does it look").fill("150")  # a slip: refused, nothing saved
    crown.get_by_label("A photo").set_input_files(
        files=[{"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": scalp_jpeg(70)}]
    )
    page.get_by_role("button", name="Send my check-in").click()
    expect(page.get_by_text("Enter the density as a percentage")).to_be_visible()
    page.screenshot(path=str(artifacts / f"check-in-refused-{width}.png"), full_page=True)

    crown = page.locator("#zone-crown")
    crown.get_by_label("How full does it look").fill("85")
    crown.get_by_label("A photo").set_input_files(  # a file input is never refilled
        files=[{"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": scalp_jpeg(70)}]
    )
    page.locator("#zone-frontal_hairline").get_by_label("How full does it look").fill("90")
    page.get_by_role("button", name="Send my check-in").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(page.get_by_text("What happens next")).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    page.screenshot(path=str(artifacts / f"check-in-thanks-{width}.png"), full_page=True)

    page.goto(link)  # the link works once
    expect(page.get_by_role("heading", name="This link was used already")).to_be_visible()


def test_the_client_answers_from_the_email_and_the_practitioner_rates_from_the_photo(
    app: Flask, live_server: str, page: Page, artifacts: Path
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True  # the forms as served, tokens and all
    app.config["BASE_URL"] = live_server  # the links in the mail lead to this server
    practitioner = make_user("practitioner", "pat@studio.test", "Pat Practitioner")
    clients = {
        390: healed_client(practitioner, "Ada Phone", "ada@clients.test"),
        1280: healed_client(practitioner, "Ben Desktop", "ben@clients.test"),
    }
    ids = {width: record.id for width, record in clients.items()}
    links = emailed_links(app)
    assert set(links) == {"Ada Phone <ada@clients.test>", "Ben Desktop <ben@clients.test>"}

    answer_the_check_in(page, links["Ada Phone <ada@clients.test>"], 390, artifacts)
    answer_the_check_in(page, links["Ben Desktop <ben@clients.test>"], 1280, artifacts)

    db.session.expire_all()
    for width, client_id in ids.items():
        rows = db.session.scalars(
            sa.select(FadeAssessment).where(FadeAssessment.client_id == client_id)
        ).all()
        assert sorted((a.zone, a.density_pct, a.assessor_kind) for a in rows) == [
            ("crown", 85.0, "client_self"),
            ("frontal_hairline", 90.0, "client_self"),
        ], width
        uploaded = db.session.scalars(
            sa.select(Photo).where(Photo.client_id == client_id, Photo.uploaded_by_id.is_(None))
        ).all()
        assert [(p.zone, p.assessment_id) for p in uploaded] == [
            ("crown", next(a.id for a in rows if a.zone == "crown"))
        ], width

    # The practitioner compares the client's photo with the healed baseline and rates from it.
    page.context.clear_cookies()
    log_in_as(page, live_server, "pat@studio.test", PASSWORD)
    for width, client_id in ids.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server}/clients/{client_id}")
        crown = page.locator(".photo-row", has=page.get_by_role("heading", name="Crown"))
        expect(crown.get_by_role("img", name=re.compile("^Healed baseline"))).to_be_visible()
        expect(crown.get_by_role("img", name=re.compile("^Latest"))).to_be_visible()
        for image in crown.get_by_role("img").all()[:2]:
            assert image.evaluate("i => i.complete && i.naturalWidth > 0"), "the photo loads"
        assert page.evaluate(NO_SIDEWAYS_SCROLL), f"the client page fits {width} px"
        crown.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / f"practitioner-timeline-{width}.png"), full_page=True)

        crown.get_by_role("link", name="Rate the latest photo").click()
        expect(
            page.get_by_role("heading", name="Crown: compare with the healed result")
        ).to_be_visible()
        expect(page.get_by_role("img", name=re.compile("^Healed baseline"))).to_be_visible()
        expect(page.get_by_role("img", name=re.compile("^Being rated"))).to_be_visible()
        page.screenshot(path=str(artifacts / f"practitioner-rates-{width}.png"), full_page=True)
        page.get_by_label("Density (% of the healed result)").fill("80")
        page.get_by_role("button", name="Record the assessment").click()
        expect(page.get_by_text("The assessment is recorded.")).to_be_visible()

    db.session.expire_all()
    for client_id in ids.values():
        by_practitioner = db.session.scalars(
            sa.select(FadeAssessment).where(
                FadeAssessment.client_id == client_id,
                FadeAssessment.assessor_kind == "practitioner_photo",
            )
        ).all()
        assert [(a.zone, a.density_pct) for a in by_practitioner] == [("crown", 80.0)]
