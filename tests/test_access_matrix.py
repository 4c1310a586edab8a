"""Every route, for every persona: anonymous, client A, client B, practitioner P (A's),
practitioner Q (B's) and admin. Another tenant's record answers 404; anonymous is sent to log
in (pages) or gets 401 (API). A route added without a row fails ``test_every_route_...``.

The rows live in ``tests/access_cases/``, one module per area.
"""

from __future__ import annotations

import importlib
import io
import pkgutil
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

import tests.access_cases as access_cases
from smptrack.extensions import db
from smptrack.services import accounts, projections
from tests.access_cases import ANY_REDIRECT, LOGIN, Case
from tests.conftest import PERSONA_NAMES, Personas, log_in

MODULES = [
    importlib.import_module(f"{access_cases.__name__}.{info.name}")
    for info in pkgutil.iter_modules(access_cases.__path__)
]
CASES: list[Case] = [case for module in MODULES for case in module.CASES]


def _placeholders(personas: Personas) -> dict[str, int]:
    now = datetime.now(UTC)
    values = {
        "a": personas.record_a.id,
        "b": personas.record_b.id,
        "token_a": accounts.issue_api_token(
            personas.client_a, "matrix", now=now, max_age=timedelta(days=365)
        ).token.id,
    }
    for module in MODULES:
        make = getattr(module, "objects", None)
        if make is not None:
            values.update(make(personas))
    projections.refresh_stale(now)  # the unit of work's step: the stored doses and projection
    db.session.commit()
    return values


def test_every_route_has_a_row_in_the_matrix(app: Flask) -> None:
    covered = {(case.method, case.rule) for case in CASES}
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - covered == set(), "add these routes to tests/access_cases/"
    assert covered - routes == set(), "the matrix names routes that no longer exist"


def _has_files(body: dict) -> bool:
    return any(isinstance(value, bytes) for value in body.values())


def _form_data(body: dict) -> dict:
    """A body's bytes values become file parts (a multipart upload), read afresh each time."""
    return {
        name: (io.BytesIO(value), "upload.jpg") if isinstance(value, bytes) else value
        for name, value in body.items()
    }


@pytest.mark.parametrize("persona", PERSONA_NAMES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.path}")
def test_route_answers_each_persona_as_the_policy_says(
    app: Flask, personas: Personas, case: Case, persona: str
) -> None:
    user = personas.by_name(persona)
    values = _placeholders(personas)
    bearer = None
    if case.json and user is not None:
        bearer = accounts.issue_api_token(
            user, "matrix", now=datetime.now(UTC), max_age=timedelta(days=365)
        ).secret
        db.session.commit()
    path = case.path.format(**values)

    test_client = log_in(app.test_client(), None if case.json else user)
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    if case.method == "GET":
        response = test_client.get(path, headers=headers)
    elif case.json and not _has_files(case.body):
        response = test_client.open(path, method=case.method, json=case.body, headers=headers)
    else:
        data = _form_data(case.body)
        response = test_client.open(path, method=case.method, data=data, headers=headers)

    expected = case.expect[persona]
    # Bytes (a photo, a zip) are searched for the texts too: a zip stores its JSON as is.
    body = response.get_data().decode("utf-8", "replace")
    if expected == LOGIN:
        assert response.status_code == 302, body[:300]
        assert "/auth/login" in response.headers["Location"]
    elif expected == ANY_REDIRECT:
        assert response.status_code in (302, 303), body[:300]
        assert "/auth/login?next" not in response.headers["Location"]
    else:
        assert response.status_code == expected, body[:300]
    if case.media_type is not None and response.status_code == 200:
        assert response.mimetype == case.media_type
    elif case.json:
        assert response.is_json, "the API answers JSON, errors included"
        if response.status_code >= 400:
            assert set(response.get_json()["error"]) == {"code", "message", "fields"}
    for text in case.shows.get(persona, ()):
        assert text in body
    for text in case.hides.get(persona, ()):
        assert text not in body
    if expected == 404:
        assert "Ada Client" not in body and "Bea Client" not in body
