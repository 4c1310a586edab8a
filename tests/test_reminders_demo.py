"""``smptrack serve --demo`` as a newcomer runs it: within a minute the mail folder holds the demo
clients' due reminders, sent by the scheduler inside ``serve``; ``--no-scheduler`` sends none."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from smptrack.services import demo
from tests.smtp_server import free_port

pytestmark = pytest.mark.slow


def _serve(instance: Path, port: int, *extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMPTRACK_")}
    env["SMPTRACK_INSTANCE_PATH"] = str(instance)
    return subprocess.Popen(
        [sys.executable, "-m", "smptrack.cli", "serve", "--demo", "--port", str(port), *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - local http
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _wait_for_server(process: subprocess.Popen, base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited early:\n{process.stdout.read()}")
        try:
            urllib.request.urlopen(base + "/auth/login", timeout=2).close()  # noqa: S310
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail("serve did not answer within 60 s")


def test_the_demo_fills_the_mail_folder_within_a_minute(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    port = free_port()
    started = time.monotonic()
    process = _serve(instance, port)
    try:
        _wait_for_server(process, f"http://127.0.0.1:{port}")
        folder = instance / "mail"
        while time.monotonic() - started < 60 and len(list(folder.glob("*.eml"))) < 3:
            time.sleep(0.5)
        files = sorted(folder.glob("*.eml"))
        status, health = _get_json(f"http://127.0.0.1:{port}/healthz")
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert process.returncode in (0, -15), output
    assert len(files) >= 3, f"only {len(files)} emails after a minute:\n{output}"
    parser = BytesParser(policy=policy.default)
    messages = [parser.parsebytes(path.read_bytes()) for path in files]
    demo_addresses = {email for _, email, *_ in demo.DEMO_CLIENTS if email}
    for message in messages:
        assert message["To"].addresses[0].addr_spec in demo_addresses
        assert str(message["List-Unsubscribe"]).startswith(f"<http://127.0.0.1:{port}/reminders/")
        assert message.get_body(("plain",)) is not None
    assert status == 200 and health["scheduler"]["ok"] is True, health


def test_serve_with_no_scheduler_sends_nothing_and_healthz_says_so(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    port = free_port()
    process = _serve(instance, port, "--no-scheduler")
    try:
        _wait_for_server(process, f"http://127.0.0.1:{port}")
        time.sleep(3)
        status, health = _get_json(f"http://127.0.0.1:{port}/healthz")
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert list((instance / "mail").glob("*.eml")) == [], output
    assert status == 503 and health["scheduler"]["ok"] is False
    assert "never run" in health["scheduler"]["problem"]
