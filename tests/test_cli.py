"""The ``smptrack`` commands: create-user, and serve --demo end to end in a real process."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import Client, User
from smptrack.services import demo


def test_create_user_asks_for_the_password_and_stores_only_its_hash(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "--role", "practitioner", "--email", "New@Practice.test"],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "new@practice.test"))
    assert user is not None and user.role == "practitioner"
    assert "a long enough password" not in user.password_hash


def test_create_user_never_takes_the_password_as_an_argument(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["create-user", "--role", "admin", "--email", "x@y.test", "--password", "secret"]
    )
    assert result.exit_code == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


@pytest.mark.parametrize(
    ("email", "password", "says"),
    [
        ("not-an-email", "a long enough password", "email"),
        ("ok@clients.test", "short", "password"),
    ],
)
def test_create_user_refuses_bad_input_with_one_line_and_a_non_zero_exit(
    app: Flask, email: str, password: str, says: str
) -> None:
    result = app.test_cli_runner().invoke(
        args=["create-user", "--role", "client", "--email", email],
        input=f"{password}\n{password}\n",
    )
    assert result.exit_code == 1
    error_lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1 and says in error_lines[0]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_a_client_created_on_the_command_line_gets_their_own_record(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["create-user", "--role", "client", "--email", "solo@clients.test"],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "solo@clients.test"))
    record = db.session.scalar(sa.select(Client).where(Client.user_id == user.id))
    assert record is not None and record.practitioner_id is None


# --- smptrack serve --demo, as a newcomer runs it ------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """A cookie-keeping HTTP client that fills in the CSRF token like a browser would."""

    def __init__(self, base: str) -> None:
        self.base = base
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        _, page = self.get(path)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token, "every form carries a CSRF token"
        data = urllib.parse.urlencode({**fields, "csrf_token": token.group(1)}).encode()
        try:
            with self.opener.open(self.base + path, data=data, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


def _start_serve(instance: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMPTRACK_")}
    env["SMPTRACK_INSTANCE_PATH"] = str(instance)
    return subprocess.Popen(
        [sys.executable, "-m", "smptrack.cli", "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_until_up(process: subprocess.Popen, base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"smptrack serve exited early:\n{process.stdout.read()}")
        try:
            urllib.request.urlopen(base + "/auth/login", timeout=2).close()  # noqa: S310 - http
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail("smptrack serve did not answer within 60 s")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen]]:
    instance = tmp_path / "instance"
    port = _free_port()
    process = _start_serve(instance, port)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, base)
        yield base, instance, process
    finally:
        process.terminate()
        process.communicate(timeout=20)  # also closes the pipe


def test_serve_demo_lets_the_practitioner_see_the_demo_clients_and_the_client_only_themself(
    served: tuple[str, Path, subprocess.Popen],
) -> None:
    base, instance, _ = served
    assert (instance / "smptrack.db").exists(), "the embedded default is SQLite in the instance"

    practitioner = Browser(base)
    status, page = practitioner.post_form(
        "/auth/login",
        {"email": demo.PRACTITIONER_EMAIL, "password": demo.PRACTITIONER_PASSWORD},
    )
    assert status == 200
    for name, *_ in demo.DEMO_CLIENTS:
        assert name in page, f"{name} is missing from the demo practitioner's client list"
    client_ids = sorted({int(i) for i in re.findall(r'href="/clients/(\d+)"', page)})
    assert len(client_ids) == len(demo.DEMO_CLIENTS)

    client = Browser(base)
    status, home = client.post_form(
        "/auth/login", {"email": demo.CLIENT_EMAIL, "password": demo.CLIENT_PASSWORD}
    )
    assert status == 200
    assert "Daniel Okafor" in home
    others = [name for name, *_ in demo.DEMO_CLIENTS if name != "Daniel Okafor"]
    assert not any(name in home for name in others)
    seen = [client.get(f"/clients/{client_id}")[0] for client_id in client_ids]
    assert sorted(seen) == [200] + [404] * (len(client_ids) - 1)
    assert client.get("/clients/")[0] == 403


def test_serve_demo_twice_creates_the_demo_practice_once(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    outputs = []
    for _ in range(2):
        port = _free_port()
        process = _start_serve(instance, port)
        try:
            _wait_until_up(process, f"http://127.0.0.1:{port}")
        finally:
            process.terminate()
            outputs.append(process.communicate(timeout=20)[0])
    assert "Demo data created." in outputs[0]
    assert "Demo data already present." in outputs[1]
    for output in outputs:
        assert demo.PRACTITIONER_EMAIL in output and demo.CLIENT_PASSWORD in output
    engine = sa.create_engine(f"sqlite:///{instance / 'smptrack.db'}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM clients")).scalar() == len(
            demo.DEMO_CLIENTS
        )
        # The owner, the colleague, the front desk and the client: each once.
        assert conn.execute(sa.text("SELECT count(*) FROM users")).scalar() == 4
        assert conn.execute(sa.text("SELECT count(*) FROM practices")).scalar() == 1
    engine.dispose()
