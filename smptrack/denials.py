"""Writing the denials a request noted (see ``services/audit.py``), after its response is sent.

The loaders answer another tenant's row with 404, the same as a missing row, and the request's
own work is rolled back. The audit line of the refusal must survive that, and must not make the
404 of an existing row slower than that of a missing one (which would leak that the id exists):
so it is written in its own app context and transaction once the response has gone out, from
the response's close callback (WSGI servers call it after sending the body).

Loss bound: if that short write fails (the database down or locked beyond its busy timeout),
the denial is logged to the application log and not stored; the answer was 404 either way.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Flask, Response, current_app, request

from smptrack.extensions import db
from smptrack.services import audit

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    app.before_request(_open)
    app.after_request(_write_after_sending)


def _open() -> None:
    audit.collect_denials()


def _write_after_sending(response: Response) -> Response:
    noted = audit.take_denials()
    if not noted:
        return response
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    address = request.remote_addr
    now = datetime.now(UTC)
    response.call_on_close(lambda: write(app, noted, address, now))
    return response


def write(app: Flask, noted: list[audit.Denial], remote_addr: str | None, now: datetime) -> None:
    """Record ``noted`` in a fresh app context (its own database session) and commit."""
    per_hour = int(app.config.get("AUDIT_DENIALS_PER_HOUR") or audit.DENIALS_PER_HOUR)
    with app.app_context():
        try:
            for denial in noted:
                audit.record_denial(denial, remote_addr=remote_addr, now=now, per_hour=per_hour)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("could not record %s denied access(es) from %s", len(noted), remote_addr)
