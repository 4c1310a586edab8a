"""Real smptrack server processes for black-box tests over HTTP.

``smptrack serve --no-scheduler`` runs in a subprocess on a free loopback port against the
session's test database (SQLite file or PostgreSQL), so a test talks to it exactly as a browser
or an attacker would: real sockets, real cookies, a real access log on the process's stderr.
Rows the test commits through the ``app`` fixture are visible to the server, and the ``app``
fixture empties the tables afterwards as for any other test.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.smtp_server import free_port

SECRET = "test-secret-key-not-for-production"


@dataclass
class LiveServer:
    base_url: str
    process: subprocess.Popen
    log_path: Path

    def url(self, path: str) -> str:
        return self.base_url + path

    def log(self) -> str:
        """Everything the server process has written (its access log included)."""
        return self.log_path.read_text(errors="replace")


def server_env(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMPTRACK_")}
    env.update(
        SMPTRACK_DATABASE_URL=database_url,
        SMPTRACK_SECRET_KEY=SECRET,
        SMPTRACK_INSTANCE_PATH=str(instance),
        SMPTRACK_MAIL_FOLDER=str(instance / "mail"),
    )
    env.update(extra)
    return env


def start_server(
    database_url: str, workdir: Path, name: str = "server", **extra_env: str
) -> LiveServer:
    """Start one server and wait until it answers; raises with its log if it does not."""
    port = free_port()
    instance = workdir / f"{name}-instance"
    instance.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"{name}.log"
    with log_path.open("ab") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "smptrack.cli", "serve", "--no-scheduler", "--port", str(port)],
            env=server_env(database_url, instance, **extra_env),
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(server.url("/auth/login"), timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"server did not answer within 60 s:\n{server.log()}")


def stop_server(server: LiveServer) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=5)


@contextmanager
def running_servers(
    database_url: str, workdir: Path, count: int = 1, **extra_env: str
) -> Iterator[list[LiveServer]]:
    """``count`` server processes on one database, started one after the other (each applies
    the migrations at start, which must not race), stopped by their own PID afterwards."""
    servers: list[LiveServer] = []
    try:
        for index in range(count):
            servers.append(start_server(database_url, workdir, f"server{index}", **extra_env))
        yield servers
    finally:
        for server in servers:
            stop_server(server)


# --- a small browser-like HTTP client ----------------------------------------------------

CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a test reads the 302 itself
        return None


@dataclass
class Browser:
    """Cookies kept between requests, redirects not followed, CSRF tokens read off forms."""

    server: LiveServer
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def __post_init__(self) -> None:
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(
        self,
        method: str,
        path: str,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30,
    ) -> Answer:
        req = urllib.request.Request(  # noqa: S310 - loopback only
            self.server.url(path), data=data, method=method, headers=dict(headers or {})
        )
        try:
            with self._opener.open(req, timeout=timeout) as answer:
                return Answer(answer.status, dict(answer.headers), answer.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read())

    def get(self, path: str, **kwargs) -> Answer:
        return self.request("GET", path, **kwargs)

    def csrf_token(self, path: str) -> str:
        page = self.get(path)
        match = CSRF_PATTERN.search(page.text)
        if match is None:
            raise AssertionError(f"no CSRF token on {path} ({page.status})")
        return match.group(1)

    def post_form(
        self, path: str, fields: Mapping[str, str], form_path: str | None = None
    ) -> Answer:
        """POST ``fields`` with the CSRF token of the form at ``form_path`` (default: ``path``)."""
        values = {"csrf_token": self.csrf_token(form_path or path), **fields}
        body = urllib.parse.urlencode(values).encode()
        return self.request(
            "POST", path, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )

    def post_json(self, path: str, payload: object, token: str | None = None) -> Answer:
        import json

        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.request("POST", path, data=json.dumps(payload).encode(), headers=headers)

    def log_in(self, email: str, password: str, remember: bool = False) -> Answer:
        fields = {"email": email, "password": password}
        if remember:
            fields["remember"] = "y"
        return self.post_form("/auth/login", fields)

    def cookies(self) -> dict[str, str]:
        return {cookie.name: cookie.value for cookie in self.jar}
