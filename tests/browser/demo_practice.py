"""The demo practice (``smptrack serve --demo``) for the whole-app browser tests of issue 13: years
of history, so the pages are as long and as wide as a real studio's, and the four demo logins
(owner, colleague, front desk, client)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from smptrack.extensions import db
from smptrack.models import Client, Pigment, PigmentLot, Reminder, TreatmentSession, User
from smptrack.services import accounts, consents, demo, follow_up, members, projections, unsubscribe
from smptrack.services import questionnaire as answers_service

LOGINS = {
    "owner": (demo.PRACTITIONER_EMAIL, demo.PRACTITIONER_PASSWORD),
    "practitioner": (demo.COLLEAGUE_EMAIL, demo.COLLEAGUE_PASSWORD),
    "front desk": (demo.FRONT_DESK_EMAIL, demo.FRONT_DESK_PASSWORD),
    "client": (demo.CLIENT_EMAIL, demo.CLIENT_PASSWORD),
}


@dataclass(frozen=True)
class Demo:
    client_id: int  # the demo client with a login (Daniel Okafor): sessions, sun, assessments
    session_id: int  # his latest session: the placements table
    pigment_id: int
    lot_id: int


def seed_demo() -> Demo:
    """Create the demo practice, project it and commit (as ``serve --demo`` does)."""
    now = datetime.now(UTC)
    demo.ensure_demo_data(now)
    projections.refresh_stale(now)
    db.session.commit()
    record = db.session.scalar(sa.select(Client).where(Client.email == demo.CLIENT_EMAIL))
    latest = db.session.scalar(
        sa.select(TreatmentSession)
        .where(TreatmentSession.client_id == record.id)
        .order_by(TreatmentSession.performed_on.desc())
        .limit(1)
    )
    lot = db.session.scalar(
        sa.select(PigmentLot)
        .join(Pigment)
        .where(Pigment.practice_id == record.practice_id)
        .order_by(PigmentLot.id)
        .limit(1)
    )
    return Demo(record.id, latest.id, lot.pigment_id, lot.id)


def emailed_links() -> dict[str, str]:
    """The paths of the links only an email leads to, one live token each, made by the same
    services the mail uses: a password reset, a client's invitation, a member's invitation, a
    consent signing link, a check-in's follow-up and an unsubscribe link. Commits."""
    now = datetime.now(UTC).replace(microsecond=0)  # the follow-up token counts whole seconds
    secret = current_app.config["SECRET_KEY"]
    owner = db.session.scalar(sa.select(User).where(User.email == demo.PRACTITIONER_EMAIL))
    client_user = db.session.scalar(sa.select(User).where(User.email == demo.CLIENT_EMAIL))
    record = db.session.scalar(sa.select(Client).where(Client.user_id == client_user.id))
    unlinked = db.session.scalar(
        sa.select(Client)
        .where(Client.practice_id == owner.practice_id, Client.user_id.is_(None))
        .order_by(Client.id)
        .limit(1)
    )
    _, invite = accounts.invite_client(
        unlinked, "invited@clients.test", owner, secret, now, timedelta(days=7)
    )
    _, join = members.invite_member(
        owner,
        email="newdesk@studio.test",
        display_name="Nell Newdesk",
        role="front_desk",
        secret_key=secret,
        now=now,
    )
    _, sign = consents.issue_link(owner, record, secret_key=secret, now=now)
    check_in = Reminder(
        client_id=record.id,
        recipient_email=record.email,
        kind="healed_check",
        due_at=now - timedelta(hours=1),
        dedupe_key=f"a11y:follow-up:{record.id}",
        status="sent",
        sent_at=now - timedelta(hours=1),
        payload={"details": {"day": 28}},
    )
    db.session.add(check_in)
    db.session.flush()
    links = {
        "reset": f"/auth/reset/{accounts.make_reset_token(client_user, secret)}",
        "client invitation": f"/auth/invite/{invite}",
        "member invitation": f"/practice/join/{join}",
        "consent signing": f"/consent/sign/{sign}",
        "follow-up": "/follow-up/"
        + follow_up.follow_up_token(secret, check_in, issued_at=check_in.sent_at),
        "unsubscribe": "/reminders/unsubscribe/"
        + unsubscribe.unsubscribe_token(secret, record.id, "aftercare"),
    }
    db.session.commit()
    return links


def questionnaire_answers(client_id: int) -> int:
    """The demo client answers the health questionnaire (the demo has no answers); the id of
    the answers, whose profile offer is a page of its own. Commits."""
    client_user = db.session.scalar(sa.select(User).where(User.email == demo.CLIENT_EMAIL))
    answers = answers_service.record_answers(
        client_user,
        db.session.get(Client, client_id),
        answers_service.AnswersInput(blood_thinners=True, allergies="nickel", fitzpatrick=4),
        now=datetime.now(UTC),
    )
    db.session.commit()
    return answers.id


def api_token_of(email: str) -> None:
    """An API token of the login ``email``, so the account page lists one with its Revoke
    link (the demo makes none). Commits."""
    user = db.session.scalar(sa.select(User).where(User.email == email))
    accounts.issue_api_token(user, "calendar sync", datetime.now(UTC), timedelta(days=30))
    db.session.commit()
