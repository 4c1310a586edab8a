"""Security headers on every answer (issue 8, item 4), black-box over HTTP against a real server:
pages anonymous and logged in, API answers, error pages (404, 405, 413, a stale form); HSTS and
Secure cookies only when the operator turns secure cookies on; a CSRF token that expires.
"""

from __future__ import annotations

import http.client
import json
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from itsdangerous import TimestampSigner

from smptrack.app import create_app
from smptrack.extensions import db
from tests.conftest import PASSWORD, OwnContextClient, base_config, make_client, make_user
from tests.live import CSRF_PATTERN, Answer, Browser, LiveServer, running_servers

REPO_ROOT = Path(__file__).resolve().parent.parent

# --- servers ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_servers(database_url, tmp_path_factory.mktemp("headers")) as servers:
        yield servers[0]


@pytest.fixture(scope="module")
def secure_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("headers-secure")
    with running_servers(database_url, workdir, SMPTRACK_SESSION_COOKIE_SECURE="true") as servers:
        yield servers[0]


@pytest.fixture
def practitioner(app: Flask) -> str:
    """A practitioner with one client, committed so the server sees them; returns the email."""
    user = make_user("practitioner", "headers-p@practice.test", "Hedda Practitioner")
    make_client(user, "Client With Data", email="client-with-data@clients.test")
    db.session.commit()
    return user.email


# --- what every answer must carry ------------------------------------------------------------


def csp_directives(answer: Answer) -> dict[str, list[str]]:
    policy = answer.header("Content-Security-Policy")
    assert policy, f"no Content-Security-Policy on {answer.status}"
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *values = part.split()
        directives[name.lower()] = values
    return directives


def assert_security_headers(answer: Answer, *, cacheable: bool = False) -> None:
    csp = csp_directives(answer)
    script_src = csp.get("script-src", csp.get("default-src"))
    assert script_src == ["'self'"], csp
    assert "'unsafe-inline'" not in " ".join(csp.get("style-src", [])), csp
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert answer.header("X-Content-Type-Options") == "nosniff"
    assert answer.header("X-Frame-Options") == "DENY"
    assert answer.header("Referrer-Policy") in {"same-origin", "strict-origin", "no-referrer"}
    cache_control = answer.header("Cache-Control") or ""
    if cacheable:
        assert "no-store" not in cache_control
    else:
        assert "no-store" in cache_control, cache_control


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/auth/login", 200),
        ("/auth/signup", 200),
        ("/auth/reset", 200),
        ("/", 200),
        ("/healthz", 503),  # no scheduler runs beside this server
        ("/no-such-page", 404),
        ("/clients/", 302),  # to the login form
        ("/auth/logout", 405),  # POST only
    ],
)
def test_every_anonymous_answer_carries_the_security_headers(
    app: Flask, server: LiveServer, path: str, status: int
) -> None:
    answer = Browser(server).get(path)

    assert answer.status == status
    assert_security_headers(answer)
    assert answer.header("Strict-Transport-Security") is None  # plain HTTP, the laptop default


@pytest.mark.parametrize("path", ["/clients/", "/due", "/account", "/pigments/"])
def test_a_logged_in_page_with_client_data_is_never_stored(
    server: LiveServer, practitioner: str, path: str
) -> None:
    browser = Browser(server)
    assert browser.log_in(practitioner, PASSWORD).status == 302
    answer = browser.get(path)

    assert answer.status == 200, answer.text[:500]
    if path == "/clients/":
        assert "Client With Data" in answer.text
    assert_security_headers(answer)


def test_api_answers_carry_the_security_headers(server: LiveServer, practitioner: str) -> None:
    browser = Browser(server)
    token_answer = browser.post_json(
        "/api/v1/tokens", {"email": practitioner, "password": PASSWORD}
    )
    assert token_answer.status == 201, token_answer.text
    assert_security_headers(token_answer)  # the answer holds a bearer secret
    token = json.loads(token_answer.body)["token"]

    clients = browser.get("/api/v1/clients", headers={"Authorization": f"Bearer {token}"})
    missing = browser.get("/api/v1/clients/999999", headers={"Authorization": f"Bearer {token}"})
    anonymous = browser.get("/api/v1/clients")
    wrong_method = browser.request("DELETE", "/api/v1/tokens")

    assert clients.status == 200 and b"Client With Data" in clients.body
    assert (missing.status, anonymous.status, wrong_method.status) == (404, 401, 405)
    for answer in (clients, missing, anonymous, wrong_method):
        assert_security_headers(answer)


def test_static_files_and_the_openapi_document_may_be_cached(
    app: Flask, server: LiveServer
) -> None:
    browser = Browser(server)
    style = browser.get("/static/style.css")
    document = browser.get("/api/v1/openapi.json")

    assert (style.status, document.status) == (200, 200)
    assert_security_headers(style, cacheable=True)
    assert_security_headers(document, cacheable=True)


def test_error_pages_carry_the_security_headers(app: Flask, server: LiveServer) -> None:
    browser = Browser(server)
    form = {"email": "nobody@example.test", "password": "x" * 200, "padding": "y" * 100_000}
    too_large = browser.post_form("/auth/login", form)
    stale_form = browser.request(
        "POST",
        "/auth/login",
        data=b"csrf_token=forged&email=a%40b.test&password=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    api_too_large = browser.request(
        "POST",
        "/api/v1/tokens",
        data=b'{"email": "' + b"x" * 100_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )

    assert too_large.status == 413 and "too large" in too_large.text
    assert stale_form.status == 400 and "nothing was saved" in stale_form.text
    assert api_too_large.status == 413
    for answer in (too_large, stale_form, api_too_large):
        assert_security_headers(answer)


def test_a_page_reached_by_an_emailed_link_sends_no_token_in_the_referer(
    app: Flask, server: LiveServer
) -> None:
    answer = Browser(server).get("/reminders/unsubscribe/not-a-real-token")

    assert answer.header("Referrer-Policy") in {"strict-origin", "no-referrer"}
    assert_security_headers(answer)


# --- HSTS and Secure cookies, when the operator says the site is HTTPS -------------------------


def raw_request(
    server: LiveServer, method: str, path: str, body: bytes | None = None, **headers: str
) -> tuple[int, list[tuple[str, str]], bytes]:
    """One request with every header line kept (several Set-Cookie lines included)."""
    host, port = urllib.parse.urlsplit(server.base_url).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def set_cookies(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Set-Cookie lines by cookie name."""
    return {
        value.split("=", 1)[0]: value for name, value in headers if name.lower() == "set-cookie"
    }


def test_hsts_and_secure_cookies_come_with_secure_cookies_on(
    secure_server: LiveServer, practitioner: str
) -> None:
    status, headers, body = raw_request(secure_server, "GET", "/auth/login")
    assert status == 200
    hsts = dict((k.lower(), v) for k, v in headers)["strict-transport-security"]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))  # type: ignore[union-attr]
    assert max_age >= 180 * 24 * 3600

    # Log in over plain HTTP by hand: a browser would not send a Secure cookie back here.
    session_cookie = set_cookies(headers)["session"].split(";", 1)[0]
    csrf = CSRF_PATTERN.search(body.decode()).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": csrf, "email": practitioner, "password": PASSWORD, "remember": "y"}
    status, headers, _ = raw_request(
        secure_server,
        "POST",
        "/auth/login",
        urllib.parse.urlencode(form).encode(),
        **{"Content-Type": "application/x-www-form-urlencoded", "Cookie": session_cookie},
    )

    assert status == 302
    cookies = set_cookies(headers)
    assert "remember_token" in cookies, cookies
    for line in cookies.values():
        attributes = [part.strip().lower() for part in line.split(";")[1:]]
        assert "secure" in attributes, line
        assert "httponly" in attributes, line


@pytest.mark.parametrize("secure", [True, False])
def test_the_remember_cookie_is_secure_exactly_when_the_session_cookie_is(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secure: bool
) -> None:
    monkeypatch.setenv("SMPTRACK_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("SMPTRACK_SESSION_COOKIE_SECURE", "true" if secure else "false")
    config = base_config(database_url, tmp_path)

    app = create_app(config)

    assert app.config["SESSION_COOKIE_SECURE"] is secure
    assert app.config["REMEMBER_COOKIE_SECURE"] is secure


# --- the CSRF token's lifetime -------------------------------------------------------------


def test_a_form_left_open_past_the_csrf_lifetime_answers_400_with_a_way_back(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    app.test_client_class = OwnContextClient
    user = make_user("practitioner", "stale@practice.test")
    db.session.commit()
    lifetime = app.config["WTF_CSRF_TIME_LIMIT"]
    assert lifetime and lifetime <= 24 * 3600
    browser = app.test_client()
    real_timestamp = TimestampSigner.get_timestamp
    with monkeypatch.context() as m:  # the form was rendered a second past its lifetime ago
        m.setattr(
            TimestampSigner, "get_timestamp", lambda self: real_timestamp(self) - lifetime - 1
        )
        stale = CSRF_PATTERN.search(browser.get("/auth/login").get_data(as_text=True)).group(1)
    fresh = CSRF_PATTERN.search(browser.get("/auth/login").get_data(as_text=True)).group(1)
    login = {"email": user.email, "password": PASSWORD}

    expired = browser.post("/auth/login", data={"csrf_token": stale, **login})
    accepted = browser.post("/auth/login", data={"csrf_token": fresh, **login})

    assert expired.status_code == 400
    page = expired.get_data(as_text=True)
    assert "has expired" in page and "nothing was saved" in page
    assert 'href="/auth/login"' in page  # "Reload the form"
    assert accepted.status_code == 302


# --- templates: nothing inline that the policy would block ----------------------------------

PAGE_TEMPLATES = sorted(
    path
    for path in (REPO_ROOT / "templates").rglob("*.html")
    if "emails" not in path.relative_to(REPO_ROOT / "templates").parts
)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER_ATTRIBUTE = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
SCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def test_the_page_templates_are_found() -> None:
    names = {path.name for path in PAGE_TEMPLATES}
    assert {"base.html", "fade_chart.html", "error.html"} <= names


@pytest.mark.parametrize(
    "template", PAGE_TEMPLATES, ids=lambda p: str(p.relative_to(REPO_ROOT / "templates"))
)
def test_no_page_template_has_inline_script_or_style(template: Path) -> None:
    text = template.read_text()

    assert not [m for m in INLINE_SCRIPT.findall(text) if "nonce=" not in m]
    assert not HANDLER_ATTRIBUTE.search(text)
    assert not STYLE.search(text)
    assert not SCRIPT_URL.search(text)


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<button onclick="go()">',
        '<span style="color: red">',
        "<style>p {}</style>",
        '<a href="javascript:go()">',
    ],
)
def test_the_template_scan_would_see_inline_code(snippet: str) -> None:
    assert (
        INLINE_SCRIPT.search(snippet)
        or HANDLER_ATTRIBUTE.search(snippet)
        or STYLE.search(snippet)
        or SCRIPT_URL.search(snippet)
    )
