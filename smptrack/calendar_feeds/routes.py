"""The calendar feed pages and the public feed itself.

``GET /calendar/<key>.ics`` needs no login: the URL is the secret. Everything else is for a
logged-in member or client: ``/calendar`` lists their own feeds; ``/calendar/clients/<id>`` is a
practitioner's page for a client's feed. A key exists only in the response that made it (only
its hash is stored), so creating or regenerating renders the new URL at once (no redirect, no
flash: the session cookie is signed, not secret) and asks the browser not to keep the page.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from smptrack import outgoing
from smptrack.calendar_feeds import bp
from smptrack.calendar_feeds.forms import FeedActionForm
from smptrack.services import access
from smptrack.services import calendar_feeds as service
from smptrack.services.errors import ValidationFailed
from smptrack.web import commit, utc_now

SCOPES = "any(practitioner, practice, client)"


def _feed_url(key: str) -> str:
    """The full https URL to paste into a calendar, from the configured address (BASE_URL,
    else SERVER_NAME): a forged Host header must not make someone subscribe, key and all, at
    another site. Without either, the path alone, and the page says so."""
    return outgoing.external_url("calendar_feeds.feed", key=key) or url_for(
        "calendar_feeds.feed", key=key
    )


def _domain() -> str:
    """This installation's name in generated UIDs: stable, whatever Host a request names."""
    base = current_app.config.get("BASE_URL") or ""
    return urlsplit(base).hostname or current_app.config.get("SERVER_NAME") or "smptrack"


def _shown_once(template: str, **context) -> Response:
    response = Response(render_template(template, **context))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- The feed ---------------------------------------------------------------------------


@bp.get("/calendar/<key>.ics")
def feed(key: str):
    """The feed document, or 404. A read: it writes nothing (no audit line, no last use)."""
    body = service.document(key, now=utc_now(), domain=_domain())
    if body is None:
        return Response("No such calendar.\n", status=404, mimetype="text/plain")
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = 'inline; filename="smptrack.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- Own feeds ------------------------------------------------------------------------------


def _own_subjects() -> tuple[list[service.Subject], str | None]:
    subjects, problem = [], None
    for scope in access.own_calendar_feed_scopes(current_user):
        try:
            subjects.append(service.own_subject(current_user, scope))
        except ValidationFailed as exc:
            problem = exc.message
    return subjects, problem


@bp.get("/calendar")
@login_required
def index():
    scopes = access.own_calendar_feed_scopes(current_user)
    if not scopes:
        abort(403)
    subjects, problem = _own_subjects()
    live = service.live_feeds(subjects)
    return render_template(
        "calendar_feeds/index.html",
        subjects=subjects,
        live=live,
        problem=problem,
        titles=service.SCOPE_TITLES,
        form=FeedActionForm(),
    )


@bp.post(f"/calendar/<{SCOPES}:scope>/new")
@login_required
def create(scope: str):
    subject = service.own_subject(current_user, scope)
    form = FeedActionForm()
    if not form.validate_on_submit():
        return redirect(url_for(".index"))
    if service.live_feed(subject) is not None:
        # Making another would end the one in use: that is a regeneration, confirmed first.
        return redirect(url_for(".regenerate", scope=scope))
    issued = service.issue_feed(current_user, subject, now=utc_now())
    commit()
    return _shown_once(
        "calendar_feeds/issued.html",
        title=service.SCOPE_TITLES[scope],
        url=_feed_url(issued.key),
        back=url_for(".index"),
        replaced=False,
    )


@bp.route(f"/calendar/<{SCOPES}:scope>/regenerate", methods=["GET", "POST"])
@login_required
def regenerate(scope: str):
    subject = service.own_subject(current_user, scope)
    form = FeedActionForm()
    if form.validate_on_submit():
        issued = service.issue_feed(current_user, subject, now=utc_now())
        commit()
        return _shown_once(
            "calendar_feeds/issued.html",
            title=service.SCOPE_TITLES[scope],
            url=_feed_url(issued.key),
            back=url_for(".index"),
            replaced=True,
        )
    return render_template(
        "calendar_feeds/regenerate.html",
        title=service.SCOPE_TITLES[scope],
        live=service.live_feed(subject),
        form=form,
        back=url_for(".index"),
    )


@bp.post(f"/calendar/<{SCOPES}:scope>/stop")
@login_required
def stop(scope: str):
    subject = service.own_subject(current_user, scope)
    if FeedActionForm().validate_on_submit():
        stopped = service.stop_feed(current_user, subject, now=utc_now())
        commit()
        flash(
            "The feed is stopped: its URL no longer answers." if stopped else "No feed to stop.",
            "success" if stopped else "info",
        )
    return redirect(url_for(".index"))


# --- A client's feed, managed by their practice ------------------------------------------


@bp.get("/calendar/clients/<int:client_id>")
@login_required
def client_feed(client_id: int):
    client, subject = service.client_subject(current_user, client_id)
    return render_template(
        "calendar_feeds/client.html",
        client=client,
        live=service.live_feed(subject),
        form=FeedActionForm(),
    )


@bp.post("/calendar/clients/<int:client_id>/new")
@login_required
def create_for_client(client_id: int):
    client, subject = service.client_subject(current_user, client_id)
    if not FeedActionForm().validate_on_submit():
        return redirect(url_for(".client_feed", client_id=client.id))
    if service.live_feed(subject) is not None:
        return redirect(url_for(".regenerate_for_client", client_id=client.id))
    issued = service.issue_feed(current_user, subject, now=utc_now())
    commit()
    return _shown_once(
        "calendar_feeds/issued.html",
        title=f"{client.display_name}'s appointments and touch-up window",
        url=_feed_url(issued.key),
        back=url_for(".client_feed", client_id=client.id),
        replaced=False,
    )


@bp.route("/calendar/clients/<int:client_id>/regenerate", methods=["GET", "POST"])
@login_required
def regenerate_for_client(client_id: int):
    client, subject = service.client_subject(current_user, client_id)
    form = FeedActionForm()
    title = f"{client.display_name}'s appointments and touch-up window"
    back = url_for(".client_feed", client_id=client.id)
    if form.validate_on_submit():
        issued = service.issue_feed(current_user, subject, now=utc_now())
        commit()
        return _shown_once(
            "calendar_feeds/issued.html",
            title=title,
            url=_feed_url(issued.key),
            back=back,
            replaced=True,
        )
    return render_template(
        "calendar_feeds/regenerate.html",
        title=title,
        live=service.live_feed(subject),
        form=form,
        back=back,
    )


@bp.post("/calendar/clients/<int:client_id>/stop")
@login_required
def stop_for_client(client_id: int):
    client, subject = service.client_subject(current_user, client_id)
    if FeedActionForm().validate_on_submit():
        stopped = service.stop_feed(current_user, subject, now=utc_now())
        commit()
        flash(
            "The client's feed is stopped: its URL no longer answers."
            if stopped
            else "No feed to stop.",
            "success" if stopped else "info",
        )
    return redirect(url_for(".client_feed", client_id=client.id))
