"""Every route, for every persona: anonymous, client A, client B, practitioner P (A's),
practitioner Q (B's) and admin. Another tenant's record answers 404; anonymous is sent to log
in (pages) or gets 401 (API). A route added without a row fails ``test_every_route_...``.

The rows live in ``tests/access_cases/``, one module per area.
"""

from __future__ import annotations

import importlib
import io
import pkgutil
import re
from datetime import UTC, datetime, timedelta
from types import ModuleType

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
AREA_OF: dict[int, ModuleType] = {id(case): module for module in MODULES for case in module.CASES}
# Which area's ``objects`` makes each placeholder, learnt from the first case that makes them all.
_MADE_BY: dict[str, ModuleType] = {}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _areas_for(case: Case | None) -> list[ModuleType]:
    """The areas whose rows a case needs: its own (its shows and hides name them) and those
    making the placeholders in its path. Seeding every area for every case was half of the
    matrix's time; with no case (or a placeholder not yet seen) every area is seeded."""
    if case is None:
        return MODULES
    needed = set(PLACEHOLDER.findall(case.path)) - {"a", "b", "token_a"}
    if not needed <= _MADE_BY.keys():
        return MODULES
    chosen = {AREA_OF[id(case)], *(_MADE_BY[name] for name in needed)}
    # An area whose rows build on another's names it (follow-up asks about the zones that the
    # treatments area's session treats).
    for module in list(chosen):
        chosen |= {area for area in MODULES if area.__name__ in _seeded_with(module)}
    return [module for module in MODULES if module in chosen]


def _seeded_with(module: ModuleType) -> set[str]:
    return {f"{access_cases.__name__}.{name}" for name in getattr(module, "SEEDED_WITH", ())}


def _placeholders(personas: Personas, case: Case | None = None) -> dict[str, int]:
    now = datetime.now(UTC)
    values = {
        "a": personas.record_a.id,
        "b": personas.record_b.id,
        "token_a": accounts.issue_api_token(
            personas.client_a, "matrix", now=now, max_age=timedelta(days=365)
        ).token.id,
    }
    for module in _areas_for(case):
        make = getattr(module, "objects", None)
        if make is not None:
            made = make(personas)
            _MADE_BY.update(dict.fromkeys(made, module))
            values.update(made)
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
    values = _placeholders(personas, case)
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
