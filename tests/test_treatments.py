"""Recording treatment sessions with their placements: the service rules, the pages, and hostile
form payloads that must be answered with 422 and change nothing.

Page outcomes are read from committed rows, through a connection of their own, so a view that
forgot to commit, or committed half a refused form, fails here.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smptrack.domain.vocabulary import SESSION_KINDS, ZONES
from smptrack.extensions import db
from smptrack.models import AuditEvent, Client, Placement, TreatmentSession, User
from smptrack.services import catalogue, treatments
from smptrack.services.errors import Forbidden, NotFound, ValidationFailed
from tests.conftest import BOOKKEEPING_TABLES, OwnContextClient, Personas, log_in, make_client

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


def committed(statement: sa.Executable) -> list[sa.Row]:
    with db.engine.connect() as connection:
        return list(connection.execute(statement))


def count(model: type) -> int:
    return committed(sa.select(sa.func.count()).select_from(model))[0][0]


def row_counts() -> dict[str, int]:
    """Every table's committed row count: "the database is unchanged" in one comparable value."""
    with db.engine.connect() as connection:
        return {
            table.name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
            for table in db.metadata.sorted_tables
            if table.name not in BOOKKEEPING_TABLES
        }


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', html, re.S)
    return match.group(1) if match else ""


def recent_day(days_ago: int = 3) -> date:
    """A date safely in the past in every time zone, for pages that read the real clock."""
    return datetime.now(UTC).date() - timedelta(days=days_ago)


def lot_of(
    practitioner: User,
    lot_number: str = "L-100",
    expires_on: date = date(2030, 1, 31),
    brand: str = "Noir Studio",
) -> int:
    existing = [p for p in catalogue.list_pigments(practitioner) if p.brand == brand]
    pigment = (
        existing[0]
        if existing
        else catalogue.create_pigment(
            practitioner, catalogue.PigmentInput(brand, "Scalp", "Charcoal", "carbon"), now=NOW
        )
    )
    return catalogue.add_lot(
        practitioner, pigment.id, catalogue.LotInput(lot_number, expires_on), now=NOW
    ).id


def placement(
    zone: str = "crown", lot_id: int | None = None, **values
) -> treatments.PlacementInput:
    return treatments.PlacementInput(
        zone=zone,
        pigment_lot_id=lot_id,
        pigment_free_text=values.pop("pigment_free_text", None),
        **values,
    )


def session_input(*placements: treatments.PlacementInput, **values) -> treatments.SessionInput:
    values.setdefault("performed_on", date(2026, 11, 20))
    values.setdefault("kind", "initial")
    return treatments.SessionInput(placements=list(placements), **values)


# --- recording through the service -----------------------------------------------------------


def test_a_practitioner_records_a_session_with_two_placements(personas: Personas) -> None:
    p, ada = personas.practitioner_p, personas.record_a
    lot = lot_of(p)
    recorded = treatments.record_session(
        p,
        ada,
        session_input(
            placement(
                "frontal_hairline",
                lot,
                dilution="light",
                dilution_ratio=" 1:3 ",
                density_worked_pct=60,
                dot_size="0.25 mm",
            ),
            placement(
                "crown",
                lot,
                depth="too_deep",
                depth_note="Blowout risk at the whorl",
                scar_tissue=True,
            ),
            needle="1RL 0.18",
            machine_settings="3.5 mm stroke, 110 Hz",
            duration_minutes=185,
            notes="First of three.\r\nClient tolerated it well.",
        ),
        now=NOW,
    )
    db.session.commit()

    stored = committed(
        sa.select(
            TreatmentSession.client_id,
            TreatmentSession.performed_by_id,
            TreatmentSession.logged_by_id,
            TreatmentSession.logged_at,
            TreatmentSession.duration_minutes,
            TreatmentSession.notes,
            TreatmentSession.expired_lot_confirmed,
        )
    )
    assert stored == [
        (
            ada.id,
            p.id,
            p.id,
            NOW,
            185,
            "First of three.\nClient tolerated it well.",
            False,
        )
    ]
    placements = committed(
        sa.select(
            Placement.session_id,
            Placement.zone,
            Placement.pigment_lot_id,
            Placement.dilution,
            Placement.dilution_ratio,
            Placement.density_worked_pct,
            Placement.depth,
            Placement.scar_tissue,
        ).order_by(Placement.id)
    )
    assert placements == [
        (recorded.id, "frontal_hairline", lot, "light", "1:3", 60, "correct", False),
        (recorded.id, "crown", lot, "standard", "", None, "too_deep", True),
    ]


def test_sessions_of_a_client_come_newest_first_with_their_placements(personas: Personas) -> None:
    p, ada = personas.practitioner_p, personas.record_a
    lot = lot_of(p)
    for day in (date(2026, 1, 5), date(2026, 3, 1), date(2026, 1, 20)):
        treatments.record_session(
            p, ada, session_input(placement("crown", lot), performed_on=day), now=NOW
        )
    treatments.record_session(
        personas.practitioner_q,
        personas.record_b,
        session_input(placement("crown", lot_of(personas.practitioner_q))),
        now=NOW,
    )
    db.session.commit()
    found = treatments.sessions_of(ada)
    assert [s.performed_on for s in found] == [
        date(2026, 3, 1),
        date(2026, 1, 20),
        date(2026, 1, 5),
    ]
    assert [pl.pigment_lot.lot_number for s in found for pl in s.placements] == ["L-100"] * 3


def test_an_expired_lot_is_refused_until_the_practitioner_confirms_it(personas: Personas) -> None:
    p, ada = personas.practitioner_p, personas.record_a
    expired = lot_of(p, "OLD-7", expires_on=date(2026, 6, 30))
    data = session_input(placement("crown", expired), performed_on=date(2026, 7, 1))
    with pytest.raises(treatments.ExpiredLotNotConfirmed) as refused:
        treatments.record_session(p, ada, data, now=NOW)
    assert "OLD-7 expired on 2026-06-30" in refused.value.fields["confirm_expired_lot"]
    assert isinstance(refused.value, ValidationFailed)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TreatmentSession)) == 0

    confirmed = treatments.record_session(
        p,
        ada,
        session_input(
            placement("crown", expired), performed_on=date(2026, 7, 1), confirm_expired_lot=True
        ),
        now=NOW,
    )
    assert confirmed.expired_lot_confirmed is True


def test_a_lot_is_usable_on_its_expiry_day_and_a_needless_confirmation_is_not_stored(
    personas: Personas,
) -> None:
    p = personas.practitioner_p
    lot = lot_of(p, "EDGE", expires_on=date(2026, 6, 30))
    recorded = treatments.record_session(
        p,
        personas.record_a,
        session_input(
            placement("crown", lot), performed_on=date(2026, 6, 30), confirm_expired_lot=True
        ),
        now=NOW,
    )
    assert recorded.expired_lot_confirmed is False


def test_an_expired_lot_is_reported_with_the_other_mistakes_of_the_form(personas: Personas) -> None:
    p = personas.practitioner_p
    expired = lot_of(p, "OLD-7", expires_on=date(2020, 1, 1))
    with pytest.raises(ValidationFailed) as refused:
        treatments.record_session(
            p,
            personas.record_a,
            session_input(placement("crown", expired), duration_minutes=0),
            now=NOW,
        )
    assert not isinstance(refused.value, treatments.ExpiredLotNotConfirmed)
    assert set(refused.value.fields) == {"duration_minutes", "confirm_expired_lot"}


def test_another_practitioners_lot_is_a_field_error_and_nothing_is_written(
    personas: Personas,
) -> None:
    own = lot_of(personas.practitioner_p)
    theirs = lot_of(personas.practitioner_q, "Q-LOT")
    with pytest.raises(ValidationFailed) as refused:
        treatments.record_session(
            personas.practitioner_p,
            personas.record_a,
            session_input(placement("crown", own), placement("occipital", theirs)),
            now=NOW,
        )
    assert refused.value.fields == {
        "placements.1.pigment_lot_id": "Choose a lot from your own pigment catalogue."
    }
    # The same words as a lot that does not exist at all: nothing about Q's catalogue leaks.
    with pytest.raises(ValidationFailed) as missing:
        treatments.record_session(
            personas.practitioner_p,
            personas.record_a,
            session_input(placement("crown", own), placement("occipital", 987654)),
            now=NOW,
        )
    assert missing.value.fields == refused.value.fields
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Placement)) == 0


def test_a_lot_id_beyond_a_database_key_is_a_field_error(personas: Personas) -> None:
    with pytest.raises(ValidationFailed) as refused:
        treatments.record_session(
            personas.practitioner_p,
            personas.record_a,
            session_input(placement("crown", 2**64)),
            now=NOW,
        )
    assert set(refused.value.fields) == {"placements.0.pigment_lot_id"}


def test_a_client_logs_their_own_session_naming_the_pigment_in_words(personas: Personas) -> None:
    recorded = treatments.record_session(
        personas.client_a,
        personas.record_a,
        session_input(placement("crown", pigment_free_text="  Brand X Noir  "), kind="touch_up"),
        now=NOW,
    )
    assert (recorded.performed_by_id, recorded.logged_by_id) == (None, personas.client_a.id)
    assert recorded.placements[0].pigment_free_text == "Brand X Noir"
    assert recorded.placements[0].pigment_lot_id is None


@pytest.mark.parametrize(
    ("persona", "item", "field", "words"),
    [
        ("client_a", placement("crown", pigment_free_text=""), "pigment_free_text", "Name the"),
        ("client_a", placement("crown", 1, pigment_free_text="X"), "pigment_lot_id", "in words"),
        ("practitioner_p", placement("crown"), "pigment_lot_id", "Choose the pigment lot"),
        (
            "practitioner_p",
            placement("crown", pigment_free_text="Ink"),
            "pigment_lot_id",
            "Choose the pigment lot",
        ),
    ],
)
def test_the_pigment_is_named_by_lot_for_practitioners_and_in_words_for_clients(
    personas: Personas, persona: str, item: treatments.PlacementInput, field: str, words: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        treatments.record_session(
            personas.by_name(persona), personas.record_a, session_input(item), now=NOW
        )
    assert words in refused.value.fields[f"placements.0.{field}"]


@pytest.mark.parametrize(
    ("time_zone", "accepted"), [("Pacific/Kiritimati", True), ("Europe/London", False)]
)
def test_future_dates_are_judged_in_the_clients_time_zone(
    personas: Personas, time_zone: str, accepted: bool
) -> None:
    # 10:00 UTC on 26 November is already midnight into the 27th on Kiritimati (UTC+14).
    client = make_client(personas.practitioner_p, "Kiri Client", time_zone=time_zone)
    data = session_input(
        placement("crown", lot_of(personas.practitioner_p)), performed_on=date(2026, 11, 27)
    )
    if accepted:
        assert treatments.record_session(personas.practitioner_p, client, data, now=NOW).id
    else:
        with pytest.raises(ValidationFailed) as refused:
            treatments.record_session(personas.practitioner_p, client, data, now=NOW)
        assert refused.value.fields == {"performed_on": "The session date cannot be in the future."}


@pytest.mark.parametrize(
    ("session_values", "placement_values", "field"),
    [
        ({"performed_on": date(1989, 12, 31)}, {}, "performed_on"),
        ({"performed_on": "2026-01-01"}, {}, "performed_on"),
        ({"performed_on": datetime(2026, 1, 1, tzinfo=UTC)}, {}, "performed_on"),
        ({"kind": "tattoo"}, {}, "kind"),
        ({"duration_minutes": 0}, {}, "duration_minutes"),
        ({"duration_minutes": 1441}, {}, "duration_minutes"),
        ({"duration_minutes": "90"}, {}, "duration_minutes"),
        ({"duration_minutes": True}, {}, "duration_minutes"),
        ({"notes": "n" * 5001}, {}, "notes"),
        ({"notes": "ok\x00"}, {}, "notes"),
        ({"needle": "1R\nL"}, {}, "needle"),
        ({"needle": "\x0b"}, {}, "needle"),  # str.strip() would eat it: judged before trimming
        ({"machine_settings": "m" * 201}, {}, "machine_settings"),
        ({"confirm_expired_lot": "yes"}, {}, "confirm_expired_lot"),
        ({}, {"zone": "left_ear"}, "placements.0.zone"),
        ({}, {"dilution": "heavy"}, "placements.0.dilution"),
        ({}, {"depth": "medium"}, "placements.0.depth"),
        ({}, {"density_worked_pct": 101}, "placements.0.density_worked_pct"),
        ({}, {"density_worked_pct": -1}, "placements.0.density_worked_pct"),
        ({}, {"density_worked_pct": 50.5}, "placements.0.density_worked_pct"),
        ({}, {"depth_note": "d" * 501}, "placements.0.depth_note"),
        ({}, {"dot_size": "\x7f"}, "placements.0.dot_size"),
        ({}, {"dilution_ratio": "1:\u00853"}, "placements.0.dilution_ratio"),
        ({}, {"scar_tissue": "no"}, "placements.0.scar_tissue"),
        ({}, {"pigment_lot_id": "1"}, "placements.0.pigment_lot_id"),
    ],
)
def test_each_bad_value_is_refused_with_a_message_on_its_own_field(
    personas: Personas, session_values: dict, placement_values: dict, field: str
) -> None:
    lot = lot_of(personas.practitioner_p)
    item = (
        placement(**{"lot_id": lot, **placement_values})
        if "pigment_lot_id" not in (placement_values)
        else treatments.PlacementInput(zone="crown", pigment_free_text=None, **placement_values)
    )
    with pytest.raises(ValidationFailed) as refused:
        treatments.record_session(
            personas.practitioner_p,
            personas.record_a,
            session_input(item, **session_values),
            now=NOW,
        )
    assert set(refused.value.fields) == {field}
    assert refused.value.fields[field]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TreatmentSession)) == 0


@pytest.mark.parametrize("placements", [[], [placement("crown", 1)] * 21, None, ["crown"]])
def test_a_session_holds_one_to_twenty_placements(personas: Personas, placements) -> None:
    lot = lot_of(personas.practitioner_p)
    if placements and isinstance(placements[0], treatments.PlacementInput):
        placements = [placement("crown", lot)] * len(placements)
    data = treatments.SessionInput(
        performed_on=date(2026, 1, 1), kind="initial", placements=placements
    )
    with pytest.raises(ValidationFailed) as refused:
        treatments.record_session(personas.practitioner_p, personas.record_a, data, now=NOW)
    assert {key.split(".")[0] for key in refused.value.fields} == {"placements"}


@pytest.mark.parametrize("persona", ["practitioner_q", "client_b", "admin"])
def test_only_the_clients_practitioner_or_the_client_may_record(
    personas: Personas, persona: str
) -> None:
    with pytest.raises(Forbidden):
        treatments.record_session(
            personas.by_name(persona),
            personas.record_a,
            session_input(placement("crown", pigment_free_text="Ink")),
            now=NOW,
        )


# --- changing, deleting and reading through the service ---------------------------------------


@pytest.fixture
def two_sessions(personas: Personas) -> dict[str, int]:
    """P's session of Ada (two placements) and a session Ada logged herself."""
    lot = lot_of(personas.practitioner_p)
    by_p = treatments.record_session(
        personas.practitioner_p,
        personas.record_a,
        session_input(
            placement("frontal_hairline", lot),
            placement("crown", lot),
            performed_on=date(2026, 5, 1),
        ),
        now=NOW - timedelta(days=200),
    )
    own = treatments.record_session(
        personas.client_a,
        personas.record_a,
        session_input(
            placement("crown", pigment_free_text="Unknown"), performed_on=date(2025, 1, 1)
        ),
        now=NOW - timedelta(days=300),
    )
    db.session.commit()
    return {"by_p": by_p.id, "own": own.id, "lot": lot}


def test_an_update_replaces_the_details_and_keeps_who_logged_it_and_when(
    personas: Personas, two_sessions: dict[str, int]
) -> None:
    p = personas.practitioner_p
    found = treatments.get_session(p, two_sessions["by_p"])
    first_placement = found.placements[0].id
    treatments.update_session(
        p,
        found,
        session_input(
            placement("left_temple", two_sessions["lot"], density_worked_pct=40),
            performed_on=date(2026, 5, 2),
            kind="build_up",
            notes="Moved a day",
        ),
        now=NOW,
    )
    db.session.commit()
    (row,) = committed(
        sa.select(
            TreatmentSession.performed_on,
            TreatmentSession.kind,
            TreatmentSession.notes,
            TreatmentSession.logged_at,
            TreatmentSession.updated_at,
        ).where(TreatmentSession.id == two_sessions["by_p"])
    )
    assert row == (
        date(2026, 5, 2),
        "build_up",
        "Moved a day",
        NOW - timedelta(days=200),
        NOW,
    )
    placements = committed(
        sa.select(Placement.id, Placement.zone, Placement.density_worked_pct).where(
            Placement.session_id == two_sessions["by_p"]
        )
    )
    assert placements == [(first_placement, "left_temple", 40)]


def test_a_refused_update_leaves_the_session_as_it_was(
    personas: Personas, two_sessions: dict[str, int]
) -> None:
    p = personas.practitioner_p
    found = treatments.get_session(p, two_sessions["by_p"])
    with pytest.raises(ValidationFailed):
        treatments.update_session(
            p,
            found,
            session_input(placement("crown", two_sessions["lot"]), kind="nope"),
            now=NOW,
        )
    assert found.kind == "initial" and len(found.placements) == 2


def test_delete_removes_the_session_and_its_placements(
    personas: Personas, two_sessions: dict[str, int]
) -> None:
    p = personas.practitioner_p
    treatments.delete_session(p, treatments.get_session(p, two_sessions["by_p"]), now=NOW)
    db.session.commit()
    assert committed(sa.select(TreatmentSession.id)) == [(two_sessions["own"],)]
    assert committed(sa.select(Placement.zone)) == [("crown",)]


@pytest.mark.parametrize(
    ("persona", "which", "may_change"),
    [
        ("practitioner_p", "by_p", True),
        ("practitioner_p", "own", False),  # the client's own log stays theirs
        ("client_a", "own", True),
        ("client_a", "by_p", False),  # the practitioner's record is not the client's to edit
    ],
)
def test_a_session_is_changed_only_from_the_side_that_logged_it(
    personas: Personas, two_sessions: dict[str, int], persona: str, which: str, may_change: bool
) -> None:
    user = personas.by_name(persona)
    found = treatments.get_session(user, two_sessions[which])
    assert treatments.may_change_session(user, found) is may_change
    if not may_change:
        with pytest.raises(Forbidden):
            treatments.delete_session(user, found, now=NOW)
        with pytest.raises(Forbidden):
            treatments.update_session(user, found, treatments.session_input_from(found), now=NOW)


@pytest.mark.parametrize("persona", ["practitioner_q", "client_b", "admin"])
def test_another_tenants_session_is_not_found(
    personas: Personas, two_sessions: dict[str, int], persona: str
) -> None:
    with pytest.raises(NotFound):
        treatments.get_session(personas.by_name(persona), two_sessions["by_p"])


def test_session_input_from_round_trips_through_update(
    personas: Personas, two_sessions: dict[str, int]
) -> None:
    p = personas.practitioner_p
    found = treatments.get_session(p, two_sessions["by_p"])
    before = treatments.session_input_from(found)
    treatments.update_session(p, found, before, now=NOW)
    assert treatments.session_input_from(found) == before


# --- the pages -------------------------------------------------------------------------------


def form_row(index: int, **values: str) -> dict[str, str]:
    row = {
        "zone": "",
        "pigment_lot_id": "",
        "dilution": "standard",
        "dilution_ratio": "",
        "needle": "",
        "dot_size": "",
        "density_worked_pct": "",
        "depth": "correct",
        "depth_note": "",
    }
    row.update(values)
    return {f"placements-{index}-{name}": value for name, value in row.items()}


def session_form(
    lot_id: int | str, performed_on: date | None = None, rows: int = 6, **values: str
) -> dict[str, str]:
    """What a browser posts: the session's fields and ``rows`` placement rows (two used)."""
    form = {
        "performed_on": (performed_on or recent_day()).isoformat(),
        "kind": "touch_up",
        "needle": "1RL 0.25",
        "machine_settings": "",
        "duration_minutes": "150",
        "notes": "Even coverage.",
    }
    form.update(
        form_row(
            0,
            zone="frontal_hairline",
            pigment_lot_id=str(lot_id),
            dilution="light",
            dilution_ratio="1:3",
            density_worked_pct="60",
        )
    )
    form.update(form_row(1, zone="crown", pigment_lot_id=str(lot_id), scar_tissue="y"))
    for index in range(2, rows):
        form.update(form_row(index))
    form.update(values)
    return form


def blank_row(form: dict[str, str], index: int) -> dict[str, str]:
    """``form`` with placement row ``index`` left as a browser sends an unused row."""
    prefix = f"placements-{index}-"
    kept = {name: value for name, value in form.items() if not name.startswith(prefix)}
    return kept | form_row(index)


def client_form(**values: str) -> dict[str, str]:
    form = session_form("", rows=2)
    for index in (0, 1):
        del form[f"placements-{index}-pigment_lot_id"]
        form[f"placements-{index}-pigment_free_text"] = "Brand X Noir"
    form.update(values)
    return form


@pytest.fixture
def lots(personas: Personas) -> dict[str, int]:
    """P's good lot and expired lot, and Q's lot; committed."""
    values = {
        "good": lot_of(personas.practitioner_p),
        "expired": lot_of(personas.practitioner_p, "OLD-7", expires_on=date(2020, 6, 30)),
        "theirs": lot_of(personas.practitioner_q, "Q-LOT"),
    }
    db.session.commit()
    return values


def test_the_practitioner_records_a_session_with_two_placements_in_one_form(
    client: FlaskClient, personas: Personas, lots: dict[str, int]
) -> None:
    log_in(client, personas.practitioner_p)
    page = client.get(f"/clients/{personas.record_a.id}/sessions/new").get_data(as_text=True)
    assert "Ada Client" in page
    assert "Lot L-100 · expires 2030-01 · Noir Studio Scalp Charcoal" in page
    assert page.count('name="placements-') > 6 * 9  # six rows of placements, no JavaScript

    response = client.post(
        f"/clients/{personas.record_a.id}/sessions/new", data=session_form(lots["good"])
    )
    assert response.status_code == 302, field_error(response.get_data(as_text=True), "kind")
    ((session_id, kind, logged_by),) = committed(
        sa.select(TreatmentSession.id, TreatmentSession.kind, TreatmentSession.logged_by_id)
    )
    assert (kind, logged_by) == ("touch_up", personas.practitioner_p.id)
    assert response.headers["Location"].endswith(f"/sessions/{session_id}")
    assert committed(
        sa.select(
            Placement.zone,
            Placement.pigment_lot_id,
            Placement.dilution_ratio,
            Placement.scar_tissue,
        ).order_by(Placement.id)
    ) == [("frontal_hairline", lots["good"], "1:3", False), ("crown", lots["good"], "", True)]
    assert committed(
        sa.select(AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id).where(
            AuditEvent.action == "create"
        )
    ) == [("create", "treatment_session", session_id)]

    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Frontal hairline" in shown and "Crown" in shown
    assert "Light (1:3)" in shown and "over scar tissue" in shown
    assert "Logged by</dt><dd>you" in shown


def test_the_unchanged_payloads_of_the_property_tests_are_accepted(
    client: FlaskClient, personas: Personas, lots: dict[str, int]
) -> None:
    log_in(client, personas.practitioner_p)
    path = f"/clients/{personas.record_a.id}/sessions/new"
    assert client.post(path, data=session_form(lots["good"])).status_code == 302
    log_in(client, personas.client_a)
    assert client.post(path, data=client_form()).status_code == 302
    assert count(TreatmentSession) == 2


def test_a_half_filled_row_needs_its_zone_and_a_form_of_blank_rows_needs_one_placement(
    client: FlaskClient, personas: Personas, lots: dict[str, int]
) -> None:
    log_in(client, personas.practitioner_p)
    path = f"/clients/{personas.record_a.id}/sessions/new"
    half = client.post(path, data=session_form(lots["good"], **{"placements-3-dot_size": "0.3"}))
    assert half.status_code == 422
    assert "Choose the zone" in field_error(half.get_data(as_text=True), "placements-3-zone")
    blank = session_form(lots["good"])
    blank = blank_row(blank_row(blank, 0), 1)
    empty = client.post(path, data=blank)
    assert empty.status_code == 422
    assert "at least one placement" in field_error(
        empty.get_data(as_text=True), "placements-0-zone"
    )
    assert count(TreatmentSession) == 0


def test_the_form_asks_to_confirm_an_expired_lot_and_saves_only_when_confirmed(
    client: FlaskClient, personas: Personas, lots: dict[str, int]
) -> None:
    log_in(client, personas.practitioner_p)
    path = f"/clients/{personas.record_a.id}/sessions/new"
    form = session_form(lots["good"], **{"placements-1-pigment_lot_id": str(lots["expired"])})
    refused = client.post(path, data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "OLD-7 expired on 2020-06-30" in field_error(html, "confirm_expired_lot")
    assert "I confirm using an expired lot" in html
    assert count(TreatmentSession) == 0 and count(AuditEvent) == 0

    saved = client.post(path, data={**form, "confirm_expired_lot": "y"})
    assert saved.status_code == 302
    assert committed(sa.select(TreatmentSession.expired_lot_confirmed)) == [(True,)]
    shown = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Used knowingly" in shown


def test_another_practitioners_lot_in_the_form_gets_a_message_and_writes_nothing(
    client: FlaskClient, personas: Personas, lots: dict[str, int]
) -> None:
    before = row_counts()
    response = log_in(client, personas.practitioner_p).post(
        f"/clients/{personas.record_a.id}/sessions/new",
        data=session_form(lots["good"], **{"placements-1-pigment_lot_id": str(lots["theirs"])}),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(html, "placements-1-pigment_lot_id") == (
        "Choose a lot from your own pigment catalogue."
    )
    assert "Q-LOT" not in html
    assert row_counts() == before


def test_a_practitioner_cannot_record_for_another_practitioners_client(
    client: FlaskClient, personas: Personas, lots: dict[str, int]
) -> None:
    before = row_counts()
    response = log_in(client, personas.practitioner_p).post(
        f"/clients/{personas.record_b.id}/sessions/new", data=session_form(lots["good"])
    )
    assert response.status_code == 404
    # Nothing is written but the audit line of the refusal (tests/test_denials.py).
    assert row_counts() == before | {"audit_events": before["audit_events"] + 1}


def test_a_client_logs_their_own_session_in_words_and_sees_it(
    client: FlaskClient, personas: Personas
) -> None:
    log_in(client, personas.client_a)
    path = f"/clients/{personas.record_a.id}/sessions/new"
    page = client.get(path).get_data(as_text=True)
    assert "Name the\npigment in words" in page or "Name the pigment in words" in page
    assert "pigment_lot_id" not in page
    response = client.post(path, data=client_form(kind="touch_up"))
    assert response.status_code == 302
    assert committed(
        sa.select(TreatmentSession.performed_by_id, TreatmentSession.logged_by_id)
    ) == [(None, personas.client_a.id)]
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Brand X Noir" in shown and "A practitioner outside smptrack" in shown
    # The practitioner reads the client's log but may not change it.
    session_id = response.headers["Location"].rsplit("/", 1)[1]
    log_in(client, personas.practitioner_p)
    assert client.get(f"/sessions/{session_id}").status_code == 200
    assert client.get(f"/sessions/{session_id}/edit").status_code == 403


def test_a_client_cannot_slip_a_catalogue_lot_into_their_form(
    client: FlaskClient, personas: Personas, lots: dict[str, int]
) -> None:
    before = row_counts()
    response = log_in(client, personas.client_a).post(
        f"/clients/{personas.record_a.id}/sessions/new",
        data=client_form(**{"placements-0-pigment_lot_id": str(lots["good"])}),
    )
    assert response.status_code == 422
    assert "does not take the field placements-0-pigment_lot_id" in response.get_data(as_text=True)
    assert row_counts() == before


def test_the_edit_form_shows_the_session_and_saves_the_changes(
    client: FlaskClient, personas: Personas, lots: dict[str, int]
) -> None:
    log_in(client, personas.practitioner_p)
    created = client.post(
        f"/clients/{personas.record_a.id}/sessions/new", data=session_form(lots["good"])
    )
    session_id = int(created.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/sessions/{session_id}/edit").get_data(as_text=True)
    assert f'<option selected value="{lots["good"]}">' in page
    assert 'value="1:3"' in page and "Even coverage." in page

    changed = client.post(
        f"/sessions/{session_id}/edit",
        data=blank_row(
            session_form(lots["good"], notes="Corrected the crown", kind="correction"), 1
        ),
    )
    assert changed.status_code == 302
    assert committed(sa.select(TreatmentSession.kind, TreatmentSession.notes)) == [
        ("correction", "Corrected the crown")
    ]
    assert committed(sa.select(Placement.zone)) == [("frontal_hairline",)]
    assert [
        action for (action,) in committed(sa.select(AuditEvent.action).order_by(AuditEvent.id))
    ].count("update") == 1


def test_deleting_asks_for_confirmation_before_it_deletes(
    client: FlaskClient, personas: Personas, lots: dict[str, int]
) -> None:
    log_in(client, personas.practitioner_p)
    created = client.post(
        f"/clients/{personas.record_a.id}/sessions/new", data=session_form(lots["good"])
    )
    session_id = int(created.headers["Location"].rsplit("/", 1)[1])
    asked = client.get(f"/sessions/{session_id}/delete")
    assert asked.status_code == 200
    assert "cannot be undone" in asked.get_data(as_text=True)
    assert "Frontal hairline, Crown" in asked.get_data(as_text=True)
    assert count(TreatmentSession) == 1 and count(Placement) == 2

    deleted = client.post(f"/sessions/{session_id}/delete")
    assert deleted.status_code == 302
    assert deleted.headers["Location"].endswith(f"/clients/{personas.record_a.id}")
    assert count(TreatmentSession) == 0 and count(Placement) == 0
    assert committed(
        sa.select(AuditEvent.action, AuditEvent.object_id).where(AuditEvent.action == "delete")
    ) == [("delete", session_id)]
    assert client.get(f"/sessions/{session_id}").status_code == 404


def test_reading_a_session_is_audited_for_the_practitioner_to_see(
    client: FlaskClient, personas: Personas, two_sessions: dict[str, int]
) -> None:
    log_in(client, personas.client_a).get(f"/sessions/{two_sessions['by_p']}")
    # (The fixture's sessions were recorded through the service, which audits their creation.)
    assert committed(
        sa.select(
            AuditEvent.actor_id,
            AuditEvent.client_id,
            AuditEvent.action,
            AuditEvent.object_type,
            AuditEvent.object_id,
        ).where(AuditEvent.action == "read")
    ) == [
        (
            personas.client_a.id,
            personas.record_a.id,
            "read",
            "treatment_session",
            two_sessions["by_p"],
        )
    ]


def test_times_on_the_session_page_are_in_the_viewers_time_zone(
    client: FlaskClient, personas: Personas, two_sessions: dict[str, int]
) -> None:
    personas.practitioner_p.time_zone = "Asia/Tokyo"
    db.session.commit()
    logged_at = (NOW - timedelta(days=200)).astimezone(ZoneInfo("Asia/Tokyo"))
    html = (
        log_in(client, personas.practitioner_p)
        .get(f"/sessions/{two_sessions['by_p']}")
        .get_data(as_text=True)
    )
    assert logged_at.strftime("%d %b %Y, %H:%M JST") in html


# --- hostile payloads (hypothesis) -----------------------------------------------------------

HOSTILE = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# C0 and C1 control characters a form could carry, newline, carriage return and tab aside.
CONTROLS = [chr(c) for c in [*range(0, 9), 11, 12, *range(14, 32), 127, *range(128, 160)]]
TEXT_LIMITS = {
    "needle": 80,
    "machine_settings": 200,
    "notes": 5000,
    "placements-0-dilution_ratio": 40,
    "placements-0-needle": 80,
    "placements-0-dot_size": 40,
    "placements-0-depth_note": 500,
}
EXTRA_FIELDS = [
    "id",
    "practitioner_id",
    "client_id",
    "performed_by_id",
    "logged_by_id",
    "logged_at",
    "expired_lot_confirmed",
    "placements-0-id",
    "placements-0-session_id",
    "placements-9-zone",
]


def _int_or_none(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _valid_int(text: str, low: int, high: int) -> bool:
    """As WTForms reads an optional IntegerField: blank is "not given", hence valid."""
    if not text.strip():
        return True
    number = _int_or_none(text)
    return number is not None and low <= number <= high


def _valid_past_date(text: str) -> bool:
    try:
        parsed = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        return False
    return date(1990, 1, 1) <= parsed <= recent_day(0) + timedelta(days=1)


def _set(field: str):
    return lambda value: ({field: value}, [])


def hostile_changes(lots: dict[str, int], *, pigment_field: str) -> st.SearchStrategy:
    """(fields to set, fields to remove) that each make the session form invalid."""
    own_lots = {lots["good"], lots["expired"]}
    future = st.dates(min_value=recent_day(0) + timedelta(days=2), max_value=date(9999, 12, 31))
    control_text = st.tuples(
        st.sampled_from(
            [*TEXT_LIMITS, f"placements-0-{pigment_field}"]
            if pigment_field == "pigment_free_text"
            else list(TEXT_LIMITS)
        ),
        st.text(max_size=5),
        st.sampled_from(CONTROLS),
        st.text(max_size=5),
    ).map(lambda t: ({t[0]: t[1] + t[2] + t[3]}, []))
    too_long = st.tuples(st.sampled_from(sorted(TEXT_LIMITS.items())), st.integers(1, 5000)).map(
        lambda t: ({t[0][0]: "x" * min(10_000, t[0][1] + t[1])}, [])
    )
    changes = [
        future.map(lambda d: ({"performed_on": d.isoformat()}, [])),
        st.text(max_size=20).filter(lambda s: not _valid_past_date(s)).map(_set("performed_on")),
        st.just(({"performed_on": [recent_day().isoformat(), "2020-01-01"]}, [])),
        st.sampled_from(["performed_on", "kind", "placements-0-zone", "placements-*"]).map(
            lambda name: ({}, [name])
        ),
        st.integers().filter(lambda n: not 1 <= n <= 1440).map(str).map(_set("duration_minutes")),
        st.text(max_size=10)
        .filter(lambda s: not _valid_int(s, 1, 1440))
        .map(_set("duration_minutes")),
        st.text(max_size=20).filter(lambda s: s not in SESSION_KINDS).map(_set("kind")),
        st.text(max_size=20).filter(lambda s: s not in ZONES).map(_set("placements-0-zone")),
        st.text(max_size=10)
        .filter(lambda s: not _valid_int(s, 0, 100))
        .map(_set("placements-1-density_worked_pct")),
        st.text(max_size=10)
        .filter(lambda s: s not in ("standard", "light"))
        .map(_set("placements-1-dilution")),
        st.tuples(st.sampled_from(EXTRA_FIELDS), st.text(max_size=10)).map(
            lambda kv: ({kv[0]: kv[1]}, [])
        ),
        too_long,
        control_text,
    ]
    if pigment_field == "pigment_lot_id":
        changes += [
            st.just(({"placements-1-pigment_lot_id": str(lots["theirs"])}, [])),
            st.just(({"placements-0-pigment_lot_id": str(lots["expired"])}, [])),
            st.text(max_size=12)
            .filter(lambda s: _int_or_none(s) not in own_lots)
            .map(_set("placements-0-pigment_lot_id")),
            st.just(({"placements-0-pigment_free_text": "Brand X"}, [])),
        ]
    else:
        changes += [
            st.just(({"placements-0-pigment_lot_id": str(lots["good"])}, [])),
            st.sampled_from(["", "   "]).map(_set("placements-1-pigment_free_text")),
            st.integers(201, 10_000).map(
                lambda n: ({"placements-0-pigment_free_text": "p" * n}, [])
            ),
        ]
    return st.one_of(*changes)


def apply_change(form: dict, change: tuple[dict, list]) -> dict:
    values, removed = change
    result = {**form, **values}
    for name in removed:
        if name.endswith("*"):
            result = {k: v for k, v in result.items() if not k.startswith(name[:-1])}
        else:
            result.pop(name, None)
    return result


def assert_refused_without_a_trace(response, before: dict[str, int]) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:500]
    assert 'class="error"' in html or "flash-error" in html, "a clear message says what is wrong"
    assert row_counts() == before


@HOSTILE
@given(data=st.data())
def test_hostile_practitioner_session_forms_get_422_and_change_nothing(
    client: FlaskClient, personas: Personas, lots: dict[str, int], data: st.DataObject
) -> None:
    change = data.draw(hostile_changes(lots, pigment_field="pigment_lot_id"), label="change")
    before = row_counts()
    response = log_in(client, personas.practitioner_p).post(
        f"/clients/{personas.record_a.id}/sessions/new",
        data=apply_change(session_form(lots["good"]), change),
    )
    assert_refused_without_a_trace(response, before)


@HOSTILE
@given(data=st.data())
def test_hostile_client_session_forms_get_422_and_change_nothing(
    client: FlaskClient, personas: Personas, lots: dict[str, int], data: st.DataObject
) -> None:
    change = data.draw(hostile_changes(lots, pigment_field="pigment_free_text"), label="change")
    before = row_counts()
    response = log_in(client, personas.client_a).post(
        f"/clients/{personas.record_a.id}/sessions/new", data=apply_change(client_form(), change)
    )
    assert_refused_without_a_trace(response, before)


@pytest.fixture
def recorded_by_p(personas: Personas, lots: dict[str, int]) -> int:
    found = treatments.record_session(
        personas.practitioner_p,
        personas.record_a,
        session_input(
            placement("crown", lots["good"]),
            placement("occipital", lots["good"]),
            performed_on=recent_day(10),
            notes="As it was",
        ),
        now=datetime.now(UTC),
    )
    db.session.commit()
    return found.id


def session_snapshot(session_id: int) -> list:
    return committed(
        sa.select(TreatmentSession.__table__).where(TreatmentSession.id == session_id)
    ) + committed(sa.select(Placement.__table__).where(Placement.session_id == session_id))


@settings(HOSTILE, max_examples=25)
@given(data=st.data())
def test_hostile_edits_get_422_and_leave_the_session_as_it_was(
    client: FlaskClient,
    personas: Personas,
    lots: dict[str, int],
    recorded_by_p: int,
    data: st.DataObject,
) -> None:
    change = data.draw(hostile_changes(lots, pigment_field="pigment_lot_id"), label="change")
    before, snapshot = row_counts(), session_snapshot(recorded_by_p)
    response = log_in(client, personas.practitioner_p).post(
        f"/sessions/{recorded_by_p}/edit", data=apply_change(session_form(lots["good"]), change)
    )
    assert_refused_without_a_trace(response, before)
    assert session_snapshot(recorded_by_p) == snapshot


@pytest.mark.parametrize("value", ["\x0b", "\x1c", "1RL\x00"])
def test_a_field_of_only_control_characters_is_refused_not_taken_as_blank(
    client: FlaskClient, personas: Personas, lots: dict[str, int], value: str
) -> None:
    response = log_in(client, personas.practitioner_p).post(
        f"/clients/{personas.record_a.id}/sessions/new",
        data=session_form(lots["good"], needle=value),
    )
    assert response.status_code == 422
    assert "Remove " in field_error(response.get_data(as_text=True), "needle")
    assert count(TreatmentSession) == 0


def test_a_ten_thousand_character_note_is_refused_with_its_limit(
    client: FlaskClient, personas: Personas, lots: dict[str, int]
) -> None:
    response = log_in(client, personas.practitioner_p).post(
        f"/clients/{personas.record_a.id}/sessions/new",
        data=session_form(lots["good"], notes="n" * 10_000),
    )
    assert response.status_code == 422
    assert "5000" in field_error(response.get_data(as_text=True), "notes")
    assert count(TreatmentSession) == 0


@pytest.mark.parametrize("extra", ["practitioner_id", "id"])
def test_an_extra_field_is_named_in_the_refusal(
    client: FlaskClient, personas: Personas, lots: dict[str, int], extra: str
) -> None:
    response = log_in(client, personas.practitioner_p).post(
        f"/clients/{personas.record_a.id}/sessions/new",
        data=session_form(lots["good"], **{extra: str(personas.practitioner_q.id)}),
    )
    assert response.status_code == 422
    assert f"does not take the field {extra}" in response.get_data(as_text=True)
    assert count(TreatmentSession) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/sessions/{huge}",
        "/sessions/{huge}/edit",
        "/sessions/{huge}/delete",
        "/clients/{huge}/sessions/new",
    ],
)
def test_an_id_beyond_a_database_key_is_simply_not_found(
    client: FlaskClient, personas: Personas, path: str
) -> None:
    # PostgreSQL refuses to compare a 32-bit key with 2**64: that must be a 404, not a 500.
    response = log_in(client, personas.practitioner_p).get(path.format(huge=2**64))
    assert response.status_code == 404


def test_only_own_clients_appear_in_a_practitioners_session_pages(
    client: FlaskClient, personas: Personas, app: Flask
) -> None:
    other: Client = make_client(personas.practitioner_q, "Zed Client")
    db.session.commit()
    log_in(client, personas.practitioner_p)
    assert client.get(f"/clients/{other.id}/sessions/new").status_code == 404
