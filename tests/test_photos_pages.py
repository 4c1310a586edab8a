"""Photo pages: uploading (the hostile corpus through the form), serving (image type, nosniff,
disposition, never cached), who sees what, deleting after confirmation, the client page's
timeline and the assessment form's baseline beside the photo rated."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from smptrack.extensions import db
from smptrack.models import FadeAssessment, Photo
from smptrack.services import photos
from tests import photo_corpus as corpus
from tests.conftest import OwnContextClient, Personas, log_in
from tests.test_history import add_session
from tests.test_photos_store import every_file

TAKEN = "2026-07-01"
NOW = datetime(2026, 7, 20, 10, tzinfo=UTC)


def as_user(app: Flask, user) -> FlaskClient:
    """A browser of its own: each request in its own app context, as in production."""
    app.test_client_class = OwnContextClient
    return log_in(app.test_client(), user)


def upload(
    browser: FlaskClient,
    client_id: int,
    data: bytes,
    *,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
    **fields: str,
):
    form = {"zone": "crown", "taken_on": TAKEN, **fields}
    form["photo"] = (io.BytesIO(data), filename, content_type)
    return browser.post(
        f"/clients/{client_id}/photos", data=form, content_type="multipart/form-data"
    )


def stored_photos(client_id: int | None = None) -> list[Photo]:
    db.session.expire_all()
    query = sa.select(Photo).order_by(Photo.id)
    if client_id is not None:
        query = query.where(Photo.client_id == client_id)
    return list(db.session.scalars(query))


def text(response) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'")


def new_files(before: set[str], app: Flask) -> set[str]:
    return every_file(app) - before


# --- uploading --------------------------------------------------------------------------------


@pytest.mark.parametrize("filename", corpus.HOSTILE_NAMES)
def test_a_photo_is_stored_clean_under_a_name_of_our_own_whatever_its_name(
    app: Flask, personas: Personas, filename: str
) -> None:
    browser = as_user(app, personas.practitioner_p)
    before = every_file(app)
    response = upload(browser, personas.record_a.id, corpus.jpeg_with_gps(), filename=filename)

    assert response.status_code == 302, text(response)[:300]
    [photo] = stored_photos()
    added = new_files(before, app)
    uploads = Path(app.instance_path).relative_to(Path(app.instance_path).parent) / "uploads"
    prefix = f"{uploads.as_posix()}/photos/{personas.record_a.id}/"
    assert added == {prefix + Path(photo.stored_name).name, prefix + Path(photo.thumb_name).name}
    # Names of our own (32 hex digits), never any part of the uploader's.
    assert all(re.fullmatch(r"[0-9a-f]{32}(\.thumb)?\.jpg", Path(name).name) for name in added)
    row_text = " ".join(str(v) for v in vars(photo).values())
    assert filename not in row_text
    with Image.open(photos.file_path(photo.stored_name)) as image:
        assert not image.getexif() and image.size == (40, 80)


@pytest.mark.parametrize("name", sorted(corpus.HOSTILE))
def test_the_hostile_corpus_through_the_page_is_refused_with_a_message(
    app: Flask, personas: Personas, name: str
) -> None:
    filename, content_type, make = corpus.HOSTILE[name]
    browser = as_user(app, personas.practitioner_p)
    before = every_file(app)
    response = upload(
        browser, personas.record_a.id, make(), filename=filename, content_type=content_type
    )

    assert response.status_code == 422
    page = text(response)
    assert 'class="error"' in page
    assert any(
        words in page
        for words in ("not a photo", "is empty", "too large in pixels", "damaged or incomplete")
    )
    assert new_files(before, app) == set()
    assert stored_photos() == []


def test_a_php_polyglot_is_stored_as_the_image_it_is_without_its_payload(
    app: Flask, personas: Personas
) -> None:
    browser = as_user(app, personas.practitioner_p)
    response = upload(browser, personas.record_a.id, corpus.php_polyglot(), filename="shell.php")

    assert response.status_code == 302
    [photo] = stored_photos()
    for name in (photo.stored_name, photo.thumb_name):
        assert b"<?php" not in photos.file_path(name).read_bytes()
    served = browser.get(f"/photos/{photo.id}/image")
    assert b"<?php" not in served.get_data()


def test_fifty_megabytes_is_a_413_with_a_message_and_writes_nothing(
    app: Flask, personas: Personas
) -> None:
    browser = as_user(app, personas.practitioner_p)
    before = every_file(app)
    body, content_type = corpus.multipart(
        {"zone": "crown", "taken_on": TAKEN}, corpus.fifty_megabytes()
    )
    response = browser.post(
        f"/clients/{personas.record_a.id}/photos", data=body, content_type=content_type
    )

    assert response.status_code == 413
    assert "too large" in text(response) and "Nothing was saved" in text(response)
    assert new_files(before, app) == set()
    assert stored_photos() == []


def test_five_thousand_form_parts_are_a_413_not_a_500(app: Flask, personas: Personas) -> None:
    browser = as_user(app, personas.practitioner_p)
    body, content_type = corpus.many_parts(5000)
    response = browser.post(
        f"/clients/{personas.record_a.id}/photos", data=body, content_type=content_type
    )

    assert response.status_code == 413
    assert f"{app.config['UPLOAD_MAX_FORM_PARTS']} form fields" in text(response)
    assert stored_photos() == []


def test_a_missing_photo_or_bad_zone_re_renders_the_form_with_messages(
    app: Flask, personas: Personas
) -> None:
    browser = as_user(app, personas.practitioner_p)
    missing = browser.post(
        f"/clients/{personas.record_a.id}/photos",
        data={"zone": "crown", "taken_on": TAKEN},
        content_type="multipart/form-data",
    )
    bad_zone = upload(browser, personas.record_a.id, corpus.jpeg(), zone="scalp")

    assert missing.status_code == 422 and "Choose a photo to upload." in text(missing)
    assert bad_zone.status_code == 422 and "Not a valid choice" in text(bad_zone)
    assert stored_photos() == []


def test_the_client_uploads_on_their_own_record_only(app: Flask, personas: Personas) -> None:
    browser = as_user(app, personas.client_a)
    own = upload(browser, personas.record_a.id, corpus.png(), zone="")
    other = upload(browser, personas.record_b.id, corpus.png())

    assert own.status_code == 302
    assert other.status_code == 404
    [photo] = stored_photos()
    assert (photo.client_id, photo.zone, photo.uploaded_by_id) == (
        personas.record_a.id,
        None,
        personas.client_a.id,
    )


def test_a_photo_can_be_taken_at_one_of_the_clients_sessions(
    app: Flask, personas: Personas
) -> None:
    session = add_session(personas.record_a, personas.practitioner_p, date(2026, 6, 30))
    other = add_session(personas.record_b, personas.practitioner_q, date(2026, 6, 30))
    db.session.commit()
    browser = as_user(app, personas.practitioner_p)
    session_page = text(browser.get(f"/sessions/{session.id}"))
    link = f"/clients/{personas.record_a.id}/photos?session_id={session.id}"
    assert f'href="{link}">Add a photo of this session' in session_page
    form_page = browser.get(link)
    assert f'<option selected value="{session.id}">' in text(form_page)

    ok = upload(browser, personas.record_a.id, corpus.jpeg(), session_id=str(session.id))
    refused = upload(browser, personas.record_a.id, corpus.jpeg(), session_id=str(other.id))

    assert ok.status_code == 302
    assert refused.status_code == 422
    assert [p.session_id for p in stored_photos()] == [session.id]


# --- serving and who sees what ----------------------------------------------------------------


def a_photo(personas: Personas, record=None, by=None, **overrides) -> Photo:
    values = {"zone": "crown", "taken_on": date(2026, 7, 1), "data": corpus.jpeg()}
    values.update(overrides)
    photo = photos.store_photo(
        record or personas.record_a,
        uploaded_by=by or personas.practitioner_p,
        now=NOW,
        **values,
    )
    db.session.commit()
    return photo


def test_the_image_is_served_as_an_image_never_as_html_nor_cached(
    app: Flask, personas: Personas
) -> None:
    photo = a_photo(personas)
    browser = as_user(app, personas.client_a)

    image = browser.get(f"/photos/{photo.id}/image")
    thumb = browser.get(f"/photos/{photo.id}/thumbnail")
    download = browser.get(f"/photos/{photo.id}/image?download=1")

    assert image.status_code == 200
    assert image.headers["Content-Type"] == "image/jpeg"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert image.headers["Content-Disposition"] == f'inline; filename="photo-{photo.id}.jpg"'
    assert image.headers["Cache-Control"] == "private, no-store"
    assert image.get_data() == photos.file_path(photo.stored_name).read_bytes()
    assert image.get_data()[:3] == b"\xff\xd8\xff"
    assert thumb.headers["Content-Type"] == "image/jpeg"
    assert thumb.get_data() == photos.file_path(photo.thumb_name).read_bytes()
    assert download.headers["Content-Disposition"].startswith("attachment;")


def test_another_practices_photo_answers_404_and_the_front_desk_403(
    app: Flask, personas: Personas
) -> None:
    photo = a_photo(personas)
    for user in (personas.practitioner_q, personas.client_b):
        browser = as_user(app, user)
        for path in ("image", "thumbnail", "delete"):
            assert browser.get(f"/photos/{photo.id}/{path}").status_code == 404, (user, path)
        assert browser.post(f"/photos/{photo.id}/delete").status_code == 404
        assert browser.get(f"/clients/{personas.record_a.id}/photos").status_code == 404
    desk = as_user(app, personas.front_desk_p)
    assert desk.get(f"/photos/{photo.id}/image").status_code == 403
    assert photos.file_path(photo.stored_name).exists()
    assert desk.get(f"/photos/{photo.id + 1000}/image").status_code == 403


def test_a_client_sees_only_their_own_photos(app: Flask, personas: Personas) -> None:
    mine = a_photo(personas)
    theirs = a_photo(personas, personas.record_b, personas.practitioner_q)
    browser = as_user(app, personas.client_a)

    page = text(browser.get(f"/clients/{personas.record_a.id}/photos"))
    assert f"/photos/{mine.id}/thumbnail" in page
    assert f"/photos/{theirs.id}/" not in page
    assert browser.get(f"/photos/{theirs.id}/image").status_code == 404
    assert as_user(app, personas.client_b).get(f"/photos/{mine.id}/image").status_code == 404


# --- deleting ---------------------------------------------------------------------------------


def test_deleting_asks_first_and_removes_the_files_after_the_commit(
    app: Flask, personas: Personas
) -> None:
    photo = a_photo(personas)
    files = [photos.file_path(photo.stored_name), photos.file_path(photo.thumb_name)]
    browser = as_user(app, personas.colleague_p)

    confirm = browser.get(f"/photos/{photo.id}/delete")
    assert confirm.status_code == 200 and "Delete this photo?" in text(confirm)
    assert all(f.exists() for f in files)

    done = browser.post(f"/photos/{photo.id}/delete")
    assert done.status_code == 302
    assert stored_photos() == []
    assert not any(f.exists() for f in files)


def test_a_client_may_not_delete_the_practices_photo(app: Flask, personas: Personas) -> None:
    photo = a_photo(personas)
    browser = as_user(app, personas.client_a)
    assert browser.post(f"/photos/{photo.id}/delete").status_code == 403
    assert len(stored_photos()) == 1


# --- the timeline and rating from a photo -------------------------------------------------------


def test_the_client_page_shows_each_zones_healed_baseline_beside_its_latest_photo(
    app: Flask, personas: Personas
) -> None:
    add_session(personas.record_a, personas.practitioner_p, date(2026, 1, 5), zones=("crown",))
    db.session.commit()
    early = a_photo(personas, taken_on=date(2026, 1, 20))  # still healing (baseline Feb 2)
    baseline = a_photo(personas, taken_on=date(2026, 2, 10))
    a_photo(personas, taken_on=date(2026, 4, 1))
    latest = a_photo(personas, taken_on=date(2026, 7, 1))
    whole = a_photo(personas, zone=None, taken_on=date(2026, 3, 1))

    page = text(as_user(app, personas.practitioner_p).get(f"/clients/{personas.record_a.id}"))

    assert 'id="photos-heading"' in page
    crown = page[page.index('id="photos-crown"') :]
    assert f'alt="Healed baseline, {_long(date(2026, 2, 10))}"' in crown
    assert f"/photos/{baseline.id}/thumbnail" in crown
    assert f"/photos/{latest.id}/thumbnail" in crown
    assert f"/photos/{early.id}/thumbnail" not in page
    assert f"photo_id={latest.id}" in crown, "rate the latest photo"
    assert "data-photo-compare" in crown
    assert f"/photos/{whole.id}/thumbnail" in page[page.index('id="photos-whole"') :]
    assert "/static/photo-compare.js" in page


def _long(day: date) -> str:
    from smptrack.templating import long_date

    return long_date(day)


def test_rating_a_photo_opens_the_form_with_it_and_stores_a_rating_from_a_photo(
    app: Flask, personas: Personas
) -> None:
    baseline = a_photo(personas, taken_on=date(2026, 2, 10))
    rated = a_photo(personas, zone="crown", taken_on=date(2026, 7, 1))
    browser = as_user(app, personas.practitioner_p)
    path = f"/clients/{personas.record_a.id}/assessments/new?photo_id={rated.id}"

    form = text(browser.get(path))
    assert f"/photos/{baseline.id}/thumbnail" in form and f"/photos/{rated.id}/thumbnail" in form
    assert 'value="2026-07-01"' in form
    assert 'value="practitioner_photo"' in form and 'value="practitioner_in_person"' not in form

    in_person = browser.post(
        path,
        data={
            "assessed_on": "2026-07-01",
            "zone": "crown",
            "density_pct": "81",
            "assessor_kind": "practitioner_in_person",
        },
    )
    assert in_person.status_code == 422
    done = browser.post(
        path,
        data={
            "assessed_on": "2026-07-01",
            "zone": "crown",
            "density_pct": "81",
            "assessor_kind": "practitioner_photo",
        },
    )

    assert done.status_code == 302
    db.session.expire_all()
    [rating] = db.session.scalars(sa.select(FadeAssessment)).all()
    assert (rating.assessor_kind, rating.density_pct) == ("practitioner_photo", 81.0)
    assert db.session.get(Photo, rated.id).assessment_id == rating.id


def test_another_clients_photo_cannot_be_rated_on_this_record(
    app: Flask, personas: Personas
) -> None:
    theirs = a_photo(personas, personas.record_b, personas.practitioner_q)
    browser = as_user(app, personas.practitioner_p)
    response = browser.get(f"/clients/{personas.record_a.id}/assessments/new?photo_id={theirs.id}")
    assert response.status_code == 404


def test_the_client_rates_their_own_photo_as_a_self_rating(app: Flask, personas: Personas) -> None:
    photo = a_photo(personas, by=personas.client_a)
    browser = as_user(app, personas.client_a)
    form = text(browser.get(f"/clients/{personas.record_a.id}/assessments/new?photo_id={photo.id}"))
    assert "Being rated" in form and "practitioner_photo" not in form
