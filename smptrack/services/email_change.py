"""Changing a login's email address, confirmed by a link sent to the new address.

Until the link is used the login keeps its old address (logins, resets and mail all go
there). The link is single use and expires; only its SHA-256 is stored. A new address that
another login uses is refused without saying whose. Once confirmed, the old address is told
that the email changed, so a hijacked session cannot move the account away unnoticed.
Every function flushes, never commits.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from werkzeug.security import check_password_hash

from smptrack.extensions import db
from smptrack.models import EmailChange, User
from smptrack.services import account_mail
from smptrack.services.accounts import find_user_by_email, normalise_email
from smptrack.services.errors import NotFound, ValidationFailed

LINK_LIFETIME = timedelta(hours=24)
TAKEN = "That address cannot be used for this account. Choose another."


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def request_change(
    user: User,
    *,
    new_email: str,
    current_password: str,
    now: datetime,
    link_for: Callable[[str], str | None],
) -> EmailChange:
    """Check the password and the address, replace any earlier pending change of ``user``,
    and queue the link (``link_for(secret)``) to the new address. ``ValidationFailed``
    (fields ``current_password``, ``new_email``)."""
    if not check_password_hash(user.password_hash, current_password or ""):
        message = "That is not your current password."
        raise ValidationFailed(message, {"current_password": message})
    try:
        address = normalise_email(new_email)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, {"new_email": exc.message}) from exc
    if address == user.email:
        message = "That is already your email address."
        raise ValidationFailed(message, {"new_email": message})
    if find_user_by_email(address) is not None:
        raise ValidationFailed(TAKEN, {"new_email": TAKEN})
    db.session.execute(
        sa.delete(EmailChange).where(EmailChange.user_id == user.id, EmailChange.used_at.is_(None))
    )
    secret = secrets.token_urlsafe(32)
    change = EmailChange(
        user_id=user.id,
        new_email=address,
        token_hash=_sha256(secret),
        created_at=now,
        expires_at=now + LINK_LIFETIME,
    )
    db.session.add(change)
    account_mail.enqueue(
        to=address,
        subject="Confirm your new smptrack email address",
        template="email_change_confirm",
        context={"name": user.display_name, "link": link_for(secret)},
        now=now,
        expires_at=change.expires_at,
    )
    db.session.flush()
    return change


def pending_change(secret: str, now: datetime) -> EmailChange:
    """The unused, unexpired change the link names; ``NotFound`` otherwise (one message for
    unknown, used and expired links)."""
    change = db.session.scalar(
        sa.select(EmailChange).where(EmailChange.token_hash == _sha256(secret or ""))
    )
    if change is None or change.used_at is not None or change.expires_at <= now:
        raise NotFound("This link is not valid: it was used, it expired, or it is mistyped.")
    return change


def confirm_change(secret: str, now: datetime) -> User:
    """Move the login to the new address, use up the link, and queue the notice to the old
    address. ``NotFound`` for a bad link; ``ValidationFailed`` if the address was taken
    since the request."""
    change = pending_change(secret, now)
    user = db.session.get(User, change.user_id)
    if user is None:
        raise NotFound("This link is not valid: it was used, it expired, or it is mistyped.")
    if find_user_by_email(change.new_email) is not None:
        raise ValidationFailed(TAKEN)
    old = user.email
    user.email = change.new_email
    user.email_verified_at = now
    change.used_at = now
    account_mail.enqueue(
        to=old,
        subject="Your smptrack email address was changed",
        template="email_changed",
        context={"name": user.display_name, "new_email": change.new_email},
        now=now,
    )
    db.session.flush()
    return user
