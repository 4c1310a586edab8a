"""The photo timeline (services.photo_timeline): per zone, the first photo since the zone healed
(its latest session + 28 days, FADE-MODEL §1) beside the latest; two queries whatever the number
of photos, so the client page's statement count does not grow with them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import Flask

from smptrack.extensions import db
from smptrack.models import Photo
from smptrack.services import photo_timeline, photos
from tests import photo_corpus as corpus
from tests.conftest import OwnContextClient, Personas, log_in, statements_sent
from tests.test_history import add_session

NOW = datetime(2026, 11, 20, 10, tzinfo=UTC)
IMAGE = corpus.jpeg(8, 8)


def photo(personas: Personas, zone: str | None, day: date):
    made = photos.store_photo(
        personas.record_a,
        zone=zone,
        taken_on=day,
        data=IMAGE,
        uploaded_by=personas.practitioner_p,
        now=NOW,
    )
    return made.id


def test_the_baseline_is_the_first_photo_since_the_zone_healed(
    app: Flask, personas: Personas
) -> None:
    add_session(personas.record_a, personas.practitioner_p, date(2026, 1, 5), zones=("crown",))
    add_session(
        personas.record_a, personas.practitioner_p, date(2026, 5, 1), zones=("left_temple",)
    )
    before_healing = photo(personas, "crown", date(2026, 1, 30))  # healed on 2 February
    healed = photo(personas, "crown", date(2026, 2, 2))
    latest = photo(personas, "crown", date(2026, 8, 1))
    temple_old = photo(personas, "left_temple", date(2026, 3, 1))  # before its touch-up
    temple_latest = photo(personas, "left_temple", date(2026, 5, 20))  # healing till 29 May
    untreated = photo(personas, "occipital", date(2026, 4, 1))
    whole = photo(personas, None, date(2026, 7, 1))

    rows = {row.zone: row for row in photo_timeline.timeline(personas.record_a)}

    assert list(rows) == [None, "left_temple", "crown", "occipital"]
    crown = rows["crown"]
    assert (crown.baseline.id, crown.latest.id, crown.count) == (healed, latest, 3)
    assert crown.healed_on == date(2026, 2, 2) and crown.comparable
    assert before_healing not in (crown.baseline.id, crown.latest.id)
    temple = rows["left_temple"]
    assert temple.baseline is None and temple.latest.id == temple_latest
    assert temple.healed_on == date(2026, 5, 29) and not temple.comparable
    assert temple_old != temple.latest.id
    assert rows["occipital"].baseline.id == untreated == rows["occipital"].latest.id
    assert rows[None].latest.id == whole and rows[None].healed_on == date(2026, 5, 29)


def test_a_client_with_no_photos_has_an_empty_timeline(app: Flask, personas: Personas) -> None:
    assert photo_timeline.timeline(personas.record_a) == []


def test_the_rating_pair_sets_the_baseline_beside_the_photo_rated(
    app: Flask, personas: Personas
) -> None:
    base = photo(personas, "crown", date(2026, 2, 2))
    middle = photo(personas, "crown", date(2026, 5, 2))
    photo(personas, "crown", date(2026, 8, 2))
    pair = photo_timeline.pair_for_rating(
        personas.record_a, zone=None, photo=db.session.get(Photo, middle)
    )
    assert (pair.baseline.id, pair.latest.id) == (base, middle)


def _client_page_statements(app: Flask, personas: Personas) -> int:
    app.test_client_class = OwnContextClient
    browser = log_in(app.test_client(), personas.practitioner_p)
    browser.get(f"/clients/{personas.record_a.id}")  # warm caches (the first request's set-up)
    with statements_sent() as statements:
        response = browser.get(f"/clients/{personas.record_a.id}")
    assert response.status_code == 200
    assert 'id="photos-heading"' in response.get_data(as_text=True)
    return len(statements)


def test_the_client_pages_statement_count_does_not_grow_with_the_photos(
    app: Flask, personas: Personas
) -> None:
    add_session(personas.record_a, personas.practitioner_p, date(2026, 1, 5), zones=("crown",))
    photo(personas, "crown", date(2026, 3, 1))
    db.session.commit()
    few = _client_page_statements(app, personas)

    start = date(2026, 3, 2)
    for n in range(24):
        zone = ("crown", "mid_scalp", "left_temple", None)[n % 4]
        photo(personas, zone, start + timedelta(days=7 * n))
    db.session.commit()
    many = _client_page_statements(app, personas)

    assert many == few
