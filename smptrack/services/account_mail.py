"""Queue account mail (invitations, password resets, notices about a login) in the outbox.

The request inserts a row in its own transaction and never talks to a mail server; the worker's
sweep (``smptrack.sending.account_mail``) renders ``templates/emails/<template>.txt`` and
``.html`` with the row's context and delivers it, with the reminders' lease and backoff rules.
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.models import AccountMail
from smptrack.services.errors import ValidationFailed


def enqueue(
    *,
    to: str,
    subject: str,
    template: str,
    context: dict,
    now: datetime,
    client_id: int | None = None,
    expires_at: datetime | None = None,
) -> AccountMail:
    """Add one pending mail, due at ``now`` (UTC). Flushes, never commits.

    ``context`` must be JSON-serialisable (plain names, numbers and links, not model objects):
    it is stored and rendered later by another process. Raises ``ValidationFailed`` otherwise,
    or when the recipient or subject holds a line break (they become headers).
    ``client_id`` names the client record the mail is about, so erasure removes the row.
    ``expires_at``: when the link in it stops working; the sender fails it after that
    instead of sending a dead link.
    """
    try:
        json.dumps(context)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"Mail context is not JSON: {exc}") from exc
    if any(ch in (to or "") + (subject or "") for ch in "\r\n\x00"):
        raise ValidationFailed("A mail header cannot hold a line break.")
    row = AccountMail(
        recipient=to,
        subject=subject[:200],
        template=template,
        context={**context, "expires_at": expires_at.isoformat()} if expires_at else dict(context),
        client_id=client_id,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    return row


def forget_recipient(emails: list[str]) -> int:
    """Delete every outbox row addressed to one of ``emails`` (an erasure). Flushes; returns
    how many rows went. Rows tied to the client by ``client_id`` go by cascade as well."""
    wanted = sorted({e.strip().lower() for e in emails if e})
    if not wanted:
        return 0
    result = db.session.execute(
        sa.delete(AccountMail)
        .where(sa.func.lower(AccountMail.recipient).in_(wanted))
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return result.rowcount or 0
