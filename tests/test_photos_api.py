"""The photo API: multipart upload (the hostile corpus), the list, one photo, its image, and
deletion; another practice's photo is 404, a client sees only their own."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from PIL import Image

from smptrack.extensions import db
from smptrack.models import Photo
from smptrack.services import accounts, photos
from tests import photo_corpus as corpus
from tests.conftest import OwnContextClient, Personas
from tests.test_photos_store import every_file

TAKEN = "2026-07-01"


class Bearer:
    """One user's API client: their bearer token on every request."""

    def __init__(self, app: Flask, user) -> None:
        self.secret = accounts.issue_api_token(
            user, "photo tests", datetime.now(UTC), timedelta(days=1)
        ).secret
        db.session.commit()
        app.test_client_class = OwnContextClient
        self.http = app.test_client()

    def open(self, method: str, path: str, **kwargs):
        headers = {"Authorization": f"Bearer {self.secret}", **kwargs.pop("headers", {})}
        return self.http.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    def upload(self, record_id: int, data: bytes, /, filename: str = "photo.jpg", **fields):
        """``fields`` None is left out (the whole scalp: no zone part at all)."""
        form = {k: v for k, v in {"taken_on": TAKEN, "zone": "crown", **fields}.items() if v}
        form["photo"] = (io.BytesIO(data), filename, "image/jpeg")
        return self.open(
            "POST", f"/clients/{record_id}/photos", data=form, content_type="multipart/form-data"
        )


@pytest.fixture
def as_p(app: Flask, personas: Personas) -> Bearer:
    return Bearer(app, personas.practitioner_p)


def rows() -> list[Photo]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Photo).order_by(Photo.id)))


def assert_error(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.is_json
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert len(error["message"]) > 10
    return error


@pytest.mark.parametrize("filename", corpus.HOSTILE_NAMES)
def test_a_real_photo_is_uploaded_and_described(
    app: Flask, personas: Personas, as_p: Bearer, filename: str
) -> None:
    response = as_p.upload(personas.record_a.id, corpus.jpeg_with_gps(), filename=filename)

    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    [photo] = rows()
    assert body["id"] == photo.id and body["zone"] == "crown" and body["taken_on"] == TAKEN
    assert (body["width"], body["height"], body["content_type"]) == (40, 80, "image/jpeg")
    assert body["image_url"] == f"/api/v1/photos/{photo.id}/image"
    assert "stored_name" not in body and filename not in response.get_data(as_text=True)
    with Image.open(photos.file_path(photo.stored_name)) as image:
        assert not image.getexif()


@pytest.mark.parametrize("name", sorted(corpus.HOSTILE))
def test_the_hostile_corpus_is_refused_with_422_and_writes_nothing(
    app: Flask, personas: Personas, as_p: Bearer, name: str
) -> None:
    filename, _, make = corpus.HOSTILE[name]
    before = every_file(app)
    error = assert_error(as_p.upload(personas.record_a.id, make(), filename=filename), 422)
    assert error["fields"]["photo"] == error["message"]
    assert every_file(app) == before
    assert rows() == []


def test_the_polyglot_is_stored_without_its_payload(personas: Personas, as_p: Bearer) -> None:
    body = as_p.upload(personas.record_a.id, corpus.php_polyglot()).get_json()
    image = as_p.open("GET", f"/photos/{body['id']}/image")
    assert image.status_code == 200 and b"<?php" not in image.get_data()


def test_fifty_megabytes_and_five_thousand_parts_are_413_in_the_error_shape(
    app: Flask, personas: Personas, as_p: Bearer
) -> None:
    before = every_file(app)
    big, big_type = corpus.multipart({"taken_on": TAKEN}, corpus.fifty_megabytes())
    many, many_type = corpus.many_parts(5000)
    path = f"/clients/{personas.record_a.id}/photos"
    assert_error(as_p.open("POST", path, data=big, content_type=big_type), 413)
    assert_error(as_p.open("POST", path, data=many, content_type=many_type), 413)
    assert every_file(app) == before


def test_bad_requests_are_clear_4xx(personas: Personas, as_p: Bearer) -> None:
    path = f"/clients/{personas.record_a.id}/photos"
    assert_error(as_p.open("POST", path, json={"taken_on": TAKEN}), 400)
    no_file = as_p.open("POST", path, data={"taken_on": TAKEN}, content_type="multipart/form-data")
    assert "photo" in assert_error(no_file, 422)["fields"]
    assert (
        "zone"
        in assert_error(as_p.upload(personas.record_a.id, corpus.jpeg(), zone="x"), 422)["fields"]
    )
    extra = as_p.upload(personas.record_a.id, corpus.jpeg(), client_id="2")
    assert "client_id" in assert_error(extra, 422)["fields"]
    future = as_p.upload(personas.record_a.id, corpus.jpeg(), taken_on="2999-01-01")
    assert "taken_on" in assert_error(future, 422)["fields"]
    assert rows() == []


def test_list_read_and_delete(app: Flask, personas: Personas, as_p: Bearer) -> None:
    first = as_p.upload(personas.record_a.id, corpus.jpeg()).get_json()
    second = as_p.upload(personas.record_a.id, corpus.png(), zone=None).get_json()
    assert second["zone"] is None

    listed = as_p.open("GET", f"/clients/{personas.record_a.id}/photos?per_page=1").get_json()
    assert listed["total"] == 2 and len(listed["items"]) == 1
    one = as_p.open("GET", f"/photos/{first['id']}").get_json()
    assert one["id"] == first["id"]

    image = as_p.open("GET", f"/photos/{first['id']}/image")
    assert image.headers["Content-Type"] == "image/jpeg"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert image.headers["Content-Disposition"] == f'inline; filename="photo-{first["id"]}.jpg"'
    assert image.headers["Cache-Control"] == "private, no-store"
    thumb = as_p.open("GET", f"/photos/{first['id']}/thumbnail")
    assert Image.open(io.BytesIO(thumb.get_data())).format == "JPEG"

    photo = db.session.get(Photo, first["id"])
    files = [photos.file_path(photo.stored_name), photos.file_path(photo.thumb_name)]
    deleted = as_p.open("DELETE", f"/photos/{first['id']}")
    assert deleted.get_json() == {"object": "photo", "id": first["id"]}
    assert not any(f.exists() for f in files)
    assert [p.id for p in rows()] == [second["id"]]


def test_another_practice_gets_404_and_a_client_only_their_own(
    app: Flask, personas: Personas, as_p: Bearer
) -> None:
    photo = as_p.upload(personas.record_a.id, corpus.jpeg()).get_json()
    as_q = Bearer(app, personas.practitioner_q)
    as_b = Bearer(app, personas.client_b)
    as_a = Bearer(app, personas.client_a)
    for other in (as_q, as_b):
        for path in ("", "/image", "/thumbnail"):
            assert_error(other.open("GET", f"/photos/{photo['id']}{path}"), 404)
        assert_error(other.open("DELETE", f"/photos/{photo['id']}"), 404)
        assert_error(other.open("GET", f"/clients/{personas.record_a.id}/photos"), 404)
        assert_error(other.upload(personas.record_a.id, corpus.jpeg()), 404)
    assert_error(Bearer(app, personas.front_desk_p).open("GET", f"/photos/{photo['id']}"), 403)
    assert as_a.open("GET", f"/photos/{photo['id']}/image").status_code == 200
    assert_error(as_a.open("DELETE", f"/photos/{photo['id']}"), 403)
    assert len(rows()) == 1
