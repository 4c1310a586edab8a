"""Exposure routes: the client profile and the sun log.

Placeholders: {exposure_sun_a} is a sun log entry on client A's record.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from smptrack.extensions import db
from smptrack.models import SunExposure
from tests.access_cases import ANY_REDIRECT, Case, signed_in
from tests.conftest import Personas


def objects(personas: Personas) -> dict[str, int]:
    entry = SunExposure(
        client_id=personas.record_a.id,
        exposed_on=date(2025, 7, 14),
        duration_minutes=90,
        uv_index=7.0,
        uv_index_kind="daily_max",
        hat="none",
        hair_length="shaved",
        logged_by_id=personas.client_a.id,
        created_at=datetime(2025, 7, 14, 18, 0, tzinfo=UTC),
    )
    db.session.add(entry)
    db.session.flush()
    return {"exposure_sun_a": entry.id}


def _record_a(status: int | str) -> dict[str, int | str]:
    """Client A and practitioner P act on A's record; B and Q get 404; an admin may not at all."""
    return signed_in(404, client_a=status, practitioner_p=status, admin=403)


OWN_ONLY = signed_in(403, client_a=ANY_REDIRECT, client_b=ANY_REDIRECT)

CASES = [
    Case("GET", "/me/sun", "/me/sun", OWN_ONLY),
    Case("GET", "/me/profile", "/me/profile", OWN_ONLY),
    Case(
        "GET",
        "/clients/<int:client_id>/profile",
        "/clients/{a}/profile",
        _record_a(200),
        shows={"client_a": ("My profile",), "practitioner_p": ("Profile of Ada Client",)},
    ),
    Case("POST", "/clients/<int:client_id>/profile", "/clients/{a}/profile", _record_a(422)),
    Case(
        "GET",
        "/clients/<int:client_id>/sun",
        "/clients/{a}/sun",
        _record_a(200),
        shows={"client_a": ("My sun log", "July 2025"), "practitioner_p": ("Ada Client",)},
    ),
    Case("POST", "/clients/<int:client_id>/sun/quick", "/clients/{a}/sun/quick", _record_a(422)),
    Case("GET", "/clients/<int:client_id>/sun/new", "/clients/{a}/sun/new", _record_a(200)),
    Case("POST", "/clients/<int:client_id>/sun/new", "/clients/{a}/sun/new", _record_a(422)),
    Case(
        "GET",
        "/sun/<int:exposure_id>/delete",
        "/sun/{exposure_sun_a}/delete",
        _record_a(200),
        shows={"client_a": ("14 July 2025",), "practitioner_p": ("14 July 2025",)},
        hides={"client_b": ("14 July 2025",), "practitioner_q": ("14 July 2025",)},
    ),
    Case(
        "POST",
        "/sun/<int:exposure_id>/delete",
        "/sun/{exposure_sun_a}/delete",
        _record_a(ANY_REDIRECT),
    ),
]
