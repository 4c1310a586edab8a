"""Secret calendar feeds (RFC 5545): create, regenerate and stop them; build the document.

Three kinds of feed (``CalendarFeed.scope``), each tied to one *subject*:

- ``practitioner``: one practitioner's appointments, held by that practitioner (``user_id``).
- ``practice``: the whole practice's schedule, held by one member (``user_id`` is the holder:
  every member may hold their own URL to it, see ``access.own_calendar_feed_scopes``).
- ``client``: one client's appointments and their projected touch-up window as an all-day
  event (``client_id``); the client holds it, and a practitioner of their practice may issue,
  regenerate or stop it for them (one URL per client: whoever regenerates it ends the old one).

The URL is the secret: ``secrets.token_urlsafe(32)`` (256 bits), of which only the SHA-256 is
stored, so it is shown once, when it is made. At most one live feed per subject: issuing one
revokes (``revoked_at``) any live row of the same subject first, under a lock on the subject's
row, so two concurrent regenerations leave one live URL. A revoked, unknown or no longer served
key answers 404 (``access.calendar_feed_serves``: a member who left, a client who moved).

Fetching a feed is a read and writes nothing, no audit line either: a calendar app polls it
every 15 minutes or so, and a line per poll would say nothing but "the phone is on". It carries
the schedule only (names, times, kind, practitioner, status), never notes or placements; the
audit log records who created, regenerated or stopped a feed (``object_type`` calendar_feed).

Bounds: appointments starting from ``PAST`` before the fetch to ``AHEAD`` after it, at most
``MAX_APPOINTMENTS`` of them (the earliest first: the cap drops the farthest future), fetched
with their names in one SELECT after the one that finds the feed: two statements per fetch,
however long the schedule.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack import ics
from smptrack.extensions import db
from smptrack.models import Appointment, CalendarFeed, Client, Practice, PracticeMember, User
from smptrack.services import access, audit
from smptrack.services.access import Actor
from smptrack.services.errors import Forbidden, ValidationFailed

PAST = timedelta(days=90)
AHEAD = timedelta(days=730)
MAX_APPOINTMENTS = 2000
# token_urlsafe(32) is 43 characters of [A-Za-z0-9_-]; anything else is refused unhashed.
KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")

SCOPE_TITLES = {
    "practitioner": "My appointments",
    "practice": "The practice's schedule",
    "client": "My SMP appointments and touch-up window",
}
# What a calendar shows for an appointment of each session kind.
KIND_WORDS = {
    "initial": "SMP session",
    "build_up": "SMP build-up session",
    "touch_up": "SMP touch-up",
    "correction": "SMP correction",
    "scar": "SMP scar camouflage",
}
# Minutes since this instant give the touch-up window's SEQUENCE (it has no counter of its
# own): it rises whenever the client row changes, and fits RFC 5545's 32-bit INTEGER for
# four thousand years.
_SEQUENCE_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Subject:
    """Whose feed: a scope and the row it is about."""

    scope: str
    practice_id: int
    user_id: int | None = None
    client_id: int | None = None

    def matches(self) -> sa.ColumnElement[bool]:
        condition = sa.and_(
            CalendarFeed.scope == self.scope, CalendarFeed.practice_id == self.practice_id
        )
        if self.scope == "client":
            return sa.and_(condition, CalendarFeed.client_id == self.client_id)
        return sa.and_(condition, CalendarFeed.user_id == self.user_id)


@dataclass(frozen=True)
class Issued:
    """A feed just made, with its key: the only moment the key is known."""

    feed: CalendarFeed
    key: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# --- Who holds what ---------------------------------------------------------------------------


def own_subject(actor: Actor, scope: str) -> Subject:
    """The subject of ``actor``'s own feed of ``scope``. ``Forbidden`` when their role may not
    hold one (``access.own_calendar_feed_scopes``); ``ValidationFailed`` for a client whose
    record belongs to no practice yet (a feed belongs to a practice)."""
    if scope not in access.own_calendar_feed_scopes(actor):
        raise Forbidden("Your account cannot have this calendar feed.")
    if scope == "client":
        record = access.own_client_record(actor)
        if record is None or record.practice_id is None:
            raise ValidationFailed(
                "A calendar feed comes from your practice: your record is not with one yet."
            )
        return Subject("client", record.practice_id, client_id=record.id)
    practice_id = access.practice_id_of(actor)
    assert practice_id is not None  # own_calendar_feed_scopes gives members only these scopes
    return Subject(scope, practice_id, user_id=actor.id)


def client_subject(actor: Actor, client_id: int) -> tuple[Client, Subject]:
    """A client's feed, managed by a practitioner of their practice (``access.get_client``
    answers another practice's client with ``NotFound`` and the front desk with
    ``Forbidden``)."""
    client = access.get_client(actor, client_id)
    if not access.may_issue_client_feed(actor, client) or client.practice_id is None:
        raise Forbidden("Only a practitioner of the client's practice can manage their feed.")
    return client, Subject("client", client.practice_id, client_id=client.id)


def live_feed(subject: Subject) -> CalendarFeed | None:
    """The subject's live feed (the newest, should a race ever have left two)."""
    return db.session.scalar(
        sa.select(CalendarFeed)
        .where(subject.matches(), CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.created_at.desc(), CalendarFeed.id.desc())
        .limit(1)
    )


def live_feeds(subjects: list[Subject]) -> dict[Subject, CalendarFeed]:
    """The live feed of each subject that has one, in one SELECT."""
    if not subjects:
        return {}
    rows = db.session.scalars(
        sa.select(CalendarFeed)
        .where(sa.or_(*(s.matches() for s in subjects)), CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.created_at, CalendarFeed.id)
    ).all()
    found: dict[Subject, CalendarFeed] = {}
    for feed in rows:  # oldest first: the newest of a subject wins
        for subject in subjects:
            if _is_of(feed, subject):
                found[subject] = feed
    return found


def _is_of(feed: CalendarFeed, subject: Subject) -> bool:
    if feed.scope != subject.scope or feed.practice_id != subject.practice_id:
        return False
    if subject.scope == "client":
        return feed.client_id == subject.client_id
    return feed.user_id == subject.user_id


# --- Issuing and stopping -----------------------------------------------------------------


def _lock_subject(subject: Subject) -> None:
    """Serialise issuing and stopping for one subject: a row lock on PostgreSQL (SQLite has
    one writer at a time anyway), so a second regeneration waits, then revokes the first's
    row instead of leaving two live URLs."""
    if subject.scope == "client":
        statement = sa.select(Client.id).where(Client.id == subject.client_id)
    else:
        statement = sa.select(User.id).where(User.id == subject.user_id)
    db.session.execute(statement.with_for_update())


def _revoke_live(subject: Subject, now: datetime) -> list[int]:
    ids = list(
        db.session.scalars(
            sa.select(CalendarFeed.id).where(subject.matches(), CalendarFeed.revoked_at.is_(None))
        )
    )
    if ids:
        db.session.execute(
            sa.update(CalendarFeed)
            .where(CalendarFeed.id.in_(ids), CalendarFeed.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session="fetch")
        )
    return ids


def issue_feed(actor: Actor, subject: Subject, *, now: datetime) -> Issued:
    """Make a new secret URL for ``subject``, revoking its live one (whose URL then answers
    404). The caller has checked who may (``own_subject`` / ``client_subject``). Flushes,
    never commits."""
    _lock_subject(subject)
    replaced = _revoke_live(subject, now)
    key = secrets.token_urlsafe(32)
    feed = CalendarFeed(
        practice_id=subject.practice_id,
        scope=subject.scope,
        user_id=subject.user_id,
        client_id=subject.client_id,
        key_hash=hash_key(key),
        created_at=now,
    )
    db.session.add(feed)
    db.session.flush()
    audit.record_event(
        actor,
        "update" if replaced else "create",
        client_id=subject.client_id,
        object_type="calendar_feed",
        object_id=feed.id,
        now=now,
    )
    return Issued(feed, key)


def stop_feed(actor: Actor, subject: Subject, *, now: datetime) -> bool:
    """Revoke ``subject``'s live feed without a replacement; False when it had none. Flushes,
    never commits."""
    _lock_subject(subject)
    revoked = _revoke_live(subject, now)
    for feed_id in revoked:
        audit.record_event(
            actor,
            "delete",
            client_id=subject.client_id,
            object_type="calendar_feed",
            object_id=feed_id,
            now=now,
        )
    return bool(revoked)


# --- The document -------------------------------------------------------------------------


_Holder = so.aliased(User)
_HolderMembership = so.aliased(PracticeMember)


def document(key: str, *, now: datetime, domain: str) -> bytes | None:
    """The iCalendar document of the live feed whose key is ``key``, or None (unknown, revoked
    or no longer served: the caller answers 404). Two SELECTs; writes nothing.

    ``domain`` names this installation in the touch-up window's UID (appointments carry their
    own stored UID).
    """
    if not KEY_SHAPE.fullmatch(key):
        return None
    found = db.session.execute(
        sa.select(
            CalendarFeed.scope,
            CalendarFeed.practice_id,
            CalendarFeed.user_id,
            CalendarFeed.client_id,
            Practice.name.label("practice_name"),
            Practice.address.label("practice_address"),
            _Holder.active.label("holder_active"),
            _Holder.role.label("holder_role"),
            _Holder.display_name.label("holder_name"),
            _HolderMembership.practice_id.label("holder_practice_id"),
            _HolderMembership.role.label("holder_member_role"),
            Client.practice_id.label("client_practice_id"),
            Client.touch_up_earliest_on,
            Client.next_touch_up_on,
            Client.touch_up_latest_on,
            Client.updated_at.label("client_updated_at"),
        )
        .join(Practice, Practice.id == CalendarFeed.practice_id)
        .outerjoin(_Holder, _Holder.id == CalendarFeed.user_id)
        .outerjoin(_HolderMembership, _HolderMembership.user_id == CalendarFeed.user_id)
        .outerjoin(Client, Client.id == CalendarFeed.client_id)
        .where(CalendarFeed.key_hash == hash_key(key), CalendarFeed.revoked_at.is_(None))
    ).first()
    if found is None or not access.calendar_feed_serves(
        found.scope,
        found.practice_id,
        holder_active=found.holder_active,
        holder_role=found.holder_role,
        holder_practice_id=found.holder_practice_id,
        holder_member_role=found.holder_member_role,
        client_practice_id=found.client_practice_id,
    ):
        return None

    staff = found.scope != "client"
    items: list[ics.Appointment | ics.Window] = [
        _appointment(row, found.practice_name, found.practice_address, staff)
        for row in _appointments(found, now)
    ]
    if found.scope == "client":
        window = _touch_up_window(found, domain)
        if window is not None:
            items.append(window)
    return ics.feed(_calendar_name(found), items, stamp=now)


def _appointments(found: sa.Row, now: datetime) -> list[sa.Row]:
    Practitioner = so.aliased(User)
    query = (
        sa.select(
            Appointment.uid,
            Appointment.sequence,
            Appointment.status,
            Appointment.kind,
            Appointment.starts_at,
            Appointment.ends_at,
            Appointment.updated_at,
            Client.display_name.label("client_name"),
            Practitioner.display_name.label("practitioner_name"),
        )
        .join(Client, Client.id == Appointment.client_id)
        .join(Practitioner, Practitioner.id == Appointment.practitioner_id)
        .where(
            Appointment.practice_id == found.practice_id,
            Appointment.starts_at >= now - PAST,
            Appointment.starts_at < now + AHEAD,
        )
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(MAX_APPOINTMENTS)
    )
    if found.scope == "practitioner":
        query = query.where(Appointment.practitioner_id == found.user_id)
    elif found.scope == "client":
        query = query.where(Appointment.client_id == found.client_id)
    return list(db.session.execute(query))


def _appointment(row: sa.Row, practice: str, address: str, staff: bool) -> ics.Appointment:
    words = KIND_WORDS[row.kind]
    if staff:
        summary = f"{row.client_name}: {words} with {row.practitioner_name}"
        description = ""
    else:
        summary = f"{words} at {practice}"
        description = f"With {row.practitioner_name}."
    if row.status == "no_show":
        description = (description + " Marked as missed.").strip()
    return ics.Appointment(
        uid=row.uid,
        sequence=row.sequence,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        summary=summary,
        status="CANCELLED" if row.status == "cancelled" else "CONFIRMED",
        description=description,
        location=address,
        last_modified=row.updated_at,
    )


def window_uid(client_id: int, domain: str) -> str:
    """The touch-up window's UID: one per client, the same at every fetch and every change."""
    return f"touch-up-window-{client_id}@{domain}"


def _touch_up_window(found: sa.Row, domain: str) -> ics.Window | None:
    first = found.touch_up_earliest_on or found.next_touch_up_on
    last = found.touch_up_latest_on or found.next_touch_up_on
    if first is None or last is None or last < first:
        return None
    likely = found.next_touch_up_on
    description = "An estimate from your treatment history and sun log, not a booking."
    if likely is not None:
        description += f" Most likely around {_day(likely)}."
    description += f" Book your touch-up with {found.practice_name}."
    updated = found.client_updated_at or _SEQUENCE_EPOCH
    return ics.Window(
        uid=window_uid(found.client_id, domain),
        sequence=max(0, int((updated - _SEQUENCE_EPOCH).total_seconds() // 60)),
        first_day=first,
        last_day=last,
        summary="SMP touch-up window (an estimate)",
        description=description,
    )


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _calendar_name(found: sa.Row) -> str:
    if found.scope == "practitioner":
        return f"{found.practice_name}: {found.holder_name}'s appointments"
    if found.scope == "practice":
        return f"{found.practice_name}: all appointments"
    return f"My SMP appointments ({found.practice_name})"
