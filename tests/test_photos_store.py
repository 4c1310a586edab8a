"""Accepting and storing photos (services.photos.store_photo / add_photo): only real images pass,
re-encoded without metadata, under random names inside the upload folder; files follow the
transaction (a rollback removes what it wrote, a delete removes files only once committed)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from PIL import Image

from smptrack.extensions import db
from smptrack.models import AuditEvent, Photo
from smptrack.services import photos
from smptrack.services.errors import Forbidden, ValidationFailed
from tests import photo_corpus as corpus
from tests.conftest import Personas
from tests.test_history import add_assessment, add_session

NOW = datetime(2026, 7, 20, 10, 0, tzinfo=UTC)
TAKEN = date(2026, 7, 18)


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def every_file(app: Flask) -> set[str]:
    """Every file below the test's temporary folder (instance, uploads, mail and all)."""
    root = Path(app.instance_path).parent
    return files_under(root)


def store(personas: Personas, data, **overrides) -> Photo:
    values = {
        "zone": "crown",
        "taken_on": TAKEN,
        "data": data,
        "uploaded_by": personas.practitioner_p,
        "now": NOW,
    }
    values.update(overrides)
    return photos.store_photo(personas.record_a, **values)


def test_a_jpeg_with_gps_is_stored_rotated_without_any_metadata(
    app: Flask, personas: Personas
) -> None:
    upload = corpus.jpeg_with_gps()
    assert Image.open(io.BytesIO(upload)).getexif().get_ifd(0x8825), "the upload has GPS"
    photo = store(personas, upload)
    db.session.commit()

    stored = photos.file_path(photo.stored_name)
    assert stored.is_relative_to(photos.upload_folder().resolve() / "photos")
    with Image.open(stored) as image:
        assert image.format == "JPEG"
        assert not image.getexif(), "no EXIF at all: no GPS, camera or orientation"
        assert not image.getexif().get_ifd(0x8825)
        assert "exif" not in image.info and "xmp" not in image.info
        assert "icc_profile" not in image.info
        # Orientation 6 applied before re-encoding: the 80 × 40 upload stands 40 × 80.
        assert image.size == (40, 80) == (photo.width, photo.height)
    raw = stored.read_bytes()
    assert b"PhoneMaker" not in raw and b"Phone 12" not in raw
    with Image.open(photos.file_path(photo.thumb_name)) as thumb:
        assert not thumb.getexif()
    assert photo.size_bytes == len(raw)
    assert photo.content_type == "image/jpeg"
    assert photo.uploaded_by_id == personas.practitioner_p.id


def test_a_large_photo_gets_a_thumbnail_of_480_pixels(app: Flask, personas: Personas) -> None:
    photo = store(personas, corpus.jpeg(1200, 900))
    with Image.open(photos.file_path(photo.thumb_name)) as thumb:
        assert thumb.size == (480, 360)
    assert (photo.width, photo.height) == (1200, 900)


@pytest.mark.parametrize(
    ("make", "kind"),
    [(corpus.png, "PNG"), (corpus.webp, "WebP"), (corpus.heic, "HEIC"), (corpus.jpeg, "JPEG")],
)
def test_png_webp_and_heic_are_accepted_and_become_jpeg(
    app: Flask, personas: Personas, make, kind: str
) -> None:
    upload = make()
    assert photos.images.sniff(upload[:16]) == kind
    photo = store(personas, upload)
    with Image.open(photos.file_path(photo.stored_name)) as image:
        assert image.format == "JPEG" and image.mode == "RGB"
        assert image.size == Image.open(io.BytesIO(upload)).size


def test_a_php_polyglot_passes_as_the_image_it_is_and_loses_its_payload(
    app: Flask, personas: Personas
) -> None:
    """ "Only real images pass": the polyglot is a valid JPEG, so it is accepted, but what is
    stored is a new encoding of its pixels, in which neither copy of the script survives."""
    upload = corpus.php_polyglot()
    assert upload.count(corpus.PHP) == 2
    photo = store(personas, upload)
    for name in (photo.stored_name, photo.thumb_name):
        raw = photos.file_path(name).read_bytes()
        assert b"<?php" not in raw and b"system(" not in raw


@pytest.mark.parametrize("name", sorted(corpus.HOSTILE))
def test_the_hostile_corpus_is_refused_with_a_message_and_writes_nothing(
    app: Flask, personas: Personas, name: str
) -> None:
    _, _, make = corpus.HOSTILE[name]
    before = every_file(app)
    with pytest.raises(photos.PhotoRefused) as refused:
        store(personas, make())
    assert refused.value.status == 422
    assert refused.value.fields["photo"] == refused.value.message
    assert len(refused.value.message) > 20
    db.session.rollback()
    assert every_file(app) == before
    assert db.session.scalar(sa.select(sa.func.count(Photo.id))) == 0


def test_fifty_megabytes_is_refused_by_its_size_before_it_is_opened(
    app: Flask, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[object] = []
    monkeypatch.setattr(photos.images.Image, "open", lambda *a, **k: opened.append(a))
    with pytest.raises(photos.PhotoRefused, match=r"larger than 15\.0 MB, the most"):
        store(personas, io.BytesIO(corpus.fifty_megabytes()))
    assert opened == []


def test_a_bomb_between_the_limit_and_twice_it_is_refused_before_decoding(
    app: Flask, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pillow only warns between MAX_IMAGE_PIXELS and twice that; the configured limit refuses
    from the header, and a decode would have failed this test (load is replaced)."""
    app.config["PHOTO_MAX_PIXELS"] = 1_000_000
    upload = _png_of(1200, 1000)
    monkeypatch.setattr(
        photos.images.Image.Image, "load", lambda self: pytest.fail("decoded a bomb")
    )
    with pytest.raises(photos.PhotoRefused, match=r"1,200 × 1,000 pixels; up to 1 megapixels"):
        store(personas, upload)


def _png_of(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (width, height)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"zone": "scalp"}, "zone"),
        ({"taken_on": date(2026, 7, 21)}, "taken_on"),
        ({"taken_on": date(1899, 1, 1)}, "taken_on"),
    ],
)
def test_bad_details_are_refused_before_the_bytes_are_read(
    app: Flask, personas: Personas, overrides: dict, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        store(personas, corpus.jpeg(), **overrides)
    assert field in refused.value.fields
    assert not (photos.upload_folder() / "photos").exists()


def test_a_photo_links_only_to_the_clients_own_session_and_assessment(
    app: Flask, personas: Personas
) -> None:
    own_session = add_session(personas.record_a, personas.practitioner_p, date(2026, 7, 1))
    own_rating = add_assessment(personas.record_a, date(2026, 7, 2))
    other_session = add_session(personas.record_b, personas.practitioner_q, date(2026, 7, 1))
    other_rating = add_assessment(personas.record_b, date(2026, 7, 2))
    photo = store(personas, corpus.jpeg(), session_id=own_session.id, assessment_id=own_rating.id)
    assert (photo.session_id, photo.assessment_id) == (own_session.id, own_rating.id)
    with pytest.raises(ValidationFailed) as refused:
        store(personas, corpus.jpeg(), session_id=other_session.id)
    assert "session_id" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        store(personas, corpus.jpeg(), assessment_id=other_rating.id)
    assert "assessment_id" in refused.value.fields


def test_the_whole_scalp_is_zone_none(app: Flask, personas: Personas) -> None:
    photo = store(personas, corpus.jpeg(), zone=None)
    db.session.commit()
    assert db.session.get(Photo, photo.id).zone is None


def test_names_are_random_and_inside_the_clients_folder(app: Flask, personas: Personas) -> None:
    first = store(personas, corpus.jpeg())
    second = store(personas, corpus.jpeg())
    prefix = f"photos/{personas.record_a.id}/"
    names = {first.stored_name, first.thumb_name, second.stored_name, second.thumb_name}
    assert len(names) == 4
    assert all(name.startswith(prefix) and name.endswith(".jpg") for name in names)
    stems = [Path(name).name.split(".")[0] for name in names]
    assert all(len(stem) == 32 and int(stem, 16) >= 0 for stem in stems)
    root = photos.upload_folder()
    assert files_under(root) == names, "no temporary file is left behind"


def test_a_rollback_removes_the_files_its_transaction_wrote(app: Flask, personas: Personas) -> None:
    photo = store(personas, corpus.jpeg())
    written = [photos.file_path(photo.stored_name), photos.file_path(photo.thumb_name)]
    assert all(path.exists() for path in written)
    db.session.rollback()
    assert not any(path.exists() for path in written)
    assert not (photos.upload_folder() / "photos" / str(personas.record_a.id)).exists()


def test_a_committed_photo_keeps_its_files_after_later_rollbacks(
    app: Flask, personas: Personas
) -> None:
    photo = store(personas, corpus.jpeg())
    db.session.commit()
    db.session.rollback()
    assert photos.file_path(photo.stored_name).exists()


def test_a_deleted_photo_loses_its_files_only_once_the_delete_commits(
    app: Flask, personas: Personas
) -> None:
    photo = store(personas, corpus.jpeg())
    db.session.commit()
    paths = [photos.file_path(photo.stored_name), photos.file_path(photo.thumb_name)]

    photos.delete_photo(personas.practitioner_p, photo, now=NOW)
    assert all(path.exists() for path in paths), "not before the commit"
    db.session.rollback()
    assert all(path.exists() for path in paths), "a rolled back delete keeps them"

    photos.delete_photo(personas.practitioner_p, db.session.get(Photo, photo.id), now=NOW)
    db.session.commit()
    assert not any(path.exists() for path in paths)
    assert db.session.get(Photo, photo.id) is None
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.object_type == "photo")
    ).all()
    assert actions == ["delete"]


def test_add_photo_checks_who_may_and_records_an_audit_line(app: Flask, personas: Personas) -> None:
    def add(actor, record):
        return photos.add_photo(
            actor, record, zone="crown", taken_on=TAKEN, data=corpus.jpeg(), now=NOW
        )

    by_practice = add(personas.colleague_p, personas.record_a)
    by_client = add(personas.client_a, personas.record_a)
    assert by_client.uploaded_by_id == personas.client_a.id
    for outsider in (personas.front_desk_p, personas.practitioner_q, personas.client_b):
        with pytest.raises(Forbidden):
            add(outsider, personas.record_a)
    lines = db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.object_id, AuditEvent.actor_id).where(
            AuditEvent.object_type == "photo"
        )
    ).all()
    assert sorted(lines) == sorted(
        [
            ("create", by_practice.id, personas.colleague_p.id),
            ("create", by_client.id, personas.client_a.id),
        ]
    )


def test_a_client_deletes_only_the_photos_they_uploaded(app: Flask, personas: Personas) -> None:
    mine = photos.add_photo(
        personas.client_a,
        personas.record_a,
        zone=None,
        taken_on=TAKEN,
        data=corpus.jpeg(),
        now=NOW,
    )
    theirs = store(personas, corpus.jpeg())
    with pytest.raises(Forbidden):
        photos.delete_photo(personas.client_a, theirs, now=NOW)
    photos.delete_photo(personas.client_a, mine, now=NOW)
    with pytest.raises(Forbidden):
        photos.delete_photo(personas.front_desk_p, theirs, now=NOW)


def test_a_configured_pixel_limit_above_pillows_default_is_the_one_applied(
    app: Flask, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pillow's guard is set to the default limit; a practice allowing more must get it."""
    monkeypatch.setattr(photos.images.Image, "MAX_IMAGE_PIXELS", 1_000_000)
    app.config["PHOTO_MAX_PIXELS"] = 3_000_000
    photo = store(personas, _png_of(1500, 1000))  # 1.5 Mpx: over Pillow's, under ours
    assert (photo.width, photo.height) == (1500, 1000)
    with pytest.raises(photos.PhotoRefused, match="up to 3 megapixels"):
        store(personas, _png_of(2000, 1600))
