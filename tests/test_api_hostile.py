"""Every API write route against malformed and hostile bodies: wrong types, missing fields, future
dates, minutes over 1440, UV index outside 0-20, SPF outside 1-100, unknown zones, another
practitioner's lot, smuggled fields such as ``practitioner_id`` or ``id``, 10,000-character notes
and control characters. Each must get a 4xx in the API's one error shape and leave every table
exactly as it was; none may get a 500."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smptrack.extensions import db
from smptrack.models import Appointment, Pigment, PigmentLot, Placement, TreatmentSession
from smptrack.services import accounts
from tests.conftest import PASSWORD, Personas
from tests.test_api_tokens import OwnContextClient, assert_json_error

DROP = object()  # an edit that removes the field
SMUGGLED = ("id", "practitioner_id", "client_id", "user_id", "logged_by_id", "created_at", "role")
FUTURE = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
NOTE = "n" * 10_000


@dataclass(frozen=True)
class Route:
    """A write route, a body it accepts, and what each of its fields is."""

    method: str
    path: str  # placeholders: {a} client A's record, {session}, {pigment}
    base: dict[str, Any]
    required: tuple[str, ...] = ()
    ints: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> allowed range
    numbers: dict[str, tuple[float, float]] = field(default_factory=dict)
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    texts: dict[str, int] = field(default_factory=dict)  # name -> max length
    lines: tuple[str, ...] = ()  # texts that must stay on one line
    dates: tuple[str, ...] = ()  # dates that may not be in the future
    bools: tuple[str, ...] = ()
    authenticated: bool = True

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(
            dict.fromkeys(
                [
                    *self.base,
                    *self.ints,
                    *self.numbers,
                    *self.enums,
                    *self.texts,
                    *self.dates,
                    *self.bools,
                ]
            )
        )


ZONES = ("crown", "frontal_hairline")
PLACEMENT = {"zone": "crown", "pigment_lot_id": "{lot_p}", "dilution": "standard"}
SESSION_FIELDS = {
    "ints": {"duration_minutes": (1, 1440)},
    "enums": {"kind": ("initial", "build_up", "touch_up", "correction", "scar")},
    "texts": {"notes": 5000, "needle": 80, "machine_settings": 200},
    "lines": ("needle", "machine_settings"),
    "dates": ("performed_on",),
    "bools": ("confirm_expired_lot",),
}
PROFILE_FIELDS = {
    "ints": {
        "fitzpatrick": (1, 6),
        "usual_hat_pct": (0, 100),
        "usual_sunscreen_spf": (1, 100),
        "usual_sunscreen_pct": (0, 100),
    },
    "enums": {
        "sebum": ("normal", "oily", "dry"),
        "lifestyle": ("indoor", "average", "outdoor_leisure", "outdoor_worker"),
        "latitude_band": ("55_plus", "45_55", "35_45", "25_35", "under_25"),
        "usual_hat": ("none", "cap", "wide_brim"),
    },
    "texts": {"time_zone": 64},
    "lines": ("time_zone",),
    "bools": ("retinoid_or_peel_use", "sun_log_complete", "usual_sunscreen_generous"),
}

ROUTES = {
    "create client": Route(
        "POST",
        "/api/v1/clients",
        {"display_name": "Hostile Client", "notes": "fine"},
        required=("display_name",),
        texts={"display_name": 120, "email": 254, "notes": 5000, "time_zone": 64},
        lines=("display_name", "email", "time_zone"),
    ),
    "change profile": Route(
        "PATCH", "/api/v1/clients/{a}", {"fitzpatrick": 4, "sebum": "oily"}, **PROFILE_FIELDS
    ),
    "record session": Route(
        "POST",
        "/api/v1/clients/{a}/sessions",
        {"performed_on": "2025-03-01", "kind": "initial", "placements": [PLACEMENT]},
        required=("performed_on", "kind", "placements"),
        **SESSION_FIELDS,
    ),
    "change session": Route(
        "PATCH",
        "/api/v1/sessions/{session}",
        {"notes": "fine", "kind": "touch_up"},
        **SESSION_FIELDS,
    ),
    "log sun": Route(
        "POST",
        "/api/v1/clients/{a}/sun-exposures",
        {"exposed_on": "2025-07-01", "duration_minutes": 60, "uv_index": 6, "sunscreen_spf": 30},
        required=("exposed_on", "duration_minutes", "uv_index"),
        ints={"duration_minutes": (1, 1440), "sunscreen_spf": (1, 100)},
        numbers={"uv_index": (0, 20)},
        enums={"hat": ("none", "cap", "wide_brim"), "uv_index_kind": ("average", "daily_max")},
        dates=("exposed_on",),
        bools=("swimming", "sunscreen_generous"),
    ),
    "assess": Route(
        "POST",
        "/api/v1/clients/{a}/assessments",
        {"assessed_on": "2025-09-01", "zone": "crown", "density_pct": 80, "note": "fine"},
        required=("assessed_on", "zone", "density_pct"),
        numbers={"density_pct": (0, 100)},
        enums={"zone": ZONES, "assessor_kind": ("practitioner_in_person", "practitioner_photo")},
        texts={"note": 2000},
        dates=("assessed_on",),
        bools=("blur_or_colour_shift",),
    ),
    "add pigment": Route(
        "POST",
        "/api/v1/pigments",
        {"brand": "Hostile", "shade": "Black", "base": "carbon"},
        required=("brand", "shade"),
        enums={"base": ("carbon", "iron_oxide", "mixed")},
        texts={"brand": 80, "line": 80, "shade": 80},
        lines=("brand", "line", "shade"),
    ),
    "add lot": Route(
        "POST",
        "/api/v1/pigments/{pigment}/lots",
        {"lot_number": "H-1", "expires_on": "2027-01-01"},
        required=("lot_number", "expires_on"),
        texts={"lot_number": 60},
        lines=("lot_number",),
    ),
    "change practice settings": Route(
        "PATCH",
        "/api/v1/practice/settings",
        {"touch_up_lead_days": 90},
        ints={
            "touch_up_threshold_pct": (50, 95),
            "touch_up_lead_days": (0, 365),
            "healed_check_day": (14, 90),
        },
    ),
    "book appointment": Route(
        "POST",
        "/api/v1/appointments",
        {
            "client_id": "{a}",
            "practitioner_id": "{p}",
            "date": FUTURE,
            "start": "10:00",
            "minutes": 120,
            "kind": "initial",
            "note": "fine",
        },
        required=("client_id", "practitioner_id", "date", "start", "minutes"),
        ints={"minutes": (5, 720)},
        enums={"kind": ("initial", "build_up", "touch_up", "correction", "scar")},
        texts={"note": 1000},
    ),
    "move appointment": Route(
        "PATCH",
        "/api/v1/appointments/{appointment}",
        {"start": "16:00"},
        ints={"minutes": (5, 720)},
    ),
    "answer questionnaire": Route(
        "POST",
        "/api/v1/clients/{a}/questionnaire",
        {"allergies": "Latex", "fitzpatrick": 3, "notes": "fine"},
        ints={"fitzpatrick": (1, 6)},
        texts={"allergies": 500, "notes": 2000},
        lines=("allergies",),
        bools=(
            "keloid_or_scarring",
            "blood_thinners",
            "scalp_skin_condition",
            "pigment_allergy",
            "photosensitising_medication",
            "retinoid_use",
        ),
    ),
    "issue token": Route(
        "POST",
        "/api/v1/tokens",
        {"email": "p@practice-p.test", "password": PASSWORD, "name": "script"},
        required=("email", "password"),
        texts={"email": 254, "password": 1024, "name": 80},
        lines=("email", "password", "name"),
        authenticated=False,
    ),
}


# --- the world the requests land in ----------------------------------------------------------


@dataclass
class World:
    ids: dict[str, int]
    bearer: dict[str, str]

    def path(self, route: Route) -> str:
        return route.path.format(**self.ids)

    def body(self, route: Route, edit: tuple[tuple[Any, ...], Any] | None) -> Any:
        text = json.dumps(route.base)
        for name in ("lot_p", "a", "p"):  # ids the bodies name, as JSON numbers
            text = text.replace(f'"{{{name}}}"', str(self.ids[name]))
        body = json.loads(text)
        if edit is None:
            return body
        where, value = edit
        target = body
        for key in where[:-1]:
            target = target[key]
        if value is DROP:
            target.pop(where[-1], None)
        else:
            target[where[-1]] = copy.deepcopy(value)
        return body


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


@pytest.fixture
def world(app: Flask, personas: Personas) -> World:
    p, q = personas.practitioner_p, personas.practitioner_q
    pigment = Pigment(practice_id=p.practice_id, brand="Perma", line="", shade="Jet")
    lot_p = PigmentLot(pigment=pigment, lot_number="P-1", expires_on=date(2030, 1, 1))
    foreign = Pigment(practice_id=q.practice_id, brand="Other", line="", shade="Ink")
    lot_q = PigmentLot(pigment=foreign, lot_number="Q-1", expires_on=date(2030, 1, 1))
    treatment = TreatmentSession(
        client_id=personas.record_a.id,
        performed_on=date(2025, 2, 1),
        kind="initial",
        performed_by_id=p.id,
        logged_by_id=p.id,
        placements=[Placement(zone="crown", pigment_lot=lot_p)],
    )
    # P's booking three days ahead at 13:00 London (the move's base takes it to 16:00).
    starts = datetime.combine(date.fromisoformat(FUTURE), time(13), ZoneInfo("Europe/London"))
    booking = Appointment(
        uid="hostile-booking",
        practice_id=p.practice_id,
        client_id=personas.record_a.id,
        practitioner_id=p.id,
        starts_at=starts.astimezone(UTC),
        ends_at=(starts + timedelta(hours=1)).astimezone(UTC),
        time_zone="Europe/London",
        kind="build_up",
    )
    db.session.add_all([pigment, lot_p, foreign, lot_q, treatment, booking])
    secret = accounts.issue_api_token(p, "hostile", datetime.now(UTC), timedelta(days=1)).secret
    db.session.commit()
    ids = {
        "a": personas.record_a.id,
        "session": treatment.id,
        "pigment": pigment.id,
        "lot_p": lot_p.id,
        "lot_q": lot_q.id,
        "p": p.id,
        "appointment": booking.id,
    }
    return World(ids=ids, bearer={"Authorization": f"Bearer {secret}"})


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    db.session.expire_all()
    with db.engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(sa.select(table).order_by(*table.primary_key.columns))
            ]
            for table in db.metadata.sorted_tables
        }


def send(app: Flask, world: World, route: Route, body: Any, *, raw: bytes | None = None):
    headers = dict(world.bearer) if route.authenticated else {}
    client = app.test_client()
    if raw is not None:
        headers["Content-Type"] = "application/json"
        return client.open(world.path(route), method=route.method, data=raw, headers=headers)
    return client.open(world.path(route), method=route.method, json=body, headers=headers)


def assert_refused_and_nothing_changed(
    app: Flask, world: World, route: Route, body: Any, *, raw: bytes | None = None
) -> dict:
    if route.authenticated:
        # The token's first use writes its last use (at most once an hour, after the response):
        # a legitimate write of any request, so it happens before the snapshot.
        app.test_client().get("/api/v1/me", headers=dict(world.bearer))
    before = snapshot()
    response = send(app, world, route, body, raw=raw)
    error = assert_json_error(response)
    assert response.status_code in (400, 422), (response.status_code, error)
    assert snapshot() == before, f"{route.method} {route.path} wrote something for {body!r:.300}"
    return error


def test_each_base_body_is_accepted_so_the_refusals_below_are_the_edits_doing(
    app: Flask, world: World
) -> None:
    for name, route in ROUTES.items():
        response = send(app, world, route, world.body(route, None))
        assert response.status_code in (200, 201), (name, response.get_json())


# --- the named hostile cases ---------------------------------------------------------------

NAMED = [
    ("create client", (("practitioner_id",), 2), "practitioner_id"),
    ("create client", (("id",), 1), "id"),
    ("create client", (("notes",), NOTE), "notes"),
    ("create client", (("display_name",), "Bobby\x00Tables"), "display_name"),
    ("create client", (("display_name",), DROP), "display_name"),
    ("create client", (("display_name",), 42), "display_name"),
    ("change profile", (("fitzpatrick",), "4"), "fitzpatrick"),
    ("change profile", (("usual_sunscreen_spf",), 0), "usual_sunscreen_spf"),
    ("change profile", (("usual_sunscreen_spf",), 101), "usual_sunscreen_spf"),
    ("change profile", (("id",), 7), "id"),
    ("record session", (("performed_on",), FUTURE), "performed_on"),
    ("record session", (("duration_minutes",), 1441), "duration_minutes"),
    ("record session", (("notes",), NOTE), "notes"),
    ("record session", (("notes",), "ring\x07ring"), "notes"),
    ("record session", (("placements", 0, "zone"), "left_eyebrow"), "placements.0.zone"),
    (
        "record session",
        (("placements", 0, "density_worked_pct"), 101),
        "placements.0.density_worked_pct",
    ),
    ("record session", (("placements", 0, "depth_note"), NOTE), "placements.0.depth_note"),
    ("record session", (("placements", 0, "id"), 3), "placements.0.id"),
    ("record session", (("placements",), []), "placements"),
    ("record session", (("placements",), "crown"), "placements"),
    ("record session", (("logged_by_id",), 2), "logged_by_id"),
    ("change session", (("performed_on",), FUTURE), "performed_on"),
    ("change session", (("client_id",), 2), "client_id"),
    ("change session", (("duration_minutes",), 100_000), "duration_minutes"),
    ("log sun", (("duration_minutes",), 1441), "duration_minutes"),
    ("log sun", (("duration_minutes",), 24.5), "duration_minutes"),
    ("log sun", (("uv_index",), 20.01), "uv_index"),
    ("log sun", (("uv_index",), -0.5), "uv_index"),
    ("log sun", (("sunscreen_spf",), 0), "sunscreen_spf"),
    ("log sun", (("sunscreen_spf",), 101), "sunscreen_spf"),
    ("log sun", (("exposed_on",), FUTURE), "exposed_on"),
    ("log sun", (("exposed_on",), "yesterday"), "exposed_on"),
    ("log sun", (("hat",), "helmet"), "hat"),
    ("log sun", (("client_id",), 2), "client_id"),
    ("assess", (("zone",), "moon"), "zone"),
    ("assess", (("density_pct",), 100.1), "density_pct"),
    ("assess", (("assessed_on",), FUTURE), "assessed_on"),
    ("assess", (("note",), NOTE), "note"),
    ("assess", (("assessor_kind",), "client_self"), "assessor_kind"),
    ("add pigment", (("practitioner_id",), 2), "practitioner_id"),
    ("add pigment", (("base",), "glitter"), "base"),
    ("add pigment", (("shade",), "Black\r\nInjected: yes"), "shade"),
    ("add lot", (("expires_on",), "2027-02-30"), "expires_on"),
    ("add lot", (("lot_number",), ""), "lot_number"),
    ("add lot", (("pigment_id",), 1), "pigment_id"),
    ("issue token", (("role",), "admin"), "role"),
    ("issue token", (("email",), ["p@practice-p.test"]), "email"),
]


@pytest.mark.parametrize(
    ("route_name", "edit", "field_name"),
    NAMED,
    ids=[f"{route}: {name}" for route, _, name in NAMED],
)
def test_a_named_hostile_edit_is_refused_field_by_field(
    app: Flask, world: World, route_name: str, edit: tuple, field_name: str
) -> None:
    route = ROUTES[route_name]

    error = assert_refused_and_nothing_changed(app, world, route, world.body(route, edit))

    assert field_name in error["fields"], error
    assert NOTE not in json.dumps(error), "the error repeats a hostile input"


def test_another_practitioners_lot_is_refused_like_a_missing_one(app: Flask, world: World) -> None:
    route = ROUTES["record session"]
    body = world.body(route, (("placements", 0, "pigment_lot_id"), world.ids["lot_q"]))

    error = assert_refused_and_nothing_changed(app, world, route, body)

    assert set(error["fields"]) == {"placements.0.pigment_lot_id"}
    missing = world.body(route, (("placements", 0, "pigment_lot_id"), 999_999))
    assert assert_refused_and_nothing_changed(app, world, route, missing) == error


@pytest.mark.parametrize("route_name", list(ROUTES))
@pytest.mark.parametrize(
    "raw",
    [b"", b"null", b"[]", b'"text"', b"42", b"{", b'{"a": NaN}', b"\xff\xfe", b'{"a": 1}}'],
    ids=["empty", "null", "list", "string", "number", "truncated", "nan", "bad-utf8", "trailing"],
)
def test_a_body_that_is_not_a_json_object_is_refused(
    app: Flask, world: World, route_name: str, raw: bytes
) -> None:
    error = assert_refused_and_nothing_changed(app, world, ROUTES[route_name], None, raw=raw)

    assert error["code"] == "bad_request"


# --- generated hostile edits ---------------------------------------------------------------

JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
CONTAINERS = st.one_of(
    st.lists(JSON_SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=5), JSON_SCALARS, max_size=2),
)
CONTROL = st.sampled_from([chr(c) for c in (*range(0, 9), 11, 12, *range(14, 32), 127)])
LINE_BREAKS = st.sampled_from(["\n", "\r", "\t"])


def _with_char(text: st.SearchStrategy[str], char: st.SearchStrategy[str]) -> st.SearchStrategy:
    return st.tuples(text, char, text).map("".join)


def hostile_edits(route: Route) -> st.SearchStrategy[tuple[tuple[Any, ...], Any]]:
    """One edit of the route's base body that no valid request makes."""
    at = lambda name: (name,)  # noqa: E731 - a top-level field
    options: list[st.SearchStrategy] = [
        # A smuggled or unknown field, whatever its value.
        st.tuples(
            st.one_of(
                st.sampled_from(SMUGGLED),
                st.text(min_size=1, max_size=12).filter(lambda k: k not in route.fields),
            ).map(at),
            JSON_VALUES,
        ),
        # A list or an object where a single value belongs.
        st.tuples(
            st.sampled_from([f for f in route.fields if f != "placements"]).map(at), CONTAINERS
        ),
    ]
    if route.required:
        options.append(st.tuples(st.sampled_from(route.required).map(at), st.just(DROP)))
    for name, (low, high) in route.ints.items():
        options.append(
            st.tuples(
                st.just(at(name)),
                st.one_of(
                    st.integers(max_value=low - 1),
                    st.integers(min_value=high + 1),
                    st.floats(low, high).filter(lambda x: not float(x).is_integer()),
                    st.text(max_size=5),
                    st.booleans(),
                ),
            )
        )
    for name, (low, high) in route.numbers.items():
        options.append(
            st.tuples(
                st.just(at(name)),
                st.one_of(
                    st.floats(max_value=low, exclude_max=True, allow_nan=False),
                    st.floats(min_value=high, exclude_min=True, allow_nan=False),
                    st.text(max_size=5),
                    st.booleans(),
                    st.none(),
                ),
            )
        )
    for name, allowed in route.enums.items():
        options.append(
            st.tuples(
                st.just(at(name)),
                st.one_of(
                    st.text(max_size=15).filter(lambda v, a=allowed: v not in a), st.integers()
                ),
            )
        )
    for name, max_length in route.texts.items():
        breaks = CONTROL | LINE_BREAKS if name in route.lines else CONTROL
        options.append(
            st.tuples(
                st.just(at(name)),
                st.one_of(
                    st.just("x" * max(max_length + 1, 10_000)),
                    _with_char(st.text(max_size=10), breaks),
                    st.integers(),
                    st.booleans(),
                ),
            )
        )
    for name in route.dates:
        options.append(
            st.tuples(
                st.just(at(name)),
                st.one_of(
                    st.dates(min_value=date.fromisoformat(FUTURE)).map(date.isoformat),
                    st.integers(),
                    st.sampled_from(["2025-02-30", "01/07/2025", "2025-07-01T10:00:00", ""]),
                ),
            )
        )
    for name in route.bools:
        options.append(
            st.tuples(st.just(at(name)), st.one_of(st.integers(), st.text(max_size=5), st.none()))
        )
    if "placements" in route.base:
        options.append(placement_edits())
    return st.one_of(options)


def placement_edits() -> st.SearchStrategy[tuple[tuple[Any, ...], Any]]:
    inside = lambda name: ("placements", 0, name)  # noqa: E731
    return st.one_of(
        st.tuples(
            st.just(inside("zone")),
            st.text(max_size=15).filter(lambda z: z not in ("crown", "frontal_hairline", "other")),
        ),
        st.tuples(
            st.just(inside("density_worked_pct")),
            st.integers(max_value=-1) | st.integers(min_value=101),
        ),
        st.tuples(st.just(inside("depth")), st.sampled_from(["deep", "", "CORRECT", 1])),
        st.tuples(st.just(inside("depth_note")), _with_char(st.text(max_size=5), CONTROL)),
        st.tuples(st.just(inside("dilution_ratio")), st.just("1:" + "3" * 40)),
        st.tuples(st.sampled_from(SMUGGLED).map(inside), JSON_VALUES),
        st.tuples(st.just(inside("pigment_lot_id")), st.integers(max_value=0) | st.text()),
        st.tuples(st.just(("placements",)), st.lists(st.integers(), min_size=1, max_size=3)),
    )


HOSTILE = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _property(route_name: str) -> Callable[..., None]:
    route = ROUTES[route_name]

    @HOSTILE
    @given(edit=hostile_edits(route))
    def test(app: Flask, world: World, edit: tuple) -> None:
        assert_refused_and_nothing_changed(app, world, route, world.body(route, edit))

    test.__name__ = f"test_generated_hostile_edits_to_{route_name.replace(' ', '_')}_are_refused"
    test.__doc__ = (
        f"{route.method} {route.path}: every generated hostile edit gets a 4xx and writes nothing."
    )
    return test


test_generated_hostile_edits_to_create_client_are_refused = _property("create client")
test_generated_hostile_edits_to_change_profile_are_refused = _property("change profile")
test_generated_hostile_edits_to_record_session_are_refused = _property("record session")
test_generated_hostile_edits_to_change_session_are_refused = _property("change session")
test_generated_hostile_edits_to_log_sun_are_refused = _property("log sun")
test_generated_hostile_edits_to_assess_are_refused = _property("assess")
test_generated_hostile_edits_to_add_pigment_are_refused = _property("add pigment")
test_generated_hostile_edits_to_add_lot_are_refused = _property("add lot")
test_generated_hostile_edits_to_issue_token_are_refused = _property("issue token")
test_generated_hostile_edits_to_book_appointment_are_refused = _property("book appointment")
test_generated_hostile_edits_to_move_appointment_are_refused = _property("move appointment")
test_generated_hostile_edits_to_change_practice_settings_are_refused = _property(
    "change practice settings"
)
test_generated_hostile_edits_to_answer_questionnaire_are_refused = _property("answer questionnaire")


def test_every_write_route_of_the_api_is_attacked_here(app: Flask) -> None:
    from smptrack.api.registry import OPERATIONS

    writes = {(op.method, op.path) for op in OPERATIONS if op.body is not None}
    attacked = {
        (
            route.method,
            route.path.replace("{a}", "{client_id}")
            .replace("{session}", "{session_id}")
            .replace("{pigment}", "{pigment_id}")
            .replace("{appointment}", "{appointment_id}"),
        )
        for route in ROUTES.values()
    }
    assert writes == attacked
