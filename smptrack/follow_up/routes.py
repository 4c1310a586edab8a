"""The follow-up page. Thin: read the link, call services/follow_up.py, commit once, render.

No login: the signed token is the key, as for an unsubscribe link. A GET reads and renders
only (mail scanners prefetch links); the POST carries a CSRF token like every form.
"""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from smptrack.domain.vocabulary import ZONE_LABELS
from smptrack.extensions import db
from smptrack.follow_up import bp
from smptrack.follow_up.forms import FollowUpForm
from smptrack.security import accepts_upload
from smptrack.services import access, reminder_facts
from smptrack.services import follow_up as service
from smptrack.services.errors import ValidationFailed
from smptrack.services.profile import client_today
from smptrack.web import commit, role_required, secret_key, utc_now

# The session remembers which link its browser just answered, so that the page the answer
# redirects to thanks them instead of only saying that the link was used.
JUST_ANSWERED = "follow_up.just_answered"
TITLES = {"healed_check": "Your healed check", "self_check": "Your yearly check-in"}
WORDS = {"healed_check": "healed check", "self_check": "yearly check-in"}


@bp.route("/follow-up/<token>", methods=["GET", "POST"])
@accepts_upload(anonymous=True)  # photos, from a signed emailed link: no login needed
def answer(token: str):
    link = service.read_follow_up_token(secret_key(), token)  # 404 for a link not ours
    now = utc_now()
    try:
        service.check_open(link, now=now)
    except service.LinkUsed as exc:
        if request.method == "GET" and session.get(JUST_ANSWERED) == link.reminder.id:
            session.pop(JUST_ANSWERED)
            return _thanks(link)
        return _used(link, exc, status=409 if request.method == "POST" else 200)
    except service.LinkExpired as exc:
        return _expired(link, exc)
    zones = service.zones_of(link)
    form = FollowUpForm()
    if not form.is_submitted():
        return _page(link, form, zones)
    if form.validate_on_submit():
        try:
            service.respond(link, form.answers(), now=now)
        except service.LinkUsed as exc:
            db.session.rollback()
            return _used(link, exc, status=409)
        except service.LinkExpired as exc:
            db.session.rollback()
            return _expired(link, exc)
        except ValidationFailed as exc:
            db.session.rollback()
            form.show_errors(exc.fields)
            form.form_errors.insert(0, f"{exc.message} Nothing was saved yet.")
        else:
            commit(now)  # the unit of work's step reprojects the client, then the commit
            session[JUST_ANSWERED] = link.reminder.id
            return redirect(url_for("follow_up.answer", token=token), code=303)
    return _page(link, form, zones, status=422)


@bp.route("/me/follow-up")
@role_required("client")
def mine():
    """A logged-in client's way to their waiting check-in, without the email."""
    client = access.own_client_record(current_user)
    if client is None:
        flash("Your login is not linked to a record yet.", "info")
        return redirect(url_for("account.me"))
    token = service.open_link_of(secret_key(), client, now=utc_now())
    if token is None:
        flash("No check-in is waiting for you. You can rate your density here at any time.", "info")
        return redirect(url_for("assessments.new", client_id=client.id))
    return redirect(url_for("follow_up.answer", token=token))


def _page(link: service.FollowUpLink, form, zones: list[str], status: int = 200):
    return render_template(
        "follow_up/form.html",
        link=link,
        form=form,
        zones=zones,
        zone_labels=ZONE_LABELS,
        title=TITLES[link.kind],
        today=client_today(link.client, utc_now()),
    ), status


def _thanks(link: service.FollowUpLink):
    answered = service.response_of(link)
    return render_template(
        "follow_up/thanks.html",
        link=link,
        title=TITLES[link.kind],
        ratings=answered.ratings if answered else 0,
        photos=answered.photos if answered else 0,
        next_touch_up_on=link.client.next_touch_up_on,
    )


def _used(link: service.FollowUpLink, exc: service.LinkUsed, *, status: int):
    return render_template(
        "follow_up/used.html",
        link=link,
        title=TITLES[link.kind],
        what=WORDS[link.kind],
        responded_at=_moment(link, exc.responded_at),
    ), status


def _expired(link: service.FollowUpLink, exc: service.LinkExpired):
    return render_template(
        "follow_up/expired.html",
        link=link,
        title=TITLES[link.kind],
        expires_at=_moment(link, exc.expires_at),
    ), 410


def _moment(link: service.FollowUpLink, value: datetime | None) -> str:
    """ "3 December 2026 at 09:15 GMT" in the client's own time zone (no one is logged in)."""
    if value is None:
        return ""
    local = value.astimezone(reminder_facts.client_zone(link.client))
    return f"{local.day} {local.strftime('%B %Y')} at {local.strftime('%H:%M')} {local.tzname()}"
