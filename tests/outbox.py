"""Test helper: drain the account-mail outbox the way the worker does.

Requests only queue invitations and password resets; a test that wants to read one from the
mail folder (or a test SMTP server) sends the queue first, with an explicit clock.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from smptrack.sending.account_mail import AccountMailResult, AccountMailSender


def send_account_mail(app: Flask, now: datetime | None = None) -> AccountMailResult:
    """One sweep of the account-mail outbox in its own app context (its own database session,
    as in the worker), at ``now`` (default: the real time)."""
    moment = now or datetime.now(UTC)
    with app.app_context():
        return AccountMailSender(app).send_due(lambda: moment)
