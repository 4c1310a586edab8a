"""Throttling of logins, API token requests, password reset requests and sign-ups.

Why a table of our own: the counters must be shared by every worker and process (gunicorn
workers, several machines), and the only thing they all share is the database. Flask-Limiter
and ``limits`` keep their counters in memory, Redis, Memcached or MongoDB; they have no SQL
storage, and an extra server only for this is more to run than a small counter table. So each
rule counts in ``ThrottleCounter`` rows, one per (rule, key), updated under a row lock.

The rule (one per kind of key, see ``rules_from_config``):

- A fixed window of ``window_seconds`` counts attempts (for login: failures only; for sign-up
  and reset: every attempt). ``limit`` attempts are allowed in a window.
- The attempt after the limit is refused and starts a lockout of ``lockout_seconds``, doubled
  for each lockout in a row (``strikes``) up to ``max_lockout_seconds``. A full quiet window
  after a lockout forgives the strikes.
- Refused attempts are not counted, so a lockout always ends on time: nobody, however
  persistent, can lock an account for longer than ``max_lockout_seconds`` past their last
  counted failure, and a password reset (which proves the mailbox) lifts an account's lock.
- A successful login clears its account's counter and takes back its own provisional count
  from the address counter, but never clears the address counter: an attacker cannot launder
  their guesses against other accounts by logging in to their own.

Login attempts are counted *before* the password is checked (``begin_login``), and the count
is committed right away by the caller. Counting afterwards would let a burst of parallel
requests all pass the check before any of them is counted.

Every function flushes and never commits; times are UTC and ``now`` is a parameter.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.models import ThrottleCounter
from smptrack.services.errors import ServiceError

LOGIN_ACCOUNT = "login_account"
LOGIN_ADDRESS = "login_address"
SIGNUP_ADDRESS = "signup_address"
RESET_ADDRESS = "reset_address"
RESET_EMAIL = "reset_email"
RULE_NAMES = (LOGIN_ACCOUNT, LOGIN_ADDRESS, SIGNUP_ADDRESS, RESET_ADDRESS, RESET_EMAIL)

# The config key of each rule's limit; the window and lockouts are shared settings.
_LIMIT_SETTINGS = {
    LOGIN_ACCOUNT: "THROTTLE_LOGIN_ACCOUNT_LIMIT",
    LOGIN_ADDRESS: "THROTTLE_LOGIN_ADDRESS_LIMIT",
    SIGNUP_ADDRESS: "THROTTLE_SIGNUP_ADDRESS_LIMIT",
    RESET_ADDRESS: "THROTTLE_RESET_ADDRESS_LIMIT",
    RESET_EMAIL: "THROTTLE_RESET_EMAIL_LIMIT",
}

_MESSAGES = {
    LOGIN_ACCOUNT: "Too many failed logins for this account.",
    LOGIN_ADDRESS: "Too many failed logins from your network.",
    SIGNUP_ADDRESS: "Too many sign-ups from your network.",
    RESET_ADDRESS: "Too many reset requests from your network.",
    RESET_EMAIL: "Too many reset requests for this address.",
}


@dataclass(frozen=True)
class Rule:
    name: str
    limit: int  # attempts allowed per window; 0 turns the rule off
    window_seconds: int
    lockout_seconds: int  # the first lockout; each further one in a row doubles it
    max_lockout_seconds: int

    def lockout(self, strikes: int) -> timedelta:
        seconds = self.lockout_seconds * 2 ** min(max(strikes - 1, 0), 30)
        return timedelta(seconds=min(seconds, self.max_lockout_seconds))


Rules = dict[str, Rule]


def rules_from_config(config: Any) -> Rules:
    """Every rule, from the ``THROTTLE_*`` settings (see smptrack/config.py)."""
    window = int(config["THROTTLE_WINDOW_SECONDS"])
    lockout = int(config["THROTTLE_LOCKOUT_SECONDS"])
    cap = max(int(config["THROTTLE_MAX_LOCKOUT_SECONDS"]), lockout)
    return {
        name: Rule(name, max(int(config[setting]), 0), window, lockout, cap)
        for name, setting in _LIMIT_SETTINGS.items()
    }


class Throttled(ServiceError):
    """Too many attempts; try again after ``retry_after`` seconds (for ``Retry-After``)."""

    status = 429
    code = "rate_limited"

    def __init__(self, rule: str, retry_after: int) -> None:
        self.rule = rule
        self.retry_after = max(int(retry_after), 1)
        minutes = math.ceil(self.retry_after / 60)
        wait = f"{self.retry_after} seconds" if self.retry_after < 120 else f"{minutes} minutes"
        super().__init__(f"{_MESSAGES.get(rule, 'Too many attempts.')} Try again in {wait}.")


def email_key(raw: str | None) -> str:
    """The account key of a typed email: trimmed and lower-cased, so ``Pat@X`` and ``pat@x``
    share a counter whether or not an account exists (the answer must not tell)."""
    return (raw or "").strip().lower()[:254]


def _key_hash(rule: str, key: str) -> str:
    return hashlib.sha256(f"{rule}\x00{key}".encode()).hexdigest()


# --- the counter --------------------------------------------------------------------------


def _locked_row(rule: Rule, key: str, now: datetime) -> ThrottleCounter:
    """The counter of (rule, key), created if missing, locked for this transaction.

    The INSERT that ignores a conflict and the SELECT ... FOR UPDATE make concurrent requests
    in different processes take turns (PostgreSQL: the row lock; SQLite: the write lock the
    INSERT takes), so no count is lost between a read and a write.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    inserted = db.session.execute(
        insert(ThrottleCounter)
        .values(
            rule=rule.name,
            key_hash=_key_hash(rule.name, key),
            window_started_at=now,
            attempts=0,
            strikes=0,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["key_hash"])
    )
    if inserted.rowcount:
        _forget_stale(rule, now)
    return db.session.execute(
        sa.select(ThrottleCounter)
        .where(ThrottleCounter.key_hash == _key_hash(rule.name, key))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _forget_stale(rule: Rule, now: datetime) -> None:
    """Delete counters that can no longer matter (so a scan of random emails cannot grow the
    table without bound): untouched for two windows and two maximal lockouts."""
    horizon = now - timedelta(seconds=2 * (rule.window_seconds + rule.max_lockout_seconds))
    # SKIP LOCKED (PostgreSQL; SQLite has no row locks): a row another request has just locked
    # to count on it is not stale, and waiting for it could deadlock with that request.
    stale = (
        sa.select(ThrottleCounter.id)
        .where(
            ThrottleCounter.updated_at < horizon,
            sa.or_(ThrottleCounter.locked_until.is_(None), ThrottleCounter.locked_until < now),
        )
        .limit(1000)
        .with_for_update(skip_locked=True)
    )
    db.session.execute(
        sa.delete(ThrottleCounter)
        .where(ThrottleCounter.id.in_(stale.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )


def retry_after(rule: Rule, key: str, now: datetime) -> int | None:
    """Seconds until (rule, key) may try again, or None if it may now. Reads only."""
    if rule.limit <= 0 or not key:
        return None
    locked_until = db.session.scalar(
        sa.select(ThrottleCounter.locked_until).where(
            ThrottleCounter.key_hash == _key_hash(rule.name, key)
        )
    )
    if locked_until is None or locked_until <= now:
        return None
    return math.ceil((locked_until - now).total_seconds())


def _admit(rule: Rule, key: str, now: datetime) -> ThrottleCounter | None:
    """The locked counter of (rule, key) if one more attempt fits, else raise ``Throttled``.

    The attempt after ``limit`` in a window starts a lockout (written, so the caller commits
    even when this raises) and is refused; refused attempts are not counted.
    """
    if rule.limit <= 0 or not key:
        return None
    row = _locked_row(rule, key, now)
    if row.locked_until is not None and row.locked_until > now:
        raise Throttled(rule.name, math.ceil((row.locked_until - now).total_seconds()))
    window = timedelta(seconds=rule.window_seconds)
    if row.strikes and row.locked_until is not None and now - row.locked_until >= window:
        row.strikes = 0  # a quiet window since the last lockout forgives it
    if now - row.window_started_at >= window:
        row.window_started_at = now
        row.attempts = 0
    row.updated_at = now
    if row.attempts >= rule.limit:
        row.strikes += 1
        row.locked_until = now + rule.lockout(row.strikes)
        row.attempts = 0
        row.window_started_at = now
        db.session.flush()
        raise Throttled(rule.name, math.ceil((row.locked_until - now).total_seconds()))
    return row


def count_attempts(checks: list[tuple[Rule, str]], now: datetime) -> None:
    """Count one attempt for each (rule, key), or none of them: raise ``Throttled`` if any is
    locked or full. Flushes; the caller commits either way (a lockout may have begun)."""
    rows = [_admit(rule, key, now) for rule, key in checks]
    for row in rows:
        if row is not None:
            row.attempts += 1
    db.session.flush()


def count_attempt(rule: Rule, key: str, now: datetime) -> None:
    """``count_attempts`` for one rule."""
    count_attempts([(rule, key)], now)


def uncount_attempt(rule: Rule, key: str, now: datetime) -> None:
    """Take back one counted attempt (it turned out not to be a failure). Never below zero,
    never lifts a lockout."""
    if rule.limit <= 0 or not key:
        return
    db.session.execute(
        sa.update(ThrottleCounter)
        .where(
            ThrottleCounter.key_hash == _key_hash(rule.name, key),
            ThrottleCounter.attempts > 0,
        )
        .values(attempts=ThrottleCounter.attempts - 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()


def forgive(rule: Rule, key: str) -> None:
    """Forget (rule, key) altogether: its count, strikes and any lockout."""
    db.session.execute(
        sa.delete(ThrottleCounter)
        .where(ThrottleCounter.key_hash == _key_hash(rule.name, key))
        .execution_options(synchronize_session=False)
    )
    db.session.flush()


# --- the use cases ------------------------------------------------------------------------


def begin_login(rules: Rules, *, email: str, address: str | None, now: datetime) -> None:
    """Count a login attempt against the account and the address before the password is
    checked; raise ``Throttled`` if either is locked (nothing is then counted). The caller
    commits at once, so the count survives whatever the request does next."""
    count_attempts(
        [(rules[LOGIN_ACCOUNT], email_key(email)), (rules[LOGIN_ADDRESS], address or "")], now
    )


def login_succeeded(rules: Rules, *, email: str, address: str | None, now: datetime) -> None:
    """The attempt ``begin_login`` counted had the right password: the account starts afresh,
    and the address gets back the one attempt (its other failures stay counted)."""
    forgive(rules[LOGIN_ACCOUNT], email_key(email))
    uncount_attempt(rules[LOGIN_ADDRESS], address or "", now)


def password_was_reset(rules: Rules, *, email: str) -> None:
    """Whoever set a new password through the mailed link owns the mailbox: lift the lock a
    stranger's guesses may have put on the account."""
    forgive(rules[LOGIN_ACCOUNT], email_key(email))


def count_signup(rules: Rules, *, address: str | None, now: datetime) -> None:
    count_attempt(rules[SIGNUP_ADDRESS], address or "", now)


def count_reset_request(rules: Rules, *, email: str, address: str | None, now: datetime) -> None:
    """Count a reset request per address and per target address (known or not, so the answer
    tells nothing about who has an account); raise ``Throttled`` when either is over."""
    count_attempts(
        [(rules[RESET_ADDRESS], address or ""), (rules[RESET_EMAIL], email_key(email))], now
    )
