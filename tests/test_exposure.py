"""The sun log: entries by the client or their practitioner, the dose per treated zone, the month
list, the quick entry for today, deletion after confirmation, and hostile form payloads."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smptrack.domain.vocabulary import HAIR_LENGTHS, ZONES
from smptrack.extensions import db
from smptrack.models import AuditEvent, Client, Placement, SunExposure, TreatmentSession, User
from smptrack.services import exposure as sun
from smptrack.services import projections
from smptrack.services.errors import NotFound, ValidationFailed
from tests.conftest import (
    BOOKKEEPING_TABLES,
    OwnContextClient,
    Personas,
    log_in,
    make_client,
    make_user,
)

NOW = datetime(2026, 7, 20, 10, 0, tzinfo=UTC)


def treat(client: Client, *zones: str, by: User | None = None) -> TreatmentSession:
    """A recorded session with one placement per zone (free-text pigment)."""
    treatment = TreatmentSession(
        client_id=client.id,
        performed_on=date(2025, 3, 1),
        kind="initial",
        performed_by_id=by.id if by else None,
        logged_by_id=by.id if by else None,
        logged_at=datetime(2025, 3, 1, 18, 0, tzinfo=UTC),
        placements=[Placement(zone=zone, pigment_free_text="carbon black") for zone in zones],
    )
    db.session.add(treatment)
    db.session.flush()
    return treatment


def entry_input(**overrides: object) -> sun.ExposureInput:
    values: dict[str, object] = {
        "exposed_on": date(2026, 7, 18),
        "duration_minutes": 120,
        "uv_index": 6.0,
        "uv_index_kind": "average",
        "start_time": time(10, 0),
    }
    values.update(overrides)
    return sun.ExposureInput(**values)  # type: ignore[arg-type]


def row_counts() -> dict[str, int]:
    """Committed rows per table, read on a connection of its own."""
    with db.engine.connect() as connection:
        return {
            table.name: connection.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
            if table.name not in BOOKKEEPING_TABLES
        }


def sun_rows(client_id: int) -> list[SunExposure]:
    db.session.expire_all()
    return list(
        db.session.scalars(sa.select(SunExposure).where(SunExposure.client_id == client_id))
    )


@pytest.fixture
def crown_client(personas: Personas) -> Client:
    """Client A, Fitzpatrick III, shaved, with pigment on the crown only."""
    record = personas.record_a
    record.fitzpatrick = 3
    record.hair_length = "shaved"
    treat(record, "crown", by=personas.practitioner_p)
    db.session.commit()
    return record


# --- the dose, through the service (FADE-MODEL §8 dose pipeline) ------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected_crown_sed"),
    [
        ({}, 7.56),
        ({"hat": "cap"}, 0.378),
        ({"sunscreen_spf": 30}, 1.008),
        ({"sunscreen_spf": 30, "sunscreen_applied_at": time(10, 0)}, 1.008),
    ],
    ids=["no protection", "cap", "SPF 30 at the start", "SPF 30 applied at 10:00"],
)
def test_two_hours_at_uv_6_give_the_fade_model_check_doses_on_the_crown(
    crown_client: Client, personas: Personas, overrides: dict, expected_crown_sed: float
) -> None:
    entry = sun.log_exposure(personas.client_a, crown_client, entry_input(**overrides), now=NOW)

    assert sun.ambient_dose(entry) == pytest.approx(10.8)
    assert sun.effective_dose_by_zone(crown_client, entry) == {
        "crown": pytest.approx(expected_crown_sed)
    }


def test_a_daily_maximum_over_midday_counts_as_seven_tenths_of_it(
    crown_client: Client, personas: Personas
) -> None:
    entry = sun.log_exposure(
        personas.client_a,
        crown_client,
        entry_input(uv_index=10.0, uv_index_kind="daily_max", start_time=time(12, 0)),
        now=NOW,
    )
    # 0.9 SED per UVI hour x (0.7 x 10) x 2 h
    assert sun.ambient_dose(entry) == pytest.approx(12.6)


def test_an_unknown_start_time_reads_a_daily_maximum_as_midday_the_conservative_case(
    crown_client: Client, personas: Personas
) -> None:
    unknown = sun.log_exposure(
        personas.client_a,
        crown_client,
        entry_input(uv_index=10.0, uv_index_kind="daily_max", start_time=None),
        now=NOW,
    )
    morning = sun.log_exposure(
        personas.client_a,
        crown_client,
        entry_input(uv_index=10.0, uv_index_kind="daily_max", start_time=time(7, 0)),
        now=NOW,
    )
    assert sun.ambient_dose(unknown) == pytest.approx(12.6)
    assert sun.ambient_dose(morning) == pytest.approx(7.2)  # 0.4 x max outside 11:00-15:00


def test_the_dose_is_priced_for_every_treated_zone_and_only_those(
    personas: Personas,
) -> None:
    record = personas.record_a
    treat(record, "crown", "frontal_hairline", by=personas.practitioner_p)
    treat(record, "occipital", "crown", by=personas.practitioner_p)
    entry = sun.log_exposure(personas.client_a, record, entry_input(), now=NOW)

    doses = sun.effective_dose_by_zone(record, entry)

    assert sun.treated_zones(record) == ["frontal_hairline", "crown", "occipital"]
    assert doses["crown"] == pytest.approx(7.56)
    assert doses["frontal_hairline"] == pytest.approx(7.56 * 0.75)
    assert doses["occipital"] == pytest.approx(7.56 * 0.45)


def test_a_client_with_no_placements_yet_sees_the_dose_on_every_zone(personas: Personas) -> None:
    assert sun.treated_zones(personas.record_a) == list(ZONES)


def test_an_entry_without_hair_length_keeps_the_clients_usual_length_of_that_day(
    personas: Personas,
) -> None:
    personas.record_a.hair_length = "thinning"
    entry = sun.log_exposure(personas.practitioner_p, personas.record_a, entry_input(), now=NOW)
    personas.record_a.hair_length = "shaved"
    db.session.flush()

    assert entry.hair_length == "thinning"
    assert entry.logged_by_id == personas.practitioner_p.id


def test_the_month_summary_adds_up_entries_minutes_and_doses_per_month(
    crown_client: Client, personas: Personas
) -> None:
    for day, minutes in ((date(2026, 6, 2), 60), (date(2026, 6, 20), 120), (date(2026, 7, 1), 30)):
        sun.log_exposure(
            personas.client_a,
            crown_client,
            entry_input(exposed_on=day, duration_minutes=minutes),
            now=NOW,
        )

    july, june = sun.monthly_summary(crown_client)

    assert (june.month, june.entries, june.minutes) == (date(2026, 6, 1), 2, 180)
    assert june.ambient_sed == pytest.approx(0.9 * 6 * 3)
    assert june.effective_sed_by_zone == {"crown": pytest.approx(0.9 * 6 * 3 * 0.7)}
    assert (july.month, july.entries, july.minutes) == (date(2026, 7, 1), 1, 30)
    assert july.effective_sed_by_zone["crown"] == pytest.approx(0.9 * 6 * 0.5 * 0.7)


def test_exposures_of_a_month_are_only_that_months_newest_first(
    crown_client: Client, personas: Personas
) -> None:
    for day in (date(2026, 5, 31), date(2026, 6, 1), date(2026, 6, 30), date(2026, 7, 1)):
        sun.log_exposure(personas.client_a, crown_client, entry_input(exposed_on=day), now=NOW)

    june = sun.exposures_of(crown_client, year=2026, month=6)

    assert [e.exposed_on for e in june] == [date(2026, 6, 30), date(2026, 6, 1)]
    assert len(sun.exposures_of(crown_client, year=2026)) == 4
    assert len(sun.exposures_of(crown_client, year=2025)) == 0


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"exposed_on": date(2026, 7, 21)}, "exposed_on"),
        ({"exposed_on": date(1989, 12, 31)}, "exposed_on"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 1441}, "duration_minutes"),
        ({"duration_minutes": 90.5}, "duration_minutes"),
        ({"uv_index": -0.1}, "uv_index"),
        ({"uv_index": 20.1}, "uv_index"),
        ({"uv_index": math.nan}, "uv_index"),
        ({"uv_index": math.inf}, "uv_index"),
        ({"uv_index_kind": "peak"}, "uv_index_kind"),
        ({"hat": "helmet"}, "hat"),
        ({"sunscreen_spf": 0}, "sunscreen_spf"),
        ({"sunscreen_spf": 101}, "sunscreen_spf"),
        ({"sunscreen_applied_at": time(9, 0)}, "sunscreen_spf"),
        ({"sunscreen_generous": True}, "sunscreen_spf"),
        (
            {"sunscreen_spf": 30, "sunscreen_applied_at": time(9, 0), "start_time": None},
            "start_time",
        ),
        ({"hair_length": "mohawk"}, "hair_length"),
    ],
)
def test_the_service_refuses_bad_entries_naming_the_field_and_writes_nothing(
    personas: Personas, overrides: dict, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        sun.log_exposure(personas.client_a, personas.record_a, entry_input(**overrides), now=NOW)

    assert field in refused.value.fields
    assert refused.value.fields[field]
    assert sun_rows(personas.record_a.id) == []


def test_today_is_the_clients_own_day_not_the_servers(personas: Personas, app: Flask) -> None:
    ahead = make_client(personas.practitioner_p, "Kiri", time_zone="Pacific/Kiritimati")  # UTC+14
    behind = make_client(personas.practitioner_p, "Pago", time_zone="Pacific/Pago_Pago")  # UTC-11
    tomorrow_in_utc = NOW.date() + timedelta(days=1)

    sun.log_exposure(
        personas.practitioner_p, ahead, entry_input(exposed_on=tomorrow_in_utc), now=NOW
    )
    with pytest.raises(ValidationFailed) as refused:
        sun.log_exposure(
            personas.practitioner_p, behind, entry_input(exposed_on=NOW.date()), now=NOW
        )
    assert "future" in refused.value.fields["exposed_on"]


@pytest.mark.parametrize("actor", ["practitioner_q", "client_b", "admin"])
def test_nobody_else_can_log_for_client_a(personas: Personas, actor: str) -> None:
    with pytest.raises(NotFound):
        sun.log_exposure(personas.by_name(actor), personas.record_a, entry_input(), now=NOW)
    assert sun_rows(personas.record_a.id) == []


def test_a_client_deletes_their_own_entry_and_nobody_else_can(personas: Personas) -> None:
    entry = sun.log_exposure(personas.client_a, personas.record_a, entry_input(), now=NOW)
    for stranger in (personas.client_b, personas.practitioner_q, personas.admin):
        with pytest.raises(NotFound):
            sun.delete_exposure(stranger, entry.id, now=NOW)

    sun.delete_exposure(personas.practitioner_p, entry.id, now=NOW)

    assert sun_rows(personas.record_a.id) == []


# --- pages -------------------------------------------------------------------------------------


def test_the_month_list_shows_each_months_dose_per_treated_zone(
    client: FlaskClient, crown_client: Client, personas: Personas
) -> None:
    sun.log_exposure(personas.client_a, crown_client, entry_input(), now=NOW)
    sun.log_exposure(
        personas.client_a,
        crown_client,
        entry_input(exposed_on=date(2026, 6, 3), hat="cap"),
        now=NOW,
    )
    projections.refresh_stale(datetime.now(UTC))  # the unit of work's step
    db.session.commit()

    page = log_in(client, personas.client_a).get(f"/clients/{crown_client.id}/sun")

    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "July 2026" in body and "June 2026" in body
    assert "7.56" in body  # July, crown, no protection
    assert "0.38" in body  # June, crown, under a cap
    assert "10.80" in body  # ambient
    assert "Mid-scalp" not in body  # only treated zones get a column


def test_the_month_list_is_paginated_and_a_month_can_be_chosen(
    app: Flask, client: FlaskClient, crown_client: Client, personas: Personas
) -> None:
    app.config["PAGE_SIZE"] = 2
    for month in (3, 4, 5, 6):
        sun.log_exposure(
            personas.client_a,
            crown_client,
            entry_input(exposed_on=date(2026, month, 10)),
            now=NOW,
        )
    projections.refresh_stale(datetime.now(UTC))  # the unit of work's step
    db.session.commit()
    viewer = log_in(client, personas.practitioner_p)

    first = viewer.get(f"/clients/{crown_client.id}/sun").get_data(as_text=True)
    second = viewer.get(f"/clients/{crown_client.id}/sun?page=2&month=2026-03")
    junk = viewer.get(f"/clients/{crown_client.id}/sun?page=x&month=20x6-13")

    assert "June 2026" in first and "May 2026" in first and "April 2026" not in first
    assert "Page 1 of 2" in first
    assert "Entries in June 2026" in first
    second_body = second.get_data(as_text=True)
    assert "April 2026" in second_body and "Entries in March 2026" in second_body
    assert "10 March 2026" in second_body
    assert junk.status_code == 200


def test_reading_the_sun_log_is_audited(
    client: FlaskClient, crown_client: Client, personas: Personas
) -> None:
    log_in(client, personas.practitioner_p).get(f"/clients/{crown_client.id}/sun")

    events = db.session.scalars(sa.select(AuditEvent)).all()
    assert [(e.action, e.object_type, e.actor_id, e.client_id) for e in events] == [
        ("read", "sun_log", personas.practitioner_p.id, crown_client.id)
    ]


def test_the_quick_entry_logs_today_in_the_clients_zone_with_their_usual_hair(
    client: FlaskClient, personas: Personas
) -> None:
    personas.record_a.time_zone = "Pacific/Kiritimati"
    personas.record_a.hair_length = "stubble"
    db.session.commit()
    kiritimati = ZoneInfo("Pacific/Kiritimati")
    before = datetime.now(UTC).astimezone(kiritimati).date()

    answer = log_in(client, personas.client_a).post(
        f"/clients/{personas.record_a.id}/sun/quick",
        data={"duration_minutes": "45", "uv_index": "8", "hat": "wide_brim"},
    )
    after = datetime.now(UTC).astimezone(kiritimati).date()

    assert answer.status_code == 302
    (entry,) = sun_rows(personas.record_a.id)
    assert entry.exposed_on in {before, after}
    assert (entry.duration_minutes, entry.uv_index, entry.hat) == (45, 8.0, "wide_brim")
    assert (entry.uv_index_kind, entry.hair_length, entry.logged_by_id) == (
        "daily_max",
        "stubble",
        personas.client_a.id,
    )
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                AuditEvent.action == "create", AuditEvent.object_id == entry.id
            )
        )
        == 1
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"duration_minutes": "1441", "uv_index": "5", "hat": "none"}, "from 1 to 1440"),
        ({"duration_minutes": "30", "uv_index": "21", "hat": "none"}, "from 0 to 20"),
        ({"duration_minutes": "thirty", "uv_index": "5", "hat": "none"}, "Not a valid integer"),
        ({"uv_index": "5", "hat": "none"}, "Enter the minutes outdoors"),
        ({"duration_minutes": "30", "uv_index": "nan", "hat": "none"}, "from 0 to 20"),
        ({"duration_minutes": "30", "uv_index": "5", "hat": "fez"}, "Not a valid choice"),
    ],
)
def test_a_bad_quick_entry_re_renders_with_the_message_and_logs_nothing(
    client: FlaskClient, personas: Personas, data: dict, message: str
) -> None:
    before = row_counts()

    answer = log_in(client, personas.client_a).post(
        f"/clients/{personas.record_a.id}/sun/quick", data=data
    )

    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    assert row_counts() == before


def full_form(**overrides: str) -> dict[str, str]:
    data = {
        "exposed_on": (date.today() - timedelta(days=3)).isoformat(),
        "start_time": "10:00",
        "duration_minutes": "120",
        "uv_index": "6",
        "uv_index_kind": "average",
        "hat": "none",
        "sunscreen_spf": "30",
        "sunscreen_applied_at": "10:00",
        "hair_length": "",
    }
    data.update(overrides)
    return data


def test_the_practitioner_logs_a_full_entry_for_their_client(
    client: FlaskClient, crown_client: Client, personas: Personas
) -> None:
    answer = log_in(client, personas.practitioner_p).post(
        f"/clients/{crown_client.id}/sun/new", data=full_form(swimming="y", hair_length="dense")
    )

    assert answer.status_code == 302
    (entry,) = sun_rows(crown_client.id)
    assert entry.start_time == time(10, 0)
    assert entry.sunscreen_spf == 30 and entry.sunscreen_applied_at == time(10, 0)
    assert entry.swimming is True and entry.hair_length == "dense"
    assert entry.logged_by_id == personas.practitioner_p.id


def test_the_full_form_offers_today_and_the_usual_hair_length(
    client: FlaskClient, personas: Personas
) -> None:
    personas.record_a.hair_length = "thinning"
    db.session.commit()

    page = log_in(client, personas.client_a).get(f"/clients/{personas.record_a.id}/sun/new")

    body = page.get_data(as_text=True)
    assert "My usual (thinning hair longer than 1 cm)" in body
    assert "The day&#39;s maximum" in body and "The average over this time outdoors" in body


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"exposed_on": (date.today() + timedelta(days=2)).isoformat()}, "in the future"),
        ({"exposed_on": "18/07/2026"}, "Not a valid date"),
        ({"sunscreen_spf": "0"}, "SPF from 1 to 100"),
        ({"sunscreen_spf": "", "sunscreen_applied_at": "10:00"}, "Give the sunscreen"),
        ({"start_time": "25:00"}, "Not a valid time"),
        ({"uv_index_kind": "peak"}, "Not a valid choice"),
        ({"practitioner_id": "2"}, "does not take these fields: practitioner_id"),
    ],
)
def test_a_bad_full_entry_re_renders_with_the_message_and_logs_nothing(
    client: FlaskClient, personas: Personas, overrides: dict, message: str
) -> None:
    before = row_counts()

    answer = log_in(client, personas.client_a).post(
        f"/clients/{personas.record_a.id}/sun/new", data=full_form(**overrides)
    )

    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    assert row_counts() == before


def test_deleting_asks_first_then_deletes_on_confirmation(
    client: FlaskClient, personas: Personas
) -> None:
    entry = sun.log_exposure(personas.client_a, personas.record_a, entry_input(), now=NOW)
    db.session.commit()
    viewer = log_in(client, personas.client_a)

    question = viewer.get(f"/sun/{entry.id}/delete")
    assert question.status_code == 200
    assert "Delete this sun log entry?" in question.get_data(as_text=True)
    assert len(sun_rows(personas.record_a.id)) == 1

    done = viewer.post(f"/sun/{entry.id}/delete")
    assert done.status_code == 302
    assert sun_rows(personas.record_a.id) == []
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.object_type == "sun_exposure")
    ).all()
    # The service that logged the entry recorded its creation; the page its read and delete.
    assert sorted(actions) == ["create", "delete", "read"]


def test_another_client_cannot_delete_the_entry(client: FlaskClient, personas: Personas) -> None:
    entry = sun.log_exposure(personas.client_a, personas.record_a, entry_input(), now=NOW)
    db.session.commit()

    answer = log_in(client, personas.client_b).post(f"/sun/{entry.id}/delete")

    assert answer.status_code == 404
    assert len(sun_rows(personas.record_a.id)) == 1


def test_the_client_shortcut_leads_to_their_own_log(
    client: FlaskClient, personas: Personas
) -> None:
    answer = log_in(client, personas.client_a).get("/me/sun")

    assert answer.headers["Location"].endswith(f"/clients/{personas.record_a.id}/sun")


def test_a_client_without_a_record_is_sent_to_their_page(client: FlaskClient, app: Flask) -> None:
    loner = make_user("client", "loner@clients.test")
    db.session.commit()

    answer = log_in(client, loner).get("/me/sun")

    assert answer.status_code == 302 and answer.headers["Location"].endswith("/me")


def test_the_sun_page_runs_the_same_number_of_queries_for_a_long_log(
    app: Flask, crown_client: Client, personas: Personas
) -> None:
    # Each request in its own context, as in production: otherwise the second request reuses
    # the user the first one loaded, and the counts differ by the login's own queries.
    app.test_client_class = OwnContextClient
    viewer = log_in(app.test_client(), personas.practitioner_p)

    def queries() -> int:
        counted: list[str] = []

        def count(*args: object) -> None:
            counted.append("q")

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert viewer.get(f"/clients/{crown_client.id}/sun").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(counted)

    sun.log_exposure(personas.client_a, crown_client, entry_input(), now=NOW)
    db.session.commit()
    short = queries()
    for offset in range(60):
        sun.log_exposure(
            personas.client_a,
            crown_client,
            entry_input(exposed_on=date(2026, 7, 1) - timedelta(days=7 * offset)),
            now=NOW,
        )
    db.session.commit()

    assert queries() == short


# --- hostile payloads --------------------------------------------------------------------------

EXTRA_FIELDS = ("practitioner_id", "client_id", "id", "logged_by_id", "created_at")


def _not_an_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return True
    return False


def _not_a_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return True
    return False


def _not_a_date(text: str) -> bool:
    try:
        datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return True
    return False


def _future_date() -> st.SearchStrategy[str]:
    # Two days ahead is tomorrow or later in every time zone (UTC-12 to UTC+14).
    return st.integers(2, 3650).map(lambda days: (date.today() + timedelta(days=days)).isoformat())


def _corruptions(required: tuple[str, ...], *, dated: bool) -> st.SearchStrategy:
    """(key, value) to set on a valid payload, or (key, None) to remove a field."""
    hostile_text = st.text(min_size=1, max_size=30).filter(lambda t: t.strip() != "")
    options = [
        st.tuples(st.sampled_from(required), st.none()),
        st.tuples(
            st.just("duration_minutes"),
            st.one_of(
                st.integers(max_value=0).map(str),
                st.integers(min_value=1441).map(str),
                hostile_text.filter(_not_an_int),
            ),
        ),
        st.tuples(
            st.just("uv_index"),
            st.one_of(
                st.floats(max_value=-0.001, allow_nan=False).map(repr),
                st.floats(min_value=20.001).map(repr),
                st.sampled_from(["nan", "inf", "-inf", "NaN"]),
                hostile_text.filter(_not_a_float),
            ),
        ),
        st.tuples(
            st.just("hat"), hostile_text.filter(lambda t: t not in ("none", "cap", "wide_brim"))
        ),
        st.tuples(
            st.sampled_from(EXTRA_FIELDS),
            st.one_of(st.integers().map(str), hostile_text),
        ),
        st.tuples(st.just("duration_minutes"), st.text(max_size=5).map(lambda t: "30\x00" + t)),
    ]
    if dated:
        options += [
            st.tuples(st.just("exposed_on"), _future_date()),
            st.tuples(
                st.just("exposed_on"),
                st.one_of(
                    st.dates(max_value=date(1989, 12, 31)).map(date.isoformat),
                    hostile_text.filter(_not_a_date),
                ),
            ),
            st.tuples(
                st.just("sunscreen_spf"),
                st.one_of(st.integers(max_value=0).map(str), st.integers(min_value=101).map(str)),
            ),
            st.tuples(st.just("hair_length"), hostile_text.filter(lambda t: t not in HAIR_LENGTHS)),
            st.tuples(st.just("start_time"), hostile_text.filter(lambda t: ":" not in t)),
        ]
    return st.lists(st.one_of(*options), min_size=1, max_size=3)


def _apply(base: dict[str, str], corruptions: list[tuple[str, str | None]]) -> dict[str, str]:
    payload = dict(base)
    for key, value in corruptions:
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    return payload


HYPOTHESIS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def test_the_unchanged_payloads_of_the_property_tests_are_accepted(
    client: FlaskClient, personas: Personas
) -> None:
    """The property tests below corrupt these payloads; unchanged, they are valid."""
    viewer = log_in(client, personas.client_a)
    base = f"/clients/{personas.record_a.id}/sun"
    assert viewer.post(f"{base}/new", data=full_form()).status_code == 302
    assert viewer.post(f"{base}/quick", data=QUICK).status_code == 302
    assert len(sun_rows(personas.record_a.id)) == 2


QUICK = {"duration_minutes": "30", "uv_index": "5", "hat": "none"}


@HYPOTHESIS
@given(corruptions=_corruptions(("exposed_on", "duration_minutes", "uv_index"), dated=True))
def test_hostile_full_entries_get_422_and_change_nothing(
    client: FlaskClient, personas: Personas, corruptions: list
) -> None:
    before = row_counts()

    answer = log_in(client, personas.client_a).post(
        f"/clients/{personas.record_a.id}/sun/new", data=_apply(full_form(), corruptions)
    )

    assert answer.status_code == 422, corruptions
    assert row_counts() == before


@HYPOTHESIS
@given(corruptions=_corruptions(("duration_minutes", "uv_index"), dated=False))
def test_hostile_quick_entries_get_422_and_change_nothing(
    client: FlaskClient, personas: Personas, corruptions: list
) -> None:
    before = row_counts()

    answer = log_in(client, personas.practitioner_p).post(
        f"/clients/{personas.record_a.id}/sun/quick", data=_apply(QUICK, corruptions)
    )

    assert answer.status_code == 422, corruptions
    assert row_counts() == before
