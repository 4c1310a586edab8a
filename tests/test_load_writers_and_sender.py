"""The load test of issue 9: API writers and a scheduler on one database, through real sockets.

Eight threads post sun exposures (one of them also a session now and then) to a real
``smptrack serve`` process over HTTP while a real ``smptrack scheduler`` process drains 1,000
due reminders into a real SMTP server (aiosmtpd in this process). On SQLite every one of them
takes the database's single write lock in turn; on PostgreSQL they meet row locks. What must
hold: no answer is a 5xx (a lock is waited out, never turned into a 500), every reminder is
delivered exactly once (1,000 distinct Message-IDs, the ones the outbox recorded) and none is
left ``sending``.

The writers run for 60 s; with CI=true for 15 s (the suite runs on both databases side by side
on two cores, and 15 s already puts a few hundred writes against the whole drain). The drain
itself is not timed: the figures are printed, never asserted.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.models import Reminder, SchedulerHeartbeat
from smptrack.services import accounts
from smptrack.services.heartbeats import HEARTBEAT_REPLAN
from tests.conftest import IN_CI, Personas, make_client
from tests.live import running_servers
from tests.smtp_server import SmtpServer
from tests.test_worker_processes import (
    add_due_reminders,
    counts,
    due_clients,
    scheduler_env,
    start_scheduler,
    stop,
    wait_until,
)

pytestmark = pytest.mark.slow

WRITERS = 8
REMINDERS = 1000
SECONDS = 15.0 if IN_CI else 60.0


def token_for(user) -> str:
    secret = accounts.issue_api_token(user, "load", datetime.now(UTC), timedelta(days=1)).secret
    db.session.commit()
    return secret


def post(base_url: str, path: str, body: dict, secret: str) -> int:
    """The status of one API write (599 for no answer at all: that counts as a failure)."""
    request = urllib.request.Request(  # noqa: S310 - loopback only
        base_url + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {secret}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
            answer.read()
            return answer.status
    except urllib.error.HTTPError as error:
        error.read()
        return error.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 599


def test_eight_api_writers_and_a_scheduler_draining_1000_reminders_no_5xx_each_sent_once(
    app,
    database_url: str,
    personas: Personas,
    smtp: SmtpServer,
    tmp_path: Path,
):
    # The reminders' clients are nobody's write target, and the writers' clients have no email
    # address: a write replans its client, and must neither plan new mail nor move these.
    add_due_reminders(due_clients(personas, 50), REMINDERS)
    targets = [make_client(personas.practitioner_p, f"Writer {n}") for n in range(WRITERS)]
    personas.record_a.email = None
    # The daily replan has just run (it would re-plan 50 clients in the middle of the drain).
    db.session.add(SchedulerHeartbeat(name=HEARTBEAT_REPLAN, beat_at=datetime.now(UTC), host=""))
    db.session.commit()
    practitioner, own = token_for(personas.practitioner_p), token_for(personas.client_a)
    target_ids, record_id = [t.id for t in targets], personas.record_a.id
    statuses: Counter[int] = Counter()
    session_statuses: Counter[int] = Counter()
    lock = threading.Lock()
    log = tmp_path / "scheduler.log"

    with running_servers(database_url, tmp_path) as [server]:

        def write(n: int) -> None:
            day = date(2025, 6, 1)
            sent = 0
            while time.monotonic() < stop_at:
                day -= timedelta(days=1)
                body = {"exposed_on": day.isoformat(), "duration_minutes": 30, "uv_index": 5}
                status = post(
                    server.base_url,
                    f"/api/v1/clients/{target_ids[n]}/sun-exposures",
                    body,
                    practitioner,
                )
                with lock:
                    statuses[status] += 1
                sent += 1
                if n == 0 and sent % 10 == 0:
                    session = {
                        "performed_on": day.isoformat(),
                        "kind": "touch_up",
                        "placements": [{"zone": "crown", "pigment_free_text": "Unknown black"}],
                    }
                    status = post(
                        server.base_url, f"/api/v1/clients/{record_id}/sessions", session, own
                    )
                    with lock:
                        session_statuses[status] += 1

        started = time.monotonic()
        scheduler = start_scheduler(scheduler_env(database_url, smtp, tmp_path), log)
        try:
            stop_at = time.monotonic() + SECONDS
            threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            delivered_while_writing = smtp.count()
            wait_until(
                lambda: smtp.count() >= REMINDERS and counts()["sent"] == REMINDERS,
                240,
                [scheduler],
                log,
            )
            drained = time.monotonic() - started
        finally:
            codes = stop([scheduler])
        server_log = server.log()

    assert codes == [0], log.read_text()[-3000:]
    failures = {s: c for s, c in (statuses + session_statuses).items() if s >= 500}
    assert failures == {}, server_log[-3000:]
    # Every write was a valid one: they were stored, not refused.
    assert set(statuses) == {201} and set(session_statuses) == {201}, (statuses, session_statuses)
    assert statuses[201] >= WRITERS and session_statuses[201] >= 1
    # The drain overlapped the writes (it is not a test of a quiet database).
    assert delivered_while_writing > 0
    ids = smtp.message_ids()
    assert len(ids) == REMINDERS and len(set(ids)) == REMINDERS
    db.session.rollback()
    recorded = set(db.session.scalars(sa.select(Reminder.message_id)))
    assert recorded == set(ids)
    final = counts()
    assert final["sent"] == REMINDERS and final["sending"] == 0 and final["pending"] == 0
    print(
        f"\n{db.engine.dialect.name}: {WRITERS} writers for {SECONDS:.0f} s, "
        f"{statuses[201]} sun entries and {session_statuses[201]} sessions stored; "
        f"{delivered_while_writing} of {REMINDERS} reminders delivered while writing, "
        f"all in {drained:.1f} s"
    )
