"""Throttling of logins, API tokens, password reset and sign-up (issue 8 item 2).

First the rule itself, with an explicit clock; then the pages and the API through the test
client; then black-box over HTTP: 120 wrong passwords for one account from rotating addresses,
alternating between two server processes on one database.
"""

from __future__ import annotations

import contextlib
import json
import time
import urllib.parse
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import ThrottleCounter, User
from smptrack.services import throttle
from smptrack.services.throttle import Rule, Throttled
from tests.conftest import PASSWORD, OwnContextClient, make_user
from tests.live import Browser, running_servers

WINDOW = 900
RULE = Rule(throttle.LOGIN_ACCOUNT, limit=5, window_seconds=WINDOW, lockout_seconds=60,
            max_lockout_seconds=900)  # fmt: skip


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


def committed(statement: sa.Executable) -> list[sa.Row]:
    with db.engine.connect() as connection:
        return list(connection.execute(statement))


def attempt(key: str, now: datetime, rule: Rule = RULE) -> int | None:
    """One attempt: None when counted, else the Retry-After seconds of the refusal."""
    try:
        throttle.count_attempt(rule, key, now)
    except Throttled as exc:
        return exc.retry_after
    finally:
        db.session.commit()
    return None


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)


# --- the rule, with an explicit clock ------------------------------------------------------


def test_it_counts_the_limit_then_refuses_with_the_time_left(app: Flask, now: datetime) -> None:
    assert [attempt("pat@example.com", now + seconds(i)) for i in range(5)] == [None] * 5

    assert attempt("pat@example.com", now + seconds(5)) == 60
    assert attempt("pat@example.com", now + seconds(35)) == 30
    assert attempt("someone-else@example.com", now + seconds(35)) is None


def test_the_lockout_ends_on_time_and_refused_attempts_do_not_extend_it(
    app: Flask, now: datetime
) -> None:
    for i in range(6):
        attempt("pat@example.com", now + seconds(i))  # the 6th locks until now + 65 s
    for i in range(50):  # hammering the locked account changes nothing
        assert attempt("pat@example.com", now + seconds(6 + i)) is not None

    assert attempt("pat@example.com", now + seconds(64)) == 1
    assert attempt("pat@example.com", now + seconds(65)) is None


def test_lockouts_in_a_row_double_up_to_the_cap(app: Flask, now: datetime) -> None:
    lockouts = []
    clock = now
    for _ in range(7):
        for _ in range(5):
            assert attempt("pat@example.com", clock) is None
        wait = attempt("pat@example.com", clock)
        lockouts.append(wait)
        clock += seconds(wait)

    assert lockouts == [60, 120, 240, 480, 900, 900, 900]


def test_a_quiet_window_after_a_lockout_forgives_it(app: Flask, now: datetime) -> None:
    for i in range(6):
        attempt("pat@example.com", now + seconds(i))  # locked until now + 65 s
    later = now + seconds(65 + WINDOW)
    for i in range(5):
        assert attempt("pat@example.com", later + seconds(i)) is None

    assert attempt("pat@example.com", later + seconds(5)) == 60  # a first lockout again


def test_failures_of_a_window_that_ended_are_forgotten(app: Flask, now: datetime) -> None:
    for i in range(5):
        attempt("pat@example.com", now + seconds(i))
    later = now + seconds(WINDOW)

    assert [attempt("pat@example.com", later + seconds(i)) for i in range(5)] == [None] * 5


def test_a_stranger_who_never_stops_cannot_lock_an_account_for_longer_than_the_cap(
    app: Flask, now: datetime
) -> None:
    """A stranger tries every 30 seconds for six hours. Whenever the account is locked, the
    lock ends within the cap; once they stop, the owner is in within the cap."""
    clock = last_attempt = now
    refusals = 0
    for _ in range(6 * 120):
        wait = attempt("pat@example.com", clock)
        if wait is not None:
            refusals += 1
            assert wait <= RULE.max_lockout_seconds
        last_attempt = clock
        clock += seconds(30)
    assert refusals > 6 * 120 // 2, "the stranger was mostly refused"

    owner_at = last_attempt + seconds(RULE.max_lockout_seconds)
    assert throttle.retry_after(RULE, "pat@example.com", owner_at) is None
    assert attempt("pat@example.com", owner_at) is None


def test_a_password_reset_lifts_a_strangers_lockout(app: Flask, now: datetime) -> None:
    rules = throttle.rules_from_config(app.config)
    for i in range(6):
        with contextlib.suppress(Throttled):
            throttle.begin_login(rules, email="pat@example.com", address=f"10.0.0.{i}", now=now)
    db.session.commit()
    assert throttle.retry_after(rules[throttle.LOGIN_ACCOUNT], "pat@example.com", now)

    throttle.password_was_reset(rules, email="Pat@Example.com")
    db.session.commit()

    assert throttle.retry_after(rules[throttle.LOGIN_ACCOUNT], "pat@example.com", now) is None


def test_a_success_clears_the_account_but_not_the_address(app: Flask, now: datetime) -> None:
    """An attacker who owns an account must not be able to launder guesses against others by
    logging in to it: the address keeps its failures."""
    rules = throttle.rules_from_config(app.config)
    address_rule = rules[throttle.LOGIN_ADDRESS]
    for i in range(address_rule.limit - 1):
        throttle.begin_login(rules, email=f"victim{i}@example.com", address="10.9.9.9", now=now)
    throttle.begin_login(rules, email="mine@example.com", address="10.9.9.9", now=now)
    throttle.login_succeeded(rules, email="mine@example.com", address="10.9.9.9", now=now)
    db.session.commit()

    throttle.begin_login(rules, email="victim@example.com", address="10.9.9.9", now=now)
    with pytest.raises(Throttled) as refused:
        throttle.begin_login(rules, email="victim2@example.com", address="10.9.9.9", now=now)
    assert refused.value.rule == throttle.LOGIN_ADDRESS


def test_a_refusal_by_one_rule_counts_nothing_for_the_other(app: Flask, now: datetime) -> None:
    rules = throttle.rules_from_config(app.config)
    for i in range(rules[throttle.LOGIN_ADDRESS].limit):
        throttle.begin_login(rules, email=f"u{i}@example.com", address="10.1.0.1", now=now)
    db.session.commit()

    with pytest.raises(Throttled):
        throttle.begin_login(rules, email="pat@example.com", address="10.1.0.1", now=now)
    db.session.commit()

    account_key = throttle._key_hash(throttle.LOGIN_ACCOUNT, "pat@example.com")
    assert committed(
        sa.select(ThrottleCounter.attempts).where(ThrottleCounter.key_hash == account_key)
    ) in ([], [(0,)])


def test_it_stores_neither_the_email_nor_the_address(app: Flask, now: datetime) -> None:
    rules = throttle.rules_from_config(app.config)
    throttle.begin_login(rules, email="pat@example.com", address="203.0.113.7", now=now)
    db.session.commit()

    rows = committed(sa.select(ThrottleCounter.__table__))
    assert len(rows) == 2
    assert all("pat" not in str(row) and "203.0.113" not in str(row) for row in rows)


def test_it_forgets_counters_that_can_no_longer_matter(app: Flask, now: datetime) -> None:
    for i in range(20):
        attempt(f"scan{i}@example.com", now)
    much_later = now + seconds(3 * (WINDOW + RULE.max_lockout_seconds))

    attempt("new@example.com", much_later)

    assert committed(sa.select(sa.func.count()).select_from(ThrottleCounter))[0][0] == 1


def test_a_limit_of_zero_turns_a_rule_off(app: Flask, now: datetime) -> None:
    off = Rule(throttle.SIGNUP_ADDRESS, 0, WINDOW, 60, 900)

    assert [attempt("10.0.0.1", now, off) for _ in range(50)] == [None] * 50
    assert committed(sa.select(sa.func.count()).select_from(ThrottleCounter))[0][0] == 0


# --- pages and API through the test client ------------------------------------------------


@pytest.fixture
def pat(app: Flask) -> User:
    user = make_user("practitioner", "pat@example.com", "Pat Practitioner")
    db.session.commit()
    return user


def post_login(client, password: str, address: str = "127.0.0.1", email: str = "pat@example.com"):
    return client.post(
        "/auth/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_the_login_form_answers_429_with_retry_after_and_a_clear_message(
    app: Flask, pat: User
) -> None:
    client = app.test_client()
    assert [post_login(client, "wrong password").status_code for _ in range(5)] == [401] * 5

    refused = post_login(client, PASSWORD)

    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) == 60
    page = refused.get_data(as_text=True)
    assert "Too many failed logins for this account. Try again in 60 seconds." in page
    assert '<form method="post"' in page, "the form is shown again"
    assert client.get("/account").status_code == 302, "the right password did not log in"


def test_the_failures_stay_counted_though_the_request_rolls_back(app: Flask, pat: User) -> None:
    client = app.test_client()
    for _ in range(3):
        post_login(client, "wrong password")

    rows = committed(
        sa.select(ThrottleCounter.rule, ThrottleCounter.attempts).order_by(ThrottleCounter.rule)
    )
    assert rows == [(throttle.LOGIN_ACCOUNT, 3), (throttle.LOGIN_ADDRESS, 3)]


def test_the_right_password_works_again_after_the_lockout(app: Flask, pat: User) -> None:
    client = app.test_client()
    for _ in range(6):
        post_login(client, "wrong password")
    assert post_login(client, PASSWORD).status_code == 429
    # Move the lockout into the past, as the clock would.
    for row in db.session.scalars(sa.select(ThrottleCounter)):
        if row.locked_until is not None:
            row.locked_until -= timedelta(minutes=2)
    db.session.commit()

    assert post_login(client, PASSWORD).status_code == 302
    assert client.get("/account").status_code == 200
    # The account's slate is clean again; the address keeps its failures.
    rows = committed(sa.select(ThrottleCounter.rule, ThrottleCounter.attempts))
    assert (throttle.LOGIN_ACCOUNT, 0) not in rows
    assert all(rule != throttle.LOGIN_ACCOUNT for rule, _ in rows)


def test_one_address_is_blocked_after_its_limit_across_many_accounts(app: Flask, pat: User) -> None:
    client = app.test_client()
    limit = int(app.config["THROTTLE_LOGIN_ADDRESS_LIMIT"])
    answers = [
        post_login(client, "guess", address="198.51.100.9", email=f"u{i}@example.com").status_code
        for i in range(limit + 1)
    ]

    assert answers == [401] * limit + [429]
    # Another address is unaffected.
    assert post_login(client, PASSWORD, address="198.51.100.10").status_code == 302


def test_the_token_endpoint_answers_429_in_the_api_error_shape(app: Flask, pat: User) -> None:
    client = app.test_client()
    body = {"email": "pat@example.com", "password": "wrong password"}
    assert [client.post("/api/v1/tokens", json=body).status_code for _ in range(5)] == [401] * 5

    refused = client.post("/api/v1/tokens", json={**body, "password": PASSWORD})

    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) == 60
    error = refused.get_json()["error"]
    assert error["code"] == "rate_limited"
    assert "Too many failed logins" in error["message"]
    assert committed(sa.text("SELECT count(*) FROM api_tokens"))[0][0] == 0


def test_the_token_endpoint_and_the_login_form_share_the_account_counter(
    app: Flask, pat: User
) -> None:
    client = app.test_client()
    for _ in range(5):
        client.post("/api/v1/tokens", json={"email": "PAT@example.com", "password": "nope"})

    assert post_login(client, PASSWORD).status_code == 429


def test_reset_requests_are_throttled_per_target_address(app: Flask, pat: User) -> None:
    client = app.test_client()
    limit = int(app.config["THROTTLE_RESET_EMAIL_LIMIT"])
    answers = [
        client.post(
            "/auth/reset",
            data={"email": "pat@example.com"},
            environ_base={"REMOTE_ADDR": f"10.2.0.{i}"},
        )
        for i in range(limit + 1)
    ]

    assert [a.status_code for a in answers] == [302] * limit + [429]
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert "Too many reset requests for this address." in answers[-1].get_data(as_text=True)


def test_reset_requests_for_unknown_addresses_are_throttled_alike(app: Flask) -> None:
    client = app.test_client()
    limit = int(app.config["THROTTLE_RESET_EMAIL_LIMIT"])
    answers = [
        client.post("/auth/reset", data={"email": "nobody@example.com"}).status_code
        for _ in range(limit + 1)
    ]

    assert answers == [302] * limit + [429]


def test_reset_requests_are_throttled_per_client_address(app: Flask) -> None:
    client = app.test_client()
    limit = int(app.config["THROTTLE_RESET_ADDRESS_LIMIT"])
    answers = [
        client.post("/auth/reset", data={"email": f"n{i}@example.com"}).status_code
        for i in range(limit + 1)
    ]

    assert answers == [302] * limit + [429]


def test_sign_ups_are_throttled_per_client_address_and_the_refused_one_writes_nothing(
    app: Flask,
) -> None:
    limit = int(app.config["THROTTLE_SIGNUP_ADDRESS_LIMIT"])
    answers = []
    for i in range(limit + 1):
        client = app.test_client()  # a fresh browser each time: a signed-up one is logged in
        answers.append(
            client.post(
                "/auth/signup",
                data={
                    "role": "practitioner",
                    "display_name": f"Signer {i}",
                    "email": f"signer{i}@example.com",
                    "password": PASSWORD,
                    "confirm": PASSWORD,
                    "time_zone": "Europe/London",
                },
            )
        )

    assert [a.status_code for a in answers] == [302] * limit + [429]
    assert "Too many sign-ups from your network." in answers[-1].get_data(as_text=True)
    assert int(answers[-1].headers["Retry-After"]) > 0
    emails = {row[0] for row in committed(sa.select(User.email))}
    assert f"signer{limit}@example.com" not in emails
    assert len(emails) == limit


def test_it_ignores_x_forwarded_for_unless_told_to_trust_a_proxy(app: Flask, pat: User) -> None:
    client = app.test_client()
    limit = int(app.config["THROTTLE_LOGIN_ADDRESS_LIMIT"])
    answers = [
        client.post(
            "/auth/login",
            data={"email": f"u{i}@example.com", "password": "guess"},
            headers={"X-Forwarded-For": f"10.3.0.{i}"},
        ).status_code
        for i in range(limit + 1)
    ]

    assert answers[-1] == 429, "a forged X-Forwarded-For must not dodge the address counter"


# --- black-box: two server processes, rotating addresses ---------------------------------


def post_login_over_http(browser: Browser, email: str, password: str, address: str):
    token = browser.csrf_token("/auth/login")
    body = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": password})
    return browser.request(
        "POST",
        "/auth/login",
        data=body.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Forwarded-For": address,
        },
    )


def test_120_wrong_passwords_from_rotating_addresses_are_stopped_across_two_processes(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    make_user("practitioner", "target@example.com", "Tara Target")
    db.session.commit()
    lockout = 5  # seconds, so the test can wait for the lockout to end
    with running_servers(
        database_url,
        tmp_path,
        count=2,
        SMPTRACK_TRUSTED_PROXIES="1",
        SMPTRACK_THROTTLE_LOCKOUT_SECONDS=str(lockout),
        SMPTRACK_THROTTLE_MAX_LOCKOUT_SECONDS=str(lockout),
    ) as servers:
        browsers = [Browser(server) for server in servers]
        answers = [
            post_login_over_http(
                browsers[i % 2], "target@example.com", f"guess {i}", f"10.{i // 200}.{i % 200}.1"
            )
            for i in range(120)
        ]
        statuses = [answer.status for answer in answers]

        # Five failures are allowed, whichever process saw them; the sixth is refused. With a
        # counter in each process's memory the first refusal would come at the tenth at best.
        assert statuses[:6] == [401] * 5 + [429]
        # Loose on purpose: a slow machine may see the short lockout end and five more guesses.
        assert statuses.count(401) < 50
        refusals = [answer for answer in answers if answer.status == 429]
        for answer in refusals:
            assert 1 <= int(answer.header("Retry-After")) <= lockout
            assert "Too many failed logins for this account." in answer.text
        # Each address was used once: the account's counter did this, not the address's.
        assert len({f"10.{i // 200}.{i % 200}.1" for i in range(120)}) == 120

        # During the lockout the right password is refused too, on both processes, and the API
        # answers in its own shape.
        assert (
            post_login_over_http(browsers[1], "target@example.com", PASSWORD, "10.200.0.1").status
            == 429
        )
        api = browsers[0].post_json(
            "/api/v1/tokens", {"email": "target@example.com", "password": PASSWORD}
        )
        assert api.status == 429
        assert api.header("Retry-After") is not None
        assert json.loads(api.text)["error"]["code"] == "rate_limited"

        # Once the lockout has passed, the right password works.
        time.sleep(int(api.header("Retry-After")) + 0.5)
        success = post_login_over_http(browsers[1], "target@example.com", PASSWORD, "10.201.0.1")
        assert success.status == 302, success.text
        assert browsers[1].get("/account").status == 200
