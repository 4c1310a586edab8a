"""The client page's overview and its sections, each paged on its own.

The page opens on what a practitioner (or the client) wants first: the next touch-up in words,
the latest rating, the next appointment and the flags; below it one section per kind of record
(sessions, sun, assessments and photos, reminders, record access), each showing at most
``SECTION_ROWS`` rows with its own pager. A session is no longer buried under months of sun
rows, and the page renders a few rows of each whatever the history's length.

Sections page by their own query parameter on the one client URL (``?sessions_page=2``), not
by a URL per section: the overview, the fade chart and the other sections stay in view while
one section pages, a pager keeps the other sections' pages, the access policy and the audit
line stay those of the one page, and the client's own page (/me) gets the same sections by
the same code. The cost of re-rendering the rest is bounded (a few rows per section; the chart
is cached).

Reads only. The sessions, assessments and sun months come from ``services.history`` (three
SELECTs, already loaded for the fade chart); the next appointment, the reminders and the
record access add one small indexed SELECT each (a page and its total in one statement).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.models import Appointment, AuditEvent, Client, Reminder, User
from smptrack.services import access
from smptrack.services.access import Actor
from smptrack.services.history import (
    AssessmentLine,
    AuditEntry,
    AuditLine,
    ClientHistory,
    SessionLine,
    SunMonth,
)
from smptrack.services.pagination import Page, paginate

# At most this many rows per section (fewer when the site's page size is smaller).
SECTION_ROWS = 5
# The sections' names: each pages by ``<name>_page`` in the query string.
SECTIONS = ("sessions", "sun", "assessments", "reminders", "events")


def page_parameter(section: str) -> str:
    return f"{section}_page"


def pages_from(args: Mapping[str, str]) -> dict[str, int]:
    """The page of each section asked for in a query string (``args``): junk, zero and
    negative numbers mean the first page; numbers past the end are clamped later, per section,
    once its length is known."""
    pages = {}
    for section in SECTIONS:
        raw = args.get(page_parameter(section), "")
        if raw.isascii() and raw.isdigit():
            pages[section] = max(1, min(int(raw), 10_000))
    return pages


def touch_up_words(most_likely: date | None, today: date, *, due_now: bool = False) -> str | None:
    """The next touch-up in words a person reads at a glance: "Touch-up due in about
    5 months (May 2027)". None when nothing is projected. Months are 30.44 days (a year's
    mean); past 21 months the words count half years, as the estimate is no finer than that.
    """
    if most_likely is None:
        return None
    when = most_likely.strftime("%B %Y")
    days = (most_likely - today).days
    if due_now or days <= 0:
        return f"Touch-up due now (most likely date {when})"
    if days < 14:
        return f"Touch-up due within two weeks ({when})"
    if days < 60:
        weeks = round(days / 7)
        return f"Touch-up due in about {weeks} weeks ({when})"
    months = round(days / 30.44)
    if months < 21:
        return f"Touch-up due in about {months} month{'' if months == 1 else 's'} ({when})"
    halves = round(days / 365.25 * 2)
    years = f"{halves // 2}½" if halves % 2 else f"{halves // 2}"
    return f"Touch-up due in about {years} years ({when})"


@dataclass(frozen=True, slots=True)
class NextAppointment:
    id: int
    starts_at: datetime
    kind: str
    practitioner_name: str | None


@dataclass(frozen=True, slots=True)
class ReminderLine:
    id: int
    kind: str
    status: str
    due_at: datetime
    sent_at: datetime | None
    last_error: str | None  # None also when the viewer may not see the reason


@dataclass(frozen=True)
class ClientOverview:
    touch_up: str | None
    latest_rating: AssessmentLine | None
    next_appointment: NextAppointment | None
    sessions: Page[SessionLine]
    sun: Page[SunMonth]
    assessments: Page[AssessmentLine]
    reminders: Page[ReminderLine]
    events: Page[AuditLine] | None  # None: only the practice sees who read the record


def section_size(page_size: int) -> int:
    return max(1, min(SECTION_ROWS, page_size))


def client_overview(
    viewer: Actor,
    client: Client,
    history: ClientHistory,
    *,
    pages: Mapping[str, int],
    page_size: int,
    today: date,
    now: datetime,
) -> ClientOverview:
    """The overview and one page of each section of ``client``'s page as ``viewer`` sees it.

    ``pages`` maps a section's name to the page asked for (missing: the first); a page past the
    end shows the last. ``today`` is the client's own date (the touch-up words count from it),
    ``now`` the UTC moment (the next appointment starts after it). The caller loaded ``client``
    through the access policy and ``history`` from ``services.history``. Reads only.
    """
    per_page = section_size(page_size)

    def page_of(section: str) -> int:
        return pages.get(section, 1)

    manages = access.may_manage_practice(viewer, client)
    return ClientOverview(
        touch_up=touch_up_words(
            client.next_touch_up_on, today, due_now=bool(client.touch_up_due_now)
        ),
        latest_rating=history.assessments[0] if history.assessments else None,
        next_appointment=_next_appointment(viewer, client, now),
        sessions=paginate(history.sessions, page_of("sessions"), per_page),
        sun=paginate(history.sun_months, page_of("sun"), per_page),
        assessments=paginate(history.assessments, page_of("assessments"), per_page),
        reminders=_reminders(viewer, client, page_of("reminders"), per_page),
        events=_events(client, page_of("events"), per_page) if manages else None,
    )


def _next_appointment(viewer: Actor, client: Client, now: datetime) -> NextAppointment | None:
    row = db.session.execute(
        access.visible_appointments(viewer)
        .with_only_columns(
            Appointment.id, Appointment.starts_at, Appointment.kind, User.display_name
        )
        .outerjoin(User, User.id == Appointment.practitioner_id)
        .where(
            Appointment.client_id == client.id,
            Appointment.status == "booked",
            Appointment.starts_at >= now,
        )
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(1)
    ).first()
    return NextAppointment(*row) if row is not None else None


def _window_page(query: sa.Select, order: tuple, page: int, per_page: int) -> tuple[list, int, int]:
    """One page of ``query``'s rows and the total, in one statement (the total rides on each
    row as ``count(*) OVER ()``), and the page number clamped to the range. A page past the end
    costs two statements more (the count, then the last page): only a hand-typed URL asks it."""

    def fetch(number: int) -> list[sa.Row]:
        return list(
            db.session.execute(
                query.add_columns(sa.func.count().over())
                .order_by(*order)
                .limit(per_page)
                .offset((number - 1) * per_page)
            )
        )

    rows = fetch(page)
    if rows:
        return [row[:-1] for row in rows], rows[0][-1], page
    if page == 1:
        return [], 0, 1
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    last = max(1, -(-total // per_page))
    return [row[:-1] for row in fetch(last)] if total else [], total, last


def _reminders(viewer: Actor, client: Client, page: int, per_page: int) -> Page[ReminderLine]:
    """The client's reminders, latest due first (planned ones on top), one page."""
    query = sa.select(
        Reminder.id,
        Reminder.kind,
        Reminder.status,
        Reminder.due_at,
        Reminder.sent_at,
        Reminder.last_error,
    ).where(Reminder.client_id == client.id)
    rows, total, page = _window_page(
        query, (Reminder.due_at.desc(), Reminder.id.desc()), page, per_page
    )
    items = [
        ReminderLine(
            id=id_,
            kind=kind,
            status=status,
            due_at=due_at,
            sent_at=sent_at,
            last_error=error if access.may_see_reminder_error(viewer, client, status) else None,
        )
        for id_, kind, status, due_at, sent_at, error in rows
    ]
    return Page(items=items, page=page, per_page=per_page, total=total)


_AUDIT_COLUMNS = tuple(getattr(AuditEvent, name) for name in AuditEntry.__dataclass_fields__)


def _events(client: Client, page: int, per_page: int) -> Page[AuditLine]:
    """Who read or changed the record, newest first, one page (the practice's view only)."""
    query = (
        sa.select(*_AUDIT_COLUMNS, User.display_name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.client_id == client.id)
    )
    rows, total, page = _window_page(
        query, (AuditEvent.occurred_at.desc(), AuditEvent.id.desc()), page, per_page
    )
    items = [AuditLine(event=AuditEntry(*row[:-1]), actor_name=row[-1]) for row in rows]
    return Page(items=items, page=page, per_page=per_page, total=total)
