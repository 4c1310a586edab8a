"""Issue 12's acceptance: a healed-check email received by a real SMTP server (aiosmtpd) carries a
link that leads to the upload and rating page; after the client answers, the client's projection
(the stored one the pages and the API read) holds the new assessment."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import FadeAssessment, Photo, Reminder
from smptrack.services.profile import client_today
from tests.conftest import Personas
from tests.smtp_server import SmtpServer
from tests.test_api_resources import Api
from tests.test_follow_up import assert_projection_holds, healed_client, jpeg, stored_projection
from tests.test_worker import sweep

LINK = re.compile(r"https://smptrack\.test/follow-up/[A-Za-z0-9._-]+")


def received_healed_check(smtp: SmtpServer) -> EmailMessage:
    """The healed-check email as the server received it, parsed by the standard library."""
    parser = BytesParser(policy=policy.default)
    with smtp.lock:
        raws = [r.raw for r in smtp.received]
    messages = [parser.parsebytes(raw) for raw in raws]
    (message,) = [m for m in messages if str(m["Subject"]).startswith("Healed at day 28")]
    return message  # type: ignore[return-value]


def link_in(message: EmailMessage) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    (found,) = set(LINK.findall(text))
    assert f'href="{found}"' in html, "the HTML part links to the same page"
    assert "reminders page" not in text, "no longer sends the client to a page that is not it"
    return found


def projection_reasons(api: Api, client_id: int) -> dict[str, list[str]]:
    response = api.get(f"/api/v1/clients/{client_id}/projection")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return {z["zone"]: z["review_reasons"] for z in response.get_json()["zones"]}


def test_the_emailed_link_leads_to_the_page_and_the_rating_reprojects_the_client(
    sending: Flask, smtp: SmtpServer, personas: Personas
) -> None:
    record = healed_client(personas)  # an initial session 29 days ago: the check was due
    healed = db.session.scalar(
        sa.select(Reminder).where(Reminder.client_id == record.id, Reminder.kind == "healed_check")
    )
    assert healed is not None and healed.status == "pending"
    before = stored_projection(record)
    api = Api(sending, personas.practitioner_p)
    today = client_today(record, datetime.now(UTC)).isoformat()
    assert not any(today in r for rs in projection_reasons(api, record.id).values() for r in rs)

    sweep(sending, healed.due_at + timedelta(minutes=1))  # the sender, on its own clock
    message = received_healed_check(smtp)
    assert str(message["To"]) == "Ada Client <a@clients.test>"
    url = link_in(message)

    browser = sending.test_client()
    path = urlsplit(url).path
    page = browser.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    assert 'name="density_crown"' in page.get_data(as_text=True)
    answered = browser.post(
        path,
        data={
            "density_crown": "60",
            "density_frontal_hairline": "64",
            "photo_crown": (io.BytesIO(jpeg()), "crown.jpg"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert answered.status_code == 200, answered.get_data(as_text=True)[:500]
    assert "Thank you" in answered.get_data(as_text=True)

    ratings = db.session.scalars(
        sa.select(FadeAssessment).where(FadeAssessment.client_id == record.id)
    ).all()
    assert sorted((a.zone, a.density_pct, a.assessor_kind) for a in ratings) == [
        ("crown", 60.0, "client_self"),
        ("frontal_hairline", 64.0, "client_self"),
    ]
    (photo,) = db.session.scalars(sa.select(Photo)).all()
    assert photo.assessment_id == next(a.id for a in ratings if a.zone == "crown")
    assert_projection_holds(
        before, stored_projection(record), today, {"crown": 60, "frontal_hairline": 64}
    )
    # ... and it is what the API reads.
    reasons = projection_reasons(api, record.id)
    assert f"{today}: 60% within the first 12 months" in reasons["crown"]
    assert f"{today}: 64% within the first 12 months" in reasons["frontal_hairline"]

    # The same link again: used, nothing more written.
    again = browser.post(path, data={"density_crown": "30"})
    assert again.status_code == 409
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FadeAssessment)) == 2
