"""Read-audit lines written in batches (issue 9 item 2, ``smptrack/read_batch.py``): a page view
holds its line until the batch is full, the oldest line has waited long enough, or the process
flushes on its way out; a write that fails never fails the read."""

from __future__ import annotations

import logging
import time

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack import read_batch
from smptrack.extensions import db
from smptrack.models import AuditEvent
from smptrack.services import audit
from tests.conftest import OwnContextClient, Personas, log_in


def batched(app: Flask, size: int, seconds: float) -> read_batch.ReadBatch:
    app.config.update(AUDIT_READ_BATCH=size, AUDIT_READ_FLUSH_SECONDS=seconds)
    read_batch.init_app(app)
    app.test_client_class = OwnContextClient
    return read_batch.of(app)


def read_lines(client_id: int) -> list[tuple[int | None, str, str | None]]:
    db.session.rollback()
    rows = db.session.execute(
        sa.select(AuditEvent.actor_id, AuditEvent.object_type, AuditEvent.remote_addr)
        .where(AuditEvent.action == "read", AuditEvent.client_id == client_id)
        .order_by(AuditEvent.id)
    )
    return [tuple(row) for row in rows]


def view(app: Flask, personas: Personas, times: int) -> None:
    browser = log_in(app.test_client(), personas.practitioner_p)
    for _ in range(times):
        answer = browser.get(f"/clients/{personas.record_a.id}")
        assert answer.status_code == 200
        answer.close()  # the after-response step, as a WSGI server runs it


def test_lines_wait_until_the_batch_is_full(app: Flask, personas: Personas) -> None:
    batch = batched(app, size=3, seconds=3600)
    view(app, personas, 2)
    assert read_lines(personas.record_a.id) == []
    assert batch.waiting() == 2

    view(app, personas, 1)
    lines = read_lines(personas.record_a.id)
    assert len(lines) == 3
    assert {line[0] for line in lines} == {personas.practitioner_p.id}
    assert batch.waiting() == 0


def test_a_quiet_process_writes_its_lines_once_the_oldest_has_waited(
    app: Flask, personas: Personas
) -> None:
    batch = batched(app, size=1000, seconds=0.2)
    view(app, personas, 1)
    assert batch.waiting() == 1
    deadline = time.monotonic() + 10  # the timer's 0.2 s, with room for a loaded machine
    while not read_lines(personas.record_a.id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(read_lines(personas.record_a.id)) == 1
    assert batch.waiting() == 0


def test_flush_writes_what_waits(app: Flask, personas: Personas) -> None:
    batch = batched(app, size=1000, seconds=3600)
    view(app, personas, 4)
    assert read_lines(personas.record_a.id) == []
    assert read_batch.flush_all(app) == 4
    assert len(read_lines(personas.record_a.id)) == 4
    assert batch.flush() == 0  # nothing twice


def test_a_failed_write_is_logged_and_dropped_never_a_failed_read(
    app: Flask, personas: Personas, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    batched(app, size=1, seconds=3600)

    def refuse(reads, *, remote_addr):
        raise sa.exc.OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(audit, "record_reads", refuse)
    with caplog.at_level(logging.ERROR, logger="smptrack.read_batch"):
        view(app, personas, 1)  # asserts the 200
    assert "could not record 1 read line(s)" in caplog.text
    assert read_batch.of(app).waiting() == 0
    monkeypatch.undo()
    assert read_lines(personas.record_a.id) == []
