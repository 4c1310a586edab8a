"""Fade assessments: density per zone by the practitioner (in person or from a photo) or the
client (self-rating), listed, deleted after confirmation, and hostile form payloads refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smptrack.domain.vocabulary import ZONES
from smptrack.extensions import db
from smptrack.models import AuditEvent, FadeAssessment
from smptrack.services import assessments as ratings
from smptrack.services.errors import Forbidden, NotFound, ValidationFailed
from tests.conftest import BOOKKEEPING_TABLES, Personas, log_in

NOW = datetime(2026, 7, 20, 10, 0, tzinfo=UTC)


def rating(**overrides: object) -> ratings.AssessmentInput:
    values: dict[str, object] = {
        "assessed_on": date(2026, 7, 1),
        "zone": "crown",
        "density_pct": 82.5,
        "assessor_kind": "practitioner_in_person",
        "note": "Even, slightly lighter at the vertex.",
    }
    values.update(overrides)
    return ratings.AssessmentInput(**values)  # type: ignore[arg-type]


def stored(client_id: int) -> list[FadeAssessment]:
    db.session.expire_all()
    return list(
        db.session.scalars(sa.select(FadeAssessment).where(FadeAssessment.client_id == client_id))
    )


def row_counts() -> dict[str, int]:
    """Committed rows per table, read on a connection of its own."""
    with db.engine.connect() as connection:
        return {
            table.name: connection.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
            if table.name not in BOOKKEEPING_TABLES
        }


# --- service -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["practitioner_in_person", "practitioner_photo"])
def test_the_practitioner_records_a_rating_in_person_or_from_a_photo(
    personas: Personas, kind: str
) -> None:
    made = ratings.record_assessment(
        personas.practitioner_p,
        personas.record_a,
        rating(assessor_kind=kind, blur_or_colour_shift=True),
        now=NOW,
    )

    (row,) = stored(personas.record_a.id)
    assert row.id == made.id
    assert (row.zone, row.density_pct, row.assessor_kind) == ("crown", 82.5, kind)
    assert row.blur_or_colour_shift is True
    assert row.assessed_by_id == personas.practitioner_p.id


def test_the_client_rates_themself(personas: Personas) -> None:
    ratings.record_assessment(
        personas.client_a, personas.record_a, rating(assessor_kind="client_self"), now=NOW
    )

    (row,) = stored(personas.record_a.id)
    assert row.assessor_kind == "client_self"
    assert row.assessed_by_id == personas.client_a.id


@pytest.mark.parametrize(
    ("actor", "kind"),
    [
        ("client_a", "practitioner_in_person"),
        ("client_a", "practitioner_photo"),
        ("practitioner_p", "client_self"),
        ("practitioner_p", "someone_else"),
    ],
)
def test_nobody_can_pass_their_rating_off_as_someone_elses(
    personas: Personas, actor: str, kind: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        ratings.record_assessment(
            personas.by_name(actor), personas.record_a, rating(assessor_kind=kind), now=NOW
        )
    assert "assessor_kind" in refused.value.fields
    assert stored(personas.record_a.id) == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"density_pct": -0.5}, "density_pct"),
        ({"density_pct": 100.01}, "density_pct"),
        ({"density_pct": float("nan")}, "density_pct"),
        ({"density_pct": "80"}, "density_pct"),
        ({"zone": "nape"}, "zone"),
        ({"assessed_on": date(2026, 7, 21)}, "assessed_on"),
        ({"assessed_on": date(1970, 1, 1)}, "assessed_on"),
        ({"note": "x" * 2001}, "note"),
        ({"note": "fine\x00"}, "note"),
        ({"note": "bell\x07"}, "note"),
        ({"note": "\x1b[31mred"}, "note"),
        ({"note": "unit separator at the end\x1f"}, "note"),
    ],
)
def test_the_service_refuses_bad_ratings_naming_the_field(
    personas: Personas, overrides: dict, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        ratings.record_assessment(
            personas.practitioner_p, personas.record_a, rating(**overrides), now=NOW
        )
    assert refused.value.fields[field]
    assert stored(personas.record_a.id) == []


def test_a_note_may_have_several_lines(personas: Personas) -> None:
    made = ratings.record_assessment(
        personas.practitioner_p,
        personas.record_a,
        rating(note="  Crown: even.\r\n\tHairline: soft.  "),
        now=NOW,
    )
    assert made.note == "Crown: even.\n\tHairline: soft."


@pytest.mark.parametrize("zone", ZONES)
def test_every_zone_of_the_vocabulary_can_be_rated(personas: Personas, zone: str) -> None:
    ratings.record_assessment(
        personas.practitioner_p, personas.record_a, rating(zone=zone), now=NOW
    )
    assert [a.zone for a in stored(personas.record_a.id)] == [zone]


@pytest.mark.parametrize("actor", ["practitioner_q", "client_b", "admin"])
def test_nobody_else_can_rate_client_a(personas: Personas, actor: str) -> None:
    with pytest.raises(NotFound):
        ratings.record_assessment(
            personas.by_name(actor),
            personas.record_a,
            rating(assessor_kind="client_self" if actor == "client_b" else "practitioner_photo"),
            now=NOW,
        )


def test_assessments_come_newest_first(personas: Personas) -> None:
    for day in (date(2025, 1, 5), date(2026, 2, 1), date(2025, 8, 9)):
        ratings.record_assessment(
            personas.practitioner_p, personas.record_a, rating(assessed_on=day), now=NOW
        )

    assert [a.assessed_on for a in ratings.assessments_of(personas.record_a)] == [
        date(2026, 2, 1),
        date(2025, 8, 9),
        date(2025, 1, 5),
    ]


def test_a_client_deletes_only_their_own_self_ratings(personas: Personas) -> None:
    own = ratings.record_assessment(
        personas.client_a, personas.record_a, rating(assessor_kind="client_self"), now=NOW
    )
    practitioners = ratings.record_assessment(
        personas.practitioner_p, personas.record_a, rating(), now=NOW
    )

    with pytest.raises(Forbidden):
        ratings.delete_assessment(personas.client_a, practitioners.id, now=NOW)
    ratings.delete_assessment(personas.client_a, own.id, now=NOW)

    assert [a.id for a in stored(personas.record_a.id)] == [practitioners.id]


def test_the_practitioner_deletes_any_rating_of_their_client_and_nobody_else_can(
    personas: Personas,
) -> None:
    own = ratings.record_assessment(
        personas.client_a, personas.record_a, rating(assessor_kind="client_self"), now=NOW
    )
    for stranger in (personas.practitioner_q, personas.client_b, personas.admin):
        with pytest.raises(NotFound):
            ratings.delete_assessment(stranger, own.id, now=NOW)

    ratings.delete_assessment(personas.practitioner_p, own.id, now=NOW)

    assert stored(personas.record_a.id) == []


# --- pages -------------------------------------------------------------------------------------


def assessment_form(**overrides: str) -> dict[str, str]:
    data = {
        "assessed_on": (date.today() - timedelta(days=2)).isoformat(),
        "zone": "frontal_hairline",
        "density_pct": "76",
        "assessor_kind": "practitioner_photo",
        "note": "From the client's photo, daylight.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_practitioner_records_an_assessment_through_the_form(
    client: FlaskClient, personas: Personas
) -> None:
    answer = log_in(client, personas.practitioner_p).post(
        f"/clients/{personas.record_a.id}/assessments/new",
        data=assessment_form(blur_or_colour_shift="y"),
    )

    assert answer.status_code == 302
    (row,) = stored(personas.record_a.id)
    assert (row.zone, row.density_pct, row.assessor_kind, row.blur_or_colour_shift) == (
        "frontal_hairline",
        76.0,
        "practitioner_photo",
        True,
    )
    event = db.session.scalars(sa.select(AuditEvent)).one()
    assert (event.action, event.object_type, event.object_id) == (
        "create",
        "fade_assessment",
        row.id,
    )


def test_the_client_form_records_a_self_rating_without_asking_who(
    client: FlaskClient, personas: Personas
) -> None:
    viewer = log_in(client, personas.client_a)
    page = viewer.get(f"/clients/{personas.record_a.id}/assessments/new").get_data(as_text=True)

    answer = viewer.post(
        f"/clients/{personas.record_a.id}/assessments/new",
        data=assessment_form(assessor_kind=None),
    )

    assert "recorded as a self-rating" in page
    assert "Practitioner, in person" not in page
    assert answer.status_code == 302
    assert [a.assessor_kind for a in stored(personas.record_a.id)] == ["client_self"]


def test_the_list_shows_each_rating_with_who_made_it(
    client: FlaskClient, personas: Personas
) -> None:
    ratings.record_assessment(personas.practitioner_p, personas.record_a, rating(), now=NOW)
    ratings.record_assessment(
        personas.client_a,
        personas.record_a,
        rating(assessor_kind="client_self", density_pct=90, note="Looks full to me"),
        now=NOW,
    )
    db.session.commit()

    body = (
        log_in(client, personas.client_a)
        .get(f"/clients/{personas.record_a.id}/assessments")
        .get_data(as_text=True)
    )

    assert "Practitioner, in person" in body and "82.5 %" in body
    assert "Self-rating by the client" in body and "Looks full to me" in body
    # The client may delete their own self-rating, not the practitioner's.
    assert body.count("/delete") == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"density_pct": "101"}, "percentage from 0 to 100"),
        ({"density_pct": "eighty"}, "Not a valid float"),
        ({"density_pct": None}, "Enter the density"),
        ({"zone": "nape"}, "Not a valid choice"),
        ({"assessor_kind": "client_self"}, "Not a valid choice"),
        ({"assessed_on": (date.today() + timedelta(days=2)).isoformat()}, "in the future"),
        ({"note": "n" * 10_000}, "Keep this under 2,000 characters"),
        ({"note": "tab\tok but bell \x07 not"}, "Remove an invisible control character (U+0007)"),
        ({"client_id": "2"}, "does not take these fields: client_id"),
    ],
)
def test_a_bad_assessment_re_renders_with_the_message_and_changes_nothing(
    client: FlaskClient, personas: Personas, overrides: dict, message: str
) -> None:
    before = row_counts()

    answer = log_in(client, personas.practitioner_p).post(
        f"/clients/{personas.record_a.id}/assessments/new", data=assessment_form(**overrides)
    )

    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    assert row_counts() == before


def test_deleting_an_assessment_asks_first(client: FlaskClient, personas: Personas) -> None:
    made = ratings.record_assessment(personas.practitioner_p, personas.record_a, rating(), now=NOW)
    db.session.commit()
    viewer = log_in(client, personas.practitioner_p)

    question = viewer.get(f"/assessments/{made.id}/delete")
    assert question.status_code == 200
    assert "Delete this assessment?" in question.get_data(as_text=True)
    assert len(stored(personas.record_a.id)) == 1

    assert viewer.post(f"/assessments/{made.id}/delete").status_code == 302
    assert stored(personas.record_a.id) == []


def test_a_client_cannot_delete_the_practitioners_rating_through_the_page(
    client: FlaskClient, personas: Personas
) -> None:
    made = ratings.record_assessment(personas.practitioner_p, personas.record_a, rating(), now=NOW)
    db.session.commit()

    answer = log_in(client, personas.client_a).post(f"/assessments/{made.id}/delete")

    assert answer.status_code == 403
    assert len(stored(personas.record_a.id)) == 1


# --- hostile payloads --------------------------------------------------------------------------

HOSTILE = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_text = st.text(min_size=1, max_size=30).filter(lambda t: t.strip() != "")


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


CONTROL = st.sampled_from([chr(c) for c in range(32) if chr(c) not in "\t\n\r"] + ["\x7f"])

CORRUPTIONS = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["assessed_on", "density_pct"]), st.none()),
        st.tuples(
            st.just("density_pct"),
            st.one_of(
                st.floats(max_value=-0.001, allow_nan=False).map(repr),
                st.floats(min_value=100.001).map(repr),
                st.sampled_from(["nan", "inf", "-inf"]),
                _text.filter(_not_a_float),
            ),
        ),
        st.tuples(st.just("zone"), _text.filter(lambda t: t not in ZONES)),
        st.tuples(
            st.just("assessor_kind"),
            st.one_of(
                st.just("client_self"),
                _text.filter(lambda t: t not in ("practitioner_in_person", "practitioner_photo")),
            ),
        ),
        st.tuples(
            st.just("assessed_on"),
            st.one_of(
                st.integers(2, 3650).map(lambda d: (date.today() + timedelta(days=d)).isoformat()),
                st.dates(max_value=date(1989, 12, 31)).map(date.isoformat),
                _text.filter(_not_a_date),
            ),
        ),
        st.tuples(st.just("note"), st.integers(2001, 10_000).map(lambda n: "a" * n)),
        st.tuples(
            st.just("note"),
            st.tuples(st.text(max_size=20), CONTROL, st.text(max_size=20)).map("".join),
        ),
        st.tuples(
            st.sampled_from(["client_id", "practitioner_id", "id", "assessed_by_id", "photo_path"]),
            st.one_of(st.integers().map(str), _text),
        ),
    ),
    min_size=1,
    max_size=3,
)


def test_the_unchanged_payload_of_the_property_test_is_accepted(
    client: FlaskClient, personas: Personas
) -> None:
    answer = log_in(client, personas.practitioner_p).post(
        f"/clients/{personas.record_a.id}/assessments/new", data=assessment_form()
    )
    assert answer.status_code == 302


@HOSTILE
@given(corruptions=CORRUPTIONS)
def test_hostile_assessments_get_422_and_change_nothing(
    client: FlaskClient, personas: Personas, corruptions: list
) -> None:
    payload = assessment_form()
    for key, value in corruptions:
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    before = row_counts()

    answer = log_in(client, personas.practitioner_p).post(
        f"/clients/{personas.record_a.id}/assessments/new", data=payload
    )

    assert answer.status_code == 422, corruptions
    assert row_counts() == before
