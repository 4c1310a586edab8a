"""What the API's hot path leaves out (issue 9): the login cookie, the prebuilt loader
statements' agreement with the access policy, and a read's transaction that ends without a
commit yet keeps what a GET must write (an export's audit line)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import AuditEvent, Client
from smptrack.services import access
from smptrack.services.errors import Forbidden, NotFound
from tests.conftest import PERSONA_NAMES, Personas, log_in
from tests.test_api_resources import Api


def test_the_api_neither_reads_nor_sets_the_login_cookie(app: Flask, personas: Personas) -> None:
    browser = log_in(app.test_client(), personas.practitioner_p)
    page = browser.get(f"/clients/{personas.record_a.id}")
    assert page.status_code == 200

    # The same browser, its login cookie and no token: the API does not know it.
    refused = browser.get(f"/api/v1/clients/{personas.record_a.id}")
    assert refused.status_code == 401
    assert "Set-Cookie" not in refused.headers

    api = Api(app, personas.practitioner_p)
    api.http = browser  # the token and the cookie together
    answer = api.get(f"/api/v1/clients/{personas.record_a.id}")
    assert answer.status_code == 200 and answer.get_json()["id"] == personas.record_a.id
    assert "Set-Cookie" not in answer.headers
    assert "Cookie" not in answer.headers.get("Vary", "")
    # ... and the page session still works afterwards.
    assert browser.get(f"/clients/{personas.record_a.id}").status_code == 200


def test_get_client_agrees_with_visible_clients_for_every_persona(
    app: Flask, personas: Personas
) -> None:
    ids = list(db.session.scalars(sa.select(Client.id).order_by(Client.id)))
    actors = [personas.by_name(name) for name in PERSONA_NAMES if name != "anonymous"]
    actors.append(access.client_by_link(personas.record_a))
    for actor in actors:
        seen = set(db.session.scalars(access.visible_clients(actor).with_only_columns(Client.id)))
        for client_id in ids:
            try:
                found = access.get_client(actor, client_id).id
            except (NotFound, Forbidden):
                found = None
            assert (found is not None) == (client_id in seen), (actor, client_id)
            assert found in (None, client_id)


def test_an_api_read_that_writes_its_audit_line_keeps_it(app: Flask, personas: Personas) -> None:
    api = Api(app, personas.practitioner_p)
    answer = api.get(f"/api/v1/clients/{personas.record_a.id}/export")
    assert answer.status_code == 200
    db.session.rollback()
    exported = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.action == "export", AuditEvent.client_id == personas.record_a.id
        )
    ).all()
    assert len(exported) == 1
