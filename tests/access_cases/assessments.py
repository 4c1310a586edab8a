"""Fade assessment routes.

Placeholders: {assessments_self_a} is client A's self-rating; {assessments_by_p_a} is
practitioner P's in-person rating of A (A may see it but not delete it).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from smptrack.extensions import db
from smptrack.models import FadeAssessment
from tests.access_cases import ANY_REDIRECT, Case, signed_in
from tests.conftest import Personas


def objects(personas: Personas) -> dict[str, int]:
    made = {}
    for key, kind, by in (
        ("assessments_self_a", "client_self", personas.client_a),
        ("assessments_by_p_a", "practitioner_in_person", personas.practitioner_p),
    ):
        assessment = FadeAssessment(
            client_id=personas.record_a.id,
            assessed_on=date(2025, 9, 3),
            zone="crown",
            density_pct=88.0,
            assessor_kind=kind,
            assessed_by_id=by.id,
            note="Even density",
            created_at=datetime(2025, 9, 3, 12, 0, tzinfo=UTC),
        )
        db.session.add(assessment)
        db.session.flush()
        made[key] = assessment.id
    return made


def _record_a(status: int | str, **overrides: int | str) -> dict[str, int | str]:
    """Client A and practitioner P act on A's record; B and Q get 404; an admin may not at all."""
    table = signed_in(404, client_a=status, practitioner_p=status, admin=403)
    table.update(overrides)
    return table


CASES = [
    Case(
        "GET",
        "/me/assessments",
        "/me/assessments",
        signed_in(403, client_a=ANY_REDIRECT, client_b=ANY_REDIRECT),
    ),
    Case(
        "GET",
        "/clients/<int:client_id>/assessments",
        "/clients/{a}/assessments",
        _record_a(200),
        shows={
            "client_a": ("My fade assessments", "Even density"),
            "practitioner_p": ("Ada Client", "Even density"),
        },
    ),
    Case(
        "GET",
        "/clients/<int:client_id>/assessments/new",
        "/clients/{a}/assessments/new",
        _record_a(200),
    ),
    Case(
        "POST",
        "/clients/<int:client_id>/assessments/new",
        "/clients/{a}/assessments/new",
        _record_a(422),
    ),
    # Several zones in one form (issue 13 item 4): an empty post rates nothing, so 422.
    Case(
        "GET",
        "/clients/<int:client_id>/assessments/zones",
        "/clients/{a}/assessments/zones",
        _record_a(200),
        shows={"client_a": ("Rate my zones", "Crown"), "practitioner_p": ("Ada Client",)},
    ),
    Case(
        "POST",
        "/clients/<int:client_id>/assessments/zones",
        "/clients/{a}/assessments/zones",
        _record_a(422),
    ),
    Case(
        "GET",
        "/assessments/<int:assessment_id>/delete",
        "/assessments/{assessments_self_a}/delete",
        _record_a(200),
        shows={"client_a": ("Even density",), "practitioner_p": ("Even density",)},
        hides={"client_b": ("Even density",), "practitioner_q": ("Even density",)},
    ),
    Case(
        "POST",
        "/assessments/<int:assessment_id>/delete",
        "/assessments/{assessments_self_a}/delete",
        _record_a(ANY_REDIRECT),
    ),
    # A client sees their practitioner's rating but may not remove it.
    Case(
        "GET",
        "/assessments/<int:assessment_id>/delete",
        "/assessments/{assessments_by_p_a}/delete",
        _record_a(200, client_a=403),
    ),
    Case(
        "POST",
        "/assessments/<int:assessment_id>/delete",
        "/assessments/{assessments_by_p_a}/delete",
        _record_a(ANY_REDIRECT, client_a=403),
    ),
]
