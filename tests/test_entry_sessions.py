"""Faster session entry (issue 13 item 4): the kind the history suggests, "Start from last
session", one set of settings for several zones, lot choices with their expiry, and adding a lot
from the session form and coming back to the draft.

Page outcomes are read from committed rows through a connection of their own.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from smptrack.extensions import db
from smptrack.models import Pigment, PigmentLot, Placement, PracticeSettings, TreatmentSession
from smptrack.services import session_start
from smptrack.services.treatments import PlacementInput
from tests.conftest import OwnContextClient, Personas, log_in
from tests.test_treatments import committed, count, field_error, form_row, lot_of, row_counts

TODAY = datetime.now(UTC).date()


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


def add_session(
    personas: Personas,
    days_ago: int,
    kind: str,
    placements: list[Placement],
    **values,
) -> TreatmentSession:
    p = personas.practitioner_p
    row = TreatmentSession(
        client_id=personas.record_a.id,
        performed_on=TODAY - timedelta(days=days_ago),
        kind=kind,
        performed_by_id=p.id,
        logged_by_id=p.id,
        logged_at=datetime.now(UTC),
        placements=placements,
        **values,
    )
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def lots(personas: Personas) -> dict[str, int]:
    values = {
        "good": lot_of(personas.practitioner_p, "A123", expires_on=date(2030, 3, 31)),
        "other": lot_of(personas.practitioner_p, "B456", expires_on=date(2031, 1, 15)),
        "expired": lot_of(personas.practitioner_p, "OLD-7", expires_on=date(2020, 6, 30)),
        "theirs": lot_of(personas.practitioner_q, "Q-LOT"),
    }
    db.session.commit()
    return values


# --- the kind the history suggests --------------------------------------------------------


@pytest.mark.parametrize(
    ("history", "series_sessions", "expected"),
    [
        ((), None, "initial"),
        (("initial",), None, "build_up"),
        (("initial", "build_up"), None, "build_up"),
        (("initial", "build_up", "build_up"), None, "touch_up"),
        (("initial", "build_up", "build_up", "touch_up"), None, "touch_up"),
        (("initial", "build_up"), 2, "touch_up"),
        (("initial",), 1, "touch_up"),
        (("correction",), None, "touch_up"),
    ],
)
def test_the_kind_follows_the_history_and_the_practices_series_length(
    personas: Personas, history: tuple[str, ...], series_sessions: int | None, expected: str
) -> None:
    if series_sessions is not None:
        db.session.add(
            PracticeSettings(
                practice_id=personas.record_a.practice_id,
                reminder_offsets={"series_sessions": series_sessions},
            )
        )
        db.session.commit()
    for number, kind in enumerate(history):
        add_session(
            personas, 100 - 12 * number, kind, [Placement(zone="crown", pigment_free_text="ink")]
        )
    assert session_start.suggested_kind(personas.record_a) == expected


def test_the_new_session_form_selects_the_suggested_kind(
    client: FlaskClient, personas: Personas, lots: dict[str, int]
) -> None:
    for number, kind in enumerate(("initial", "build_up", "build_up", "touch_up")):
        add_session(
            personas, 400 - 30 * number, kind, [Placement(zone="crown", pigment_free_text="ink")]
        )
    log_in(client, personas.practitioner_p)
    page = client.get(f"/clients/{personas.record_a.id}/sessions/new").get_data(as_text=True)
    assert '<option selected value="touch_up">' in page
    assert '<option selected value="initial">' not in page


# --- start from the last session ------------------------------------------------------------


def test_starting_from_the_last_session_copies_its_placements_but_not_date_and_notes(
    personas: Personas, lots: dict[str, int]
) -> None:
    assert session_start.start_from_last(personas.record_a, performed_on=TODAY) is None
    add_session(
        personas,
        60,
        "initial",
        [Placement(zone="occipital", pigment_lot_id=lots["other"])],
        needle="old needle",
        notes="older",
    )
    add_session(
        personas,
        20,
        "initial",
        [
            Placement(
                zone="frontal_hairline",
                pigment_lot_id=lots["good"],
                dilution="light",
                dilution_ratio="1:3",
                needle="3RL",
                dot_size="0.3",
                density_worked_pct=60,
                depth="shallow",
                depth_note="a bit shallow at the left",
            ),
            Placement(zone="crown", pigment_lot_id=lots["good"], scar_tissue=True),
        ],
        needle="1RL 0.25",
        machine_settings="3.5 mm stroke",
        duration_minutes=150,
        notes="crown softer than expected",
    )

    start = session_start.start_from_last(personas.record_a, performed_on=TODAY)

    assert start is not None
    assert (start.performed_on, start.kind, start.notes) == (TODAY, "build_up", "")
    assert (start.needle, start.machine_settings, start.duration_minutes) == (
        "1RL 0.25",
        "3.5 mm stroke",
        150,
    )
    assert start.confirm_expired_lot is False and start.consent_override_reason == ""
    assert [
        (p.zone, p.pigment_lot_id, p.dilution, p.dilution_ratio, p.needle, p.dot_size)
        for p in start.placements
    ] == [
        ("frontal_hairline", lots["good"], "light", "1:3", "3RL", "0.3"),
        ("crown", lots["good"], "standard", "", "", ""),
    ]
    assert [
        (p.density_worked_pct, p.depth, p.depth_note, p.scar_tissue) for p in start.placements
    ] == [
        (60, "shallow", "", False),
        (None, "correct", "", True),
    ]


def test_the_form_from_the_last_session_is_filled_and_saves_a_copy(
    client: FlaskClient, personas: Personas, lots: dict[str, int]
) -> None:
    add_session(
        personas,
        12,
        "initial",
        [
            Placement(zone="left_temple", pigment_lot_id=lots["good"], dilution_ratio="1:2"),
            Placement(zone="right_temple", pigment_lot_id=lots["good"], dilution_ratio="1:2"),
        ],
        notes="do not copy me",
    )
    log_in(client, personas.practitioner_p)
    path = f"/clients/{personas.record_a.id}/sessions/new"
    assert "Start from last session" in client.get(path).get_data(as_text=True)
    page = client.get(f"{path}?from=last").get_data(as_text=True)
    assert 'name="placements-0-zone"' in page
    assert '<option selected value="left_temple">' in page
    assert '<option selected value="right_temple">' in page
    assert "do not copy me" not in page
    assert f'value="{TODAY.isoformat()}"' in page


# --- one set of settings for several zones -------------------------------------------------


def shared_settings(lot_id: int | str, *zones: str, **values: str) -> dict[str, object]:
    form: dict[str, object] = {
        "shared-zones": list(zones),
        "shared-pigment_lot_id": str(lot_id),
        "shared-dilution": "light",
        "shared-dilution_ratio": "1:4",
        "shared-needle": "",
        "shared-dot_size": "",
        "shared-density_worked_pct": "",
        "shared-depth": "correct",
        "shared-depth_note": "",
    }
    form.update(values)
    return form


def base_form(**values: object) -> dict[str, object]:
    form: dict[str, object] = {
        "performed_on": (TODAY - timedelta(days=2)).isoformat(),
        "kind": "initial",
        "needle": "",
        "machine_settings": "",
        "duration_minutes": "",
        "notes": "",
    }
    for index in range(6):
        form.update(form_row(index))
    form.update(values)
    return form


def test_expanding_shared_settings_gives_one_placement_per_zone_with_row_overrides() -> None:
    shared = PlacementInput(zone="", pigment_lot_id=7, pigment_free_text=None, dilution="light")
    override = PlacementInput(zone="crown", pigment_lot_id=None, pigment_free_text=None)
    other = PlacementInput(zone="occipital", pigment_lot_id=9, pigment_free_text=None)

    placements, sources = session_start.expand_shared(
        shared, ["crown", "frontal_hairline", "crown"], [(2, override), (4, other)]
    )

    assert [(p.zone, p.pigment_lot_id, p.dilution) for p in placements] == [
        ("frontal_hairline", 7, "light"),
        ("crown", 7, "standard"),  # the row's own dilution wins; its blank lot is inherited
        ("occipital", 9, "standard"),
    ]
    assert [(s.row, s.zone) for s in sources] == [
        (None, "frontal_hairline"),
        (2, "crown"),
        (4, "occipital"),
    ]
    assert session_start.expand_shared(None, ["crown"], [(0, other)])[0] == [other]


def test_one_set_of_settings_records_a_placement_in_each_ticked_zone(
    client: FlaskClient, personas: Personas, lots: dict[str, int]
) -> None:
    log_in(client, personas.practitioner_p)
    form = base_form(
        **shared_settings(lots["good"], "frontal_hairline", "left_temple", "right_temple"),
        **form_row(0, zone="left_temple", depth="too_deep", depth_note="went deep"),
    )
    response = client.post(f"/clients/{personas.record_a.id}/sessions/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert committed(
        sa.select(
            Placement.zone,
            Placement.pigment_lot_id,
            Placement.dilution,
            Placement.dilution_ratio,
            Placement.depth,
        ).order_by(Placement.id)
    ) == [
        ("frontal_hairline", lots["good"], "light", "1:4", "correct"),
        ("left_temple", lots["good"], "standard", "1:4", "too_deep"),
        ("right_temple", lots["good"], "light", "1:4", "correct"),
    ]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"shared-pigment_lot_id": "theirs"}, "shared-pigment_lot_id", "your own pigment"),
        ({"shared-zones": ["crown", "nape"]}, "shared-zones", "Choose the zone"),
        ({"shared-zones": [], "shared-needle": "3RL"}, "shared-zones", "Tick the zones"),
    ],
)
def test_a_bad_shared_block_is_shown_beside_it_and_writes_nothing(
    client: FlaskClient,
    personas: Personas,
    lots: dict[str, int],
    change: dict[str, object],
    field: str,
    words: str,
) -> None:
    log_in(client, personas.practitioner_p)
    before = row_counts()
    shared = shared_settings(lots["good"], "crown", "occipital")
    if change.get("shared-pigment_lot_id") == "theirs":
        change = {"shared-pigment_lot_id": str(lots["theirs"])}
    form = base_form(**{**shared, **change})
    response = client.post(f"/clients/{personas.record_a.id}/sessions/new", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert words in field_error(html, field), html[:3000]
    assert row_counts() == before


# --- lot choices -----------------------------------------------------------------------------


def test_lot_choices_lead_with_number_and_expiry_and_flag_expired_ones(
    client: FlaskClient, personas: Personas, lots: dict[str, int]
) -> None:
    log_in(client, personas.practitioner_p)
    page = client.get(f"/clients/{personas.record_a.id}/sessions/new").get_data(as_text=True)
    assert "Lot A123 · expires 2030-03 · Noir Studio Scalp Charcoal" in page
    assert "Lot OLD-7 · expires 2020-06 (expired) · Noir Studio" in page
    assert "Lot A123 · expires 2030-03 (expired)" not in page
    assert "Q-LOT" not in page
    # Unexpired lots first: the one most likely wanted is at the top of the list.
    assert page.index("Lot B456") < page.index("Lot OLD-7")


def test_a_lot_past_its_expiry_by_a_day_is_flagged() -> None:
    lot = PigmentLot(
        lot_number="X1",
        expires_on=date(2026, 3, 1),
        pigment=Pigment(brand="Ink", line="", shade="Noir", base="carbon"),
    )
    label = lot.pigment.label
    assert session_start.lot_label(lot, today=date(2026, 3, 1)) == (
        f"Lot X1 · expires 2026-03 · {label}"
    )
    assert session_start.lot_label(lot, today=date(2026, 3, 2)) == (
        f"Lot X1 · expires 2026-03 (expired) · {label}"
    )


# --- adding a lot from the session form and coming back -------------------------------------


def test_adding_a_lot_from_the_form_returns_to_the_draft_with_the_lot_chosen(
    client: FlaskClient, personas: Personas, lots: dict[str, int]
) -> None:
    log_in(client, personas.practitioner_p)
    path = f"/clients/{personas.record_a.id}/sessions/new"
    typed = base_form(
        notes="typed before adding the lot",
        **shared_settings("", "crown", "occipital"),
        add_lot="Add a new lot…",
    )
    before = row_counts()
    left = client.post(path, data=typed)
    assert left.status_code == 302
    assert row_counts() == before  # pressing the button saves no session
    to_catalogue = urlsplit(left.headers["Location"])
    assert to_catalogue.path == "/pigments/"
    back = parse_qs(to_catalogue.query)["next"][0]
    assert back == f"{path}?draft=1"

    pigment = db.session.scalar(
        sa.select(PigmentLot.pigment_id).where(PigmentLot.id == lots["good"])
    )
    added = client.post(
        f"/pigments/{pigment}/lots?next={back.replace('?', '%3F').replace('=', '%3D')}",
        data={"lot_number": "NEW-1", "expires_on": "2029-05-31"},
    )
    assert added.status_code == 302
    new_lot = committed(sa.select(PigmentLot.id).where(PigmentLot.lot_number == "NEW-1"))[0][0]
    returned = urlsplit(added.headers["Location"])
    assert returned.path == path
    assert parse_qs(returned.query) == {"draft": ["1"], "lot": [str(new_lot)]}

    page = client.get(added.headers["Location"]).get_data(as_text=True)
    assert "typed before adding the lot" in page
    assert f'<option selected value="{new_lot}">Lot NEW-1 · expires 2029-05' in page
    inputs = re.findall(r'<input[^>]*name="shared-zones"[^>]*>', page)
    ticked = {re.search(r'value="(\w+)"', tag).group(1) for tag in inputs if " checked" in tag}
    assert ticked == {"crown", "occipital"}

    saved = client.post(
        path,
        data=base_form(
            notes="typed before adding the lot", **shared_settings(new_lot, "crown", "occipital")
        ),
    )
    assert saved.status_code == 302
    assert committed(
        sa.select(Placement.zone, Placement.pigment_lot_id).order_by(Placement.id)
    ) == [
        ("crown", new_lot),
        ("occipital", new_lot),
    ]
    # Saved, the draft is gone: the next visit with ?draft=1 opens a fresh form.
    assert "typed before adding the lot" not in client.get(f"{path}?draft=1").get_data(as_text=True)


@pytest.mark.parametrize(
    "target",
    ["https://evil.test/x", "//evil.test/x", "/\\evil.test", "javascript:alert(1)", "clients/1"],
)
def test_a_lot_added_with_a_foreign_next_goes_to_the_pigment_page_not_away(
    client: FlaskClient, personas: Personas, lots: dict[str, int], target: str
) -> None:
    log_in(client, personas.practitioner_p)
    pigment = db.session.scalar(
        sa.select(PigmentLot.pigment_id).where(PigmentLot.id == lots["good"])
    )
    added = client.post(
        f"/pigments/{pigment}/lots",
        query_string={"next": target},
        data={"lot_number": "NEW-2", "expires_on": "2029-05-31"},
    )
    assert added.status_code == 302
    assert added.headers["Location"] == f"/pigments/{pigment}"
    assert count(PigmentLot) == 5
    page = client.get(f"/pigments/{pigment}", query_string={"next": target})
    assert "Back to the session" not in page.get_data(as_text=True)


def test_a_session_saved_with_next_goes_there_only_when_local(
    client: FlaskClient, personas: Personas, lots: dict[str, int]
) -> None:
    log_in(client, personas.practitioner_p)
    path = f"/clients/{personas.record_a.id}/sessions/new"
    form = base_form(**shared_settings(lots["good"], "crown"))
    local = client.post(path, query_string={"next": f"/clients/{personas.record_a.id}"}, data=form)
    assert local.headers["Location"] == f"/clients/{personas.record_a.id}"
    away = client.post(
        path,
        query_string={"next": "https://evil.test/"},
        data={**form, "performed_on": (TODAY - timedelta(days=1)).isoformat()},
    )
    assert urlsplit(away.headers["Location"]).path.startswith("/sessions/")


def test_a_new_pigment_added_on_the_way_passes_the_way_back_on(
    client: FlaskClient, personas: Personas
) -> None:
    log_in(client, personas.practitioner_p)
    back = f"/clients/{personas.record_a.id}/sessions/new?draft=1"
    listed = client.get("/pigments/", query_string={"next": back}).get_data(as_text=True)
    assert "Back to the session without a new lot" in listed
    made = client.post(
        "/pigments/",
        query_string={"next": back},
        data={"brand": "Fresh Ink", "line": "", "shade": "Noir", "base": "carbon"},
    )
    assert made.status_code == 302
    target = urlsplit(made.headers["Location"])
    assert target.path.startswith("/pigments/") and parse_qs(target.query) == {"next": [back]}
    away = client.post(
        "/pigments/",
        query_string={"next": "https://evil.test/"},
        data={"brand": "Other Ink", "line": "", "shade": "Noir", "base": "carbon"},
    )
    assert urlsplit(away.headers["Location"]).query == ""
