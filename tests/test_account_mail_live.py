"""Black-box over HTTP against a running ``smptrack serve``: a stalled mail server cannot tell a
registered address from an unknown one, reset tokens never reach the access log, and a refused
access to another tenant's record is audited by the server itself.
"""

from __future__ import annotations

import re
import socket
import statistics
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import AccountMail, AuditEvent
from tests.conftest import PASSWORD, make_client, make_user, sent_messages
from tests.live import Browser, LiveServer, running_servers
from tests.outbox import send_account_mail

ROUNDS = 15  # requests per address in the timing comparison
NO_THROTTLE = {
    # The throttle is tested on its own; here it must not turn the later requests into 429s.
    "SMPTRACK_THROTTLE_RESET_ADDRESS_LIMIT": "0",
    "SMPTRACK_THROTTLE_RESET_EMAIL_LIMIT": "0",
}


@pytest.fixture
def stalled_smtp() -> Iterator[int]:
    """A port that takes TCP connections (the kernel's backlog) and never says a word: an SMTP
    client that waits for its greeting waits for its whole timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        yield listener.getsockname()[1]


def timed_reset(server: LiveServer, email: str) -> float:
    browser = Browser(server)
    token = browser.csrf_token("/auth/reset")
    body = urllib.parse.urlencode({"csrf_token": token, "email": email}).encode()
    started = time.perf_counter()
    answer = browser.request(
        "POST",
        "/auth/reset",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    elapsed = time.perf_counter() - started
    assert answer.status == 302, answer.text[:300]
    return elapsed


def test_with_a_stalled_mail_server_a_known_address_resets_as_fast_as_an_unknown_one(
    app: Flask, database_url: str, tmp_path: Path, stalled_smtp: int
) -> None:
    make_user("client", "rae@example.com", "Rae Client")
    db.session.commit()
    env = {
        "SMPTRACK_SMTP_HOST": "127.0.0.1",
        "SMPTRACK_SMTP_PORT": str(stalled_smtp),
        "SMPTRACK_SMTP_STARTTLS": "false",
        "SMPTRACK_SMTP_TIMEOUT_SECONDS": "5",
        **NO_THROTTLE,
    }
    with running_servers(database_url, tmp_path, **env) as [server]:
        timed_reset(server, "warm-up@example.com")
        known, unknown = [], []
        for _ in range(ROUNDS):  # interleaved, so a slow moment hits both alike
            known.append(timed_reset(server, "rae@example.com"))
            unknown.append(timed_reset(server, "nobody@example.com"))

    difference = abs(statistics.median(known) - statistics.median(unknown))
    assert difference < 0.050, f"medians known {known}, unknown {unknown}"
    db.session.expire_all()
    queued = db.session.scalars(sa.select(AccountMail.recipient)).all()
    assert queued == ["rae@example.com"] * ROUNDS, "each known request queued its mail"


def test_the_server_log_never_holds_a_reset_token(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    make_user("client", "rae@example.com", "Rae Client")
    db.session.commit()
    with running_servers(database_url, tmp_path, **NO_THROTTLE) as [server]:
        browser = Browser(server)
        asked = browser.post_form("/auth/reset", {"email": "rae@example.com"})
        assert asked.status == 302
        send_account_mail(app)
        [message] = sent_messages(app)
        text = message.get_body(preferencelist=("plain",)).get_content()
        [link] = re.findall(r"https?://\S+", text)
        path = urllib.parse.urlsplit(link).path
        token = path.rsplit("/", 1)[1]
        assert len(token) > 20

        opened = browser.get(path)
        assert opened.status == 303
        assert urllib.parse.urlsplit(opened.header("Location")).path == "/auth/reset/new"
        assert token not in opened.header("Location")
        form = browser.get("/auth/reset/new")
        assert form.status == 200 and 'name="password"' in form.text
        changed = browser.post_form(
            "/auth/reset/new",
            {"password": "a brand new passphrase", "confirm": "a brand new passphrase"},
        )
        assert changed.status == 302
        time.sleep(0.2)  # the last access line reaches the log file
        log = server.log()

    assert "/auth/reset/new" in log, "the access log was written"
    assert "/auth/reset/[redacted]" in log
    assert token not in log
    assert token[:16] not in log


def test_the_server_audits_a_refused_read_of_another_practices_client(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    p = make_user("practitioner", "pat@example.com", "Pat Practitioner")
    q = make_user("practitioner", "quinn@example.org", "Quinn Practitioner")
    ada = make_client(p, "Ada Client")
    db.session.commit()
    with running_servers(database_url, tmp_path) as [server]:
        browser = Browser(server)
        assert browser.log_in(q.email, PASSWORD).status == 302
        refused = browser.get(f"/clients/{ada.id}")
        missing = browser.get(f"/clients/{ada.id + 1000}")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            db.session.expire_all()
            rows = db.session.scalars(
                sa.select(AuditEvent).where(AuditEvent.action == "denied")
            ).all()
            if rows:
                break
            time.sleep(0.1)

    assert refused.status == missing.status == 404
    assert "Ada Client" not in refused.text
    [denial] = rows
    assert (denial.actor_id, denial.object_type, denial.object_id) == (q.id, "client", ada.id)
    assert denial.remote_addr == "127.0.0.1"
