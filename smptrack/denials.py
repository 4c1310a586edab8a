"""Writing what a request noted for the audit (``services/audit.py``) after its response is sent:
the denials, the read lines of a page view or API read, and the API token's last use.

The loaders answer another tenant's row with 404, the same as a missing row, and the request's
own work is rolled back. The audit line of the refusal must survive that, and must not make the
404 of an existing row slower than that of a missing one (which would leak that the id exists):
so it is written in its own app context and transaction once the response has gone out, from
the response's close callback (WSGI servers call it after sending the body).

Loss bound: if that short write fails (the database down or locked beyond its busy timeout),
the denial is logged to the application log and not stored; the answer was 404 either way.

Reads and token uses go the same way, for another reason: a page view or API read must never
take or wait on the write lock (DESIGN.md "Reads do not write"). The request's own transaction
then writes nothing; its read lines are written after the response, in one short transaction
with other requests' lines (``smptrack/read_batch.py``, which states its loss bound), and the
token's last use (at most once an hour per token) in a transaction of its own.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Flask, Response, current_app, request

from smptrack import read_batch
from smptrack.extensions import db
from smptrack.services import audit

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    app.before_request(_open)
    app.after_request(_write_after_sending)


def _open() -> None:
    audit.collect_denials(request.remote_addr)


def _write_after_sending(response: Response) -> Response:
    noted = audit.take_denials()
    reads, token_uses = audit.take_reads()
    if not (noted or reads or token_uses):
        return response
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    address = request.remote_addr
    now = datetime.now(UTC)

    def after() -> None:
        write_token_uses(app, token_uses)
        write_reads(app, reads, address)
        if noted:
            write(app, noted, address, now)

    response.call_on_close(after)
    return response


def write_token_uses(app: Flask, uses: list[tuple[int, datetime]]) -> None:
    """Record API tokens' last use in a fresh app context; a failure (a lock held beyond the
    busy timeout) is logged and skipped: the next use within the hour writes it."""
    if not uses:
        return
    from smptrack.services import accounts

    with app.app_context():
        try:
            for token_id, when in uses:
                accounts.record_token_use(token_id, when)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.warning("could not record the last use of %s API token(s)", len(uses))


def write_reads(app: Flask, reads: list[audit.Read], remote_addr: str | None) -> None:
    """Hand a request's read lines to the app's batch (``smptrack/read_batch.py``), which writes
    them with other requests' lines, in a fresh app context and a transaction of their own."""
    read_batch.of(app).add(reads, remote_addr)


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
