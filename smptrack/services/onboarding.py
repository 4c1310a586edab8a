"""The first-run checklist of a new practice owner (issue 13 item 4): name the practice, add a
first pigment and lot, add a first client, record their first session, and the client's page
shows a projection. ``set_up`` does the first three from one form, so the path from sign-up to
a first projection is: sign up, home, this form, the session form, the client's page.

Flushes, never commits; ``now`` is an aware UTC datetime.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.models import Client, Pigment, PigmentLot, TreatmentSession
from smptrack.services import access, catalogue, clients, members, practices
from smptrack.services.access import Actor
from smptrack.services.errors import ValidationFailed


@dataclass(frozen=True)
class Step:
    key: str
    words: str
    done: bool
    endpoint: str  # where it is done one at a time


@dataclass(frozen=True)
class Checklist:
    steps: tuple[Step, ...]
    first_client_id: int | None

    @property
    def done(self) -> bool:
        return all(step.done for step in self.steps)

    @property
    def remaining(self) -> int:
        return sum(not step.done for step in self.steps)


def checklist_for(actor: Actor) -> Checklist | None:
    """The owner's checklist, or None for anyone else (a member joins a practice already set
    up; a client or an admin has none). Four small queries."""
    if getattr(actor, "role", None) != "practitioner" or not access.is_owner(actor):
        return None
    practice = practices.practice_of(actor)
    if practice is None:
        return None
    named = practice.name != practices.default_name(actor)
    has_lot = (
        db.session.scalar(
            sa.select(PigmentLot.id)
            .join(Pigment, Pigment.id == PigmentLot.pigment_id)
            .where(Pigment.practice_id == practice.id)
            .limit(1)
        )
        is not None
    )
    first_client = db.session.scalar(
        sa.select(Client.id).where(Client.practice_id == practice.id).order_by(Client.id).limit(1)
    )
    has_session = (
        db.session.scalar(
            sa.select(TreatmentSession.id)
            .join(Client, Client.id == TreatmentSession.client_id)
            .where(Client.practice_id == practice.id)
            .limit(1)
        )
        is not None
    )
    return Checklist(
        steps=(
            Step("practice", "Name your practice", named, "practice.details"),
            Step("lot", "Add your first pigment and its lot", has_lot, "catalogue.index"),
            Step("client", "Add your first client", first_client is not None, "clients.new"),
            Step("session", "Record their first session: the projection appears", has_session, ""),
        ),
        first_client_id=first_client,
    )


@dataclass(frozen=True)
class SetUp:
    """The one-page form's answers; a section already done is None."""

    practice_name: str | None
    pigment: catalogue.PigmentInput | None
    lot_number: str = ""
    lot_expires_on: date | None = None
    client_name: str | None = None
    client_email: str | None = None
    client_time_zone: str = "UTC"


@dataclass(frozen=True)
class Made:
    lot_id: int | None
    client_id: int | None


def _prefixed(exc: ValidationFailed, prefix: str) -> dict[str, str]:
    return {prefix + name: message for name, message in exc.fields.items()} or {
        prefix.rstrip("_"): exc.message
    }


def set_up(actor: Actor, data: SetUp, *, now: datetime) -> Made:
    """Name the practice, add the pigment with its lot and the client, all or nothing.

    Raises ``Forbidden`` for anyone but the owner and ``ValidationFailed`` naming every field
    (``practice_name``, ``pigment_<field>``, ``lot_<field>``, ``client_<field>``); the caller
    rolls back its flushes then.
    """
    access.require_owner(actor)
    fields: dict[str, str] = {}
    if data.practice_name is not None:
        practice = practices.practice_of(actor)
        assert practice is not None  # an owner has one
        old_name = practice.name
        try:
            members.update_details(
                actor,
                members.PracticeDetails(
                    name=data.practice_name,
                    address=practice.address,
                    phone=practice.phone,
                    booking_url=practice.booking_url,
                    time_zone=practice.time_zone,
                    # Mail came from the default name: it follows the new one.
                    mail_from_name=""
                    if practice.mail_from_name == old_name
                    else practice.mail_from_name,
                    reply_to=practice.reply_to,
                ),
                now,
            )
        except ValidationFailed as exc:
            fields["practice_name"] = exc.fields.get("name", exc.message)
    lot_id = None
    if data.pigment is not None:
        try:
            pigment = catalogue.create_pigment(actor, data.pigment, now=now)
        except ValidationFailed as exc:
            fields.update(_prefixed(exc, "pigment_"))
        else:
            try:
                lot = catalogue.add_lot(
                    actor,
                    pigment.id,
                    catalogue.LotInput(data.lot_number, data.lot_expires_on),
                    now=now,
                )
                lot_id = lot.id
            except ValidationFailed as exc:
                fields.update(_prefixed(exc, "lot_"))
    client_id = None
    if data.client_name is not None:
        try:
            client = clients.create_client(
                actor,
                display_name=data.client_name,
                email=data.client_email or None,
                time_zone=data.client_time_zone,
                now=now,
            )
            client_id = client.id
        except ValidationFailed as exc:
            fields.update(_prefixed(exc, "client_"))
    if fields:
        raise ValidationFailed("Please correct the highlighted fields; nothing was saved.", fields)
    return Made(lot_id=lot_id, client_id=client_id)
