"""The person being treated, with the facts the fade model needs."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.domain import limits
from smptrack.domain.vocabulary import (
    GOALS,
    HAIR_LENGTHS,
    HATS,
    LATITUDE_BANDS,
    LIFESTYLES,
    SEBUM,
    SWIMMING,
)
from smptrack.extensions import db
from smptrack.models.types import UTCDateTime, one_of, utcnow, within

if TYPE_CHECKING:
    from smptrack.models.accounts import User


class Client(db.Model):
    """A client record: of at most one practice, with an assigned practitioner of it, linked to
    at most one client login.

    ``next_touch_up_on`` and the window are materialised from the fade projection whenever an
    input changes, so lists and reminders are indexed queries rather than recomputations.
    """

    __tablename__ = "clients"
    __table_args__ = (
        within("fitzpatrick", limits.FITZPATRICK),
        one_of("sebum", SEBUM),
        one_of("swimming", SWIMMING),
        one_of("goal", GOALS),
        one_of("hair_length", HAIR_LENGTHS),
        one_of("latitude_band", LATITUDE_BANDS),
        one_of("lifestyle", LIFESTYLES),
        one_of("usual_hat", HATS),
        within("usual_hat_pct", limits.PERCENT),
        within("usual_sunscreen_spf", limits.SPF),
        within("usual_sunscreen_pct", limits.PERCENT),
        within("latitude", limits.LATITUDE),
        within("longitude", limits.LONGITUDE),
        sa.Index("ix_clients_practice_name", "practice_id", "display_name"),
        sa.Index("ix_clients_practice_touch_up", "practice_id", "next_touch_up_on"),
        sa.Index("ix_clients_next_touch_up_on", "next_touch_up_on"),
        # The due list: a practice's clients whose window opens before a date.
        sa.Index("ix_clients_practice_window", "practice_id", "touch_up_earliest_on"),
        sa.Index("ix_clients_practitioner_id", "practitioner_id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # The tenant: NULL for a client who signed up on their own and has no practice.
    practice_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("practices.id", ondelete="RESTRICT")
    )
    # The assigned practitioner, a member of the practice. RESTRICT: a practitioner with
    # clients cannot be deleted by accident; hand the clients over or erase them first.
    practitioner_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT")
    )
    # SET NULL: deleting a login leaves the treatment history with the practitioner.
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    display_name: so.Mapped[str] = so.mapped_column(sa.String(limits.DISPLAY_NAME_MAX))
    email: so.Mapped[str | None] = so.mapped_column(sa.String(limits.EMAIL_MAX), index=True)
    time_zone: so.Mapped[str] = so.mapped_column(
        sa.String(limits.TIME_ZONE_MAX), default="Europe/London"
    )

    fitzpatrick: so.Mapped[int] = so.mapped_column(default=3)
    sebum: so.Mapped[str] = so.mapped_column(sa.String(10), default="normal")
    retinoid_or_peel_use: so.Mapped[bool] = so.mapped_column(default=False)
    swimming: so.Mapped[str] = so.mapped_column(sa.String(24), default="occasionally")
    goal: so.Mapped[str] = so.mapped_column(sa.String(20), default="shaved_look")
    hair_length: so.Mapped[str] = so.mapped_column(sa.String(10), default="shaved")
    latitude_band: so.Mapped[str] = so.mapped_column(sa.String(8), default="45_55")
    lifestyle: so.Mapped[str] = so.mapped_column(sa.String(20), default="average")
    usual_hat: so.Mapped[str] = so.mapped_column(sa.String(10), default="cap")
    usual_hat_pct: so.Mapped[int] = so.mapped_column(default=25)
    usual_sunscreen_spf: so.Mapped[int | None] = so.mapped_column()
    usual_sunscreen_pct: so.Mapped[int] = so.mapped_column(default=0)
    usual_sunscreen_generous: so.Mapped[bool] = so.mapped_column(
        default=False, server_default=sa.false()
    )
    sun_log_complete: so.Mapped[bool] = so.mapped_column(default=False)
    # Where the client lives, in degrees (+ north, + east), for the UV index estimated from the
    # sky (FADE-MODEL §11). NULL: the coordinates the tz database gives their time zone.
    latitude: so.Mapped[float | None] = so.mapped_column()
    longitude: so.Mapped[float | None] = so.mapped_column()
    notes: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    next_touch_up_on: so.Mapped[date | None] = so.mapped_column()
    touch_up_earliest_on: so.Mapped[date | None] = so.mapped_column()
    touch_up_latest_on: so.Mapped[date | None] = so.mapped_column()
    projection_model_version: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    # The zone that sets next_touch_up_on, and the flags the due list shows, materialised with it.
    next_touch_up_zone: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    touch_up_due_now: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    projection_review_flag: so.Mapped[bool] = so.mapped_column(
        default=False, server_default=sa.false()
    )
    projection_blur_advisory: so.Mapped[bool] = so.mapped_column(
        default=False, server_default=sa.false()
    )

    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow
    )
    # Issue 13: when the client asked for erasure. Their login, own data and contact details
    # went then; the practice's treatment record stays until its retention period ends and the
    # sweep erases it (services/erasure.py). NULL: no request.
    erasure_requested_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime(), index=True)

    practitioner: so.Mapped[User | None] = so.relationship(foreign_keys=[practitioner_id])
    user: so.Mapped[User | None] = so.relationship(foreign_keys=[user_id])

    def __repr__(self) -> str:
        return f"<Client {self.id}>"
