"""Every route, for every persona: anonymous, client A, client B, practitioner P (A's),
practitioner Q (B's) and admin. Another tenant's record answers 404; anonymous is sent to log
in (pages) or gets 401 (API). A route added without a row here fails ``test_every_route_...``."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from flask import Flask

from smptrack.extensions import db
from smptrack.services import accounts
from tests.conftest import PERSONA_NAMES, Personas, log_in

LOGIN = "login"  # a redirect to the login page
ANY_REDIRECT = "redirect"


@dataclass(frozen=True)
class Case:
    method: str
    rule: str  # the url_map rule this case covers
    path: str  # with placeholders {a} (client A's record), {b}, {token_a} (A's API token id)
    expect: dict[str, int | str]  # persona -> status, LOGIN or ANY_REDIRECT
    body: dict = field(default_factory=dict)
    json: bool = False
    # For 200s: text that must and must not be on the page (proves whose data was shown).
    shows: dict[str, tuple[str, ...]] = field(default_factory=dict)
    hides: dict[str, tuple[str, ...]] = field(default_factory=dict)


def everyone(status: int | str, **overrides: int | str) -> dict[str, int | str]:
    table = dict.fromkeys(PERSONA_NAMES, status)
    table.update(overrides)
    return table


def signed_in(status: int | str, **overrides: int | str) -> dict[str, int | str]:
    return everyone(status, anonymous=LOGIN, **overrides)


def api(status: int, **overrides: int) -> dict[str, int | str]:
    return everyone(status, anonymous=401, **overrides)


CASES = [
    Case("GET", "/", "/", everyone(ANY_REDIRECT, anonymous=200)),
    Case("GET", "/auth/signup", "/auth/signup", everyone(ANY_REDIRECT, anonymous=200)),
    Case("POST", "/auth/signup", "/auth/signup", everyone(ANY_REDIRECT, anonymous=422)),
    Case("GET", "/auth/login", "/auth/login", everyone(ANY_REDIRECT, anonymous=200)),
    Case("POST", "/auth/login", "/auth/login", everyone(ANY_REDIRECT, anonymous=422)),
    Case("POST", "/auth/logout", "/auth/logout", signed_in(ANY_REDIRECT)),
    Case("GET", "/auth/reset", "/auth/reset", everyone(200)),
    Case("POST", "/auth/reset", "/auth/reset", everyone(200)),
    Case("GET", "/auth/reset/<token>", "/auth/reset/not-a-token", everyone(ANY_REDIRECT)),
    Case("POST", "/auth/reset/<token>", "/auth/reset/not-a-token", everyone(ANY_REDIRECT)),
    Case("GET", "/auth/invite/<token>", "/auth/invite/not-a-token", everyone(404)),
    Case("POST", "/auth/invite/<token>", "/auth/invite/not-a-token", everyone(404)),
    Case(
        "GET",
        "/clients/",
        "/clients/",
        signed_in(403, practitioner_p=200, practitioner_q=200),
        shows={"practitioner_p": ("Ada Client",), "practitioner_q": ("Bea Client",)},
        hides={"practitioner_p": ("Bea Client",), "practitioner_q": ("Ada Client",)},
    ),
    Case("GET", "/clients/new", "/clients/new", signed_in(403, practitioner_p=200, practitioner_q=200)),
    Case("POST", "/clients/new", "/clients/new", signed_in(403, practitioner_p=422, practitioner_q=422)),
    Case(
        "GET",
        "/clients/<int:client_id>",
        "/clients/{a}",
        signed_in(404, client_a=200, practitioner_p=200),
        shows={"client_a": ("Ada Client",), "practitioner_p": ("Ada Client",)},
    ),
    Case(
        "POST",
        "/clients/<int:client_id>/invite",
        "/clients/{b}/invite",
        signed_in(403, practitioner_p=404, practitioner_q=ANY_REDIRECT),
        body={"email": "bea.new@clients.test"},
    ),
    Case(
        "GET",
        "/me",
        "/me",
        signed_in(403, client_a=200, client_b=200),
        shows={"client_a": ("Ada Client",), "client_b": ("Bea Client",)},
        hides={"client_a": ("Bea Client",), "client_b": ("Ada Client",)},
    ),
    Case("GET", "/account", "/account", signed_in(200)),
    Case("POST", "/account", "/account", signed_in(200)),
    Case(
        "POST",
        "/account/tokens/<int:token_id>/revoke",
        "/account/tokens/{token_a}/revoke",
        signed_in(404, client_a=ANY_REDIRECT),
    ),
    Case(
        "GET",
        "/admin/users",
        "/admin/users",
        signed_in(403, admin=200),
        shows={"admin": ("a@clients.test", "q@practice-q.test")},
    ),
    Case("POST", "/api/v1/tokens", "/api/v1/tokens", everyone(401), json=True,
         body={"email": "nobody@clients.test", "password": "wrong password"}),
    Case("GET", "/api/v1/me", "/api/v1/me", api(200), json=True),
    Case(
        "GET",
        "/api/v1/clients",
        "/api/v1/clients",
        api(200),
        json=True,
        shows={"practitioner_p": ("Ada Client",), "practitioner_q": ("Bea Client",),
               "client_a": ("Ada Client",)},
        hides={"practitioner_p": ("Bea Client",), "practitioner_q": ("Ada Client",),
               "client_a": ("Bea Client",), "admin": ("Ada Client", "Bea Client")},
    ),
    Case("POST", "/api/v1/clients", "/api/v1/clients",
         api(403, practitioner_p=422, practitioner_q=422), json=True, body={}),
    Case(
        "GET",
        "/api/v1/clients/<int:client_id>",
        "/api/v1/clients/{a}",
        api(404, client_a=200, practitioner_p=200),
        json=True,
        shows={"client_a": ("Ada Client",), "practitioner_p": ("Ada Client",)},
    ),
]


def test_every_route_has_a_row_in_the_matrix(app: Flask) -> None:
    covered = {(case.method, case.rule) for case in CASES}
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - covered == set(), "add these routes to the access matrix"
    assert covered - routes == set(), "the matrix names routes that no longer exist"


@pytest.mark.parametrize("persona", PERSONA_NAMES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.rule}")
def test_route_answers_each_persona_as_the_policy_says(
    app: Flask, personas: Personas, case: Case, persona: str
) -> None:
    user = personas.by_name(persona)
    token_a = accounts.issue_api_token(
        personas.client_a, "matrix", now=_now(), max_age=_year()
    ).token.id
    bearer = None
    if case.json and user is not None:
        bearer = accounts.issue_api_token(user, "matrix", now=_now(), max_age=_year()).secret
    db.session.commit()
    path = case.path.format(a=personas.record_a.id, b=personas.record_b.id, token_a=token_a)

    test_client = log_in(app.test_client(), None if case.json else user)
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    if case.method == "GET":
        response = test_client.get(path, headers=headers)
    elif case.json:
        response = test_client.post(path, json=case.body, headers=headers)
    else:
        response = test_client.post(path, data=case.body, headers=headers)

    expected = case.expect[persona]
    body = response.get_data(as_text=True)
    if expected == LOGIN:
        assert response.status_code == 302, body[:300]
        assert "/auth/login" in response.headers["Location"]
    elif expected == ANY_REDIRECT:
        assert response.status_code in (302, 303), body[:300]
        assert "/auth/login?next" not in response.headers["Location"]
    else:
        assert response.status_code == expected, body[:300]
    if case.json:
        assert response.is_json, "the API answers JSON, errors included"
        if response.status_code >= 400:
            assert set(response.get_json()["error"]) == {"code", "message", "fields"}
    for text in case.shows.get(persona, ()):
        assert text in body
    for text in case.hides.get(persona, ()):
        assert text not in body
    if expected == 404:
        assert "Ada Client" not in body and "Bea Client" not in body


def _now():  # noqa: ANN202
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _year():  # noqa: ANN202
    from datetime import timedelta

    return timedelta(days=365)
