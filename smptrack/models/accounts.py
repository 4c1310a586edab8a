"""People who log in, their API tokens, and the invitations that link a client to a record."""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin

from smptrack.domain import limits
from smptrack.domain.vocabulary import ROLES
from smptrack.extensions import db
from smptrack.models.practice import PracticeMember
from smptrack.models.types import UTCDateTime, one_of, utcnow


class User(UserMixin, db.Model):
    """A login. Emails are stored normalised (trimmed, lower case): the unique constraint plus
    the lower-case check make uniqueness case-insensitive on every database."""

    __tablename__ = "users"
    __table_args__ = (
        one_of("role", ROLES),
        sa.CheckConstraint("email = lower(email)", name="email_lower_case"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(limits.EMAIL_MAX), unique=True)
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    role: so.Mapped[str] = so.mapped_column(sa.String(20))
    display_name: so.Mapped[str] = so.mapped_column(sa.String(limits.DISPLAY_NAME_MAX))
    time_zone: so.Mapped[str] = so.mapped_column(sa.String(limits.TIME_ZONE_MAX), default="UTC")
    active: so.Mapped[bool] = so.mapped_column(default=True)
    email_verified_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())

    tokens: so.WriteOnlyMapped[ApiToken] = so.relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    login_sessions: so.WriteOnlyMapped[LoginSession] = so.relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    # Loaded with the user (one join, no extra statement per request): the access policy asks
    # for the practice and role on every request.
    membership: so.Mapped[PracticeMember | None] = so.relationship(
        lazy="joined", uselist=False, viewonly=True
    )

    # Not a column: the key of the login session this object was loaded through (or is being
    # logged in with), set by ``services.accounts``. ``get_id`` puts it into Flask-Login's
    # session and remember-me cookies.
    login_session_key = None

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot log in
        return self.active

    def get_id(self) -> str:
        """What Flask-Login stores in the session and remember-me cookies:
        ``"<user id>:<password fingerprint>:<login session key>"``.

        The cookie is only as good as its ``LoginSession`` row (logout and "end other sessions"
        revoke it) and the password it began with (a change ends it even if a code path forgot
        to revoke the rows).
        """
        if not self.login_session_key:
            raise RuntimeError("open a login session (services.accounts) before logging in")
        return f"{self.id}:{self.password_fingerprint}:{self.login_session_key}"

    @property
    def password_fingerprint(self) -> str:
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    @property
    def practice_id(self) -> int | None:
        """The practice this login is a member of (None for clients, admins, the unattached)."""
        return self.membership.practice_id if self.membership is not None else None

    @property
    def member_role(self) -> str | None:
        """``owner``, ``practitioner`` or ``front_desk``; None if not a member."""
        return self.membership.role if self.membership is not None else None

    @property
    def is_practitioner(self) -> bool:
        return self.role == "practitioner"

    @property
    def is_client(self) -> bool:
        return self.role == "client"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class ApiToken(db.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the prefix lets a person
    recognise it in a list."""

    __tablename__ = "api_tokens"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: so.Mapped[str] = so.mapped_column(sa.String(limits.TOKEN_NAME_MAX))
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    prefix: so.Mapped[str] = so.mapped_column(sa.String(12))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    expires_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    last_used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())

    user: so.Mapped[User] = so.relationship(back_populates="tokens")


class LoginSession(db.Model):
    """One logged-in browser, from login until logout, revocation or idleness.

    The browser's cookies carry a random key; only its SHA-256 is stored. ``last_seen_at`` is
    written at most once an hour, so reading a page does not write to the database.
    """

    __tablename__ = "login_sessions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    key_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    user_agent: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    remote_addr: so.Mapped[str | None] = so.mapped_column(sa.String(45))
    remembered: so.Mapped[bool] = so.mapped_column(default=False)
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())

    user: so.Mapped[User] = so.relationship(back_populates="login_sessions")


class Invitation(db.Model):
    """An emailed invitation for a client to claim the record a practitioner made.

    The link carries a signed (id, nonce); only the nonce's hash is stored, and ``accepted_at``
    makes the link single-use.
    """

    __tablename__ = "invitations"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    client_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    email: so.Mapped[str] = so.mapped_column(sa.String(limits.EMAIL_MAX))
    nonce_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    invited_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    accepted_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
