"""Test fixtures: a real database (SQLite file, or PostgreSQL when SMPTRACK_TEST_DATABASE_URL is
set), built by the migrations once per run and emptied after every test, plus personas."""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings as hypothesis_settings
from werkzeug.test import TestResponse

from smptrack.app import create_app
from smptrack.extensions import db
from smptrack.models import Client, User
from tests import url_builders
from tests.smtp_server import SmtpServer, running_server

PG_URL = os.environ.get("SMPTRACK_TEST_DATABASE_URL", "")
url_builders.install()
IN_CI = os.environ.get("CI", "").lower() == "true"

# Property-based tests explore freely on a developer's machine, where a new counterexample is
# news; in CI they replay a fixed sequence, so a run cannot fail on a draw no one can repeat.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if IN_CI:
    hypothesis_settings.load_profile("ci")
PASSWORD = "correct horse battery"

# Hashing with scrypt costs ~50 ms; personas share one precomputed hash.
_PASSWORD_HASH: str | None = None


def password_hash() -> str:
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        from werkzeug.security import generate_password_hash

        _PASSWORD_HASH = generate_password_hash(PASSWORD)
    return _PASSWORD_HASH


def pytest_report_header(config: pytest.Config) -> str:
    return f"smptrack database: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite (temporary file)'}"


def base_config(database_url: str, tmp_path: Path) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "WTF_CSRF_ENABLED": False,
        "MAIL_FOLDER": str(tmp_path / "mail"),
        "SERVER_NAME": "smptrack.test",
        # Each request's read lines at once: tests read the audit right after a page view.
        # tests/test_read_batch.py holds the batching itself.
        "AUDIT_READ_BATCH": 1,
    }


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database with the schema built by the migrations (never ``create_all``)."""
    if PG_URL:
        engine = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
        url = PG_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    instance = tmp_path_factory.mktemp("migrate-instance")
    os.environ["SMPTRACK_INSTANCE_PATH"] = str(instance)
    app = create_app(base_config(url, instance))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    return url


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    """``with statements_sent() as statements:`` collects every SQL statement sent meanwhile on
    the app's engine (the query-count tests: a page's count must not grow with the history)."""
    statements: list[str] = []

    def collect(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", collect)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", collect)


def _empty_all_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    instance = tmp_path / "instance"
    monkeypatch.setenv("SMPTRACK_INSTANCE_PATH", str(instance))
    application = create_app(base_config(database_url, tmp_path))
    application.test_client_class = ServerLikeClient
    with application.app_context():
        try:
            yield application
        finally:
            db.session.rollback()
            _empty_all_tables()
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


# --- factories -----------------------------------------------------------------------------


def make_user(role: str, email: str, name: str | None = None, **overrides) -> User:
    user = User(
        email=email.lower(),
        password_hash=password_hash(),
        role=role,
        display_name=name or email.split("@")[0].title(),
        time_zone=overrides.pop("time_zone", "Europe/London"),
        **overrides,
    )
    db.session.add(user)
    db.session.flush()
    if role == "practitioner":
        # As sign-up does: a practitioner owns a practice of one.
        from smptrack.services.practices import found_practice

        found_practice(user)
    return user


def make_member(owner: User, role: str, email: str, name: str | None = None) -> User:
    """A member of ``owner``'s practice: ``role`` is ``practitioner`` or ``front_desk``."""
    from smptrack.models import PracticeMember

    user = make_user("front_desk" if role == "front_desk" else "practitioner", email, name)
    if user.membership is not None:  # make_user founded a practice of one: join owner's instead
        own = user.membership.practice_id
        db.session.execute(sa.delete(PracticeMember).where(PracticeMember.user_id == user.id))
        db.session.execute(sa.text("DELETE FROM practices WHERE id = :id"), {"id": own})
    db.session.add(PracticeMember(practice_id=owner.practice_id, user_id=user.id, role=role))
    db.session.flush()
    db.session.expire(user, ["membership"])
    return user


def make_client(
    practitioner: User | None, name: str, user: User | None = None, **overrides
) -> Client:
    record = Client(
        practice_id=overrides.pop(
            "practice_id", practitioner.practice_id if practitioner else None
        ),
        practitioner_id=practitioner.id if practitioner else None,
        user_id=user.id if user else None,
        display_name=name,
        email=overrides.pop("email", user.email if user else None),
        time_zone=overrides.pop("time_zone", "Europe/London"),
        **overrides,
    )
    db.session.add(record)
    db.session.flush()
    return record


@dataclass
class Personas:
    """Client A (of practitioner P), client B (of practitioner Q), and an admin. P owns a
    practice with a colleague (a practitioner) and a front-desk member; Q owns a practice of
    one."""

    client_a: User
    client_b: User
    practitioner_p: User
    practitioner_q: User
    admin: User
    record_a: Client
    record_b: Client
    colleague_p: User
    front_desk_p: User

    def by_name(self, name: str) -> User | None:
        return {
            "anonymous": None,
            "client_a": self.client_a,
            "client_b": self.client_b,
            "practitioner_p": self.practitioner_p,
            "practitioner_q": self.practitioner_q,
            "admin": self.admin,
            "colleague_p": self.colleague_p,
            "front_desk_p": self.front_desk_p,
        }[name]


PERSONA_NAMES = (
    "anonymous",
    "client_a",
    "client_b",
    "practitioner_p",
    "practitioner_q",
    "admin",
    "colleague_p",
    "front_desk_p",
)


@pytest.fixture
def personas(app: Flask) -> Personas:
    # A practice no persona belongs to, first: practice ids then differ from their owners' user
    # ids, so code that passes one for the other fails here rather than in a real studio.
    from smptrack.models import Practice

    db.session.add(Practice(name="Unrelated practice"))
    db.session.flush()
    p = make_user("practitioner", "p@practice-p.test", "Pat Practitioner")
    q = make_user("practitioner", "q@practice-q.test", "Quinn Practitioner")
    a = make_user("client", "a@clients.test", "Ada Client")
    b = make_user("client", "b@clients.test", "Bea Client")
    admin = make_user("admin", "admin@smptrack.test", "Ari Admin")
    record_a = make_client(p, "Ada Client", a)
    record_b = make_client(q, "Bea Client", b)
    colleague = make_member(p, "practitioner", "colleague@practice-p.test", "Cole Colleague")
    front_desk = make_member(p, "front_desk", "desk@practice-p.test", "Dee Desk")
    db.session.commit()
    return Personas(a, b, p, q, admin, record_a, record_b, colleague, front_desk)


# Tables a login writes to (its session row, its throttle counters): a test that compares row
# counts before and after a refused request leaves them out, since ``log_in`` writes one.
BOOKKEEPING_TABLES = frozenset({"login_sessions", "throttle_counters"})


def log_in(test_client: FlaskClient, user: User | None) -> FlaskClient:
    """Put ``user`` in the session as Flask-Login does after a real login (tested separately):
    a committed ``LoginSession`` row, and its key in the session cookie."""
    if user is not None:
        from smptrack.services.accounts import open_login_session

        open_login_session(
            user,
            user_agent="pytest test client",
            remote_addr="127.0.0.1",
            remembered=False,
            now=datetime.now(UTC),
        )
        db.session.commit()
        with test_client.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
    return test_client


def mail_folder(app: Flask) -> Path:
    return Path(app.config["MAIL_FOLDER"])


def sent_messages(app: Flask) -> list:
    """Every .eml the mail module wrote, parsed, oldest first."""
    from email import policy
    from email.parser import BytesParser

    folder = mail_folder(app)
    if not folder.exists():
        return []
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]


class ServerLikeClient(FlaskClient):
    """A test client that reads and closes each response as a WSGI server does, so the work
    the app does after sending a response (audit lines, a token's last use: smptrack/denials.py)
    has happened when the request returns."""

    def open(self, *args, **kwargs) -> TestResponse:
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


class OwnContextClient(ServerLikeClient):
    """A test client whose every request gets its own app context, as in production.

    The ``app`` fixture keeps an app context pushed for the whole test, and Flask reuses a pushed
    context for requests: without this, ``g`` (where Flask-Login caches the user) and the
    database session would carry over from one request, or one browser, to the next. Test
    modules opt in with ``app.test_client_class = OwnContextClient``.
    """

    def open(self, *args, **kwargs) -> TestResponse:
        return contextvars.Context().run(super().open, *args, **kwargs)


# --- Sending: a real SMTP server and an app pointed at it ----------------------------------

# Seconds before attempts 2, 3 and 4 in the sending tests; then a reminder fails.
SENDING_BACKOFF = [60, 120, 240]


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """aiosmtpd on a free loopback port, recording what it accepts (tests/smtp_server.py)."""
    with running_server() as server:
        yield server


@pytest.fixture
def sending_config() -> dict:
    """What a module's senders use besides the SMTP server; a module overrides this fixture."""
    return {
        "BASE_URL": "https://smptrack.test",
        "MAIL_FROM": "SMP Studio <reminders@smp.example>",
        "REMINDER_BACKOFF_SECONDS": SENDING_BACKOFF,
    }


@pytest.fixture
def sending(app: Flask, smtp: SmtpServer, sending_config: dict) -> Flask:
    """The app, its mail going to ``smtp``: no per-minute cap, a two-minute lease."""
    app.config.update(
        smtp.config(),
        REMINDER_SENDS_PER_MINUTE=0,
        REMINDER_LEASE_SECONDS=120,
        **sending_config,
    )
    return app
