"""Export and erasure with photos: the export is a zip of the JSON document and every photo
file; an erasure leaves no file of the client behind (and another client's stay)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from smptrack.extensions import db
from smptrack.models import Photo
from smptrack.services import accounts, photos
from tests import photo_corpus as corpus
from tests.conftest import PASSWORD, OwnContextClient, Personas, log_in
from tests.exported import archive_of, document_of

NOW = datetime(2026, 7, 20, 10, tzinfo=UTC)


@pytest.fixture
def with_photos(app: Flask, personas: Personas) -> dict[str, list[Photo]]:
    app.test_client_class = OwnContextClient
    made = {
        "a": [
            photos.store_photo(
                personas.record_a,
                zone=zone,
                taken_on=date(2026, 7, day),
                data=make(),
                uploaded_by=personas.practitioner_p,
                now=NOW,
            )
            for zone, day, make in (
                ("crown", 1, corpus.jpeg),
                (None, 2, corpus.png),
                ("left_temple", 3, corpus.heic),
            )
        ],
        "b": [
            photos.store_photo(
                personas.record_b,
                zone="crown",
                taken_on=date(2026, 7, 1),
                data=corpus.jpeg(),
                uploaded_by=personas.practitioner_q,
                now=NOW,
            )
        ],
    }
    db.session.commit()
    return made


def client_files(app: Flask, record_id: int) -> set[Path]:
    folder = photos.upload_folder() / "photos" / str(record_id)
    return set(folder.rglob("*")) if folder.exists() else set()


def check_archive(body: bytes, expected: list[Photo]) -> dict:
    document = document_of(body)
    with archive_of(body) as archive:
        names = set(archive.namelist())
        assert names == {"smptrack-export.json"} | {f"photos/photo-{p.id}.jpg" for p in expected}
        for photo in expected:
            stored = photos.file_path(photo.stored_name).read_bytes()
            assert archive.read(f"photos/photo-{photo.id}.jpg") == stored
    listed = {p["id"]: p for p in document["photos"]}
    assert set(listed) == {p.id for p in expected}
    for photo in expected:
        assert listed[photo.id]["file"] == f"photos/photo-{photo.id}.jpg"
        assert listed[photo.id]["zone"] == photo.zone
        assert "stored_name" not in listed[photo.id] and "thumb_name" not in listed[photo.id]
    return document


def test_the_practitioners_export_is_a_zip_of_the_document_and_every_photo(
    app: Flask, personas: Personas, with_photos: dict
) -> None:
    browser = log_in(app.test_client(), personas.practitioner_p)
    response = browser.get(f"/clients/{personas.record_a.id}/export")

    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].endswith('.zip"')
    document = check_archive(response.get_data(), with_photos["a"])
    assert document["client"]["display_name"] == "Ada Client"


def test_the_clients_own_export_and_the_apis_carry_the_photos_too(
    app: Flask, personas: Personas, with_photos: dict
) -> None:
    own = log_in(app.test_client(), personas.client_a).get("/me/export")
    check_archive(own.get_data(), with_photos["a"])

    secret = accounts.issue_api_token(
        personas.client_a, "export", datetime.now(UTC), timedelta(days=1)
    ).secret
    db.session.commit()
    api = app.test_client().get(
        f"/api/v1/clients/{personas.record_a.id}/export",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert api.status_code == 200 and api.mimetype == "application/zip"
    check_archive(api.get_data(), with_photos["a"])


def test_a_photo_whose_file_is_gone_is_listed_without_one(
    app: Flask, personas: Personas, with_photos: dict
) -> None:
    lost = with_photos["a"][0]
    photos.file_path(lost.stored_name).unlink()
    body = log_in(app.test_client(), personas.practitioner_p).get(
        f"/clients/{personas.record_a.id}/export"
    )
    document = document_of(body.get_data())
    assert {p["id"]: p["file"] for p in document["photos"]}[lost.id] is None
    with archive_of(body.get_data()) as archive:
        assert f"photos/photo-{lost.id}.jpg" not in archive.namelist()


def test_the_practitioners_erasure_leaves_no_photo_file_behind(
    app: Flask, personas: Personas, with_photos: dict
) -> None:
    a_id, b_id = personas.record_a.id, personas.record_b.id
    assert len(client_files(app, a_id)) == 6
    b_files = client_files(app, b_id)
    browser = log_in(app.test_client(), personas.practitioner_p)
    confirm = browser.get(f"/clients/{a_id}/erase")
    assert "3 photos and their files" in confirm.get_data(as_text=True)

    done = browser.post(f"/clients/{a_id}/erase", data={"confirm_name": "Ada Client"})

    assert done.status_code == 302
    assert client_files(app, a_id) == set()
    assert not (photos.upload_folder() / "photos" / str(a_id)).exists()
    assert client_files(app, b_id) == b_files
    db.session.expire_all()
    assert db.session.query(Photo).filter_by(client_id=a_id).count() == 0


def test_the_clients_own_erasure_and_the_apis_leave_no_file_behind(
    app: Flask, personas: Personas, with_photos: dict
) -> None:
    a_id, b_id = personas.record_a.id, personas.record_b.id
    own = log_in(app.test_client(), personas.client_a).post(
        "/me/erase", data={"password": PASSWORD}
    )
    assert own.status_code == 302
    assert client_files(app, a_id) == set()

    secret = accounts.issue_api_token(
        personas.practitioner_q, "erase", datetime.now(UTC), timedelta(days=1)
    ).secret
    db.session.commit()
    erased = app.test_client().delete(
        f"/api/v1/clients/{b_id}", headers={"Authorization": f"Bearer {secret}"}
    )
    assert erased.status_code == 200
    assert client_files(app, b_id) == set()
    left = photos.upload_folder() / "photos"
    assert not left.exists() or list(left.rglob("*")) == [], "nothing of either client is left"
