"""Consent templates, signed consents, signing links and the health questionnaire (issue 12).

A practice's consent text is versioned: editing writes a new ``ConsentTemplate`` row with the
next version number and never changes an old one, so every ``Consent`` keeps pointing at the
exact text it was signed on (and carries that text's SHA-256, to show it is unchanged).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.domain import limits, vocabulary
from smptrack.extensions import db
from smptrack.models.types import UTCDateTime, between, one_of, utcnow

CONSENT_TITLE_MAX = 120
CONSENT_TEXT_MAX = 20_000
TYPED_NAME_MAX = limits.DISPLAY_NAME_MAX
OVERRIDE_REASON_MAX = 1000
ALLERGIES_MAX = 500
QUESTIONNAIRE_NOTES_MAX = 2000
CONSENT_METHODS = vocabulary.CONSENT_METHODS
ANSWERED_BY = vocabulary.QUESTIONNAIRE_ANSWERERS


class ConsentTemplate(db.Model):
    """One version of a practice's consent text. Rows are never updated or deleted: a new
    version is a new row, and the highest version is the current one."""

    __tablename__ = "consent_templates"
    __table_args__ = (
        sa.UniqueConstraint("practice_id", "version", name="uq_consent_templates_practice_version"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    practice_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("practices.id", ondelete="CASCADE")
    )
    version: so.Mapped[int] = so.mapped_column()
    title: so.Mapped[str] = so.mapped_column(sa.String(CONSENT_TITLE_MAX))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    # SHA-256 (hex) of the text a client reads and signs (``services.consents.text_hash``).
    text_sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )


class Consent(db.Model):
    """A client's signature on one version of their practice's consent text."""

    __tablename__ = "consents"
    __table_args__ = (
        one_of("method", CONSENT_METHODS),
        sa.Index("ix_consents_client_signed", "client_id", "signed_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    client_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("clients.id", ondelete="CASCADE"))
    # RESTRICT: the text someone signed must stay readable for as long as their signature does.
    template_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("consent_templates.id", ondelete="RESTRICT"), index=True
    )
    template_version: so.Mapped[int] = so.mapped_column()
    text_sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    typed_name: so.Mapped[str] = so.mapped_column(sa.String(TYPED_NAME_MAX))
    # The explicit "I have read and agree" box; a consent row is only written when it is ticked.
    agreed: so.Mapped[bool] = so.mapped_column(default=False)
    signed_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    remote_addr: so.Mapped[str | None] = so.mapped_column(sa.String(45))
    method: so.Mapped[str] = so.mapped_column(sa.String(10))
    signed_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    template: so.Mapped[ConsentTemplate] = so.relationship(lazy="joined", innerjoin=True)


class ConsentLink(db.Model):
    """An emailed signing link: the link carries a signed (id, nonce); only the nonce's SHA-256
    is stored. It works once (``used_at``) until ``expires_at``; a newer link for the same
    client revokes it (``revoked_at``)."""

    __tablename__ = "consent_links"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    client_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    nonce_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    sent_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())


class HealthQuestionnaire(db.Model):
    """One dated set of answers to the health and skin questionnaire. A new set is a new row
    (the history stays); the latest by ``answered_at`` is the one that counts."""

    __tablename__ = "health_questionnaires"
    __table_args__ = (
        one_of("answered_by_role", ANSWERED_BY),
        between("fitzpatrick", limits.FITZPATRICK.low, limits.FITZPATRICK.high),
        sa.Index("ix_health_questionnaires_client_answered", "client_id", "answered_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    client_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("clients.id", ondelete="CASCADE"))
    answered_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    answered_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    answered_by_role: so.Mapped[str] = so.mapped_column(sa.String(12))
    keloid_or_scarring: so.Mapped[bool] = so.mapped_column(default=False)
    blood_thinners: so.Mapped[bool] = so.mapped_column(default=False)
    scalp_skin_condition: so.Mapped[bool] = so.mapped_column(default=False)
    pigment_allergy: so.Mapped[bool] = so.mapped_column(default=False)
    allergies: so.Mapped[str] = so.mapped_column(sa.String(ALLERGIES_MAX), default="")
    photosensitising_medication: so.Mapped[bool] = so.mapped_column(default=False)
    retinoid_use: so.Mapped[bool] = so.mapped_column(default=False)
    # None: not known (the answer does not offer to change the profile's skin type).
    fitzpatrick: so.Mapped[int | None] = so.mapped_column()
    notes: so.Mapped[str] = so.mapped_column(sa.Text, default="")
