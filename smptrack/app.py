"""The application factory: a list of small ``register_*`` steps."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from werkzeug.routing import IntegerConverter, Map

from smptrack.config import Defaults
from smptrack.extensions import csrf, db, login_manager, migrate

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "SMPTRACK"

log = logging.getLogger(__name__)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. ``test_config`` is applied last, after instance config and environment."""
    instance_path = resolve_instance_path()
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        instance_relative_config=True,
        template_folder=str(REPO_ROOT / "templates"),
        static_folder=str(REPO_ROOT / "static"),
    )
    register_config(app, test_config)
    register_proxy(app)
    register_secret_key(app)
    register_database(app)
    register_extensions(app)
    register_login(app)
    register_url_converters(app)
    register_blueprints(app)
    register_errors(app)
    register_security(app)
    register_templates(app)
    register_commands(app)
    register_log_filters(app)
    register_denial_audit(app)
    return app


def resolve_instance_path() -> Path:
    """``SMPTRACK_INSTANCE_PATH``, else ``./instance``; created on first run."""
    path = Path(os.environ.get(f"{ENV_PREFIX}_INSTANCE_PATH") or Path.cwd() / "instance")
    path = path.resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def register_config(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    # SMPTRACK_SMTP_PORT=2525 becomes SMTP_PORT=2525; values are parsed as JSON when they can be.
    app.config.from_prefixed_env(ENV_PREFIX)
    if test_config:
        app.config.update(test_config)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'smptrack.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["DATABASE_URL"])
    if app.config["DATABASE_URL"].startswith("sqlite"):
        # A ping is pointless for a file and costs a query per checkout.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    app.config["MAIL_FOLDER"] = app.config.get("MAIL_FOLDER") or str(
        Path(app.instance_path) / "mail"
    )
    from datetime import timedelta

    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(
        days=int(app.config["REMEMBER_COOKIE_DURATION_DAYS"])
    )
    # One switch for both cookies: a remember-me cookie sent over HTTP is a login sent over HTTP.
    app.config["REMEMBER_COOKIE_SECURE"] = bool(
        app.config["SESSION_COOKIE_SECURE"] or app.config.get("REMEMBER_COOKIE_SECURE")
    )


def register_proxy(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` reverse proxies, take the client's address and scheme from
    the X-Forwarded-For / -Proto headers they set (the throttle and the audit log key on it).
    With 0, the default, those headers are ignored: anyone can write them."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def normalise_database_url(url: str) -> str:
    """Accept the common ``postgres://`` and ``postgresql://`` spellings; we drive psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def register_secret_key(app: Flask) -> None:
    """Use the configured key, else one generated on first run into the instance folder.

    The file is created owner-only (0600) with O_EXCL, so two processes starting together
    cannot each write a different key.
    """
    if app.config.get("SECRET_KEY"):
        return
    key_path = Path(app.instance_path) / "secret_key"
    if not key_path.exists():
        try:
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    app.config["SECRET_KEY"] = key_path.read_text().strip()


def register_database(app: Flask) -> None:
    from smptrack.services import projections

    db.init_app(app)
    # Notes whose inputs change; the unit of work refreshes them by name (refresh_stale).
    projections.install_stale_tracking()
    if app.testing:
        projections.install_commit_check()
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            sa.event.listen(db.engine, "connect", _sqlite_pragmas(app))
    else:
        from smptrack import read_connection

        with app.app_context():
            read_connection.install_checkout_ping(db.engine)


def _sqlite_pragmas(app: Flask):
    busy_ms = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])

    def set_pragmas(dbapi_connection, connection_record) -> None:
        cursor = dbapi_connection.cursor()
        # Foreign keys are off by default in SQLite; without this ON DELETE rules are ignored.
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL lets the scheduler write while web requests read.
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL, not FULL: in WAL mode a commit then waits for no fsync (the WAL is synced at
        # checkpoints), so the write lock is held for far less. Durable against application
        # crashes; a power loss may lose the last transactions but never corrupts the file.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        # Deleted rows are overwritten with zeros, not just unlinked, so an erased client's
        # name and email do not linger in free pages of the file (or in the WAL's copies).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    return set_pragmas


def register_extensions(app: Flask) -> None:
    migrate.init_app(app, db, directory=str(REPO_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)


def register_login(app: Flask) -> None:
    from smptrack import cookie_session
    from smptrack.auth.loading import configure_login

    cookie_session.init_app(app)
    configure_login(login_manager)


class RowId(IntegerConverter):
    """``<int:...>`` in our routes: a positive id that fits the database's integer column.

    Werkzeug's converter takes any size; 2**64 would reach PostgreSQL and fail there (a 500)
    instead of answering 404 like any other unknown id.
    """

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def register_url_converters(app: Flask) -> None:
    app.url_map.converters["int"] = RowId


def register_blueprints(app: Flask) -> None:
    from smptrack.account import bp as account_bp
    from smptrack.admin import bp as admin_bp
    from smptrack.api import bp as api_bp
    from smptrack.appointments import bp as appointments_bp
    from smptrack.assessments import bp as assessments_bp
    from smptrack.auth import bp as auth_bp
    from smptrack.calendar_feeds import bp as calendar_feeds_bp
    from smptrack.catalogue import bp as catalogue_bp
    from smptrack.clients import bp as clients_bp
    from smptrack.consent import bp as consent_bp
    from smptrack.due import bp as due_bp
    from smptrack.exposure import bp as exposure_bp
    from smptrack.follow_up import bp as follow_up_bp
    from smptrack.home import bp as home_bp
    from smptrack.onboarding import bp as onboarding_bp
    from smptrack.photos import bp as photos_bp
    from smptrack.practice import bp as practice_bp
    from smptrack.practice_model import bp as practice_model_bp
    from smptrack.privacy import bp as privacy_bp
    from smptrack.reminders import bp as reminders_bp
    from smptrack.treatments import bp as treatments_bp
    from smptrack.web import retry_form_posts

    app.register_blueprint(home_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(clients_bp, url_prefix="/clients")
    app.register_blueprint(account_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    # These areas hang their pages under /clients/<id>/..., /sessions/..., /pigments/... etc.
    app.register_blueprint(treatments_bp)
    app.register_blueprint(catalogue_bp)
    app.register_blueprint(exposure_bp)
    app.register_blueprint(assessments_bp)
    app.register_blueprint(photos_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(due_bp)
    app.register_blueprint(reminders_bp)
    app.register_blueprint(follow_up_bp)
    app.register_blueprint(practice_model_bp)
    app.register_blueprint(practice_bp)
    app.register_blueprint(onboarding_bp)
    app.register_blueprint(appointments_bp)
    app.register_blueprint(calendar_feeds_bp)
    app.register_blueprint(consent_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    # The API authenticates by bearer token only, never by cookie, so CSRF cannot reach it.
    csrf.exempt(api_bp)
    # A page's form post that meets a transient lock is rolled back and run again.
    retry_form_posts(app)


def register_errors(app: Flask) -> None:
    from smptrack.errors import register_error_handlers

    register_error_handlers(app)


def register_security(app: Flask) -> None:
    from smptrack import security

    security.init_app(app)


def register_templates(app: Flask) -> None:
    from smptrack.templating import register_template_helpers

    register_template_helpers(app)


def register_log_filters(app: Flask) -> None:
    """Blank reset and invitation tokens in the access logs (Werkzeug's and gunicorn's)."""
    from smptrack import logfilter

    logfilter.install()


def register_denial_audit(app: Flask) -> None:
    """Write the audit lines of refused accesses once each response has been sent."""
    from smptrack import denials, read_batch

    read_batch.init_app(app)
    denials.init_app(app)


def register_commands(app: Flask) -> None:
    from smptrack.cli import register_app_commands

    register_app_commands(app)
