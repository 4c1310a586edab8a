"""Photo pages and API routes: the client and the practitioners of their practice see and add
photos (the front desk: 403, another practice or client: 404, the admin: 403 on pages and 404
in the API, as for any record). The practice deletes any photo of its client; the client only
those they uploaded.

Placeholders: {photo_a} is P's photo of client A; {photo_own_a} one client A uploaded;
{photo_b} is Q's photo of client B.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from smptrack.services import photos
from tests import photo_corpus as corpus
from tests.access_cases import ANY_REDIRECT, Case, everyone, signed_in
from tests.conftest import Personas

UPLOAD = {"taken_on": "2025-07-01", "zone": "crown", "photo": corpus.jpeg()}


def objects(personas: Personas) -> dict[str, int]:
    now = datetime(2025, 9, 3, 12, tzinfo=UTC)

    def store(record, by):
        photo = photos.store_photo(
            record,
            zone="crown",
            taken_on=date(2025, 9, 1),
            data=corpus.jpeg(),
            uploaded_by=by,
            now=now,
        )
        return photo.id

    return {
        "photo_a": store(personas.record_a, personas.practitioner_p),
        "photo_own_a": store(personas.record_a, personas.client_a),
        "photo_b": store(personas.record_b, personas.practitioner_q),
    }


def _record_a(status: int | str, **overrides: int | str) -> dict[str, int | str]:
    """Client A and P's practitioners use A's photos; B and Q get 404; the admin 403."""
    table = signed_in(404, client_a=status, practitioner_p=status, admin=403)
    table.update(overrides)
    return table


def _api(status: int, **overrides: int) -> dict[str, int | str]:
    # (``access_cases.api`` is also the name of a module of this package.)
    return everyone(status, anonymous=401, **overrides)


def _api_a(status: int, **overrides: int) -> dict[str, int | str]:
    table = _api(404, client_a=status, practitioner_p=status)
    table.update(overrides)
    return table


CASES = [
    Case(
        "GET",
        "/me/photos",
        "/me/photos",
        signed_in(403, client_a=ANY_REDIRECT, client_b=ANY_REDIRECT),
    ),
    Case(
        "GET",
        "/clients/<int:client_id>/photos",
        "/clients/{a}/photos",
        _record_a(200),
        shows={"client_a": ("My photos",), "practitioner_p": ("Photos of Ada Client",)},
    ),
    Case(
        "POST",
        "/clients/<int:client_id>/photos",
        "/clients/{a}/photos",
        _record_a(ANY_REDIRECT),
        body=UPLOAD,
    ),
    Case(
        "GET",
        "/photos/<int:photo_id>/image",
        "/photos/{photo_a}/image",
        _record_a(200),
        media_type="image/jpeg",
    ),
    Case(
        "GET",
        "/photos/<int:photo_id>/thumbnail",
        "/photos/{photo_b}/thumbnail",
        signed_in(404, client_b=200, practitioner_q=200, admin=403, front_desk_p=403),
        media_type="image/jpeg",
    ),
    Case(
        "GET",
        "/photos/<int:photo_id>/delete",
        "/photos/{photo_a}/delete",
        _record_a(200, client_a=403),
        shows={"practitioner_p": ("Delete this photo?", "Ada Client")},
    ),
    Case(
        "POST",
        "/photos/<int:photo_id>/delete",
        "/photos/{photo_own_a}/delete",
        _record_a(ANY_REDIRECT),
    ),
    Case(
        "POST",
        "/photos/<int:photo_id>/delete",
        "/photos/{photo_a}/delete",
        _record_a(ANY_REDIRECT, client_a=403),
    ),
    # The API.
    Case(
        "GET",
        "/api/v1/clients/<int:client_id>/photos",
        "/api/v1/clients/{a}/photos",
        _api_a(200),
        json=True,
        shows={"client_a": ('"total":2',), "practitioner_p": ('"total":2',)},
    ),
    Case(
        "POST",
        "/api/v1/clients/<int:client_id>/photos",
        "/api/v1/clients/{a}/photos",
        _api_a(201),
        json=True,
        body=UPLOAD,
    ),
    Case(
        "GET",
        "/api/v1/photos/<int:photo_id>",
        "/api/v1/photos/{photo_a}",
        _api_a(200),
        json=True,
        shows={"client_a": ('"zone":"crown"',)},
    ),
    Case(
        "DELETE",
        "/api/v1/photos/<int:photo_id>",
        "/api/v1/photos/{photo_a}",
        _api_a(200, client_a=403),
        json=True,
    ),
    Case(
        "DELETE",
        "/api/v1/photos/<int:photo_id>",
        "/api/v1/photos/{photo_own_a}",
        _api_a(200),
        json=True,
    ),
    Case(
        "GET",
        "/api/v1/photos/<int:photo_id>/image",
        "/api/v1/photos/{photo_a}/image",
        _api_a(200),
        json=True,
        media_type="image/jpeg",
    ),
    Case(
        "GET",
        "/api/v1/photos/<int:photo_id>/thumbnail",
        "/api/v1/photos/{photo_b}/thumbnail",
        _api(404, client_b=200, practitioner_q=200, front_desk_p=403),
        json=True,
        media_type="image/jpeg",
    ),
]
