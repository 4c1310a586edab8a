"""The practitioner's due list, read from the materialised projections."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask

from smptrack.extensions import db
from smptrack.models import Client, FadeAssessment, Placement, TreatmentSession
from smptrack.services import due, projections
from tests.conftest import Personas, log_in, make_client

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _treated(practitioner, name: str, last_session: date, **factors) -> Client:
    record = make_client(practitioner, name, **factors)
    treatment = TreatmentSession(client_id=record.id, performed_on=last_session, kind="initial")
    treatment.placements.append(Placement(zone="crown", pigment_free_text="carbon"))
    db.session.add(treatment)
    return record


@pytest.fixture
def practice(personas: Personas) -> dict[str, Client]:
    p = personas.practitioner_p
    clients = {
        "long_ago": _treated(p, "Long Ago", date(2020, 3, 1)),
        "recent": _treated(p, "Recent", date(2026, 9, 1)),
        "sunny": _treated(
            p,
            "Sunny Worker",
            date(2023, 6, 1),
            lifestyle="outdoor_worker",
            latitude_band="under_25",
            usual_hat="none",
            usual_hat_pct=0,
        ),
    }
    rated = _treated(p, "Rated Low", date(2026, 1, 10))
    db.session.flush()
    db.session.add(
        FadeAssessment(
            client_id=rated.id,
            assessed_on=date(2026, 11, 1),
            zone="crown",
            density_pct=65,
            assessor_kind="practitioner_in_person",
        )
    )
    clients["rated"] = rated
    _treated(personas.practitioner_q, "Other Practice", date(2019, 1, 1))
    projections.refresh_stale(NOW)
    db.session.commit()
    return clients


def test_it_lists_only_clients_whose_window_opens_before_the_date_by_most_likely_date(
    personas: Personas, practice: dict[str, Client]
) -> None:
    page = due.due_clients(personas.practitioner_p, date(2027, 6, 1))
    names = [c.display_name for c in page.items]
    assert "Recent" not in names  # treated in September 2026: years away
    assert "Other Practice" not in names  # another practitioner's client
    assert {"Long Ago", "Sunny Worker", "Rated Low"} <= set(names)
    dates = [c.next_touch_up_on for c in page.items]
    assert dates == sorted(dates)


def test_a_practitioner_rating_at_the_threshold_makes_the_client_due_now(
    personas: Personas, practice: dict[str, Client]
) -> None:
    rated = db.session.get(Client, practice["rated"].id)
    assert rated.touch_up_due_now
    assert "due now" in due.status_words(rated)
    assert "review flag" in due.status_words(rated)  # < 0.85 in the first 12 months


def test_a_far_date_lists_every_treated_client_of_the_practice(
    personas: Personas, practice: dict[str, Client]
) -> None:
    page = due.due_clients(personas.practitioner_p, date(2040, 1, 1))
    assert page.total == 4


def test_the_page_shows_zone_dates_and_status_for_each_due_client(
    app: Flask, personas: Personas, practice: dict[str, Client]
) -> None:
    response = log_in(app.test_client(), personas.practitioner_p).get("/due?before=2027-06-01")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Long Ago" in page and "Rated Low" in page and "Recent" not in page
    assert "Crown" in page and "due now" in page
    assert "Other Practice" not in page


def test_a_malformed_date_is_explained_not_a_crash(
    app: Flask, personas: Personas, practice: dict[str, Client]
) -> None:
    response = log_in(app.test_client(), personas.practitioner_p).get("/due?before=next+week")
    assert response.status_code == 422
    assert "YYYY-MM-DD" in response.get_data(as_text=True)
