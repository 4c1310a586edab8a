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

Reads only. The sessions and assessments come from ``services.history`` (two SELECTs,
already loaded for the fade chart); the sun months, the next appointment, the reminders and the
record access add one small indexed SELECT each (a page and its total in one statement), each
built once with bound parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.models import Appointment, AuditEvent, Client, Reminder, SunDoseMonth, User
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

    @property
    def is_empty(self) -> bool:
        """Nothing recorded yet: no session, sun entry or assessment."""
        return not (self.sessions.total or self.sun.total or self.assessments.total)


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
        sun=_sun_months(client, history.treated_zones, page_of("sun"), per_page),
        assessments=paginate(history.assessments, page_of("assessments"), per_page),
        reminders=_reminders(viewer, client, page_of("reminders"), per_page),
        events=_events(client, page_of("events"), per_page) if manages else None,
    )


# Built once, with bound parameters: composing these SELECTs cost more than running them
# (bench/pages.py), and the client page runs each on every view. They run on the session's
# connection as Core statements: they name columns, not entities.
_CLIENT_ID = sa.bindparam("client_id")
_LIMIT = sa.bindparam("limit")
_OFFSET = sa.bindparam("offset")
_REMINDERS = Reminder.__table__
_EVENTS = AuditEvent.__table__
_USERS = User.__table__


# The access log grows by a line at every read of the record, without end: its section counts
# at most this many lines (``Page.more`` says there are more), so a page view's cost does not
# grow with the record's age. Counting 10,000 lines was a twentieth of the client page. The
# record's export holds every line.
ACCESS_LOG_COUNTED = 1000


def _page_statement(
    columns: tuple, table: sa.Table, joins: tuple, order: tuple, *, count_at_most: int = 0
) -> sa.Select:
    """One page of ``table``'s rows of the client, newest first, with the client's total as a
    last column. The total is a scalar subquery on the client's index, not ``count(*) OVER
    ()``: a window count visits and sorts every row (the access log grows by a line per read),
    where the index answers the count and hands over the page in order. With
    ``count_at_most`` it counts at most one row more than that."""
    counted = sa.select(sa.literal(1)).select_from(table).where(table.c.client_id == _CLIENT_ID)
    if count_at_most:
        counted = counted.limit(count_at_most + 1)
    total = (
        sa.select(sa.func.count()).select_from(counted.correlate(None).subquery()).scalar_subquery()
    )
    query = sa.select(*columns, total).select_from(table)
    for other, on in joins:
        query = query.outerjoin(other, on)
    return (
        query.where(table.c.client_id == _CLIENT_ID).order_by(*order).limit(_LIMIT).offset(_OFFSET)
    )


_SUN = SunDoseMonth.__table__
# The per-zone document as text: decoded only for the months shown (history.SunMonth).
_SUN_PAGE = _page_statement(
    (
        _SUN.c.month,
        _SUN.c.entries,
        _SUN.c.minutes,
        _SUN.c.ambient_sed,
        sa.cast(_SUN.c.effective_sed_by_zone, sa.Text),
    ),
    _SUN,
    (),
    (_SUN.c.month.desc(),),
)
_REMINDER_PAGE = _page_statement(
    (
        _REMINDERS.c.id,
        _REMINDERS.c.kind,
        _REMINDERS.c.status,
        _REMINDERS.c.due_at,
        _REMINDERS.c.sent_at,
        _REMINDERS.c.last_error,
    ),
    _REMINDERS,
    (),
    (_REMINDERS.c.due_at.desc(), _REMINDERS.c.id.desc()),
)
_EVENT_PAGE = _page_statement(
    (*(_EVENTS.c[name] for name in AuditEntry._fields), _USERS.c.display_name),
    _EVENTS,
    ((_USERS, _USERS.c.id == _EVENTS.c.actor_id),),
    (_EVENTS.c.occurred_at.desc(), _EVENTS.c.id.desc()),
    count_at_most=ACCESS_LOG_COUNTED,
)


class _Scope:
    """Stands in for a viewer in ``access.visible_appointments`` and ``practice_members`` with
    bound parameters for the viewer's id and practice, so the rule stays in services.access
    and its SELECT is built once per kind of viewer (``_next_appointment_statement``)."""

    def __init__(self, role: str, member: bool) -> None:
        self.role = role
        self.id = sa.bindparam("viewer_id")
        self.practice_id = sa.bindparam("viewer_practice_id") if member else None


_NEXT_APPOINTMENT: dict[tuple[str, bool], sa.Select] = {}


def _next_appointment_statement(role: str, member: bool) -> sa.Select:
    key = (role, member)
    statement = _NEXT_APPOINTMENT.get(key)
    if statement is None:
        statement = (
            access.visible_appointments(_Scope(role, member))
            .with_only_columns(
                Appointment.id, Appointment.starts_at, Appointment.kind, User.display_name
            )
            .outerjoin(User, User.id == Appointment.practitioner_id)
            .where(
                Appointment.client_id == _CLIENT_ID,
                Appointment.status == "booked",
                Appointment.starts_at >= sa.bindparam("now"),
            )
            .order_by(Appointment.starts_at, Appointment.id)
            .limit(1)
        )
        _NEXT_APPOINTMENT[key] = statement
    return statement


def _next_appointment(viewer: Actor, client: Client, now: datetime) -> NextAppointment | None:
    practice_id = access.practice_id_of(viewer)
    statement = _next_appointment_statement(viewer.role, practice_id is not None)
    row = (
        db.session.connection()
        .execute(
            statement,
            {
                "viewer_id": viewer.id,
                "viewer_practice_id": practice_id,
                "client_id": client.id,
                "now": now,
            },
        )
        .first()
    )
    return NextAppointment(*row) if row is not None else None


def _window_page(
    statement: sa.Select, client_id: int, page: int, per_page: int
) -> tuple[list, int, int]:
    """One page of ``statement``'s rows (a ``_page_statement``) and the total, in one
    statement, and the page number clamped to the range. A page past the end costs one
    statement more (the last page): only a hand-typed URL asks it."""
    connection = db.session.connection()

    def fetch(number: int) -> list[sa.Row]:
        return connection.execute(
            statement,
            {"client_id": client_id, "limit": per_page, "offset": (number - 1) * per_page},
        ).all()

    rows = fetch(page)
    if rows:
        return [row[:-1] for row in rows], rows[0][-1], page
    if page == 1:
        return [], 0, 1
    rows = fetch(1)
    total = rows[0][-1] if rows else 0
    last = max(1, -(-total // per_page))
    if last > 1:
        rows = fetch(last)
    return [row[:-1] for row in rows], total, last


def _sun_months(client: Client, zones: list[str], page: int, per_page: int) -> Page[SunMonth]:
    """The sun log summed by month (the doses the writes stored), newest first, one page."""
    rows, total, page = _window_page(_SUN_PAGE, client.id, page, per_page)
    items = [
        SunMonth(month, entries, minutes, ambient_sed, raw_doses=raw, zones=zones)
        for month, entries, minutes, ambient_sed, raw in rows
    ]
    return Page(items=items, page=page, per_page=per_page, total=total)


def _reminders(viewer: Actor, client: Client, page: int, per_page: int) -> Page[ReminderLine]:
    """The client's reminders, latest due first (planned ones on top), one page."""
    rows, total, page = _window_page(_REMINDER_PAGE, client.id, page, per_page)
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


def _events(client: Client, page: int, per_page: int) -> Page[AuditLine]:
    """Who read or changed the record, newest first, one page (the practice's view only)."""
    # Only the latest ACCESS_LOG_COUNTED lines are paged: a page past them shows their last.
    page = min(page, -(-ACCESS_LOG_COUNTED // per_page))
    rows, total, page = _window_page(_EVENT_PAGE, client.id, page, per_page)
    items = [AuditLine(event=AuditEntry(*row[:-1]), actor_name=row[-1]) for row in rows]
    more = total > ACCESS_LOG_COUNTED
    return Page(
        items=items,
        page=page,
        per_page=per_page,
        total=min(total, ACCESS_LOG_COUNTED),
        more=more,
    )


_HANDOVER: dict[tuple[str, bool], sa.Select] = {}


def handover_choices(viewer: Actor) -> list[tuple[int, str]]:
    """(id, name) of each practitioner a client of ``viewer``'s practice may be handed over to,
    by name: the same answer as ``services.clients.practitioners_of_practice`` (a test holds
    them equal), as two columns from a SELECT built once per kind of viewer, for the hand-over
    form the client page shows only when there are two or more. Reads only."""
    practice_id = access.practice_id_of(viewer)
    key = (viewer.role, practice_id is not None)
    statement = _HANDOVER.get(key)
    if statement is None:
        statement = _HANDOVER[key] = (
            access.practice_members(_Scope(*key))
            .with_only_columns(User.id, User.display_name)
            .where(User.role == "practitioner", User.active.is_(True))
            .order_by(User.display_name, User.id)
        )
    rows = db.session.connection().execute(statement, {"viewer_practice_id": practice_id})
    return [(id_, name) for id_, name in rows]
