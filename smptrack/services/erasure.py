"""A client's own erasure request, and the practice's duty to keep the treatment record.

A client may erase their data with only their password, but not the clinical record their
practice must keep (GDPR Art. 17(3)(b): a legal obligation; a recall of a pigment lot needs to
know who received it). So their request (``request_own_erasure``) does two things at once:

- **goes now**: the login (API tokens, login sessions, calendar feeds), everything else about
  them that is not the treatment record (the sun log, fade assessments and photos, whoever
  logged them; sessions they logged themselves; reminders sent or pending, reminder
  preferences, invitations, queued account mail, signing links, appointments), and their
  contact details: the record's email address is blanked, so nothing can be mailed to them
  afterwards (no reminder, no recall notice, no appointment mail);
- **kept until the retention period ends** (``retained_until``): the sessions the practice
  recorded with their placements (zone, pigment lot, settings, notes), the signed consents and
  health questionnaires, the name on the record and its access log. The record is marked
  ``erasure_requested_at`` and its practitioners see the request (``requests_of``).

Retention counts from the last treatment (``domain.retention``), in the practice's setting
(``retention_years_of``). A record with nothing to keep (no practice, no practice-recorded
session or consent) or whose period has already ended goes at once, by the practitioner's
erasure path. Once the period ends, the sweep (``sending.retention_sweep``) erases the rest by
that same path (``exports.erase_after_retention``).

Everything here flushes and never commits, except ``erase_one_due`` which the sweep calls once
per record with its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from smptrack.domain import limits
from smptrack.domain.retention import DEFAULT_RETENTION_YEARS, retained_until
from smptrack.extensions import db
from smptrack.models import (
    AccountMail,
    Appointment,
    AuditEvent,
    CalendarFeed,
    Client,
    ClientProjection,
    Consent,
    ConsentLink,
    FadeAssessment,
    FollowUpResponse,
    HealthQuestionnaire,
    Invitation,
    Photo,
    Placement,
    Practice,
    PracticeSettings,
    Reminder,
    ReminderPreference,
    SunDoseMonth,
    SunExposure,
    TreatmentSession,
    User,
)
from smptrack.services import account_mail, exports
from smptrack.services.access import Actor, practice_id_of, require_owner, require_practitioner
from smptrack.services.errors import ValidationFailed
from smptrack.services.pagination import Page

# --- the practice's retention period ------------------------------------------------------------


def retention_years_of(practice_id: int | None) -> int:
    """The practice's treatment record retention, in years (the default where none is set)."""
    if practice_id is None:
        return DEFAULT_RETENTION_YEARS
    stored = db.session.scalar(
        sa.select(PracticeSettings.treatment_record_retention_years).where(
            PracticeSettings.practice_id == practice_id
        )
    )
    return stored or DEFAULT_RETENTION_YEARS


def set_retention_years(actor: Actor, years: object) -> PracticeSettings:
    """The owner sets the practice's retention period (whole years, within
    ``limits.TREATMENT_RECORD_RETENTION_YEARS``). Raises ``Forbidden`` for anyone but the owner
    and ``ValidationFailed`` (field ``years``) for anything else, having written nothing.
    Pending requests follow the new period: their dates are computed, never stored. Flushes."""
    require_owner(actor)
    bounds = limits.TREATMENT_RECORD_RETENTION_YEARS
    if years not in bounds or not isinstance(years, int):
        message = f"A whole number of years {bounds.words()}."
        raise ValidationFailed(message, {"years": message})
    practice_id = practice_id_of(actor)
    row = db.session.scalar(
        sa.select(PracticeSettings).where(PracticeSettings.practice_id == practice_id)
    )
    if row is None:
        row = PracticeSettings(practice_id=practice_id)
        db.session.add(row)
    row.treatment_record_retention_years = years
    db.session.flush()
    return row


# --- what is kept, and until when -------------------------------------------------------------


def _practice_sessions(client: Client, login_id: int | None) -> sa.Select:
    """The treatment record's sessions: all but those the client's own login logged."""
    query = sa.select(TreatmentSession.id).where(TreatmentSession.client_id == client.id)
    if login_id is not None:
        query = query.where(
            sa.or_(
                TreatmentSession.logged_by_id.is_(None),
                TreatmentSession.logged_by_id != login_id,
            )
        )
    return query


def last_treated_on(client: Client, *, login_id: int | None = None) -> date | None:
    """The day retention counts from: the last session the practice recorded, else the last
    consent signed or questionnaire answered (a record of those alone); None if there is no
    treatment record at all. ``login_id``: the client's login, whose own sessions are not the
    practice's record (defaults to the record's linked login)."""
    login_id = client.user_id if login_id is None else login_id
    last_session = db.session.scalar(
        sa.select(sa.func.max(TreatmentSession.performed_on)).where(
            TreatmentSession.id.in_(_practice_sessions(client, login_id))
        )
    )
    if last_session is not None:
        return last_session
    moments = [
        db.session.scalar(
            sa.select(sa.func.max(Consent.signed_at)).where(Consent.client_id == client.id)
        ),
        db.session.scalar(
            sa.select(sa.func.max(HealthQuestionnaire.answered_at)).where(
                HealthQuestionnaire.client_id == client.id
            )
        ),
    ]
    known = [m for m in moments if m is not None]
    return max(known).date() if known else None


def kept_until(client: Client, *, login_id: int | None = None) -> date | None:
    """The day the record's treatment part may be erased (``domain.retention``); None when the
    record has nothing the practice must keep (no practice, or no treatment record)."""
    if client.practice_id is None:
        return None  # a client who keeps their own log: no practice has a duty to keep it
    last = last_treated_on(client, login_id=login_id)
    if last is None:
        return None
    return retained_until(last, retention_years_of(client.practice_id))


@dataclass(frozen=True)
class OwnErasurePlan:
    """What the client's erasure page states before they confirm."""

    keeps: bool  # whether the practice keeps a treatment record
    kept_until: date | None
    sessions_kept: int
    consents_kept: int
    practice_name: str | None
    practitioner_name: str | None
    practitioner_email: str | None


def plan_own_erasure(user: User, *, today: date) -> OwnErasurePlan:
    """What ``request_own_erasure`` would do for ``user`` on ``today`` (reads only)."""
    record = db.session.scalar(sa.select(Client).where(Client.user_id == user.id))
    until = kept_until(record, login_id=user.id) if record is not None else None
    keeps = until is not None and until > today
    practice_name = practitioner_name = practitioner_email = None
    sessions = consents = 0
    if record is not None and keeps:
        sessions = db.session.scalar(
            sa.select(sa.func.count()).select_from(_practice_sessions(record, user.id).subquery())
        )
        consents = db.session.scalar(
            sa.select(sa.func.count(Consent.id)).where(Consent.client_id == record.id)
        )
        practice = db.session.get(Practice, record.practice_id)
        practice_name = practice.name if practice is not None else None
        practitioner = record.practitioner
        if practitioner is not None:
            practitioner_name = practitioner.display_name
            practitioner_email = practitioner.email
    return OwnErasurePlan(
        keeps=keeps,
        kept_until=until if keeps else None,
        sessions_kept=sessions or 0,
        consents_kept=consents or 0,
        practice_name=practice_name,
        practitioner_name=practitioner_name,
        practitioner_email=practitioner_email,
    )


# --- the client's request -------------------------------------------------------------------


@dataclass(frozen=True)
class OwnErasure:
    """What ``request_own_erasure`` did: ``erasure`` for ``finish_erasure`` after the commit,
    and the day the kept record goes (None: nothing was kept)."""

    erasure: exports.Erasure
    kept_until: date | None


def request_own_erasure(
    user: User, password: str, *, now: datetime, folders: exports.Folders
) -> OwnErasure:
    """A client erases their login and their own data at once; the practice's treatment record
    stays until its retention period ends (module docstring: what goes and what stays).

    Raises ``ValidationFailed`` (field ``password``) for a wrong password and ``Forbidden`` for
    a login that is not a client's, having changed nothing. A record with nothing to keep, or
    whose retention period has ended, is erased whole by the practitioner's path. Flushes,
    never commits; the caller commits, runs ``exports.finish_erasure`` and logs the person out.
    """
    exports.check_own_password(user, password)
    erasure = exports.Erasure(uploads=folders.uploads, mail_folder=folders.mail)
    emails = {user.email}
    record = db.session.scalar(sa.select(Client).where(Client.user_id == user.id))
    until = kept_until(record, login_id=user.id) if record is not None else None
    if record is not None and record.email:
        emails.add(record.email)
    if record is not None and (until is None or until <= now.date()):
        erasure.merge(exports.erase_client(user, record, now=now, folders=folders))
        until = None
    elif record is not None:
        erasure.merge(_keep_treatment_record(user, record, now=now, folders=folders))
    exports.erase_login(user, erasure, emails=emails)
    return OwnErasure(erasure=erasure, kept_until=until)


def _keep_treatment_record(
    user: User, record: Client, *, now: datetime, folders: exports.Folders
) -> exports.Erasure:
    """Erase all of ``record`` but the treatment record, detach it from the login and from any
    contact detail, and mark the request. Flushes."""
    addresses, message_ids = exports.mail_addresses_of(record)
    addresses -= exports.still_used(addresses, record.id, user.id)
    photos: list[str] = []
    for stored, thumb in db.session.execute(
        sa.select(Photo.stored_name, Photo.thumb_name).where(Photo.client_id == record.id)
    ):
        photos += [stored, thumb]
    own_sessions = sa.select(TreatmentSession.id).where(
        TreatmentSession.client_id == record.id, TreatmentSession.logged_by_id == user.id
    )
    _delete(sa.delete(Placement).where(Placement.session_id.in_(own_sessions)))
    _delete(
        sa.delete(TreatmentSession).where(
            TreatmentSession.client_id == record.id, TreatmentSession.logged_by_id == user.id
        )
    )
    # Children before parents: follow-up answers name a reminder, photos an assessment.
    for model in (
        FollowUpResponse,
        Photo,
        SunExposure,
        SunDoseMonth,
        FadeAssessment,
        ClientProjection,
        Reminder,
        ReminderPreference,
        Invitation,
        AccountMail,
        ConsentLink,
        CalendarFeed,
        Appointment,
    ):
        _delete(sa.delete(model).where(model.client_id == record.id))
    account_mail.forget_recipient(sorted(addresses))
    # Contact details and everything derived from the sun log and the ratings go; the name, the
    # skin facts and the practice's notes are part of the treatment record and stay.
    record.email = None
    record.latitude = None
    record.longitude = None
    record.user_id = None
    record.sun_log_complete = False
    record.next_touch_up_on = None
    record.touch_up_earliest_on = None
    record.touch_up_latest_on = None
    record.next_touch_up_zone = None
    record.touch_up_due_now = False
    record.projection_review_flag = False
    record.projection_blur_advisory = False
    record.erasure_requested_at = now
    db.session.add(
        AuditEvent(
            occurred_at=now,
            actor_id=None,  # the login that asked is about to go
            client_id=record.id,
            practice_id=record.practice_id,
            action="update",
            object_type="erasure_request",
            object_id=record.id,
        )
    )
    db.session.flush()
    return exports.Erasure(
        uploads=folders.uploads,
        mail_folder=folders.mail,
        photos=photos,
        addresses=addresses,
        message_ids=message_ids,
    )


def _delete(statement: sa.Delete) -> None:
    db.session.execute(statement.execution_options(synchronize_session="fetch"))


# --- what the practitioner sees ------------------------------------------------------------


@dataclass(frozen=True)
class ErasureRequest:
    client_id: int
    display_name: str
    requested_at: datetime
    kept_until: date | None  # None: nothing left to keep; the next sweep erases it


def request_of(client: Client) -> ErasureRequest | None:
    """The erasure request on ``client`` (None if its client has not asked), for its page."""
    if client.erasure_requested_at is None:
        return None
    return ErasureRequest(
        client.id, client.display_name, client.erasure_requested_at, kept_until(client)
    )


def requests_of(actor: Actor, *, page: int, per_page: int = 25) -> Page:
    """The erasure requests on the actor's practice's records, oldest first, one page of
    ``ErasureRequest``. Practitioners only (``Forbidden`` otherwise). Reads only."""
    require_practitioner(actor)
    scope = (
        Client.practice_id == practice_id_of(actor),
        Client.erasure_requested_at.is_not(None),
    )
    total = db.session.scalar(sa.select(sa.func.count(Client.id)).where(*scope)) or 0
    last = max(1, -(-total // per_page))
    page = min(max(1, page), last)  # a page past the end shows the last one
    rows = db.session.scalars(
        sa.select(Client)
        .where(*scope)
        .order_by(Client.erasure_requested_at, Client.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    items = [r for r in (request_of(c) for c in rows) if r is not None]
    return Page(items=items, page=page, per_page=per_page, total=total)


# --- the sweep --------------------------------------------------------------------------------


def due_record_ids(today: date) -> list[int]:
    """The records whose client asked for erasure and whose retention ended by ``today``."""
    rows = db.session.scalars(
        sa.select(Client).where(Client.erasure_requested_at.is_not(None)).order_by(Client.id)
    ).all()
    return [c.id for c in rows if (kept_until(c) or date.min) <= today]


def erase_one_due(client_id: int, *, now: datetime, folders: exports.Folders) -> bool:
    """Erase record ``client_id`` if its request stands and its retention has ended, in its own
    transaction (commits; runs ``finish_erasure`` after). Returns whether it erased.

    Safe under two sweeps: the first statement is a conditional UPDATE of the row, which takes
    its lock (PostgreSQL: the row; SQLite: the database) and matches nothing once another sweep
    has erased it, so a second sweep waits, then skips. The date is checked again under the
    lock, so a retention period lengthened meanwhile is honoured.
    """
    db.session.rollback()  # a fresh transaction: on SQLite a write after an old read fails
    claimed = db.session.execute(
        sa.update(Client)
        .where(Client.id == client_id, Client.erasure_requested_at.is_not(None))
        .values(erasure_requested_at=Client.erasure_requested_at)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        return False
    client = db.session.get(Client, client_id, populate_existing=True)
    if client is None or (kept_until(client) or date.min) > now.date():
        db.session.rollback()
        return False
    erasure = exports.erase_after_retention(client, now=now, folders=folders)
    db.session.commit()
    exports.finish_erasure(erasure)
    return True
