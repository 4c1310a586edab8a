"""The demo practice's consent text, signatures and one questionnaire (issue 12), so the demo
shows each state: most clients signed the current version, one has not (their session form
warns), and one has answered the questionnaire with a contraindication (a flag on their page).

Idempotent: a practice that already has a consent text is left as it is. Flushes only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.models import Client, Consent, ConsentTemplate, HealthQuestionnaire, User
from smptrack.services import consents

DEMO_TITLE = "Consent to scalp micropigmentation"
DEMO_TEXT = """\
I understand that scalp micropigmentation (SMP) places pigment in the upper dermis of my scalp
with a fine needle, and that it is a cosmetic tattoo.

I understand that the result fades over the years (the sun, my skin and my habits decide how
fast), that touch-up sessions are usually needed, and that the colour and density of healed
pigment can differ from what I see on the day.

I have told my practitioner about my health, medication, allergies and skin conditions, and I
will tell them of any change before a session.

I have read the aftercare instructions and I will follow them."""
# Whose record shows the unsigned state, and whose the contraindication.
UNSIGNED = "Marco Rossi"
FLAGGED = "James Whitaker"


def ensure_demo_consents(owner: User, now: datetime) -> bool:
    """Publish the demo text and sign it for the demo clients; True when anything was added."""
    practice_id = owner.practice_id
    if consents.current_template(practice_id) is not None:
        return False
    published_at = now - timedelta(days=800)
    template = ConsentTemplate(
        practice_id=practice_id,
        version=1,
        title=DEMO_TITLE,
        body=DEMO_TEXT,
        text_sha256=consents.text_hash(DEMO_TEXT),
        created_at=published_at,
        created_by_id=owner.id,
    )
    db.session.add(template)
    db.session.flush()
    records = db.session.scalars(
        sa.select(Client).where(Client.practice_id == practice_id).order_by(Client.id)
    ).all()
    unsigned = next(
        (c for c in records if c.display_name == UNSIGNED),
        records[-1] if records else None,
    )
    for index, record in enumerate(records):
        if record is unsigned:
            continue
        db.session.add(
            Consent(
                client_id=record.id,
                template_id=template.id,
                template_version=template.version,
                text_sha256=template.text_sha256,
                typed_name=record.display_name,
                agreed=True,
                signed_at=published_at + timedelta(days=1 + index),
                remote_addr=f"192.0.2.{10 + index}",  # RFC 5737 documentation addresses
                method="account" if record.user_id else "link",
                signed_by_id=record.user_id,
            )
        )
    flagged = next((c for c in records if c.display_name == FLAGGED), None)
    flagged = flagged or next((c for c in records if c is not unsigned), None)
    if flagged is not None:
        db.session.add(
            HealthQuestionnaire(
                client_id=flagged.id,
                answered_at=published_at + timedelta(days=2),
                answered_by_id=owner.id,
                answered_by_role="practitioner",
                blood_thinners=True,
                allergies="Lidocaine (numbing cream)",
                notes="Takes low-dose aspirin daily; checked with the GP before the first session.",
                fitzpatrick=flagged.fitzpatrick,
                retinoid_use=flagged.retinoid_or_peel_use,
            )
        )
    db.session.flush()
    return True
