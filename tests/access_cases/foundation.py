"""Foundation routes: home, accounts, the client list and record, account, admin (the API's
rows are in api.py).

Placeholders: {a} and {b} are client A's and B's records; {token_a} is an API token of A's.
"""

from __future__ import annotations

from tests.access_cases import ANY_REDIRECT, Case, everyone, signed_in

CASES = [
    Case("GET", "/", "/", everyone(ANY_REDIRECT, anonymous=200)),
    # A member's home: the front desk gets it too, without the clinical blocks.
    Case(
        "GET",
        "/home",
        "/home",
        signed_in(403, practitioner_p=200, practitioner_q=200, front_desk_p=200),
        hides={"front_desk_p": ("Due for a touch-up", "Reminders that failed")},
    ),
    Case("GET", "/auth/signup", "/auth/signup", everyone(ANY_REDIRECT, anonymous=200)),
    Case("POST", "/auth/signup", "/auth/signup", everyone(ANY_REDIRECT, anonymous=422)),
    Case("GET", "/auth/login", "/auth/login", everyone(ANY_REDIRECT, anonymous=200)),
    Case("POST", "/auth/login", "/auth/login", everyone(ANY_REDIRECT, anonymous=422)),
    Case("POST", "/auth/logout", "/auth/logout", signed_in(ANY_REDIRECT)),
    Case("GET", "/auth/reset", "/auth/reset", everyone(200)),
    Case("POST", "/auth/reset", "/auth/reset", everyone(422)),
    Case("GET", "/auth/reset/<token>", "/auth/reset/not-a-token", everyone(ANY_REDIRECT)),
    Case("POST", "/auth/reset/<token>", "/auth/reset/not-a-token", everyone(ANY_REDIRECT)),
    Case("GET", "/auth/invite/<token>", "/auth/invite/not-a-token", everyone(404)),
    Case("POST", "/auth/invite/<token>", "/auth/invite/not-a-token", everyone(404)),
    # The token-less pages the links lead to: without a token in the session, nothing to show.
    Case("GET", "/auth/reset/new", "/auth/reset/new", everyone(ANY_REDIRECT)),
    Case("POST", "/auth/reset/new", "/auth/reset/new", everyone(ANY_REDIRECT)),
    Case("GET", "/auth/invite/accept", "/auth/invite/accept", everyone(404)),
    Case("POST", "/auth/invite/accept", "/auth/invite/accept", everyone(404)),
    Case(
        "GET",
        "/clients/",
        "/clients/",
        signed_in(403, practitioner_p=200, practitioner_q=200),
        shows={"practitioner_p": ("Ada Client",), "practitioner_q": ("Bea Client",)},
        hides={"practitioner_p": ("Bea Client",), "practitioner_q": ("Ada Client",)},
    ),
    Case(
        "GET",
        "/clients/new",
        "/clients/new",
        signed_in(403, practitioner_p=200, practitioner_q=200),
    ),
    Case(
        "POST",
        "/clients/new",
        "/clients/new",
        signed_in(403, practitioner_p=422, practitioner_q=422),
    ),
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
    Case("POST", "/account", "/account", signed_in(422)),  # an empty form: re-rendered
    Case(
        "POST",
        "/account/tokens/<int:token_id>/revoke",
        "/account/tokens/{token_a}/revoke",
        signed_in(404, client_a=ANY_REDIRECT),
    ),
    Case(
        "GET",
        "/account/tokens/<int:token_id>/revoke",
        "/account/tokens/{token_a}/revoke",
        signed_in(404, client_a=200),
    ),
    Case("POST", "/account/tokens", "/account/tokens", signed_in(422)),  # no name: re-rendered
    Case("POST", "/account/email", "/account/email", signed_in(422)),  # an empty form
    # A link nobody was sent: not found for everyone, logged in or not.
    Case("GET", "/account/email/confirm/<secret>", "/account/email/confirm/nope", everyone(404)),
    Case("POST", "/account/email/confirm/<secret>", "/account/email/confirm/nope", everyone(404)),
    Case("POST", "/account/password", "/account/password", signed_in(422)),
    Case("GET", "/account/sessions/end-others", "/account/sessions/end-others", signed_in(200)),
    Case(
        "POST",
        "/account/sessions/end-others",
        "/account/sessions/end-others",
        signed_in(ANY_REDIRECT),
    ),
    Case(
        "GET",
        "/admin/users",
        "/admin/users",
        signed_in(403, admin=200),
        shows={"admin": ("a@clients.test", "q@practice-q.test")},
    ),
]
