"""The follow-up link of a healed-check or yearly self-check email (issue 12 item 5): a signed,
single-use, expiring page where the client rates each treated zone and may add photos; each
rating becomes a ``client_self`` assessment and the client's stored projection follows."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from PIL import Image

from smptrack.domain import vocabulary
from smptrack.extensions import db
from smptrack.logfilter import redact
from smptrack.models import (
    AuditEvent,
    Client,
    ClientProjection,
    FadeAssessment,
    FollowUpResponse,
    Reminder,
)
from smptrack.services import follow_up, projections
from smptrack.services.profile import client_today
from tests.conftest import Personas, log_in, make_client, statements_sent
from tests.test_history import add_session

SECRET = "test-secret-key-not-for-production"  # tests.conftest.base_config's
ZONES = ("frontal_hairline", "crown")
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


# --- helpers (the SMTP and browser tests use them too) -----------------------------------------


def healed_client(personas: Personas, record: Client | None = None, days_ago: int = 29) -> Client:
    """``record`` (client A's by default) with an initial session ``days_ago`` days ago on
    ``ZONES``, projected and planned as a recorded session is."""
    record = record or personas.record_a
    on = datetime.now(UTC).date() - timedelta(days=days_ago)
    add_session(record, personas.practitioner_p, on, zones=ZONES)
    projections.refresh_stale(datetime.now(UTC))
    db.session.commit()
    return record


def check_in(record: Client, kind: str = "healed_check", *, sent_ago: timedelta | None = None):
    """A sent check-in reminder of ``record`` (as the sender leaves it) and its link's path."""
    sent_at = datetime.now(UTC) - (sent_ago or timedelta(hours=1))
    reminder = Reminder(
        client_id=record.id,
        recipient_email=record.email or "x@clients.test",
        kind=kind,
        due_at=sent_at,
        dedupe_key=f"test:{record.id}:{kind}:{sent_at.timestamp()}",
        status="sent",
        sent_at=sent_at,
        payload={"details": {"day": 28}},
    )
    db.session.add(reminder)
    db.session.commit()
    token = follow_up.follow_up_token(SECRET, reminder, issued_at=sent_at)
    return reminder, f"/follow-up/{token}"


def jpeg(width: int = 96, height: int = 64) -> bytes:
    """A small real JPEG (Pillow), like a phone's photo but tiny."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (120, 90, 70)).save(out, format="JPEG", quality=85)
    return out.getvalue()


def counts() -> dict[str, int]:
    db.session.expire_all()
    return {
        t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t)) or 0
        for t in db.metadata.sorted_tables
    }


def stored_projection(record: Client) -> dict:
    db.session.expire_all()
    row = db.session.get(ClientProjection, record.id)
    assert row is not None, "a projection is stored"
    return row.document


def zone_reasons(document: dict) -> dict[str, list[str]]:
    return {z["zone"]: z["review_reasons"] for z in document["zones"]}


def assert_projection_holds(before: dict, after: dict, on: str, ratings: dict[str, int]) -> None:
    """The stored projection ``after`` used each of ``ratings`` (zone -> %) made ``on``, which
    ``before`` did not know: each is named among its zone's review reasons (a rating under 85 %
    in the first year is flagged, FADE-MODEL §6), and they move the client's rate up."""
    for zone, pct in ratings.items():
        reason = f"{on}: {pct}% within the first 12 months"
        assert reason not in zone_reasons(before)[zone]
        assert reason in zone_reasons(after)[zone], zone_reasons(after)
    # Faster than the reference (a tight prior: one early rating moves it only a little).
    assert after["rate_multiplier"][1] > before["rate_multiplier"][1]
    assert after["next_touch_up_on"] <= before["next_touch_up_on"]


def files_in(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def upload_folder(app: Flask) -> Path:
    return Path(app.config.get("UPLOAD_FOLDER") or Path(app.instance_path) / "uploads")


# --- the page ----------------------------------------------------------------------------------


def test_the_link_opens_a_page_with_each_treated_zone_and_the_get_writes_nothing(
    app: Flask, personas: Personas
) -> None:
    record = healed_client(personas)
    _, path = check_in(record)
    before = counts()

    with statements_sent() as statements:
        response = app.test_client().get(path)

    body = response.get_data(as_text=True)
    assert response.status_code == 200, body[:300]
    assert "Your healed check" in body
    assert "Ada Client" not in body, "the link shows no name: it may have been forwarded"
    assert 'name="density_frontal_hairline"' in body and 'name="density_crown"' in body
    assert 'name="photo_crown"' in body and 'name="photo_whole_scalp"' in body
    assert 'name="density_occipital"' not in body, "only the treated zones are asked about"
    assert 'enctype="multipart/form-data"' in body
    assert [s for s in statements if WRITE.match(s)] == []
    assert counts() == before


def test_each_rating_becomes_a_self_assessment_and_the_stored_projection_follows(
    app: Flask, personas: Personas
) -> None:
    record = healed_client(personas)
    reminder, path = check_in(record)
    before = stored_projection(record)

    response = app.test_client().post(
        path,
        data={"density_frontal_hairline": "62", "density_crown": "58 %"},
        follow_redirects=True,
    )

    body = response.get_data(as_text=True)
    assert [r.status_code for r in response.history] == [303], "posted, then redirected"
    assert response.status_code == 200, body[:500]
    assert "2 ratings" in body
    assert "Thank you" in body and "What happens next" in body
    rows = db.session.scalars(
        sa.select(FadeAssessment)
        .where(FadeAssessment.client_id == record.id)
        .order_by(FadeAssessment.zone)
    ).all()
    assert [(a.zone, a.density_pct, a.assessor_kind) for a in rows] == [
        ("crown", 58.0, "client_self"),
        ("frontal_hairline", 62.0, "client_self"),
    ]
    assert {a.assessed_by_id for a in rows} == {personas.client_a.id}
    assert {a.assessed_on for a in rows} == {client_today(record, datetime.now(UTC))}
    used = db.session.scalar(sa.select(FollowUpResponse))
    assert (used.reminder_id, used.client_id, used.ratings) == (reminder.id, record.id, 2)
    audit = db.session.scalars(
        sa.select(AuditEvent.object_type).where(
            AuditEvent.client_id == record.id, AuditEvent.action == "create"
        )
    ).all()
    assert sorted(audit) == ["fade_assessment", "fade_assessment", "follow_up_response"]

    after = stored_projection(record)
    today = client_today(record, datetime.now(UTC)).isoformat()
    assert_projection_holds(before, after, today, {"crown": 58, "frontal_hairline": 62})
    db.session.expire_all()
    materialised = db.session.get(Client, record.id).next_touch_up_on
    assert materialised.isoformat() == after["next_touch_up_on"]
    assert "most likely around" in body


def test_the_link_works_once_and_then_says_when_it_was_used(app: Flask, personas: Personas) -> None:
    record = healed_client(personas)
    _, path = check_in(record)
    browser = app.test_client()
    first = browser.post(path, data={"density_crown": "90"}, follow_redirects=True)
    assert "Thank you" in first.get_data(as_text=True)
    after_first = counts()

    again = browser.post(path, data={"density_crown": "40"})
    page = browser.get(path)

    assert again.status_code == 409
    for response in (again, page):
        body = response.get_data(as_text=True)
        assert "This link was used already" in body
        assert re.search(r"was sent on \d{1,2} \w+ 20\d\d at \d\d:\d\d (GMT|BST)", body), body
        assert 'name="density_crown"' not in body
    assert counts() == after_first


def test_an_expired_link_says_so_and_what_to_do_and_writes_nothing(
    app: Flask, personas: Personas
) -> None:
    record = healed_client(personas, days_ago=70)
    _, path = check_in(record, sent_ago=timedelta(days=30, minutes=1))
    before = counts()

    page = app.test_client().get(path)
    post = app.test_client().post(path, data={"density_crown": "80"})

    for response in (page, post):
        body = response.get_data(as_text=True)
        assert response.status_code == 410
        assert "This link has expired" in body and "My assessments" in body
        assert 'name="density_crown"' not in body
    assert counts() == before


def test_the_yearly_check_in_link_lives_sixty_days(app: Flask, personas: Personas) -> None:
    record = healed_client(personas, days_ago=500)
    _, open_path = check_in(record, "self_check", sent_ago=timedelta(days=59))
    _, old_path = check_in(record, "self_check", sent_ago=timedelta(days=60, minutes=1))

    opened = app.test_client().get(open_path)
    assert opened.status_code == 200 and "Your yearly check-in" in opened.get_data(as_text=True)
    assert app.test_client().get(old_path).status_code == 410


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if t[-2:] != "AA" else "BB"),  # the signature altered
        lambda t: t.split(".")[0] + ".",  # no signature
        lambda t: "forged",
        lambda t: t + "x",
    ],
    ids=["altered", "unsigned", "forged", "appended"],
)
def test_a_tampered_link_is_not_valid(app: Flask, personas: Personas, mangle) -> None:
    record = healed_client(personas)
    _, path = check_in(record)
    token = path.rsplit("/", 1)[1]
    before = counts()

    for method in ("get", "post"):
        response = getattr(app.test_client(), method)(
            f"/follow-up/{mangle(token)}", data={"density_crown": "80"}
        )
        body = response.get_data(as_text=True)
        assert response.status_code == 404
        assert "This link is not valid" in body and "Ada Client" not in body
    assert counts() == before


def test_a_link_signed_with_another_key_is_not_valid(app: Flask, personas: Personas) -> None:
    record = healed_client(personas)
    reminder, _ = check_in(record)
    token = follow_up.follow_up_token("another key", reminder, issued_at=datetime.now(UTC))
    assert app.test_client().get(f"/follow-up/{token}").status_code == 404


def test_a_token_pairing_one_clients_reminder_with_another_client_is_not_valid(
    app: Flask, personas: Personas
) -> None:
    """Even correctly signed: the reminder must be the named client's (no confusion of ids)."""
    healed_client(personas)
    reminder_b, _ = check_in(personas.record_b)
    serializer = follow_up._serializer(SECRET)
    issued = int(datetime.now(UTC).timestamp())
    fingerprint = follow_up._fingerprint(reminder_b)
    crossed = serializer.dumps([reminder_b.id, personas.record_a.id, issued, fingerprint])
    before = counts()

    for method in ("get", "post"):
        response = getattr(app.test_client(), method)(
            f"/follow-up/{crossed}", data={"density_crown": "80"}
        )
        assert response.status_code == 404
        body = response.get_data(as_text=True)
        assert "Ada Client" not in body and "Bea Client" not in body
    assert counts() == before


def test_reminders_of_other_kinds_have_no_link(app: Flask, personas: Personas) -> None:
    record = healed_client(personas)
    aftercare, _ = check_in(record)
    aftercare.kind = "aftercare"
    db.session.commit()
    with pytest.raises(ValueError):
        follow_up.follow_up_token(SECRET, aftercare, issued_at=datetime.now(UTC))
    signed = follow_up._serializer(SECRET).dumps(
        [
            aftercare.id,
            record.id,
            int(datetime.now(UTC).timestamp()),
            follow_up._fingerprint(aftercare),
        ]
    )
    assert app.test_client().get(f"/follow-up/{signed}").status_code == 404


def test_a_link_to_a_row_that_took_an_erased_ones_id_is_not_valid(
    app: Flask, personas: Personas
) -> None:
    """SQLite may hand an erased client's reminder id to a new row: the token names the row it
    was made for (its dedupe key and creation time), not just the id."""
    record = healed_client(personas)
    reminder, path = check_in(record)
    assert app.test_client().get(path).status_code == 200
    reminder.dedupe_key = "client:1:healed_check:session:99:day-28"  # another row, same id
    db.session.commit()

    response = app.test_client().get(path)
    assert response.status_code == 404
    assert "This link is not valid" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"density_crown": "abc"}, "density_crown", "Enter a number from 0 to 100"),
        ({"density_crown": "101"}, "density_crown", "Enter the density as a percentage"),
        ({"density_crown": "-5"}, "density_crown", "Enter the density as a percentage"),
        ({"density_crown": "nan"}, "density_crown", "Enter the density as a percentage"),
        ({"density_crown": "1e400"}, "density_crown", "Enter the density as a percentage"),
        ({"density_occipital": "80"}, None, "Occipital is not one of your treated zones"),
        ({"client_id": "2", "density_crown": "80"}, None, "does not take these fields"),
        ({}, None, "Rate at least one zone or add a photo"),
        ({"density_crown": "", "density_frontal_hairline": " "}, None, "Rate at least one zone"),
        ({"density_crown": "80", "note": "a\x00b"}, "note", ""),
    ],
    ids=[
        "words",
        "over",
        "negative",
        "nan",
        "infinite",
        "untreated",
        "client-id",
        "empty",
        "blank",
        "control",
    ],
)
def test_bad_answers_re_render_with_messages_and_write_nothing(
    app: Flask, personas: Personas, data: dict, field: str | None, message: str
) -> None:
    record = healed_client(personas)
    _, path = check_in(record)
    before = counts()

    response = app.test_client().post(path, data={"density_frontal_hairline": "", **data})

    body = response.get_data(as_text=True)
    assert response.status_code == 422, body[:300]
    assert message in body
    assert 'name="density_crown"' in body, "the form is shown again"
    if field is not None:
        assert re.search(rf'id="{field}-error"', body), body
    assert counts() == before


def test_the_good_zones_are_not_saved_when_another_zone_is_bad(
    app: Flask, personas: Personas
) -> None:
    record = healed_client(personas)
    _, path = check_in(record)
    before = counts()

    response = app.test_client().post(
        path, data={"density_frontal_hairline": "85", "density_crown": "150"}
    )

    assert response.status_code == 422
    assert 'value="85"' in response.get_data(as_text=True), "what was typed is kept"
    assert counts() == before


def test_the_form_needs_its_csrf_token(app: Flask, personas: Personas) -> None:
    record = healed_client(personas)
    _, path = check_in(record)
    app.config["WTF_CSRF_ENABLED"] = True
    before = counts()
    browser = app.test_client()

    refused = browser.post(path, data={"density_crown": "80"})
    page = browser.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)

    assert refused.status_code == 400
    assert counts() == before
    assert token is not None
    accepted = browser.post(path, data={"density_crown": "80", "csrf_token": token.group(1)})
    assert accepted.status_code == 303, accepted.get_data(as_text=True)[:300]


def test_a_client_without_a_login_answers_through_the_link(app: Flask, personas: Personas) -> None:
    record = make_client(personas.practitioner_p, "Lou Nologin", email="lou@clients.test")
    db.session.commit()
    healed_client(personas, record)
    _, path = check_in(record)

    response = app.test_client().post(path, data={"density_crown": "75"})

    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    (rating,) = db.session.scalars(
        sa.select(FadeAssessment).where(FadeAssessment.client_id == record.id)
    ).all()
    assert (rating.assessor_kind, rating.assessed_by_id, rating.density_pct) == (
        "client_self",
        None,
        75.0,
    )
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(FadeAssessment)
            .where(FadeAssessment.client_id != record.id)
        )
        == 0
    ), "no other client was rated"


def test_a_second_answer_racing_past_the_check_is_refused_by_the_unique_row(
    app: Flask, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two posts that both passed ``check_open``: the database lets one answer in."""
    record = healed_client(personas)
    _, path = check_in(record)
    assert app.test_client().post(path, data={"density_crown": "90"}).status_code == 303
    link = follow_up.read_follow_up_token(SECRET, path.rsplit("/", 1)[1])
    monkeypatch.setattr(follow_up, "check_open", lambda link, now: None)

    answers = follow_up.FollowUpAnswers(zones=(follow_up.ZoneAnswer("crown", 40.0),))
    with pytest.raises(follow_up.LinkUsed):
        follow_up.respond(link, answers, now=datetime.now(UTC))
    db.session.rollback()
    assert [a.density_pct for a in db.session.scalars(sa.select(FadeAssessment))] == [90.0]


def test_a_full_scalp_client_can_post_every_field_within_the_upload_limits(
    app: Flask, personas: Personas
) -> None:
    """Every zone treated, as a browser posts them (every file input sends a part, empty or
    not): CSRF token, a rating and a photo per zone, the whole-scalp photo, the tick and the
    note fit the upload routes' limit (``UPLOAD_MAX_FORM_PARTS``)."""
    full = vocabulary.ZONES
    on = datetime.now(UTC).date() - timedelta(days=29)
    add_session(personas.record_a, personas.practitioner_p, on, zones=full)
    db.session.commit()
    _, path = check_in(personas.record_a)
    app.config["WTF_CSRF_ENABLED"] = True
    browser = app.test_client()
    page = browser.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    body: dict = {"csrf_token": token, "blur_or_colour_shift": "y", "note": ""}
    for zone in full:
        body[f"density_{zone}"] = "90"
        body[f"photo_{zone}"] = (io.BytesIO(b""), "")
    body["photo_whole_scalp"] = (io.BytesIO(jpeg()), "scalp.jpg")
    assert len(body) == int(app.config["UPLOAD_MAX_FORM_PARTS"])
    assert set(re.findall(r'name="([a-z_]+)"', page)) >= set(body), "the page posts these"

    response = browser.post(path, data=body, content_type="multipart/form-data")

    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FadeAssessment)) == len(full)


def test_a_client_whose_sessions_were_deleted_is_asked_for_no_zone(
    app: Flask, personas: Personas
) -> None:
    """The check-in email went out; then the session was removed: nothing is treated, so the
    page offers only the whole-scalp photo (not every zone of the vocabulary)."""
    from smptrack.models import Placement, TreatmentSession

    record = healed_client(personas)
    _, path = check_in(record)
    db.session.execute(sa.delete(Placement))
    db.session.execute(sa.delete(TreatmentSession))
    db.session.commit()

    body = app.test_client().get(path).get_data(as_text=True)
    assert "names no treated zone" in body
    assert 'name="density_' not in body and 'name="photo_whole_scalp"' in body
    refused = app.test_client().post(path, data={"density_crown": "80"})
    assert refused.status_code == 422
    assert "Crown is not one of your treated zones" in refused.get_data(as_text=True)


# --- photos ------------------------------------------------------------------------------------


def test_a_photo_per_zone_is_stored_with_its_assessment(app: Flask, personas: Personas) -> None:
    from smptrack.models import Photo

    record = healed_client(personas)
    _, path = check_in(record)

    response = app.test_client().post(
        path,
        data={
            "density_crown": "88",
            "photo_crown": (io.BytesIO(jpeg()), "IMG_0001.JPG"),
            "photo_whole_scalp": (io.BytesIO(jpeg(120, 80)), "scalp.jpg"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )

    body = response.get_data(as_text=True)
    assert response.status_code == 200, body[:500]
    assert "1 rating and 2 photos" in body
    rating = db.session.scalar(sa.select(FadeAssessment))
    stored = {p.zone: p for p in db.session.scalars(sa.select(Photo))}
    assert set(stored) == {"crown", None}
    assert stored["crown"].assessment_id == rating.id
    assert stored[None].assessment_id is None
    assert all(p.client_id == record.id for p in stored.values())
    assert "IMG_0001" not in " ".join(str(p) for p in files_in(upload_folder(app)))
    assert db.session.scalar(sa.select(FollowUpResponse.photos)) == 2


def test_a_refused_photo_writes_no_assessment_and_no_file(app: Flask, personas: Personas) -> None:
    record = healed_client(personas)
    _, path = check_in(record)
    before = counts()

    response = app.test_client().post(
        path,
        data={
            "density_frontal_hairline": "80",
            "photo_frontal_hairline": (io.BytesIO(jpeg()), "good.jpg"),
            "density_crown": "80",
            "photo_crown": (io.BytesIO(b"<html><script>alert(1)</script></html>"), "x.jpg"),
        },
        content_type="multipart/form-data",
    )

    body = response.get_data(as_text=True)
    assert response.status_code == 422, body[:300]
    assert 'id="photo_crown-error"' in body
    assert counts() == before
    assert files_in(upload_folder(app)) == [], "the accepted photo's files went with the rollback"


def test_erasing_the_client_leaves_no_trace_of_their_answer(app: Flask, personas: Personas) -> None:
    from smptrack.services import exports
    from smptrack.web import folders

    record = healed_client(personas)
    _, path = check_in(record)
    app.test_client().post(
        path,
        data={"density_crown": "70", "photo_crown": (io.BytesIO(jpeg()), "c.jpg")},
        content_type="multipart/form-data",
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUpResponse)) == 1

    with app.test_request_context():
        erasure = exports.erase_client(
            personas.practitioner_p, record, now=datetime.now(UTC), folders=folders()
        )
    db.session.commit()
    exports.finish_erasure(erasure)

    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUpResponse)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FadeAssessment)) == 0
    assert files_in(upload_folder(app)) == []
    # ... and its link is now simply not valid.
    assert app.test_client().get(path).status_code == 404


# --- the logged-in client, and the access log --------------------------------------------------


def test_a_logged_in_client_finds_their_waiting_check_in_from_their_record(
    app: Flask, personas: Personas
) -> None:
    record = healed_client(personas)
    check_in(record)
    browser = log_in(app.test_client(), personas.client_a)
    assert 'href="/me/follow-up"' in browser.get("/me").get_data(as_text=True)

    waiting = browser.get("/me/follow-up")
    assert waiting.status_code == 302
    target = waiting.headers["Location"]
    assert "/follow-up/" in target
    assert browser.post(target, data={"density_crown": "91"}).status_code == 303

    answered = browser.get("/me/follow-up")
    assert answered.status_code == 302
    assert answered.headers["Location"].endswith(f"/clients/{record.id}/assessments/new")


def test_another_clients_waiting_check_in_is_not_offered(app: Flask, personas: Personas) -> None:
    check_in(healed_client(personas))
    browser = log_in(app.test_client(), personas.client_b)
    assert "/follow-up/" not in browser.get("/me/follow-up").headers["Location"]


def test_the_access_log_blanks_the_links_token() -> None:
    line = '127.0.0.1 - - "GET /follow-up/WzEsMiwzXQ.abc-DEF_12 HTTP/1.1" 200 -'
    assert redact(line) == '127.0.0.1 - - "GET /follow-up/[redacted] HTTP/1.1" 200 -'
    assert redact('"POST /follow-up/WzEsMiwzXQ.x?y=1 HTTP/1.1"') == (
        '"POST /follow-up/[redacted]?y=1 HTTP/1.1"'
    )
    assert redact('"GET /me/follow-up HTTP/1.1"') == '"GET /me/follow-up HTTP/1.1"'
