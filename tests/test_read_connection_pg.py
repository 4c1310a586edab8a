"""A connection the PostgreSQL server dropped (a restart, an idle timeout) never reaches a user
(smptrack/read_connection.py, issue 9): every checkout but a hot API read's is pinged and
replaced when dead; a hot read, whose checkout is not pinged, runs again on a fresh connection.
Both are checked against a real server by terminating the backends of the pooled connections."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from tests.conftest import PG_URL, OwnContextClient, Personas, log_in
from tests.test_api_resources import Api

pytestmark = pytest.mark.skipif(not PG_URL, reason="the server's own connections: PostgreSQL")


def drop_the_pooled_connections() -> int:
    """What a server restart does to the pool: every other backend of this database ends."""
    killer = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
    try:
        with killer.connect() as connection:
            ended = connection.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    " AND backend_type = 'client backend'"
                )
            ).scalar()
    finally:
        killer.dispose()
    return ended


def test_a_hot_read_on_a_dropped_connection_reads_again_and_answers(
    app: Flask, personas: Personas, caplog: pytest.LogCaptureFixture
) -> None:
    app.test_client_class = OwnContextClient
    api = Api(app, personas.practitioner_p)
    path = f"/api/v1/clients/{personas.record_a.id}"
    name = personas.record_a.display_name
    db.session.close()
    assert api.get(path).status_code == 200  # pools the read's connection
    assert drop_the_pooled_connections() >= 1
    with caplog.at_level(logging.WARNING, logger="smptrack.api.registry"):
        answers = [api.get(path) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert all(a.get_json()["display_name"] == name for a in answers)
    assert "a dropped connection, read again" in caplog.text


def test_a_page_and_a_write_on_dropped_connections_get_fresh_ones(
    app: Flask, personas: Personas
) -> None:
    app.test_client_class = OwnContextClient
    browser = app.test_client()
    log_in(browser, personas.practitioner_p)
    record_id = personas.record_a.id
    page = f"/clients/{record_id}"
    api = Api(app, personas.practitioner_p)
    db.session.close()
    assert browser.get(page).status_code == 200
    assert drop_the_pooled_connections() >= 1
    assert browser.get(page).status_code == 200  # the checkout's ping replaced the connection
    drop_the_pooled_connections()
    changed = api.patch(f"/api/v1/clients/{record_id}", {"fitzpatrick": 4})
    assert changed.status_code == 200, changed.get_json()
    assert api.get(f"/api/v1/clients/{record_id}").get_json()["profile"]["fitzpatrick"] == 4
