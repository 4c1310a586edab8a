"""Fade assessments: a dated density estimate for one zone, which calibrates the projection.

The practitioner rates in person or from a photo; the client rates themself. FADE-MODEL §6 weighs
the three differently, so who rated is part of the record and cannot be chosen freely.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, datetime

import sqlalchemy as sa

from smptrack.domain import text as text_rule
from smptrack.domain.limits import ASSESSMENT_NOTE_MAX, DENSITY_PCT, EARLIEST_DATE
from smptrack.domain.vocabulary import CLIENT_ASSESSOR_KINDS, PRACTITIONER_ASSESSOR_KINDS, ZONES
from smptrack.extensions import db
from smptrack.models import Client, FadeAssessment
from smptrack.services import access, audit, date_bounds
from smptrack.services.access import Actor, refused, visible_clients
from smptrack.services.errors import Forbidden, ValidationFailed
from smptrack.services.pagination import clamp_page
from smptrack.services.profile import client_today, require_acts_for

NOTE_MAX_CHARS = ASSESSMENT_NOTE_MAX
PRACTITIONER_KINDS = PRACTITIONER_ASSESSOR_KINDS
CLIENT_KINDS = CLIENT_ASSESSOR_KINDS
OBJECT = "fade_assessment"  # in the audit trail


@dataclass(frozen=True)
class AssessmentInput:
    assessed_on: date
    zone: str
    density_pct: float  # percent of the healed result, 0..100
    assessor_kind: str
    note: str = ""
    blur_or_colour_shift: bool = False
    # Whether the client reads a practitioner's note (issue 13): internal by default. A
    # self-rating's note is the client's own, whatever this says.
    notes_shared: bool = False


def assessor_kinds_for(actor: Actor) -> tuple[str, ...]:
    """The kinds of rating ``actor`` may record: a client rates themself, a practitioner not."""
    return CLIENT_KINDS if actor.role == "client" else PRACTITIONER_KINDS


def check_text(value: object, *, name: str, max_chars: int, errors: dict[str, str]) -> str:
    """``value`` as clean text (stripped, line breaks normalised) or an entry in ``errors``."""
    if not isinstance(value, str):
        errors[name] = "Enter text."
        return ""
    # Checked before stripping: str.strip() removes some control characters (\x1c-\x1f) too.
    problem = text_rule.problem(value, multiline=True)
    if problem is not None:
        errors[name] = problem
    text = text_rule.normalise_newlines(value).strip()
    if len(text) > max_chars:
        errors[name] = f"Keep this under {max_chars:,} characters (it has {len(text):,})."
    return text


def validate_assessment(
    actor: Actor, client: Client, data: AssessmentInput, *, now: datetime
) -> AssessmentInput:
    """``data`` checked and normalised; raises ValidationFailed naming every bad field."""
    errors: dict[str, str] = {}
    if not isinstance(data.assessed_on, date) or isinstance(data.assessed_on, datetime):
        errors["assessed_on"] = "Enter the date as YYYY-MM-DD."
    elif data.assessed_on > client_today(client, now):
        errors["assessed_on"] = "The date is in the future; record an assessment once it is made."
    elif data.assessed_on < EARLIEST_DATE:
        errors["assessed_on"] = f"Enter a date from {EARLIEST_DATE.year} onwards."
    else:
        problem = date_bounds.assessment_date_problem(client.id, data.assessed_on)
        if problem is not None:
            errors["assessed_on"] = problem
    if data.zone not in ZONES:
        errors["zone"] = "Choose a zone from the list."
    density = data.density_pct
    if (
        not isinstance(density, int | float)
        or isinstance(density, bool)
        or not math.isfinite(density)
        or density not in DENSITY_PCT
    ):
        errors["density_pct"] = f"Enter the density as a percentage {DENSITY_PCT.words()}."
    allowed = assessor_kinds_for(actor)
    if data.assessor_kind not in allowed:
        errors["assessor_kind"] = (
            "A client records a self-rating."
            if actor.role == "client"
            else "Choose in person or from a photo; a self-rating is the client's own."
        )
    note = check_text(data.note, name="note", max_chars=NOTE_MAX_CHARS, errors=errors)
    if not isinstance(data.notes_shared, bool):
        errors["notes_shared"] = "Tick the box to share the note, or leave it empty."
    if not isinstance(data.blur_or_colour_shift, bool):
        errors["blur_or_colour_shift"] = "Answer yes or no."
    if errors:
        raise ValidationFailed("Please correct the highlighted fields.", errors)
    return replace(data, note=note, density_pct=float(density))


def record_assessment(
    actor: Actor, client: Client, data: AssessmentInput, *, now: datetime
) -> FadeAssessment:
    """Record one rating of one zone, by the client themself (``client_self`` only) or their
    practitioner (``practitioner_in_person`` or ``practitioner_photo``).

    Refuses a date in the future in the client's time zone. Raises NotFound (not the actor's
    client) or ValidationFailed (nothing is written). Flushes, never commits.
    """
    require_acts_for(actor, client)
    data = validate_assessment(actor, client, data, now=now)
    assessment = FadeAssessment(
        client_id=client.id,
        assessed_on=data.assessed_on,
        zone=data.zone,
        density_pct=data.density_pct,
        assessor_kind=data.assessor_kind,
        assessed_by_id=actor.id,
        note=data.note,
        notes_shared=data.notes_shared,
        blur_or_colour_shift=data.blur_or_colour_shift,
        created_at=now,
    )
    db.session.add(assessment)
    db.session.flush()
    _audit(actor, "create", assessment, now)
    return assessment


def assessments_of(client: Client) -> list[FadeAssessment]:
    """The client's assessments, newest first."""
    return list(
        db.session.scalars(
            sa.select(FadeAssessment)
            .where(FadeAssessment.client_id == client.id)
            .order_by(FadeAssessment.assessed_on.desc(), FadeAssessment.id.desc())
        )
    )


def get_assessment(actor: Actor, assessment_id: int) -> FadeAssessment:
    """The assessment ``assessment_id`` if its client is visible to ``actor``, else NotFound."""
    assessment = db.session.scalar(
        sa.select(FadeAssessment)
        .where(FadeAssessment.id == assessment_id)
        .where(FadeAssessment.client_id.in_(visible_clients(actor).with_only_columns(Client.id)))
    )
    if assessment is None:
        raise refused(
            actor, FadeAssessment, assessment_id, "fade_assessment", "No such assessment."
        )
    return assessment


def may_delete(actor: Actor, assessment: FadeAssessment) -> bool:
    """The practice may remove any rating of its client; a client only their self-ratings
    (the access policy's rule)."""
    client = db.session.get(Client, assessment.client_id)
    by_client = assessment.assessor_kind in CLIENT_KINDS
    return client is not None and access.may_delete_assessment(actor, client, by_client)


def delete_assessment(actor: Actor, assessment_id: int, *, now: datetime) -> FadeAssessment:
    """Remove one assessment. Returns the removed row.

    Raises NotFound (another tenant's) or Forbidden (a client removing the practitioner's
    rating). Flushes, never commits.
    """
    assessment = get_assessment(actor, assessment_id)
    if not may_delete(actor, assessment):
        raise Forbidden("Only your practitioner can remove their own assessment.")
    db.session.delete(assessment)
    db.session.flush()
    _audit(actor, "delete", assessment, now)
    return assessment


def _audit(actor: Actor, action: str, assessment: FadeAssessment, now: datetime) -> None:
    audit.record_event(
        actor,
        action,
        client_id=assessment.client_id,
        object_type=OBJECT,
        object_id=assessment.id,
        now=now,
    )


def assessments_page(
    client: Client, *, page: int, per_page: int, clamp: bool = False
) -> tuple[list[FadeAssessment], int]:
    """One page of the client's assessments, newest first, and how many there are in all."""
    total = (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(FadeAssessment)
            .where(FadeAssessment.client_id == client.id)
        )
        or 0
    )
    items = db.session.scalars(
        sa.select(FadeAssessment)
        .where(FadeAssessment.client_id == client.id)
        .order_by(FadeAssessment.assessed_on.desc(), FadeAssessment.id.desc())
        .limit(per_page)
        # ``clamp``: a page read by a person, which shows ``clamp_page``'s page past the end.
        .offset(((clamp_page(page, total, per_page) if clamp else max(1, page)) - 1) * per_page)
    )
    return list(items), total


def record_read(actor: Actor, assessment: FadeAssessment, *, now: datetime) -> None:
    """The audit line of reading one assessment."""
    _audit(actor, "read", assessment, now)


def record_list_read(actor: Actor, client: Client, *, now: datetime) -> None:
    """The audit line of reading ``client``'s assessments."""
    audit.record_event(
        actor, "read", client_id=client.id, object_type=OBJECT, object_id=None, now=now
    )
