"""A reminder's email: subject, text and HTML in the client's words, unsubscribe headers and a
calendar attachment for a dated event. Reads nothing from the database itself."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from flask import Flask, render_template

from smptrack import ics, mail
from smptrack.domain import protocol
from smptrack.models import Client, Reminder, User
from smptrack.sending.settings import SenderSettings, external_url
from smptrack.services import follow_up, reminder_facts, unsubscribe
from smptrack.services.reminders import KIND_LABELS

SUBJECTS = {
    "aftercare": "Aftercare: day {day}",
    "healed_check": "Healed at day {day}: time for a quick check",
    "next_session": "Your next session is due around {suggested}",
    "self_check": "Your yearly check-in",
    "assessment": "Time for a check with {practice}",
    "touch_up": "Time to book your touch-up",
    "appointment": "Reminder: your appointment on {when}",
    "appointment_cancelled": "Cancelled: your appointment on {when}",
}
EVENT_SUMMARIES = {
    "aftercare": "Aftercare",
    "healed_check": "Healed check",
    "next_session": "Next session (suggested date)",
    "self_check": "Yearly self-check",
    "assessment": "Check with your practitioner (suggested date)",
    "touch_up": "Touch-up due (estimated date)",
}


def compose_reminder(
    app: Flask,
    settings: SenderSettings,
    reminder: Reminder,
    client: Client,
    practice: reminder_facts.PracticeProtocol,
    practitioner: User | None,
    now: datetime,
    studio: reminder_facts.Studio | None = None,
) -> EmailMessage:
    """The message for ``reminder``; its Message-ID follows from the dedupe key, so a repeat
    after a crash is recognisable."""
    payload = reminder.payload or {}
    details = payload.get("details") or {}
    secret = app.config["SECRET_KEY"]
    base = settings.base_url

    def unsubscribe_url(kind: str) -> str:
        token = unsubscribe.unsubscribe_token(secret, client.id, kind)
        return external_url(app, base, "reminders.unsubscribe", token=token)

    # Booking mail has no choice of its own: its link stops the choice that governs it.
    unsubscribe_one = unsubscribe_url(
        protocol.preference_kind(reminder.kind) or reminder_facts.ALL_KINDS
    )
    zone = reminder_facts.client_zone(client)
    booked = payload.get("appointment") or {}
    when = _moment(booked.get("starts_at") or details.get("appointment_starts_at"), zone)
    context = {
        "name": client.display_name,
        "kind": reminder.kind,
        "kind_label": KIND_LABELS[reminder.kind],
        "details": details,
        "manual": bool(payload.get("manual")),
        "practice": studio.name
        if studio
        else (practitioner.display_name if practitioner else None),
        "studio": studio,
        "when": when,
        "update": bool(details.get("update")),
        "instructions": practice.aftercare_instructions,
        "event_on": _date(payload.get("event_on")),
        "dates": {k: _date(v) for k, v in details.items() if k.endswith("_on")},
        "long": long_date,
        "reminders_url": external_url(app, base, "reminders.mine"),
        "unsubscribe_url": unsubscribe_one,
        "unsubscribe_all_url": unsubscribe_url(reminder_facts.ALL_KINDS),
    }
    if reminder.kind in follow_up.LINK_LIFETIMES:
        # The check-in's own page: a signed single-use link (composing it writes nothing).
        token = follow_up.follow_up_token(secret, reminder, issued_at=now)
        until = now + follow_up.LINK_LIFETIMES[reminder.kind]
        context["follow_up_url"] = external_url(app, base, "follow_up.answer", token=token)
        context["follow_up_until"] = long_date(until.astimezone(zone).date())
    text = render_template(f"emails/reminder_{reminder.kind}.txt", **context)
    html = render_template(f"emails/reminder_{reminder.kind}.html", **context)
    headers = {"List-Unsubscribe": f"<{unsubscribe_one}>", "Auto-Submitted": "auto-generated"}
    if unsubscribe_one.startswith("https://"):
        # RFC 8058 one-click: only for an HTTPS URL, as the RFC requires.
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    sender = settings.mail_from
    if studio is not None:
        # From the practice's name at the server's own address (SPF/DKIM stay the server's);
        # replies go to the practice.
        sender = str(mail.recipient(studio.sender_name, parseaddr(settings.mail_from)[1]))
    if studio is not None and studio.reply_to:
        headers["Reply-To"] = str(mail.recipient(studio.sender_name, studio.reply_to))
    elif practitioner is not None:
        headers["Reply-To"] = str(mail.recipient(practitioner.display_name, practitioner.email))
    message_id = mail.message_id_for(reminder.dedupe_key, settings.mail_from)
    message = mail.compose(
        sender=sender,
        to=mail.recipient(client.display_name, client.email or ""),
        subject=subject_for(reminder.kind, details, context["practice"], when=when),
        text=text,
        html=html,
        message_id=message_id,
        now=now,
        headers=headers,
    )
    if booked:
        cancelled = reminder.kind == "appointment_cancelled"
        organiser_email = (studio.reply_to if studio else "") or parseaddr(settings.mail_from)[1]
        organiser_name = studio.sender_name if studio else "smptrack"
        invitation = ics.invitation(
            ics.Appointment(
                uid=booked["uid"],
                sequence=int(booked["sequence"]),
                starts_at=datetime.fromisoformat(booked["starts_at"]),
                ends_at=datetime.fromisoformat(booked["ends_at"]),
                summary=f"SMP session at {studio.name}" if studio else "SMP session",
                status="CANCELLED" if cancelled else "CONFIRMED",
                location=studio.address if studio else "",
                organiser=ics.Person(organiser_name, organiser_email),
                attendee=ics.Person(client.display_name, client.email or ""),
            ),
            stamp=now,
        )
        method = "CANCEL" if cancelled else "REQUEST"
        mail.attach_calendar(message, invitation, filename="invite.ics", method=method)
    event_on = context["event_on"]
    if event_on is not None and not booked:
        mail.attach_calendar(
            message,
            mail.all_day_event(
                uid=message_id.strip("<>"),
                day=event_on,
                summary=EVENT_SUMMARIES[reminder.kind],
                description="An estimate from your record; confirm the date with your "
                "practitioner.",
                stamp=now,
            ),
            filename=f"{reminder.kind.replace('_', '-')}.ics",
        )
    return message


def subject_for(kind: str, details: dict, practice: str | None, when: str = "") -> str:
    suggested = _date(details.get("suggested_on"))
    if kind == "aftercare" and details.get("day") == 0:
        return "Aftercare after your session"
    if kind == "appointment" and details.get("update"):
        return f"Updated: your appointment is now on {when}"
    if kind == "next_session" and when:
        return f"Your next session: {when}"
    return SUBJECTS[kind].format(
        when=when,
        day=details.get("day", ""),
        suggested=long_date(suggested) if suggested else "soon",
        practice=practice or "your practitioner",
    )


def long_date(value: Any) -> str:
    """ "Thursday 12 March 2026"; empty for anything that is not a date (a missing detail)."""
    if not isinstance(value, date):
        return ""
    return f"{value.strftime('%A')} {value.day} {value.strftime('%B %Y')}"


def _moment(value: Any, zone: tzinfo) -> str:
    """ "Thursday 12 March 2026 at 14:00" in ``zone``; empty when ``value`` is no moment."""
    try:
        moment = datetime.fromisoformat(str(value)).astimezone(zone)
    except (TypeError, ValueError):
        return ""
    return f"{long_date(moment.date())} at {moment.strftime('%H:%M')}"


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None
