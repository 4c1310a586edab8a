"""Every refused write of the practice's pages (tests/access_cases/practice.py) leaves the
practice, its members, invitations, logins, clients and outbox exactly as they were."""

from __future__ import annotations

import pytest
from flask import Flask

from smptrack.extensions import db
from tests.access_cases import ANY_REDIRECT, Case
from tests.access_cases import practice as practice_cases
from tests.conftest import PERSONA_NAMES, OwnContextClient, Personas, log_in
from tests.test_practice_members import snapshot

REFUSED_WRITES = [
    (case, persona)
    for case in practice_cases.CASES
    if case.method == "POST"
    for persona in PERSONA_NAMES
    if case.expect[persona] != ANY_REDIRECT
]


@pytest.mark.parametrize(
    ("case", "persona"),
    REFUSED_WRITES,
    ids=[f"{case.method} {case.path} {persona}" for case, persona in REFUSED_WRITES],
)
def test_a_refused_write_changes_nothing(
    app: Flask, personas: Personas, case: Case, persona: str
) -> None:
    app.test_client_class = OwnContextClient
    values = practice_cases.objects(personas)
    db.session.commit()
    browser = log_in(app.test_client(), personas.by_name(persona))
    before = snapshot()

    response = browser.post(case.path.format(**values), data=case.body)

    assert response.status_code in (302, 403, 404), response.status_code
    db.session.expire_all()
    assert snapshot() == before
