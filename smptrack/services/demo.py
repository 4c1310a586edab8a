"""Demo data for ``smptrack serve --demo``: created once, idempotently."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.models import Client, User
from smptrack.services import accounts

PRACTITIONER_EMAIL = "practitioner@demo.smptrack.test"
PRACTITIONER_PASSWORD = "demo-practitioner"  # noqa: S105 - a published demo login
CLIENT_EMAIL = "client@demo.smptrack.test"
CLIENT_PASSWORD = "demo-client-login"  # noqa: S105 - a published demo login

DEMO_CLIENTS = (
    # name, email, time zone, notes
    ("Daniel Okafor", CLIENT_EMAIL, "Europe/London", "Shaved look; crown and hairline."),
    ("Marco Rossi", "marco@demo.smptrack.test", "Europe/Rome", "Density behind long hair."),
    ("James Whitaker", "james@demo.smptrack.test", "America/New_York", "FUE scar camouflage."),
    ("Lena Brandt", "lena@demo.smptrack.test", "Europe/Berlin", "Density for diffuse thinning."),
    ("Sam Carter", None, "Australia/Sydney", "Outdoor worker; hat habits discussed."),
)


@dataclass(frozen=True)
class DemoLogins:
    created: bool
    logins: tuple[tuple[str, str, str], ...]  # (role, email, password)


def ensure_demo_data(now: datetime) -> DemoLogins:
    """Create the demo practice unless it exists. Flushes; the caller commits."""
    logins = (
        ("practitioner", PRACTITIONER_EMAIL, PRACTITIONER_PASSWORD),
        ("client", CLIENT_EMAIL, CLIENT_PASSWORD),
    )
    existing = db.session.scalar(sa.select(User).where(User.email == PRACTITIONER_EMAIL))
    if existing is not None:
        return DemoLogins(created=False, logins=logins)
    practitioner = accounts.create_user(
        email=PRACTITIONER_EMAIL,
        password=PRACTITIONER_PASSWORD,
        role="practitioner",
        display_name="Alex Morgan (demo practitioner)",
        time_zone="Europe/London",
    )
    client_user = accounts.create_user(
        email=CLIENT_EMAIL,
        password=CLIENT_PASSWORD,
        role="client",
        display_name="Daniel Okafor",
        time_zone="Europe/London",
    )
    client_user.email_verified_at = now
    for name, email, zone, notes in DEMO_CLIENTS:
        db.session.add(
            Client(
                practitioner_id=practitioner.id,
                user_id=client_user.id if email == CLIENT_EMAIL else None,
                display_name=name,
                email=email,
                time_zone=zone,
                notes=notes,
                created_at=now,
                updated_at=now,
            )
        )
    db.session.flush()
    return DemoLogins(created=True, logins=logins)
