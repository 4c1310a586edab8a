"""One assessment form rates several zones (issue 13 item 4): empty rows are skipped, and one
bad row re-renders every row with its message and writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from smptrack.extensions import db
from smptrack.models import FadeAssessment, Placement, TreatmentSession
from smptrack.services import zone_ratings
from smptrack.services.errors import ValidationFailed
from smptrack.services.zone_ratings import ZoneRating
from tests.conftest import OwnContextClient, Personas, log_in
from tests.test_treatments import committed, field_error, row_counts

TODAY = datetime.now(UTC).date()
ZONES_TREATED = ("frontal_hairline", "crown", "occipital")


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


@pytest.fixture
def treated(personas: Personas) -> None:
    """A session 40 days ago over three zones: the form offers those, and the dates after it."""
    p = personas.practitioner_p
    db.session.add(
        TreatmentSession(
            client_id=personas.record_a.id,
            performed_on=TODAY - timedelta(days=40),
            kind="initial",
            performed_by_id=p.id,
            logged_by_id=p.id,
            logged_at=datetime.now(UTC),
            placements=[Placement(zone=z, pigment_free_text="ink") for z in ZONES_TREATED],
        )
    )
    db.session.commit()


def rate(personas: Personas, *ratings: ZoneRating, kind: str = "practitioner_in_person"):
    return zone_ratings.record_zone_ratings(
        personas.practitioner_p,
        personas.record_a,
        assessed_on=TODAY - timedelta(days=2),
        assessor_kind=kind,
        ratings=list(ratings),
        now=datetime.now(UTC),
    )


def test_filled_rows_become_one_assessment_each_and_empty_rows_are_skipped(
    personas: Personas, treated: None
) -> None:
    made = rate(
        personas,
        ZoneRating("frontal_hairline", 92.0, note="even"),
        ZoneRating("crown", None),
        ZoneRating("occipital", 81.5, blur_or_colour_shift=True),
    )
    db.session.commit()
    assert [(a.zone, a.density_pct, a.note, a.blur_or_colour_shift) for a in made] == [
        ("frontal_hairline", 92.0, "even", False),
        ("occipital", 81.5, "", True),
    ]
    assert {a.assessed_on for a in made} == {TODAY - timedelta(days=2)}


@pytest.mark.parametrize(
    ("ratings", "key", "words"),
    [
        ((ZoneRating("crown", 90.0), ZoneRating("occipital", 130.0)), "rows.1.density_pct", "0"),
        (
            (ZoneRating("crown", 90.0), ZoneRating("occipital", None, note="x")),
            "rows.1.density_pct",
            "clear the row",
        ),
        ((ZoneRating("crown", 90.0), ZoneRating("crown", 80.0)), "rows.1.zone", "twice"),
        ((ZoneRating("crown", 90.0), ZoneRating("nape", 80.0)), "rows.1.zone", "zone"),
        ((ZoneRating("crown", None), ZoneRating("occipital", None)), "rows", "at least one"),
    ],
)
def test_one_bad_row_refuses_all_and_writes_nothing(
    personas: Personas, treated: None, ratings: tuple[ZoneRating, ...], key: str, words: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        rate(personas, *ratings)
    assert words in refused.value.fields[key]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FadeAssessment)) == 0


def test_a_practitioner_cannot_record_a_self_rating_for_all_zones(
    personas: Personas, treated: None
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        rate(personas, ZoneRating("crown", 90.0), kind="client_self")
    assert "assessor_kind" in refused.value.fields


def page_form(**rows: dict[str, str]) -> dict[str, str]:
    form = {
        "assessed_on": (TODAY - timedelta(days=1)).isoformat(),
        "assessor_kind": "practitioner_in_person",
    }
    for index, zone in enumerate(ZONES_TREATED):
        values = {"zone": zone, "density_pct": "", "note": ""} | rows.get(zone, {})
        form.update({f"rows-{index}-{name}": value for name, value in values.items()})
    return form


def test_the_page_offers_each_treated_zone_and_rerenders_all_rows_on_one_bad_one(
    client: FlaskClient, personas: Personas, treated: None
) -> None:
    log_in(client, personas.practitioner_p)
    path = f"/clients/{personas.record_a.id}/assessments/zones"
    page = client.get(path).get_data(as_text=True)
    assert [zone in page for zone in ZONES_TREATED] == [True, True, True]
    assert "left_temple" not in page  # not treated: not offered

    before = row_counts()
    bad = page_form(
        frontal_hairline={"density_pct": "91", "note": "kept as typed"},
        crown={"density_pct": "140"},
    )
    refused = client.post(path, data=bad)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "density" in field_error(html, "rows-1-density_pct").lower()
    assert field_error(html, "rows-0-density_pct") == ""
    assert 'value="91"' in html and "kept as typed" in html
    assert row_counts() == before

    fixed = client.post(path, data={**bad, "rows-1-density_pct": "84"})
    assert fixed.status_code == 302
    assert committed(
        sa.select(FadeAssessment.zone, FadeAssessment.density_pct, FadeAssessment.note).order_by(
            FadeAssessment.id
        )
    ) == [("frontal_hairline", 91.0, "kept as typed"), ("crown", 84.0, "")]


def test_a_client_rates_their_own_zones_as_self_ratings_only(
    client: FlaskClient, personas: Personas, treated: None
) -> None:
    log_in(client, personas.client_a)
    path = f"/clients/{personas.record_a.id}/assessments/zones"
    as_practitioner = client.post(path, data=page_form(crown={"density_pct": "80"}))
    assert as_practitioner.status_code == 422
    own = page_form(crown={"density_pct": "80"}) | {"assessor_kind": "client_self"}
    assert client.post(path, data=own).status_code == 302
    assert committed(sa.select(FadeAssessment.zone, FadeAssessment.assessor_kind)) == [
        ("crown", "client_self")
    ]
