"""Helpers shared by the page and API blueprints (kept here so no blueprint imports another)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, abort, current_app, jsonify, request, session
from flask_login import current_user, login_required

F = TypeVar("F", bound=Callable[..., Any])


def utc_now() -> datetime:
    """The request's clock; services take it as a parameter."""
    return datetime.now(UTC)


def commit(now: datetime | None = None) -> None:
    """End a page's or API call's unit of work: materialise what its writes made stale (the
    projections, the reminders planned from them), then commit. Errors propagate."""
    from smptrack.extensions import db
    from smptrack.services import projections

    projections.refresh_stale(now or utc_now())
    db.session.commit()


def end_read() -> None:
    """End a read's unit of work (an API GET). Reads do not write (DESIGN.md), so there is
    nothing to materialise or commit: the read's own connection goes back to the pool and the
    session's transaction, if the read used one, is rolled back, which ends it for less than a
    commit. A GET that does write in its transaction (an export's audit line) is committed as
    a write would be, never lost: ``session.info`` notes every flush."""
    from smptrack import read_connection
    from smptrack.extensions import db

    read_connection.close_for_read()
    if not db.session.registry.has():
        return  # the read ran on its own connection only: no session was made
    session = db.session()
    if session.new or session.dirty or session.deleted or session.info.pop(_FLUSHED, False):
        commit()
    elif not session.identity_map:
        # Nothing loaded as ORM objects (the hot reads use rows): closing returns the connection,
        # whose reset rolls it back, without a rollback's bookkeeping of the session's objects.
        session.close()
    else:
        session.rollback()


_FLUSHED = "smptrack.flushed"


def begin_read() -> None:
    """Start a read's unit of work (an API GET that only reads): its row statements run on a
    connection of their own, outside the ORM session (``smptrack/read_connection.py``), in
    autocommit on PostgreSQL. ``end_read`` gives it back; a read that fails gives it back in
    the handler's ``finally`` through ``abandon_read``. A session already in a transaction
    (a test's) keeps the statements on its connection, so they see what it wrote."""
    from smptrack import read_connection
    from smptrack.extensions import db

    if db.session.registry.has() and db.session().in_transaction():
        return
    read_connection.open_for_read()


def abandon_read() -> None:
    """Give back a read's own connection after the read failed (a 404, a lock)."""
    from smptrack import read_connection

    read_connection.close_for_read()


@sa.event.listens_for(so.Session, "after_flush")
def _note_flush(session: so.Session, context: object) -> None:
    # Flushes of every session (the class's event): cheap, and ``end_read`` asks only its own.
    session.info[_FLUSHED] = True


def retry_form_posts(app: Flask) -> None:
    """Run every page's form post (not the API's: its handler retries its own unit) as one
    unit of work that a transient lock rolls back and runs again after a short backoff
    (``retry.run_unit``): the poster waits a moment instead of getting a 500 or a half write.

    The view is the unit: it writes, calls ``commit`` and returns its redirect or page, so a
    lock met anywhere in it (an autoflush, the commit) reruns all of it. Messages it flashed
    before the lock are taken back first, so the page shows them once. The few views that
    commit a bookkeeping step before their work (the throttle's count of a login, sign-up or
    reset attempt, so that a failure stays counted) count that attempt again when the lock
    comes after it: a retry errs towards counting, never towards a second record.
    """
    for endpoint, view in list(app.view_functions.items()):
        if endpoint == "static" or endpoint.startswith("api."):
            continue
        app.view_functions[endpoint] = _retrying_posts(view)


def _retrying_posts(view: F) -> F:
    from smptrack import retry

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if request.method != "POST":
            return view(*args, **kwargs)
        flashed = list(session.get("_flashes", []))

        def unit() -> Any:
            if session.get("_flashes", []) != flashed:
                session["_flashes"] = list(flashed)
            return view(*args, **kwargs)

        return retry.run_unit(unit, what=f"POST {request.path}")

    return wrapped  # type: ignore[return-value]


def folders() -> Any:
    """The configured folders an erasure removes files from (``services.exports.Folders``)."""
    from smptrack.services.exports import Folders

    uploads = current_app.config.get("UPLOAD_FOLDER")
    return Folders(
        uploads=Path(uploads) if uploads else Path(current_app.instance_path) / "uploads",
        mail=Path(current_app.config["MAIL_FOLDER"]),
    )


def remote_addr() -> str | None:
    return request.remote_addr


def json_error(status: int, code: str, message: str, fields: dict[str, str] | None = None):
    """The one JSON error shape of the API: ``{"error": {"code", "message", "fields"}}``."""
    response = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    response.status_code = status
    return response


def safe_next(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site, else ``default``.

    Refuses anything with a scheme or host (``https://evil``, ``//evil``, ``/\\evil``), so a
    crafted login link cannot send someone to another site after they log in.
    """
    if not target:
        return default
    target = target.strip()
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def role_required(*roles: str) -> Callable[[F], F]:
    """Log in first, then answer 403 to a role that may not use this page at all."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def int_arg(name: str, default: int, low: int = 1, high: int = 10_000) -> int:
    """A bounded integer query argument; junk falls back to the default instead of a 500."""
    try:
        value = int(request.args.get(name, default))
    except (TypeError, ValueError):
        return default
    return min(max(value, low), high)


def secret_key() -> str:
    return current_app.config["SECRET_KEY"]
