"""Reads do not write (issue 9 item 2): an API read or a page view never takes or waits on the
write lock. The token's last use is written at most once an hour per token, and read audit
lines after the response (smptrack/denials.py), each in a short transaction of its own."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import ApiToken, AuditEvent, Client
from smptrack.services import accounts
from tests.conftest import OwnContextClient, make_client, make_user
from tests.test_api_tokens import PASSWORD, bearer

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.fixture
def pat(app: Flask):
    app.test_client_class = OwnContextClient
    user = make_user("practitioner", "pat@example.com", "Pat Practitioner")
    db.session.commit()
    return user


@pytest.fixture
def record(pat) -> Client:
    client = make_client(pat, "Ada Client", email="ada@clients.test")
    db.session.commit()
    return client


def secret_for(app: Flask) -> str:
    response = app.test_client().post(
        "/api/v1/tokens", json={"email": "pat@example.com", "password": PASSWORD, "name": "s"}
    )
    assert response.status_code == 201
    return response.get_json()["token"]


def last_used() -> datetime | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(ApiToken.last_used_at))


def reads() -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "read")))


@contextlib.contextmanager
def write_lock_held() -> Iterator[sqlite3.Connection]:
    """Another process's write transaction (``BEGIN IMMEDIATE``) on the SQLite file, and a busy
    timeout of 200 ms for the app's new connections, so a write that waits gives up quickly."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the single write lock is SQLite's")

    def short_timeout(dbapi_connection, record) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=200")

    sa.event.listen(db.engine, "connect", short_timeout)
    db.session.remove()
    db.engine.dispose()
    other = sqlite3.connect(db.engine.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield other
    finally:
        other.rollback()
        other.close()
        sa.event.remove(db.engine, "connect", short_timeout)
        db.engine.dispose()


def test_the_api_answers_a_read_while_another_process_holds_the_write_lock(
    app: Flask, record: Client, caplog: pytest.LogCaptureFixture
):
    secret = secret_for(app)
    assert last_used() is None  # its first use is still to be written
    path = f"/api/v1/clients/{record.id}"
    with write_lock_held(), caplog.at_level(logging.WARNING):
        response = app.test_client().get(path, headers=bearer(secret))
    assert response.status_code == 200
    assert response.get_json()["id"] == record.id
    # The writes after the response gave up on the lock: logged and dropped, the loss the
    # README states; the answer was not delayed by them, nor failed.
    assert last_used() is None and reads() == []
    assert "could not record" in caplog.text


def test_without_a_lock_the_read_line_and_the_tokens_use_are_written_after_the_response(
    app: Flask, record: Client, pat
):
    secret = secret_for(app)
    response = app.test_client().get(f"/api/v1/clients/{record.id}", headers=bearer(secret))
    assert response.status_code == 200
    assert last_used() is not None
    [line] = reads()
    assert (line.actor_id, line.client_id, line.object_type) == (pat.id, record.id, "client")


def test_the_last_use_is_written_at_most_once_an_hour(app: Flask, pat):
    secret = secret_for(app)
    db.session.execute(sa.update(ApiToken).values(last_used_at=NOW))
    db.session.commit()
    token = db.session.scalar(sa.select(ApiToken))
    assert accounts.record_token_use(token.id, NOW + timedelta(minutes=59)) == 0
    assert accounts.record_token_use(token.id, NOW + timedelta(minutes=61)) == 1
    db.session.commit()
    assert last_used() == NOW + timedelta(minutes=61)
    # Outside a request (a CLI or worker lookup) the use is written in the caller's unit.
    assert accounts.user_for_api_token(secret, NOW + timedelta(hours=3)).id == pat.id
    db.session.commit()
    assert last_used() == NOW + timedelta(hours=3)
