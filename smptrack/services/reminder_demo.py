"""Reminders for ``serve --demo``: what the demo practice's clients receive, within a minute."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.models import Client, PracticeSettings, User
from smptrack.services import demo
from smptrack.services.practice_settings import practice_settings_row
from smptrack.services.reminders import plan_reminders

DEMO_CATCH_UP_DAYS = 60
DEMO_INSTRUCTIONS = (
    "Keep the area dry for 4 days: no washing, sweating, swimming or sun. Sleep on a clean "
    "pillowcase. No shaving for 5 days. Call us if anything worries you."
)


def ensure_demo_reminders(now: datetime) -> int:
    """Let ``serve --demo`` show what clients receive, within a minute. Flushes.

    The demo practice sends at any hour (its waking hours are 00:00-24:00, visible on its
    settings page), and its clients' reminders of the last ``DEMO_CATCH_UP_DAYS`` days are
    planned as if they were still worth sending, so the scheduler's first sweep writes them
    into the mail folder. Returns the number of reminders created.
    """
    practitioner = db.session.scalar(sa.select(User).where(User.email == demo.PRACTITIONER_EMAIL))
    if practitioner is None:
        return 0
    if practice_settings_row(practitioner) is None:
        db.session.add(
            PracticeSettings(
                practice_id=practitioner.practice_id,
                waking_hours_start=0,
                waking_hours_end=24,
                reminder_offsets={},
                aftercare_instructions=DEMO_INSTRUCTIONS,
            )
        )
        db.session.flush()
    clients = db.session.scalars(
        sa.select(Client).where(Client.practice_id == practitioner.practice_id).order_by(Client.id)
    ).all()
    return sum(
        plan_reminders(client, now, catch_up_days=DEMO_CATCH_UP_DAYS).created for client in clients
    )
