"""Size limits before parsing (issue 8, item 5), black-box over HTTP against a real server.

A 40 MB anonymous POST is answered 413 after the first 64 KiB, before the client has sent the
rest, and the server's memory stays near its idle size while the rest arrives; so does a chunked
body with no Content-Length. Too many form fields are 413 too, an oversized API body is 413 in
the API's error shape, and the ordinary forms of a logged-in user still work.

The 40 MB are streamed from one 64 KiB buffer; the test never holds them.
"""

from __future__ import annotations

import http.client
import json
import socket
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import Client
from tests.conftest import PASSWORD, make_user
from tests.live import Browser, LiveServer, running_servers

MIB = 1024 * 1024
HUGE_BYTES = 40 * MIB
CHUNK = b"x" * (64 * 1024)
MEMORY_GROWTH_LIMIT_KIB = 30 * 1024
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_servers(database_url, tmp_path_factory.mktemp("limits")) as servers:
        yield servers[0]


@pytest.fixture
def practitioner(app: Flask) -> str:
    user = make_user("practitioner", "limits-p@practice.test", "Lim Practitioner")
    db.session.commit()
    return user.email


def logged_in(server: LiveServer, email: str) -> Browser:
    browser = Browser(server)
    assert browser.log_in(email, PASSWORD).status == 302
    return browser


def cookie_header(browser: Browser) -> str:
    return "; ".join(f"{name}={value}" for name, value in browser.cookies().items())


# --- the server process's memory -----------------------------------------------------------


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak since start or since ``reset_peak``), in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def reset_peak(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux: ``5`` into clear_refs); False where refused."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class MemoryWatch:
    """The server's memory before and after something, warm (its pages imported and cached)."""

    def __init__(self, server: LiveServer) -> None:
        self.pid = server.process.pid
        for _ in range(3):
            Browser(server).get("/auth/login")
        self.before = memory_kib(self.pid)
        self.peak_was_reset = reset_peak(self.pid)

    def assert_stayed_near_idle(self) -> None:
        after = memory_kib(self.pid)
        grown = after["VmRSS"] - self.before["VmRSS"]
        assert grown < MEMORY_GROWTH_LIMIT_KIB, (self.before, after)
        if self.peak_was_reset:
            peak = after["VmHWM"] - self.before["VmRSS"]
            assert peak < MEMORY_GROWTH_LIMIT_KIB, (self.before, after)


# --- raw HTTP: headers first, the body in pieces ------------------------------------------


def connect(server: LiveServer) -> socket.socket:
    host, port = urllib.parse.urlsplit(server.base_url).netloc.split(":")
    return socket.create_connection((host, int(port)), timeout=30)


def send_head(sock: socket.socket, path: str, headers: dict[str, str]) -> None:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    response = http.client.HTTPResponse(sock)
    try:
        response.begin()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        response.close()  # its file object, so that closing the socket really closes it


def send_quietly(sock: socket.socket, data: bytes) -> bool:
    """Send, or False once the server has closed its end (it has answered and stopped reading)."""
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        return False
    return True


def finish(sock: socket.socket) -> None:
    """Wait until the server closes the connection: it is done with this request."""
    try:
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(65536):
            pass
    except OSError:
        pass
    finally:
        sock.close()


def stream_fixed_length(sock: socket.socket, total: int, already_sent: int) -> None:
    sent = already_sent
    while sent < total:
        piece = CHUNK[: min(len(CHUNK), total - sent)]
        if not send_quietly(sock, piece):
            return
        sent += len(piece)


def chunked(piece: bytes) -> bytes:
    return f"{len(piece):x}\r\n".encode() + piece + b"\r\n"


# --- 40 MB anonymous -------------------------------------------------------------------------


def test_a_40_mb_anonymous_post_is_refused_before_its_body_is_read(
    app: Flask, server: LiveServer
) -> None:
    watch = MemoryWatch(server)
    sock = connect(server)
    send_head(sock, "/auth/login", {"Content-Type": FORM, "Content-Length": str(HUGE_BYTES)})
    start = b"email=a%40b.test&password="
    sock.sendall(start + CHUNK)

    # Answered while 40 MB minus 64 KiB are still to come: the server did not wait for them.
    status, headers, body = read_answer(sock)
    stream_fixed_length(sock, HUGE_BYTES, len(start) + len(CHUNK))
    finish(sock)

    assert status == 413
    assert b"too large" in body
    assert headers["connection"] == "close"
    assert "no-store" in headers["cache-control"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    watch.assert_stayed_near_idle()
    assert Browser(server).get("/auth/login").status == 200  # and it serves on


def test_a_40_mb_chunked_anonymous_post_is_cut_off_at_the_limit(
    app: Flask, server: LiveServer
) -> None:
    watch = MemoryWatch(server)
    sock = connect(server)
    send_head(sock, "/auth/login", {"Content-Type": FORM, "Transfer-Encoding": "chunked"})
    sent = 0
    for _ in range(2):  # 128 KiB, twice the anonymous limit
        sock.sendall(chunked(CHUNK))
        sent += len(CHUNK)

    status, headers, body = read_answer(sock)
    while sent < HUGE_BYTES and send_quietly(sock, chunked(CHUNK)):
        sent += len(CHUNK)
    send_quietly(sock, b"0\r\n\r\n")
    finish(sock)

    assert status == 413
    assert b"too large" in body
    assert "no-store" in headers["cache-control"]
    watch.assert_stayed_near_idle()


def test_a_logged_in_post_has_a_larger_limit_that_also_holds(
    server: LiveServer, practitioner: str
) -> None:
    browser = logged_in(server, practitioner)
    sock = connect(server)
    headers = {
        "Content-Type": FORM,
        "Content-Length": str(2 * MIB),
        "Cookie": cookie_header(browser),
    }
    send_head(sock, "/clients/new", headers)
    sock.sendall(CHUNK)

    status, _, body = read_answer(sock)
    finish(sock)

    assert status == 413
    assert b"1024 KiB" in body


# --- too many fields -------------------------------------------------------------------------


def form_of(count: int) -> bytes:
    return "&".join(f"field{i}=1" for i in range(count)).encode()


def multipart_of(count: int) -> tuple[bytes, str]:
    boundary = "limits-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="field{i}"\r\n\r\n1\r\n'
        for i in range(count)
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode(), boundary


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_an_anonymous_form_with_too_many_fields_is_refused(
    app: Flask, server: LiveServer, encoding: str
) -> None:
    browser = Browser(server)
    if encoding == "urlencoded":
        few, many = form_of(20), form_of(200)
        content_type = FORM
    else:
        (few, boundary), (many, _) = multipart_of(20), multipart_of(200)
        content_type = f"multipart/form-data; boundary={boundary}"
    headers = {"Content-Type": content_type}

    within = browser.request("POST", "/auth/login", data=few, headers=headers)
    beyond = browser.request("POST", "/auth/login", data=many, headers=headers)

    assert within.status == 400  # read, and refused for its missing CSRF token
    assert beyond.status == 413
    assert "too large" in beyond.text


def test_a_logged_in_form_with_too_many_fields_is_refused(
    server: LiveServer, practitioner: str
) -> None:
    browser = logged_in(server, practitioner)
    headers = {"Content-Type": FORM}

    within = browser.request("POST", "/clients/new", data=form_of(200), headers=headers)
    beyond = browser.request("POST", "/clients/new", data=form_of(2_000), headers=headers)

    assert within.status == 400  # a form's worth of fields is read (and fails its CSRF check)
    assert beyond.status == 413


# --- the API ---------------------------------------------------------------------------------


def api_error(answer) -> dict:
    assert answer.header("Content-Type") == "application/json", answer.headers
    return json.loads(answer.body)["error"]


def test_an_oversized_api_body_is_413_in_the_api_error_shape(
    server: LiveServer, practitioner: str
) -> None:
    browser = Browser(server)
    token_answer = browser.post_json(
        "/api/v1/tokens", {"email": practitioner, "password": PASSWORD}
    )
    assert token_answer.status == 201
    bearer = {"Authorization": f"Bearer {json.loads(token_answer.body)['token']}"}
    json_headers = {"Content-Type": "application/json"}
    padded_100_kib = json.dumps({"display_name": "x" * 100_000}).encode()
    padded_2_mib = json.dumps({"display_name": "x" * (2 * MIB)}).encode()

    anonymous = browser.request("POST", "/api/v1/tokens", data=padded_100_kib, headers=json_headers)
    too_large = browser.request(
        "POST", "/api/v1/clients", data=padded_2_mib, headers={**json_headers, **bearer}
    )
    within = browser.request(
        "POST", "/api/v1/clients", data=padded_100_kib, headers={**json_headers, **bearer}
    )

    for answer in (anonymous, too_large):
        assert answer.status == 413
        error = api_error(answer)
        assert error["code"] == "payload_too_large"
        assert "too large" in error["message"]
        assert "no-store" in (answer.header("Cache-Control") or "")
    assert within.status == 422  # read and validated: the name is too long, not the body
    assert set(api_error(within)["fields"]) == {"display_name"}


def test_a_chunked_anonymous_api_body_is_cut_off_at_the_limit(
    app: Flask, server: LiveServer
) -> None:
    sock = connect(server)
    send_head(
        sock,
        "/api/v1/tokens",
        {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
    )
    sock.sendall(chunked(b'{"email": "') + chunked(CHUNK) + chunked(CHUNK))

    status, headers, body = read_answer(sock)
    finish(sock)

    assert status == 413
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "payload_too_large"


# --- what must keep working ------------------------------------------------------------------


def test_a_logged_in_user_still_adds_a_client_through_the_form(
    app: Flask, server: LiveServer, practitioner: str
) -> None:
    browser = logged_in(server, practitioner)

    answer = browser.post_form(
        "/clients/new",
        {
            "display_name": "Form Still Works",
            "email": "still-works@clients.test",
            "time_zone": "Europe/London",
            "notes": "n" * 4_000,
        },
    )

    assert answer.status == 302, answer.text[:500]
    db.session.rollback()  # read what the server committed
    name = db.session.scalar(
        sa.select(Client.display_name).where(Client.email == "still-works@clients.test")
    )
    assert name == "Form Still Works"
