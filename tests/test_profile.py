"""The client profile: the facts the fade model needs, with defaults explained in the form."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from smptrack.extensions import db
from smptrack.models import AuditEvent, Client
from smptrack.services import profile as profiles
from smptrack.services.errors import NotFound, ValidationFailed
from tests.conftest import Personas, log_in

NOW = datetime(2026, 7, 20, 10, 0, tzinfo=UTC)


def stored_profile(client_id: int) -> dict:
    """The profile as committed, read on a connection of its own."""
    with db.engine.connect() as connection:
        row = connection.execute(
            sa.select(*(getattr(Client, name) for name in profiles.PROFILE_FIELDS)).where(
                Client.id == client_id
            )
        ).one()
    return dict(zip(profiles.PROFILE_FIELDS, row, strict=True))


def form_of(data: profiles.ProfileInput, **overrides: str) -> dict[str, str]:
    """``data`` as the browser posts it: unticked boxes are absent, empty numbers are ''."""
    posted: dict[str, str] = {}
    for name, value in asdict(data).items():
        if isinstance(value, bool):
            if value:
                posted[name] = "y"
        else:
            posted[name] = "" if value is None else str(value)
    posted.update(overrides)
    return {k: v for k, v in posted.items() if v is not None}


def test_a_new_client_has_the_documented_defaults(personas: Personas) -> None:
    assert profiles.profile_of(personas.record_a) == profiles.ProfileInput()
    assert profiles.DEFAULTS.fitzpatrick == 3
    assert profiles.DEFAULTS.latitude_band == "45_55"


def test_the_default_habits_are_a_cap_a_quarter_of_the_time_and_no_sunscreen(
    personas: Personas,
) -> None:
    habits = profiles.habits_of(personas.record_a)

    assert (habits.cap_fraction, habits.wide_brim_fraction) == (0.25, 0.0)
    assert (habits.sunscreen_fraction, habits.sunscreen_spf) == (0.0, None)


def test_the_form_explains_every_default_in_a_sentence(
    client: FlaskClient, personas: Personas
) -> None:
    page = log_in(client, personas.client_a).get(f"/clients/{personas.record_a.id}/profile")

    body = page.get_data(as_text=True)
    assert page.status_code == 200
    for name in profiles.PROFILE_FIELDS:
        assert f'id="{name}-hint"' in body, f"{name} has no explanation"
    assert "Type III is assumed" in body
    assert "45–55° (for example London" in body


def test_the_form_shows_the_stored_values(client: FlaskClient, personas: Personas) -> None:
    personas.record_a.fitzpatrick = 5
    personas.record_a.lifestyle = "outdoor_worker"
    db.session.commit()

    body = (
        log_in(client, personas.practitioner_p)
        .get(f"/clients/{personas.record_a.id}/profile")
        .get_data(as_text=True)
    )

    assert '<option selected value="5">' in body
    assert '<option selected value="outdoor_worker">' in body


def test_the_client_updates_their_own_profile(client: FlaskClient, personas: Personas) -> None:
    wanted = replace(
        profiles.DEFAULTS,
        fitzpatrick=2,
        sebum="oily",
        retinoid_or_peel_use=True,
        swimming="twice_weekly_or_more",
        hair_length="stubble",
        latitude_band="25_35",
        lifestyle="outdoor_leisure",
        usual_hat="wide_brim",
        usual_hat_pct=60,
        usual_sunscreen_spf=50,
        usual_sunscreen_pct=40,
        usual_sunscreen_generous=True,
        sun_log_complete=True,
        time_zone="Australia/Sydney",
    )

    answer = log_in(client, personas.client_a).post(
        f"/clients/{personas.record_a.id}/profile", data=form_of(wanted)
    )

    assert answer.status_code == 302
    assert stored_profile(personas.record_a.id) == asdict(wanted)
    events = db.session.scalars(sa.select(AuditEvent)).all()
    assert [(e.action, e.object_type, e.actor_id) for e in events] == [
        ("update", "client_profile", personas.client_a.id)
    ]


def test_the_practitioner_updates_their_clients_profile(
    client: FlaskClient, personas: Personas
) -> None:
    wanted = replace(profiles.DEFAULTS, fitzpatrick=6, goal="scar_camouflage")

    answer = log_in(client, personas.practitioner_p).post(
        f"/clients/{personas.record_a.id}/profile", data=form_of(wanted)
    )

    assert answer.status_code == 302
    assert stored_profile(personas.record_a.id)["fitzpatrick"] == 6
    assert stored_profile(personas.record_a.id)["goal"] == "scar_camouflage"


def test_reading_the_profile_is_audited(client: FlaskClient, personas: Personas) -> None:
    log_in(client, personas.practitioner_p).get(f"/clients/{personas.record_a.id}/profile")

    event = db.session.scalars(sa.select(AuditEvent)).one()
    assert (event.action, event.object_type, event.client_id, event.actor_id) == (
        "read",
        "client_profile",
        personas.record_a.id,
        personas.practitioner_p.id,
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"fitzpatrick": "7"}, "Not a valid choice"),
        ({"fitzpatrick": "III"}, "could not coerce"),
        ({"usual_hat_pct": "101"}, "percentage from 0 to 100"),
        ({"usual_hat_pct": ""}, "percentage from 0 to 100"),
        ({"usual_sunscreen_pct": "-1"}, "percentage from 0 to 100"),
        ({"usual_sunscreen_spf": "0"}, "SPF from 1 to 100"),
        ({"usual_sunscreen_spf": "", "usual_sunscreen_pct": "50"}, "Give the SPF"),
        ({"latitude_band": "mars"}, "Not a valid choice"),
        ({"time_zone": "Mars/Olympus_Mons"}, "Not a valid choice"),
        ({"practitioner_id": "99"}, "does not take these fields: practitioner_id"),
        ({"id": "1", "user_id": "2"}, "does not take these fields: id, user_id"),
    ],
)
def test_bad_input_re_renders_with_the_message_and_changes_nothing(
    client: FlaskClient, personas: Personas, overrides: dict, message: str
) -> None:
    before = stored_profile(personas.record_a.id)
    wanted = replace(profiles.DEFAULTS, fitzpatrick=5)

    answer = log_in(client, personas.client_a).post(
        f"/clients/{personas.record_a.id}/profile", data=form_of(wanted, **overrides)
    )

    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    assert stored_profile(personas.record_a.id) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"fitzpatrick": 0}, "fitzpatrick"),
        ({"fitzpatrick": True}, "fitzpatrick"),
        ({"sebum": "greasy"}, "sebum"),
        ({"swimming": "daily"}, "swimming"),
        ({"goal": "hair"}, "goal"),
        ({"hair_length": "long"}, "hair_length"),
        ({"lifestyle": "nomad"}, "lifestyle"),
        ({"usual_hat": "helmet"}, "usual_hat"),
        ({"usual_hat_pct": 100.5}, "usual_hat_pct"),
        ({"usual_sunscreen_spf": 101}, "usual_sunscreen_spf"),
        ({"sun_log_complete": "yes"}, "sun_log_complete"),
        ({"time_zone": "Europe/Atlantis"}, "time_zone"),
    ],
)
def test_the_service_names_each_bad_fact(personas: Personas, changes: dict, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        profiles.update_profile(
            personas.practitioner_p,
            personas.record_a,
            replace(profiles.DEFAULTS, **changes),
            now=NOW,
        )
    assert field in refused.value.fields


def test_no_hat_keeps_no_share_of_time_under_a_hat(personas: Personas) -> None:
    profiles.update_profile(
        personas.client_a,
        personas.record_a,
        replace(profiles.DEFAULTS, usual_hat="none", usual_hat_pct=80),
        now=NOW,
    )

    assert personas.record_a.usual_hat_pct == 0
    assert profiles.habits_of(personas.record_a).hat_fraction == 0


@pytest.mark.parametrize("actor", ["practitioner_q", "client_b", "admin"])
def test_nobody_else_can_change_client_as_profile(personas: Personas, actor: str) -> None:
    with pytest.raises(NotFound):
        profiles.update_profile(
            personas.by_name(actor),
            personas.record_a,
            replace(profiles.DEFAULTS, fitzpatrick=6),
            now=NOW,
        )
    assert personas.record_a.fitzpatrick == 3


def test_the_client_shortcut_leads_to_their_own_profile(
    client: FlaskClient, personas: Personas
) -> None:
    answer = log_in(client, personas.client_b).get("/me/profile")

    assert answer.headers["Location"].endswith(f"/clients/{personas.record_b.id}/profile")
