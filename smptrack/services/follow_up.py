"""The follow-up link of a healed-check or yearly self-check email, and what answering it does.

The link is a signed token naming the reminder, its client and the moment it was issued
(``follow_up_token``). It is stateless: composing the email writes nothing, so the sender's
exactly-once machinery is untouched. It expires ``LINK_LIFETIMES[kind]`` after it was issued,
and it is single use: answering it inserts the reminder's one ``FollowUpResponse`` row (unique
on the reminder), so a second answer, or two racing each other, cannot both succeed.

Answering rates the client's treated zones (each rating one ``client_self`` assessment through
the assessment service, which validates it; the caller's unit of work then reprojects the
client) and may add a photo per zone and one of the whole scalp. Everything is checked before
anything is written; a refused photo writes nothing either. Flushes, never commits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeSerializer

from smptrack.domain.vocabulary import ZONE_LABELS
from smptrack.extensions import db
from smptrack.models import (
    Client,
    FollowUpResponse,
    Placement,
    Reminder,
    TreatmentSession,
    User,
)
from smptrack.services import access, audit
from smptrack.services import assessments as ratings
from smptrack.services.errors import Conflict, NotFound, ServiceError, ValidationFailed
from smptrack.services.exposure import treated_zones
from smptrack.services.profile import client_today

FOLLOW_UP_SALT = "smptrack.reminders.follow_up"
# How long a link stays open after its email was composed, by the reminder's kind.
# The healed check rates the healed result itself (the baseline that later ratings are read
# against): a month covers a late reader and the sender's own two-week grace for a late
# send, while the scalp still looks as it did when healed; after that the yearly self-check
# takes over. A yearly check-in is not tied to a moment within weeks: two months, after which
# the email is stale and the client can still rate from their own record.
LINK_LIFETIMES: dict[str, timedelta] = {
    "healed_check": timedelta(days=30),
    "self_check": timedelta(days=60),
}
OBJECT = "follow_up_response"  # in the audit trail
NOT_VALID = "This link is not valid. Check that it was copied whole from your email."


# --- The link ---------------------------------------------------------------------------------


def follow_up_token(secret_key: str, reminder: Reminder, *, issued_at: datetime) -> str:
    """The signed token of ``reminder``'s link, issued at ``issued_at`` (UTC, whole seconds:
    the expiry is counted from it). Only the two check-in kinds have one."""
    if reminder.kind not in LINK_LIFETIMES:
        raise ValueError(f"reminder kind {reminder.kind!r} has no follow-up link")
    issued = int(issued_at.astimezone(UTC).timestamp())
    return _serializer(secret_key).dumps(
        [reminder.id, reminder.client_id, issued, _fingerprint(reminder)]
    )


@dataclass(frozen=True)
class FollowUpLink:
    """A verified link: its reminder, the client it speaks for, and its lifetime."""

    reminder: Reminder
    client: Client
    issued_at: datetime
    expires_at: datetime

    @property
    def kind(self) -> str:
        return self.reminder.kind

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def read_follow_up_token(secret_key: str, token: str) -> FollowUpLink:
    """The link ``token`` stands for, whatever its state (used, expired: see ``response_of``
    and ``FollowUpLink.expired``). ``NotFound`` for a forged or altered token, a reminder that
    is not that client's or not a check-in, and an erased client. Reads only."""
    try:
        reminder_id, client_id, issued, fingerprint = _serializer(secret_key).loads(token)
    except (BadSignature, TypeError, ValueError) as exc:
        raise NotFound(NOT_VALID) from exc
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (reminder_id, client_id)):
        raise NotFound(NOT_VALID)
    if not isinstance(issued, int) or isinstance(issued, bool):
        raise NotFound(NOT_VALID)
    if not (1 <= reminder_id <= access.MAX_ROW_ID and 1 <= client_id <= access.MAX_ROW_ID):
        raise NotFound(NOT_VALID)
    reminder = db.session.get(Reminder, reminder_id)
    if reminder is None or reminder.client_id != client_id or reminder.kind not in LINK_LIFETIMES:
        raise NotFound(NOT_VALID)
    if fingerprint != _fingerprint(reminder):
        raise NotFound(NOT_VALID)  # a row that reuses an erased one's ids (SQLite may)
    client = db.session.get(Client, client_id)
    if client is None:
        raise NotFound(NOT_VALID)
    try:
        issued_at = datetime.fromtimestamp(issued, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise NotFound(NOT_VALID) from exc
    return FollowUpLink(reminder, client, issued_at, issued_at + LINK_LIFETIMES[reminder.kind])


def response_of(link: FollowUpLink) -> FollowUpResponse | None:
    """The answer already given through ``link``'s reminder, if any."""
    return db.session.scalar(
        sa.select(FollowUpResponse).where(FollowUpResponse.reminder_id == link.reminder.id)
    )


def zones_of(link: FollowUpLink) -> list[str]:
    """The zones the page asks about: the client's treated zones, in vocabulary order; none
    when no session names a zone any more (``treated_zones`` would then offer all eleven,
    more fields than an upload may post)."""
    treated = db.session.scalar(
        sa.select(
            sa.exists()
            .where(Placement.session_id == TreatmentSession.id)
            .where(TreatmentSession.client_id == link.client.id)
        )
    )
    return treated_zones(link.client) if treated else []


def open_link_of(secret_key: str, client: Client, *, now: datetime) -> str | None:
    """A token for ``client``'s latest check-in that is sent, unanswered and still open (for a
    client who is logged in and would rather not dig out the email), else None. It expires
    when the emailed link does: it counts from the send. Reads only."""
    oldest = min(now - lifetime for lifetime in LINK_LIFETIMES.values())
    answered = sa.select(FollowUpResponse.reminder_id).where(
        FollowUpResponse.client_id == client.id
    )
    candidates = db.session.scalars(
        sa.select(Reminder)
        .where(
            Reminder.client_id == client.id,
            Reminder.kind.in_(tuple(LINK_LIFETIMES)),
            Reminder.status == "sent",
            Reminder.sent_at > oldest,
            Reminder.id.not_in(answered),
        )
        .order_by(Reminder.sent_at.desc(), Reminder.id.desc())
    )
    for reminder in candidates:
        if reminder.sent_at is not None and now < reminder.sent_at + LINK_LIFETIMES[reminder.kind]:
            return follow_up_token(secret_key, reminder, issued_at=reminder.sent_at)
    return None


def _fingerprint(reminder: Reminder) -> str:
    """Ties a token to this very row, not just its id: SQLite may give an erased client's
    ids to new rows, and an old link must not open someone else's check-in."""
    created = reminder.created_at.isoformat() if reminder.created_at else ""
    return hashlib.sha256(f"{reminder.dedupe_key}|{created}".encode()).hexdigest()[:16]


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=FOLLOW_UP_SALT)


# --- Answering it ------------------------------------------------------------------------------


class LinkUsed(Conflict):
    """The link was answered already (``responded_at`` says when)."""

    def __init__(self, responded_at: datetime | None) -> None:
        super().__init__("This link was used already; each check-in link works once.")
        self.responded_at = responded_at


class LinkExpired(ServiceError):
    status = 410
    code = "gone"

    def __init__(self, expires_at: datetime) -> None:
        super().__init__("This link has expired.")
        self.expires_at = expires_at


@dataclass(frozen=True)
class ZoneAnswer:
    """One zone of the page: a rating (percent of the healed result; None when left empty)
    and an optional photo's bytes."""

    zone: str
    density_pct: float | None = None
    photo: bytes | None = None


@dataclass(frozen=True)
class FollowUpAnswers:
    zones: tuple[ZoneAnswer, ...] = ()
    whole_scalp_photo: bytes | None = None  # a photo of the whole scalp, not rated
    note: str = ""
    blur_or_colour_shift: bool = False

    def photos(self) -> int:
        return sum(1 for z in self.zones if z.photo) + (1 if self.whole_scalp_photo else 0)


@dataclass
class Outcome:
    response: FollowUpResponse
    assessments: list = field(default_factory=list)
    photos: list = field(default_factory=list)


def density_field(zone: str) -> str:
    """The name of ``zone``'s rating on the page (errors are keyed by it)."""
    return f"density_{zone}"


def photo_field(zone: str | None) -> str:
    return f"photo_{zone or 'whole_scalp'}"


def check_open(link: FollowUpLink, *, now: datetime) -> None:
    """``LinkUsed`` or ``LinkExpired`` unless ``link`` may still be answered. Used wins: a
    link answered and then past its time says that it was used."""
    answered = response_of(link)
    if answered is not None:
        raise LinkUsed(answered.responded_at)
    if link.expired(now):
        raise LinkExpired(link.expires_at)


def respond(link: FollowUpLink, answers: FollowUpAnswers, *, now: datetime) -> Outcome:
    """Record the client's answers to ``link``: one ``client_self`` assessment per rated zone,
    each zone's photo attached to it, a whole-scalp photo, an audit line, and the link marked
    used.

    Raises ``LinkUsed`` / ``LinkExpired`` (nothing written), ``ValidationFailed`` naming each
    bad field (nothing written: every rating is checked before the first row; a photo refused
    while storing raises too, and the caller's rollback takes the rows written before it).
    Flushes, never commits; the caller's unit of work reprojects the client.
    """
    check_open(link, now=now)
    client = link.client
    holder = access.client_by_link(client)
    inputs = _checked(holder, link, answers, now=now)
    response = FollowUpResponse(
        reminder_id=link.reminder.id,
        client_id=client.id,
        responded_at=now,
        ratings=len(inputs),
        photos=answers.photos(),
    )
    db.session.add(response)
    try:
        db.session.flush()
    except sa.exc.IntegrityError as exc:
        # Another answer to the same link won the race between our check and this insert.
        raise LinkUsed(None) from exc
    outcome = Outcome(response)
    photos = {z.zone: z.photo for z in answers.zones if z.photo}
    for zone, data in inputs:
        assessment = ratings.record_assessment(holder, client, data, now=now)
        outcome.assessments.append(assessment)
        if zone in photos:
            outcome.photos.append(
                _store_photo(link, zone, photos.pop(zone), now=now, assessment_id=assessment.id)
            )
    for zone, data in photos.items():  # a photo of a zone left unrated: the practitioner rates
        outcome.photos.append(_store_photo(link, zone, data, now=now))
    if answers.whole_scalp_photo:
        outcome.photos.append(_store_photo(link, None, answers.whole_scalp_photo, now=now))
    audit.record_event(
        holder, "create", client_id=client.id, object_type=OBJECT, object_id=response.id, now=now
    )
    return outcome


def _checked(
    holder: access.ClientByLink, link: FollowUpLink, answers: FollowUpAnswers, *, now: datetime
) -> list[tuple[str, ratings.AssessmentInput]]:
    """Each rated zone's assessment, validated; ``ValidationFailed`` naming every bad field."""
    errors: dict[str, str] = {}
    zones = set(zones_of(link))
    today = client_today(link.client, now)
    checked: list[tuple[str, ratings.AssessmentInput]] = []
    seen: set[str] = set()
    for answer in answers.zones:
        if answer.zone not in zones or answer.zone in seen:
            # Not a field on the page: a message for the whole form.
            label = ZONE_LABELS.get(answer.zone, "That zone")
            errors[f"zone_{answer.zone}"] = f"{label} is not one of your treated zones."
            continue
        seen.add(answer.zone)
        if answer.density_pct is None:
            continue
        data = ratings.AssessmentInput(
            assessed_on=today,
            zone=answer.zone,
            density_pct=answer.density_pct,
            assessor_kind="client_self",
            note=answers.note,
            blur_or_colour_shift=answers.blur_or_colour_shift,
        )
        try:
            checked.append(
                (answer.zone, ratings.validate_assessment(holder, link.client, data, now=now))
            )
        except ValidationFailed as exc:
            for name, message in exc.fields.items():
                key = density_field(answer.zone) if name in ("density_pct", "zone") else name
                errors[key] = message
    if not errors and not checked and not answers.photos():
        errors["form"] = "Rate at least one zone or add a photo; nothing was sent yet."
    if errors:
        raise ValidationFailed("Please correct the highlighted answers.", errors)
    return checked


def _store_photo(
    link: FollowUpLink,
    zone: str | None,
    data: bytes,
    *,
    now: datetime,
    assessment_id: int | None = None,
):
    from smptrack.services import photos

    uploader = db.session.get(User, link.client.user_id) if link.client.user_id else None
    try:
        return photos.store_photo(
            link.client,
            zone=zone,
            taken_on=client_today(link.client, now),
            data=data,
            uploaded_by=uploader,
            now=now,
            assessment_id=assessment_id,
        )
    except photos.PhotoRefused as exc:
        raise ValidationFailed(exc.message, {photo_field(zone): exc.message}) from exc
