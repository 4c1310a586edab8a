"""The client profile: the facts about a client that the fade model needs.

Every fact has a default (the Client model's column default, repeated in ``DEFAULTS``) so a
projection can run before anyone fills the profile in; the profile form explains each default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from smptrack.domain import uv
from smptrack.domain.limits import FITZPATRICK, PERCENT, SPF
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
from smptrack.models import Client
from smptrack.services import audit
from smptrack.services.access import Actor, acts_for, refused
from smptrack.services.accounts import check_time_zone
from smptrack.services.errors import ValidationFailed

FITZPATRICK_TYPES = tuple(range(FITZPATRICK.low, FITZPATRICK.high + 1))


@dataclass(frozen=True)
class ProfileInput:
    """Every fact of the profile; the defaults are the model's, so ``ProfileInput()`` is a new
    client's profile."""

    fitzpatrick: int = 3
    sebum: str = "normal"
    retinoid_or_peel_use: bool = False
    swimming: str = "occasionally"
    goal: str = "shaved_look"
    hair_length: str = "shaved"
    latitude_band: str = "45_55"
    lifestyle: str = "average"
    usual_hat: str = "cap"
    usual_hat_pct: int = 25  # percent of outdoor time the usual hat is worn
    usual_sunscreen_spf: int | None = None
    usual_sunscreen_pct: int = 0  # percent of outdoor time with sunscreen on
    usual_sunscreen_generous: bool = False
    sun_log_complete: bool = False
    time_zone: str = "Europe/London"
    # Degrees, + north and + east; None: the coordinates of the time zone (FADE-MODEL §11).
    latitude: float | None = None
    longitude: float | None = None


DEFAULTS = ProfileInput()
PROFILE_FIELDS = tuple(f.name for f in fields(ProfileInput))


def require_acts_for(actor: Actor, client: Client) -> None:
    """Allow the client themself and their practitioner; anyone else gets ``NotFound``.

    The practitioner acts for their client (logs sun, records assessments, edits the profile).
    Any other actor must not learn that the record exists, hence 404 rather than 403.
    """
    if acts_for(actor, client):
        return
    raise refused(actor, Client, client.id, "client", "No such client.")


def client_today(client: Client, now: datetime) -> date:
    """Today's date where the client lives (their profile's time zone; UTC if it is unknown)."""
    try:
        zone = ZoneInfo(client.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).date()


def profile_of(client: Client) -> ProfileInput:
    """The client's current profile as plain data."""
    return ProfileInput(**{name: getattr(client, name) for name in PROFILE_FIELDS})


def habits_of(client: Client) -> uv.Habits:
    """The client's usual hat and sunscreen habits as the UV model's ``Habits`` (fractions)."""
    hat_fraction = (client.usual_hat_pct or 0) / 100 if client.usual_hat != "none" else 0.0
    spf = client.usual_sunscreen_spf
    return uv.Habits(
        cap_fraction=hat_fraction if client.usual_hat == "cap" else 0.0,
        wide_brim_fraction=hat_fraction if client.usual_hat == "wide_brim" else 0.0,
        sunscreen_fraction=(client.usual_sunscreen_pct or 0) / 100 if spf else 0.0,
        sunscreen_spf=spf,
        generous_sunscreen=bool(client.usual_sunscreen_generous and spf),
    )


def validate_profile(data: ProfileInput) -> ProfileInput:
    """``data`` checked and normalised; raises ValidationFailed naming every bad field."""
    errors: dict[str, str] = {}
    choices = {
        "sebum": (SEBUM, "Choose normal, oily or dry."),
        "swimming": (SWIMMING, "Choose how often the client swims."),
        "goal": (GOALS, "Choose the goal of the treatment."),
        "hair_length": (HAIR_LENGTHS, "Choose the usual hair length over the treated area."),
        "latitude_band": (LATITUDE_BANDS, "Choose a latitude band from the list."),
        "lifestyle": (LIFESTYLES, "Choose a lifestyle from the list."),
        "usual_hat": (HATS, "Choose no hat, a cap or a wide brim."),
    }
    for name, (allowed, message) in choices.items():
        if getattr(data, name) not in allowed:
            errors[name] = message
    if not _is_int(data.fitzpatrick) or data.fitzpatrick not in FITZPATRICK_TYPES:
        errors["fitzpatrick"] = "Choose a skin type from I to VI."
    for name in ("usual_hat_pct", "usual_sunscreen_pct"):
        value = getattr(data, name)
        if not _is_int(value) or value not in PERCENT:
            errors[name] = f"Enter a percentage {PERCENT.words()}."
    spf = data.usual_sunscreen_spf
    if spf is not None and (not _is_int(spf) or spf not in SPF):
        errors["usual_sunscreen_spf"] = f"Enter an SPF {SPF.words()}, or leave it empty."
    elif spf is None and _is_int(data.usual_sunscreen_pct) and data.usual_sunscreen_pct > 0:
        errors["usual_sunscreen_spf"] = (
            "Give the SPF of the usual sunscreen, or set the time with sunscreen to 0 %."
        )
    for name in ("retinoid_or_peel_use", "usual_sunscreen_generous", "sun_log_complete"):
        if not isinstance(getattr(data, name), bool):
            errors[name] = "Answer yes or no."
    try:
        check_time_zone(data.time_zone)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    for name, bound in (("latitude", 90), ("longitude", 180)):
        value = getattr(data, name)
        if value is not None and (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not math.isfinite(value)
            or not -bound <= value <= bound
        ):
            errors[name] = f"Enter degrees from -{bound} to {bound}, or leave it empty."
    if (data.latitude is None) != (data.longitude is None):
        errors.setdefault(
            "longitude" if data.longitude is None else "latitude",
            "Give both latitude and longitude, or neither (the time zone's place is used).",
        )
    if errors:
        raise ValidationFailed("Please correct the highlighted fields.", errors)
    # A hat percentage means nothing without a hat; keep the stored habit consistent.
    if data.usual_hat == "none" and data.usual_hat_pct:
        data = replace(data, usual_hat_pct=0)
    return data


def update_profile(actor: Actor, client: Client, data: ProfileInput, *, now: datetime) -> Client:
    """Store the profile facts of ``client``. The client themself or their practitioner only.

    Raises NotFound (not the actor's client) or ValidationFailed (nothing is changed). Flushes,
    never commits.
    """
    require_acts_for(actor, client)
    data = validate_profile(data)
    for name in PROFILE_FIELDS:
        setattr(client, name, getattr(data, name))
    client.updated_at = now
    db.session.flush()
    audit.record_event(
        actor,
        "update",
        client_id=client.id,
        object_type="client_profile",
        object_id=client.id,
        now=now,
    )
    return client


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def record_read(actor: Actor, client: Client, *, now: datetime) -> None:
    """The audit line of reading ``client``'s profile facts."""
    audit.record_event(
        actor,
        "read",
        client_id=client.id,
        object_type="client_profile",
        object_id=client.id,
        now=now,
    )
