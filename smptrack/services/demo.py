"""Demo data for ``smptrack serve --demo``: a practice with full histories, created once.

One practitioner with a pigment catalogue (one lot already expired), five clients with a series
of sessions (and, for some, a touch-up), years of sun log and fade assessments, and one client
login. Every date is relative to ``now``, so the demo always looks current, and the random parts
come from fixed seeds, so two installs show the same practice.

Idempotent piece by piece: each run adds only what is missing (the logins, the clients, the
catalogue, each client's history), so an instance made by an older version gains the histories.
Rows are written directly through the models, in bulk, so the whole practice takes well under
a second to create; the caller runs ``projections.refresh_stale(now)`` before it commits, which
computes each client's touch-up date.
"""

from __future__ import annotations

import math
import random
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.models import (
    Appointment,
    Client,
    FadeAssessment,
    Pigment,
    PigmentLot,
    Placement,
    SunExposure,
    TreatmentSession,
    User,
)
from smptrack.services import accounts, appointments, consent_demo, members

PRACTITIONER_EMAIL = "practitioner@demo.smptrack.test"
PRACTITIONER_PASSWORD = "demo-practitioner"  # noqa: S105 - a published demo login
CLIENT_EMAIL = "client@demo.smptrack.test"
CLIENT_PASSWORD = "demo-client-login"  # noqa: S105 - a published demo login
# The rest of the studio (issue 11): a second practitioner and the front desk.
COLLEAGUE_EMAIL = "colleague@demo.smptrack.test"
COLLEAGUE_PASSWORD = "demo-colleague"  # noqa: S105 - a published demo login
FRONT_DESK_EMAIL = "desk@demo.smptrack.test"
FRONT_DESK_PASSWORD = "demo-front-desk"  # noqa: S105 - a published demo login
DEMO_PRACTICE_NAME = "Morgan & Reyes Scalp Studio (demo)"

DEMO_CLIENTS = (
    # name, email, time zone, notes
    ("Daniel Okafor", CLIENT_EMAIL, "Europe/London", "Shaved look; crown and hairline."),
    ("Marco Rossi", "marco@demo.smptrack.test", "Europe/Rome", "Density behind long hair."),
    ("James Whitaker", "james@demo.smptrack.test", "America/New_York", "FUE scar camouflage."),
    ("Lena Brandt", "lena@demo.smptrack.test", "Europe/Berlin", "Density for diffuse thinning."),
    ("Sam Carter", None, "Australia/Sydney", "Outdoor worker; hat habits discussed."),
)

# brand, line, shade, base, ((lot number, expires this many days after today), ...)
DEMO_PIGMENTS = (
    ("Nordic Scalp", "Pro", "Dark Ash", "carbon", (("DA-2201", -150), ("DA-2409", 700))),
    ("Nordic Scalp", "Pro", "Medium Ash", "carbon", (("MA-2310", 420),)),
    ("Meridian", "Iron", "Soft Brown", "iron_oxide", (("SB-118", 540),)),
    ("Meridian", "Blend", "Charcoal", "mixed", (("CH-0407", 900),)),
)
EXPIRED_LOT = "DA-2201"


@dataclass(frozen=True)
class DemoLogins:
    created: bool
    logins: tuple[tuple[str, str, str], ...]  # (role, email, password)


@dataclass(frozen=True)
class _Course:
    """A demo client's treatment plan: sessions as (days before today, kind), per-zone placement
    settings, profile facts, and how their sun log and assessments look."""

    sessions: tuple[tuple[int, str], ...]
    zones: tuple[tuple[str, str, str], ...]  # zone, shade, dilution
    facts: dict
    sun_days: int  # how far back the sun log goes
    summer_uvi: float  # typical midday UV index maximum in midsummer
    winter_uvi: float
    southern: bool = False
    outdoor_worker: bool = False
    scar_tissue: bool = False
    self_rating: bool = False  # the client rates their own fade (has a login)
    # Ratings that put the client on the due list with a status: (days ago, zone, density %,
    # assessor kind, blowout or blue/grey shift seen, note).
    extra_ratings: tuple[tuple[int, str, float, str, bool, str], ...] = ()


_COURSES = {
    "Daniel Okafor": _Course(
        sessions=((1130, "initial"), (1118, "build_up"), (1104, "build_up"), (190, "touch_up")),
        zones=(
            ("frontal_hairline", "Medium Ash", "light"),
            ("left_temple", "Medium Ash", "light"),
            ("right_temple", "Medium Ash", "light"),
            ("mid_scalp", "Dark Ash", "standard"),
            ("crown", "Dark Ash", "standard"),
        ),
        facts={
            "fitzpatrick": 5,
            "lifestyle": "average",
            "latitude_band": "45_55",
            "usual_hat": "cap",
            "usual_hat_pct": 30,
            "sun_log_complete": True,
        },
        sun_days=1160,
        summer_uvi=6.5,
        winter_uvi=1.0,
        self_rating=True,
    ),
    "Marco Rossi": _Course(
        sessions=((760, "initial"), (746, "build_up"), (733, "build_up")),
        zones=(("mid_scalp", "Soft Brown", "standard"), ("crown", "Soft Brown", "standard")),
        facts={
            "fitzpatrick": 3,
            "lifestyle": "outdoor_leisure",
            "latitude_band": "35_45",
            "goal": "density",
            "hair_length": "thinning",
            "usual_hat": "none",
            "usual_hat_pct": 0,
            "usual_sunscreen_spf": 30,
            "usual_sunscreen_pct": 40,
        },
        sun_days=790,
        summer_uvi=8.5,
        winter_uvi=2.0,
        extra_ratings=(
            (
                20,
                "crown",
                68,
                "practitioner_in_person",
                False,
                "Crown visibly lighter than the mid-scalp: book the touch-up.",
            ),
        ),
    ),
    "James Whitaker": _Course(
        sessions=((540, "scar"), (526, "scar"), (120, "correction")),
        zones=(("fue_scars", "Charcoal", "standard"), ("occipital", "Charcoal", "light")),
        facts={
            "fitzpatrick": 2,
            "lifestyle": "average",
            "latitude_band": "35_45",
            "goal": "scar_camouflage",
            "hair_length": "stubble",
            "usual_hat": "cap",
            "usual_hat_pct": 50,
        },
        sun_days=560,
        summer_uvi=8.0,
        winter_uvi=1.5,
        scar_tissue=True,
        extra_ratings=(
            (
                30,
                "fue_scars",
                92,
                "practitioner_in_person",
                True,
                "Slight blue-grey cast on two FUE dots: more pigment will not fix it.",
            ),
        ),
    ),
    "Lena Brandt": _Course(
        sessions=((58, "initial"), (44, "build_up")),
        zones=(("mid_scalp", "Soft Brown", "light"), ("crown", "Soft Brown", "light")),
        facts={
            "fitzpatrick": 2,
            "lifestyle": "indoor",
            "latitude_band": "45_55",
            "goal": "density",
            "hair_length": "dense",
            "sebum": "dry",
        },
        sun_days=90,
        summer_uvi=6.0,
        winter_uvi=1.0,
        extra_ratings=(
            (
                10,
                "crown",
                80,
                "practitioner_photo",
                False,
                "Crown softer than expected this early: check depth at the next visit.",
            ),
        ),
    ),
    "Sam Carter": _Course(
        sessions=((1480, "initial"), (1468, "build_up"), (1455, "build_up"), (500, "touch_up")),
        zones=(
            ("frontal_hairline", "Dark Ash", "light"),
            ("crown", "Dark Ash", "standard"),
            ("mid_scalp", "Dark Ash", "standard"),
            ("left_parietal", "Dark Ash", "standard"),
            ("right_parietal", "Dark Ash", "standard"),
        ),
        facts={
            "fitzpatrick": 3,
            "lifestyle": "outdoor_worker",
            "latitude_band": "25_35",
            "usual_hat": "wide_brim",
            "usual_hat_pct": 60,
            "usual_sunscreen_spf": 50,
            "usual_sunscreen_pct": 70,
            "sebum": "oily",
            "swimming": "weekly",
            "sun_log_complete": True,
        },
        sun_days=1500,
        summer_uvi=11.0,
        winter_uvi=3.5,
        southern=True,
        outdoor_worker=True,
    ),
}


def ensure_demo_data(now: datetime) -> DemoLogins:
    """Create whatever part of the demo practice is missing. Flushes; the caller commits.

    ``created`` is True when this run added anything.
    """
    logins = (
        ("practitioner", PRACTITIONER_EMAIL, PRACTITIONER_PASSWORD),
        ("client", CLIENT_EMAIL, CLIENT_PASSWORD),
        ("practitioner", COLLEAGUE_EMAIL, COLLEAGUE_PASSWORD),
        ("front desk", FRONT_DESK_EMAIL, FRONT_DESK_PASSWORD),
    )
    created = False
    practitioner = db.session.scalar(sa.select(User).where(User.email == PRACTITIONER_EMAIL))
    if practitioner is None:
        practitioner = accounts.create_user(
            email=PRACTITIONER_EMAIL,
            password=PRACTITIONER_PASSWORD,
            role="practitioner",
            display_name="Alex Morgan (demo practitioner)",
            time_zone="Europe/London",
        )
        created = True
    client_user = db.session.scalar(sa.select(User).where(User.email == CLIENT_EMAIL))
    if client_user is None:
        client_user = accounts.create_user(
            email=CLIENT_EMAIL,
            password=CLIENT_PASSWORD,
            role="client",
            display_name="Daniel Okafor",
            time_zone="Europe/London",
        )
        client_user.email_verified_at = now
        created = True
    records = _ensure_clients(practitioner, client_user, now)
    created |= len(records) > 0
    lots = _ensure_catalogue(practitioner, now)
    created |= lots[1]
    today = now.date()
    all_records = db.session.scalars(
        sa.select(Client).where(Client.practice_id == practitioner.practice_id)
    ).all()
    with_sessions = set(
        db.session.scalars(
            sa.select(TreatmentSession.client_id).where(
                TreatmentSession.client_id.in_([c.id for c in all_records])
            )
        )
    )
    for record in all_records:
        course = _COURSES.get(record.display_name)
        if course is None or record.id in with_sessions:
            continue
        _add_history(record, course, practitioner, client_user, lots[0], today, now)
        created = True
    colleague, front_desk, joined = _ensure_team(practitioner, now)
    created |= joined
    created |= _ensure_week_of_appointments(practitioner, colleague, front_desk, now)
    created |= consent_demo.ensure_demo_consents(practitioner, now)
    db.session.flush()
    return DemoLogins(created=created, logins=logins)


def _ensure_clients(practitioner: User, client_user: User, now: datetime) -> list[Client]:
    existing = set(
        db.session.scalars(
            sa.select(Client.display_name).where(Client.practice_id == practitioner.practice_id)
        )
    )
    added = []
    for name, email, zone, notes in DEMO_CLIENTS:
        if name in existing:
            continue
        record = Client(
            practice_id=practitioner.practice_id,
            practitioner_id=practitioner.id,
            user_id=client_user.id if email == CLIENT_EMAIL else None,
            display_name=name,
            email=email,
            time_zone=zone,
            notes=notes,
            created_at=now,
            updated_at=now,
            **_COURSES[name].facts,
        )
        db.session.add(record)
        added.append(record)
    db.session.flush()
    return added


def _ensure_catalogue(
    practitioner: User, now: datetime
) -> tuple[dict[str, list[PigmentLot]], bool]:
    """The catalogue's lots by shade (oldest expiry first), and whether anything was added."""
    pigments = {
        p.shade: p
        for p in db.session.scalars(
            sa.select(Pigment).where(Pigment.practice_id == practitioner.practice_id)
        )
    }
    added = False
    today = now.date()
    for brand, line, shade, base, lots in DEMO_PIGMENTS:
        pigment = pigments.get(shade)
        if pigment is None:
            pigment = Pigment(
                practice_id=practitioner.practice_id,
                brand=brand,
                line=line,
                shade=shade,
                base=base,
                created_at=now,
            )
            db.session.add(pigment)
            db.session.flush()
            for number, expires_in_days in lots:
                db.session.add(
                    PigmentLot(
                        pigment_id=pigment.id,
                        lot_number=number,
                        expires_on=today + timedelta(days=expires_in_days),
                        created_at=now,
                    )
                )
            pigments[shade] = pigment
            added = True
    db.session.flush()
    by_shade = {
        shade: sorted(
            db.session.scalars(sa.select(PigmentLot).where(PigmentLot.pigment_id == pigment.id)),
            key=lambda lot: lot.expires_on,
        )
        for shade, pigment in pigments.items()
    }
    return by_shade, added


def _lot_for(lots: list[PigmentLot], on: date) -> PigmentLot | None:
    """The lot a careful practitioner used on ``on``: the first one still in date."""
    for lot in lots:
        if lot.expires_on >= on:
            return lot
    return None


def _add_history(
    record: Client,
    course: _Course,
    practitioner: User,
    client_user: User,
    lots: dict[str, list[PigmentLot]],
    today: date,
    now: datetime,
) -> None:
    rng = random.Random(f"smptrack-demo-{record.display_name}")  # noqa: S311 - demo data
    for days_ago, kind in course.sessions:
        performed_on = today - timedelta(days=days_ago)
        treatment = TreatmentSession(
            client_id=record.id,
            performed_on=performed_on,
            kind=kind,
            performed_by_id=practitioner.id,
            logged_by_id=practitioner.id,
            logged_at=datetime.combine(performed_on, time(17, 30), tzinfo=UTC),
            needle="1RL 0.25 mm" if kind != "scar" else "1RL 0.18 mm",
            machine_settings="Rotary, 3.5 mm stroke, 8.2 V",
            duration_minutes=rng.choice((150, 180, 210, 240)),
            notes=_session_note(kind, rng),
        )
        db.session.add(treatment)
        db.session.flush()
        for zone, shade, dilution in course.zones:
            lot = _lot_for(lots[shade], performed_on)
            db.session.add(
                Placement(
                    session_id=treatment.id,
                    zone=zone,
                    pigment_lot_id=lot.id if lot else None,
                    pigment_free_text=None if lot else f"{shade} (lot not recorded)",
                    dilution=dilution,
                    dilution_ratio="1:3 distilled water" if dilution == "light" else "",
                    dot_size="0.25 mm",
                    density_worked_pct=rng.choice((60, 70, 80)) if kind != "touch_up" else 40,
                    depth="correct" if rng.random() > 0.1 else "shallow",
                    depth_note="",
                    scar_tissue=course.scar_tissue and zone in ("fue_scars", "scar_strip"),
                )
            )
    _add_sun_log(record, course, client_user if course.self_rating else practitioner, today, now)
    _add_assessments(record, course, practitioner, client_user, today, rng)
    for days_ago, zone, density, kind, shift, note in course.extra_ratings:
        _assess(
            record,
            zone,
            today - timedelta(days=days_ago),
            density,
            kind,
            practitioner,
            note,
            blur_or_colour_shift=shift,
        )


def _session_note(kind: str, rng: random.Random) -> str:
    return {
        "initial": "First pass: hairline shape agreed from the mirror sketch.",
        "build_up": rng.choice(
            ("Second pass, darker tone; good retention.", "Filled gaps at the crown whorl.")
        ),
        "touch_up": "Refreshed density after fading; hairline kept soft.",
        "correction": "Corrected a spread dot at the occipital edge.",
        "scar": "Scar tissue takes pigment unevenly; worked lightly.",
    }[kind]


def _add_sun_log(record: Client, course: _Course, logger: User, today: date, now: datetime) -> None:
    """Time outdoors on a seasonal pattern: more, longer and stronger in summer."""
    rng = random.Random(f"smptrack-demo-sun-{record.display_name}")  # noqa: S311 - demo data
    hair = record.hair_length
    entries = []
    for days_ago in range(course.sun_days, 0, -1):
        day = today - timedelta(days=days_ago)
        midsummer = 355 if course.southern else 172
        season = 0.5 * (1 + math.cos(2 * math.pi * (day.timetuple().tm_yday - midsummer) / 365.25))
        if course.outdoor_worker:
            chance = 0.6 if day.weekday() < 5 else 0.3
        else:
            chance = 0.04 + 0.22 * season
        if rng.random() >= chance:
            continue
        uvi = course.winter_uvi + (course.summer_uvi - course.winter_uvi) * season
        uvi = min(20.0, round(uvi * rng.uniform(0.7, 1.1) * 2) / 2)
        start_hour = rng.randint(7, 16)
        minutes = (
            rng.choice((240, 300, 360, 420))
            if course.outdoor_worker
            else rng.choice((30, 45, 60, 90, 120, 180))
        )
        hat = record.usual_hat if rng.random() * 100 < record.usual_hat_pct else "none"
        spf = None
        if record.usual_sunscreen_spf and rng.random() * 100 < record.usual_sunscreen_pct:
            spf = record.usual_sunscreen_spf
        entries.append(
            SunExposure(
                client_id=record.id,
                exposed_on=day,
                start_time=time(start_hour, rng.choice((0, 15, 30, 45))),
                duration_minutes=minutes,
                uv_index=uvi,
                uv_index_kind="daily_max",
                hat=hat,
                sunscreen_spf=spf,
                sunscreen_applied_at=time(start_hour, 0) if spf else None,
                swimming=season > 0.8 and rng.random() < 0.15,
                hair_length=hair,
                logged_by_id=logger.id,
                created_at=now,
            )
        )
    db.session.add_all(entries)


def _add_assessments(
    record: Client,
    course: _Course,
    practitioner: User,
    client_user: User,
    today: date,
    rng: random.Random,
) -> None:
    """A healed check 28 days after each course, then yearly ratings that drift downwards."""
    zones = [zone for zone, _, _ in course.zones]
    for ends_days_ago, next_starts_days_ago in _course_ends(course.sessions):
        healed = today - timedelta(days=ends_days_ago - 28)
        if healed >= today:
            continue
        note = "Healed check: even tone, crisp dots."
        _assess(record, zones[0], healed, 100, "practitioner_in_person", practitioner, note)
        age_days = 365
        while ends_days_ago - 28 - age_days > max(next_starts_days_ago, 8):
            on = healed + timedelta(days=age_days)
            density = round(100 * math.exp(-0.085 * age_days / 365.25) + rng.uniform(-3, 3))
            if course.self_rating:
                note = "From the bathroom mirror with a hand mirror."
                _assess(record, zones[-1], on, density, "client_self", client_user, note)
            # Alternate years: from a photo the client sent, then in person.
            kind = "practitioner_photo" if (age_days // 365) % 2 else "practitioner_in_person"
            note = "Slightly softer at the edges."
            _assess(record, zones[0], on + timedelta(days=7), density - 2, kind, practitioner, note)
            age_days += 365


def _course_ends(sessions: tuple[tuple[int, str], ...]) -> list[tuple[int, int]]:
    """(days ago the course ended, days ago the next course began, or 0) for each course."""
    starts = [i for i, (_, kind) in enumerate(sessions) if kind in ("initial", "touch_up")]
    starts = starts or [0]
    courses = []
    for n in range(len(starts)):
        following = starts[n + 1] if n + 1 < len(starts) else None
        end = (following if following is not None else len(sessions)) - 1
        next_start = sessions[following][0] if following is not None else 0
        courses.append((sessions[end][0], next_start))
    return courses


def _assess(
    record: Client,
    zone: str,
    on: date,
    density: float,
    kind: str,
    by: User,
    note: str,
    *,
    blur_or_colour_shift: bool = False,
) -> None:
    db.session.add(
        FadeAssessment(
            client_id=record.id,
            assessed_on=on,
            zone=zone,
            density_pct=max(0.0, min(100.0, float(density))),
            assessor_kind=kind,
            assessed_by_id=by.id,
            note=note,
            blur_or_colour_shift=blur_or_colour_shift,
            created_at=datetime.combine(on, time(18, 0), tzinfo=UTC),
        )
    )


# --- the studio: a colleague, the front desk, and a week of bookings (issue 11) ---------------

# The clients the colleague looks after (the owner keeps the rest).
COLLEAGUE_CLIENTS = ("Lena Brandt", "Sam Carter")
# Each practitioner's day: (start on the practice's clock, minutes).
DEMO_SLOTS = ((time(10, 0), 180), (time(14, 30), 120))
DEMO_WEEK_DAYS = 7


def _ensure_team(owner: User, now: datetime) -> tuple[User, User, bool]:
    """The owner's colleague (a practitioner) and front desk, joined the way an invitee joins
    (an owner's invitation, accepted), so their rows are what the member pages make. Returns
    them and whether this run added them; a new team also names the practice and hands the
    colleague their clients."""
    added = False
    team = []
    for email, password, name, role in (
        (COLLEAGUE_EMAIL, COLLEAGUE_PASSWORD, "Jordan Reyes (demo practitioner)", "practitioner"),
        (FRONT_DESK_EMAIL, FRONT_DESK_PASSWORD, "Priya Shah (demo front desk)", "front_desk"),
    ):
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            # The link is never mailed or followed: any key signs it.
            invitation, _ = members.invite_member(
                owner,
                email=email,
                display_name=name,
                role=role,
                secret_key=secrets.token_hex(16),
                now=now,
            )
            user = members.accept_invitation(
                invitation, password=password, display_name=name, time_zone="Europe/London", now=now
            )
            added = True
        team.append(user)
    colleague, front_desk = team
    if added:
        practice = owner.membership.practice
        practice.name = practice.mail_from_name = DEMO_PRACTICE_NAME
        practice.phone = practice.phone or "+44 20 7946 0123"
        practice.booking_url = practice.booking_url or "https://book.example.com/morgan-reyes"
        db.session.execute(
            sa.update(Client)
            .where(
                Client.practice_id == owner.practice_id,
                Client.display_name.in_(COLLEAGUE_CLIENTS),
            )
            .values(practitioner_id=colleague.id)
            .execution_options(synchronize_session=False)
        )
    return colleague, front_desk, added


def _ensure_week_of_appointments(
    owner: User, colleague: User, front_desk: User, now: datetime
) -> bool:
    """A week of bookings for both practitioners, from today in the practice's time zone, once
    (a practice that has any appointment keeps its own). The front desk books them through the
    booking service; a slot already past today cannot be booked, so it is written directly, as
    the booking it was this morning (still "booked": the practitioner records the session from
    it). Returns whether any was added."""
    practice_id = owner.practice_id
    if db.session.scalar(sa.select(Appointment.id).where(Appointment.practice_id == practice_id)):
        return False
    clients = db.session.scalars(
        sa.select(Client).where(Client.practice_id == practice_id).order_by(Client.display_name)
    ).all()
    if not clients:
        return False
    zone = appointments.practice_zone(front_desk)
    today = appointments.today_in_practice(front_desk, now)
    turn = 0
    for offset in range(DEMO_WEEK_DAYS):
        day = today + timedelta(days=offset)
        for start, minutes in DEMO_SLOTS:
            for practitioner in (owner, colleague):
                client = clients[turn % len(clients)]
                turn += 1
                kind = appointments.suggested_kind(front_desk, client)
                starts_at = datetime.combine(day, start, tzinfo=zone).astimezone(UTC)
                if starts_at > now:
                    appointments.book(
                        front_desk,
                        client_id=client.id,
                        practitioner_id=practitioner.id,
                        day=day,
                        start=start,
                        minutes=minutes,
                        kind=kind,
                        note="Demo booking",
                        now=now,
                    )
                    continue
                db.session.add(
                    Appointment(
                        uid=uuid.uuid4().hex,
                        practice_id=practice_id,
                        client_id=client.id,
                        practitioner_id=practitioner.id,
                        starts_at=starts_at,
                        ends_at=starts_at + timedelta(minutes=minutes),
                        time_zone=zone.key,
                        kind=kind,
                        status="booked",
                        note="Demo booking",
                        sequence=0,
                        booked_by_id=front_desk.id,
                        created_at=now,
                        updated_at=now,
                    )
                )
                db.session.flush()
    return True
