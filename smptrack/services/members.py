"""Running a practice: its details, and its members (the owner invites and removes them).

The owner invites by email in a role (practitioner or front desk). The invitation is mailed
through the account-mail outbox with a signed link that names the invitation and a random
nonce; only the nonce's SHA-256 is stored, the link works once and for
``INVITATION_MAX_AGE``, and a newer invitation to the same address, a revocation or an
acceptance ends it. Accepting creates the invitee's login (``User.role`` "practitioner" or
"front_desk") and their ``PracticeMember`` row.

Removing a member (decided for issue 11):

- the membership row goes and the **login is kept but deactivated** (``User.active`` False,
  every login session and API token ended). The login stays because sessions, placements,
  assessments, appointments and audit lines name it: the history keeps saying who did what.
  The address stays taken, so a former member is re-invited rather than signing up again:
  accepting a new invitation reactivates that same login with the new password.
- the removed practitioner's **assigned clients are handed over** to a practitioner the owner
  picks on the confirmation page (the owner by default); nothing is left unassigned.
- their **upcoming booked appointments refuse the removal** (the message says how many): moving
  a booking to another practitioner could double-book them, so the owner moves or cancels
  those first, on the schedule.
- nobody removes themselves, and the practice's last owner cannot be removed.

Every function flushes and never commits; the caller owns the transaction. ``now`` is UTC.
Who may do what is decided by ``smptrack.services.access``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeTimedSerializer

from smptrack.domain import limits
from smptrack.domain import text as text_rule
from smptrack.extensions import db
from smptrack.models import (
    Appointment,
    Client,
    MemberInvitation,
    Practice,
    PracticeMember,
    User,
)
from smptrack.services import access, account_mail, accounts, audit, practices
from smptrack.services.access import Actor
from smptrack.services.errors import Conflict, NotFound, ValidationFailed

INVITATION_SALT = "smptrack.member-invitation"
INVITATION_MAX_AGE = timedelta(days=7)
# The roles an owner invites in; a login's ``User.role`` for each.
INVITABLE_ROLES = ("practitioner", "front_desk")
LOGIN_ROLE = {"owner": "practitioner", "practitioner": "practitioner", "front_desk": "front_desk"}
ROLE_LABELS = {"owner": "Owner", "practitioner": "Practitioner", "front_desk": "Front desk"}

# Digits, spaces and the usual punctuation of a phone number, with at least five digits.
_PHONE = re.compile(r"^\+?[0-9 ()./-]+$")
_PHONE_MIN_DIGITS = 5


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _line(value: str | None, field: str, label: str, max_length: int, *, required: bool) -> str:
    """A one-line text field, trimmed: the text rule, a length, and presence if required."""
    value = value or ""
    problem = text_rule.problem(value)
    if problem is not None:
        raise ValidationFailed(problem, {field: problem})
    value = value.strip()
    if required and not value:
        message = f"Enter {label}."
        raise ValidationFailed(message, {field: message})
    if len(value) > max_length:
        message = f"Use at most {max_length} characters for {label}."
        raise ValidationFailed(message, {field: message})
    return value


# --- the practice's details ----------------------------------------------------------------


@dataclass(frozen=True)
class PracticeDetails:
    """What the owner edits on the practice page (and the API may take)."""

    name: str
    address: str = ""
    phone: str = ""
    booking_url: str = ""
    time_zone: str = "Europe/London"
    mail_from_name: str = ""
    reply_to: str = ""


def check_booking_url(raw: str) -> str:
    """An https link with a host (or "" for none); raises ``ValidationFailed`` (``booking_url``).

    Only https: the link goes into every "book your touch-up" mail, and a plain-http or
    ``javascript:`` link there would be a gift to whoever can change it."""
    value = (raw or "").strip()
    if not value:
        return ""
    message = "Enter the booking page's full address, starting with https://."
    if len(value) > limits.URL_MAX:
        message = f"Use at most {limits.URL_MAX} characters for the booking link."
        raise ValidationFailed(message, {"booking_url": message})
    if any(ch.isspace() for ch in value) or text_rule.problem(value) is not None:
        raise ValidationFailed(message, {"booking_url": message})
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError on a port that is not a number
    except ValueError as exc:
        raise ValidationFailed(message, {"booking_url": message}) from exc
    host = parts.hostname or ""
    if parts.scheme != "https" or not host or "." not in host or parts.username or port == 0:
        raise ValidationFailed(message, {"booking_url": message})
    return value


def check_phone(raw: str) -> str:
    value = _line(raw, "phone", "the phone number", limits.PHONE_MAX, required=False)
    if not value:
        return ""
    if not _PHONE.match(value) or sum(ch.isdigit() for ch in value) < _PHONE_MIN_DIGITS:
        message = (
            "Enter a phone number: digits, spaces, + ( ) - . and /, for example +44 20 7946 0000."
        )
        raise ValidationFailed(message, {"phone": message})
    return value


def update_details(actor: Actor, details: PracticeDetails, now: datetime) -> Practice:
    """Check every field, then write them all to ``actor``'s practice (the owner only).

    Raises ``Forbidden`` for anyone but the owner and ``ValidationFailed`` (naming the field)
    on bad input, before anything is written."""
    access.require_owner(actor)
    practice = practices.get_practice(access.practice_id_of(actor))
    name = _line(
        details.name, "name", "the practice's name", limits.PRACTICE_NAME_MAX, required=True
    )
    address = (details.address or "").strip()
    problem = text_rule.problem(address, multiline=True)
    if problem is not None:
        raise ValidationFailed(problem, {"address": problem})
    address = text_rule.normalise_newlines(address)
    if len(address) > limits.ADDRESS_MAX:
        message = f"Use at most {limits.ADDRESS_MAX} characters for the address."
        raise ValidationFailed(message, {"address": message})
    phone = check_phone(details.phone)
    booking_url = check_booking_url(details.booking_url)
    time_zone = accounts.check_time_zone(details.time_zone or "")
    mail_from_name = _line(
        details.mail_from_name,
        "mail_from_name",
        "the name mail comes from",
        limits.PRACTICE_NAME_MAX,
        required=False,
    )
    reply_to = (details.reply_to or "").strip()
    if reply_to:
        try:
            reply_to = accounts.normalise_email(reply_to)
        except ValidationFailed as exc:
            message = "Enter the address replies should go to, or leave it empty."
            raise ValidationFailed(message, {"reply_to": message}) from exc
    practice.name = name
    practice.address = address
    practice.phone = phone
    practice.booking_url = booking_url
    practice.time_zone = time_zone
    practice.mail_from_name = mail_from_name
    practice.reply_to = reply_to
    db.session.flush()
    audit.record_event(
        actor, "update", client_id=None, object_type="practice", object_id=practice.id, now=now
    )
    return practice


# --- who works there -------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberLine:
    user_id: int
    display_name: str
    email: str
    role: str
    since: datetime

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]


def members_of(actor: Actor) -> list[MemberLine]:
    """The members of ``actor``'s practice, owners first, then by name (every member sees it)."""
    order = sa.case({"owner": 0, "practitioner": 1}, value=PracticeMember.role, else_=2)
    rows = db.session.execute(
        access.practice_members(actor)
        .with_only_columns(
            User.id, User.display_name, User.email, PracticeMember.role, PracticeMember.created_at
        )
        .order_by(order, User.display_name, User.id)
    ).all()
    return [MemberLine(*row) for row in rows]


def open_invitations(actor: Actor, now: datetime) -> list[MemberInvitation]:
    """The owner's pending invitations (not accepted, revoked or expired), newest first."""
    access.require_owner(actor)
    return list(
        db.session.scalars(
            sa.select(MemberInvitation)
            .where(
                MemberInvitation.practice_id == access.practice_id_of(actor),
                MemberInvitation.accepted_at.is_(None),
                MemberInvitation.revoked_at.is_(None),
                MemberInvitation.expires_at > now,
            )
            .order_by(MemberInvitation.created_at.desc(), MemberInvitation.id.desc())
        )
    )


# --- invitations ------------------------------------------------------------------------------


def _rejoinable(user: User) -> bool:
    """A former member's login: deactivated on removal, in no practice, a staff role."""
    return not user.active and user.membership is None and user.role in access.STAFF_ROLES


def invite_member(
    actor: Actor,
    *,
    email: str,
    display_name: str,
    role: str,
    secret_key: str,
    now: datetime,
) -> tuple[MemberInvitation, str]:
    """An invitation to ``actor``'s practice, and the signed token for its link.

    The owner only (``Forbidden``). ``Conflict`` when the address already has a login (a login
    belongs to one practice; a former member's deactivated login is the exception, see the
    module's docstring); ``ValidationFailed`` on a bad address, name or role. An earlier open
    invitation to the same address from this practice is revoked: the newest link is the one
    that works."""
    access.require_owner(actor)
    if role not in INVITABLE_ROLES:
        message = "Choose practitioner or front desk."
        raise ValidationFailed(message, {"role": message})
    normalised = accounts.normalise_email(email)
    name = _line(display_name, "display_name", "their name", limits.DISPLAY_NAME_MAX, required=True)
    taken = db.session.scalar(sa.select(User).where(User.email == normalised))
    if taken is not None and not _rejoinable(taken):
        message = (
            "This address already has a smptrack login, and a login belongs to one practice. "
            "Invite another address."
        )
        raise Conflict(message, {"email": message})
    practice_id = access.practice_id_of(actor)
    db.session.execute(
        sa.update(MemberInvitation)
        .where(
            MemberInvitation.practice_id == practice_id,
            MemberInvitation.email == normalised,
            MemberInvitation.accepted_at.is_(None),
            MemberInvitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    nonce = secrets.token_urlsafe(16)
    invitation = MemberInvitation(
        practice_id=practice_id,
        email=normalised,
        display_name=name,
        role=role,
        nonce_hash=_sha256(nonce),
        invited_by_id=actor.id,
        created_at=now,
        expires_at=now + INVITATION_MAX_AGE,
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record_event(
        actor,
        "invite",
        client_id=None,
        object_type="member_invitation",
        object_id=invitation.id,
        now=now,
    )
    token = URLSafeTimedSerializer(secret_key, salt=INVITATION_SALT).dumps(
        {"i": invitation.id, "n": nonce}
    )
    return invitation, token


def queue_invitation_mail(
    invitation: MemberInvitation, *, inviter: User, link: str, now: datetime
) -> None:
    """Put the invitation's mail in the account-mail outbox (the worker sends it). The row
    expires with the link, so a mail still queued then fails rather than carry a dead link."""
    practice = practices.get_practice(invitation.practice_id)
    account_mail.enqueue(
        to=invitation.email,
        subject=f"{inviter.display_name} invites you to join {practice.name} on smptrack",
        template="member_invitation",
        context={
            "name": invitation.display_name,
            "inviter": inviter.display_name,
            "practice": practice.name,
            "role": ROLE_LABELS[invitation.role].lower(),
            "link": link,
            "days": INVITATION_MAX_AGE.days,
        },
        now=now,
        expires_at=invitation.expires_at,
    )


def invitation_for_token(token: str, secret_key: str, now: datetime) -> MemberInvitation:
    """The open invitation ``token`` names; else ``NotFound`` with a reason a person can act
    on (not valid, used, withdrawn, expired)."""
    invalid = "This invitation link is not valid. Ask the practice's owner for a new one."
    try:
        data = URLSafeTimedSerializer(secret_key, salt=INVITATION_SALT).loads(token or "")
    except BadSignature as exc:
        raise NotFound(invalid) from exc
    if not isinstance(data, dict) or not isinstance(data.get("i"), int):
        raise NotFound(invalid)
    invitation = db.session.get(MemberInvitation, data["i"])
    if invitation is None or not hmac.compare_digest(
        invitation.nonce_hash, _sha256(str(data.get("n")))
    ):
        raise NotFound(invalid)
    if invitation.accepted_at is not None:
        raise NotFound("This invitation has already been used. Log in instead.")
    if invitation.revoked_at is not None:
        raise NotFound("This invitation was withdrawn. Ask the practice's owner for a new one.")
    if invitation.expires_at <= now:
        raise NotFound("This invitation has expired. Ask the practice's owner for a new one.")
    return invitation


def accept_invitation(
    invitation: MemberInvitation,
    *,
    password: str,
    display_name: str,
    time_zone: str,
    now: datetime,
) -> User:
    """The invitee's login and membership, from an open invitation (``invitation_for_token``).

    Raises ``ValidationFailed`` on a bad password, name or time zone and ``Conflict`` when the
    address has meanwhile got a login of its own, or the invitation was used by a concurrent
    request (it is claimed by a conditional UPDATE, so it makes one login at most)."""
    accounts.check_password_rules(password)
    accounts.check_time_zone(time_zone)
    name = _line(display_name, "display_name", "your name", limits.DISPLAY_NAME_MAX, required=True)
    user = db.session.scalar(sa.select(User).where(User.email == invitation.email))
    if user is not None and not _rejoinable(user):
        raise Conflict(
            "This address already has a smptrack login, which belongs to another practice or"
            " account. Ask the practice's owner to invite another address."
        )
    claimed = db.session.execute(
        sa.update(MemberInvitation)
        .where(
            MemberInvitation.id == invitation.id,
            MemberInvitation.accepted_at.is_(None),
            MemberInvitation.revoked_at.is_(None),
        )
        .values(accepted_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise Conflict("This invitation has already been used. Log in instead.")
    if user is None:
        user = User(email=invitation.email, created_at=now)
        db.session.add(user)
    user.password_hash = accounts.hash_password(password)
    user.role = LOGIN_ROLE[invitation.role]
    user.display_name = name
    user.time_zone = time_zone
    user.active = True
    user.email_verified_at = now  # the link reached this address
    db.session.flush()
    db.session.add(
        PracticeMember(
            practice_id=invitation.practice_id,
            user_id=user.id,
            role=invitation.role,
            created_at=now,
        )
    )
    db.session.flush()
    db.session.expire(user, ["membership"])
    db.session.refresh(invitation)
    return user


def revoke_invitation(actor: Actor, invitation_id: int, now: datetime) -> MemberInvitation:
    """Withdraw a pending invitation: its link stops working. The owner only; another
    practice's invitation is ``NotFound``. ``Conflict`` if it was already accepted."""
    invitation = access.get_member_invitation(actor, invitation_id)
    if invitation.accepted_at is not None:
        raise Conflict("This invitation was already accepted; remove the member instead.")
    if invitation.revoked_at is None:
        invitation.revoked_at = now
        db.session.flush()
        audit.record_event(
            actor,
            "delete",
            client_id=None,
            object_type="member_invitation",
            object_id=invitation.id,
            now=now,
        )
    return invitation


# --- removing a member ---------------------------------------------------------------------


@dataclass(frozen=True)
class Removal:
    """What removing ``member`` involves, for the confirmation page."""

    member: User
    role: str
    clients: int  # assigned to them: handed to the successor
    upcoming: int  # booked appointments from now on: these block the removal
    successors: list[User]  # who may take the clients over (the practice's other practitioners)
    problem: str | None  # why the removal is refused, or None

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def removal_of(actor: Actor, user_id: int, now: datetime) -> Removal:
    """The facts of removing member ``user_id`` from ``actor``'s practice. The owner only
    (``Forbidden``); anyone not in the practice is ``NotFound``."""
    access.require_owner(actor)
    member = access.get_member(actor, user_id)
    practice_id = access.practice_id_of(actor)
    role = member.member_role
    clients = db.session.scalar(
        sa.select(sa.func.count(Client.id)).where(
            Client.practice_id == practice_id, Client.practitioner_id == member.id
        )
    )
    upcoming = db.session.scalar(
        sa.select(sa.func.count(Appointment.id)).where(
            Appointment.practice_id == practice_id,
            Appointment.practitioner_id == member.id,
            Appointment.status == "booked",
            Appointment.ends_at > now,
        )
    )
    successors = list(
        db.session.scalars(
            access.practice_members(actor)
            .where(User.role == "practitioner", User.id != member.id, User.active.is_(True))
            .order_by(User.display_name, User.id)
        )
    )
    # The acting owner first: the default successor.
    successors.sort(key=lambda user: user.id != actor.id)
    problem = None
    if role == "owner" and len(practices.owners_of(practice_id)) <= 1:
        problem = "The practice's last owner cannot be removed."
    elif member.id == actor.id:
        problem = "You cannot remove yourself from the practice."
    elif upcoming:
        problem = (
            f"{member.display_name} has {_plural(upcoming, 'upcoming appointment')}. Move them"
            " to another practitioner or cancel them first, then remove the member."
        )
    elif clients and not successors:
        problem = (
            f"{member.display_name} is assigned {_plural(clients, 'client')} and no other"
            " practitioner could take them over."
        )
    return Removal(member, role, clients or 0, upcoming or 0, successors, problem)


def remove_member(
    actor: Actor, user_id: int, *, successor_id: int | None, now: datetime
) -> Removal:
    """Remove member ``user_id``: hand their clients to ``successor_id`` (a practitioner of
    the practice; the owner doing it when None), end their membership, deactivate the login
    and end its sessions and tokens. Raises what ``removal_of`` does, and ``Conflict`` with
    the reason when the removal is refused (nothing is written then)."""
    removal = removal_of(actor, user_id, now)
    if removal.problem is not None:
        raise Conflict(removal.problem)
    member = removal.member
    if removal.clients:
        chosen = actor.id if successor_id is None else successor_id
        successor = next((u for u in removal.successors if u.id == chosen), None)
        if successor is None:
            message = "Choose who takes over the clients: a practitioner of the practice."
            raise ValidationFailed(message, {"successor_id": message})
        db.session.execute(
            sa.update(Client)
            .where(
                Client.practice_id == access.practice_id_of(actor),
                Client.practitioner_id == member.id,
            )
            .values(practitioner_id=successor.id, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.execute(sa.delete(PracticeMember).where(PracticeMember.user_id == member.id))
    member.active = False
    db.session.flush()
    db.session.expire(member, ["membership"])
    accounts.end_all_login_sessions(member, now)
    accounts.revoke_api_tokens(member, now)
    audit.record_event(
        actor, "delete", client_id=None, object_type="practice_member", object_id=member.id, now=now
    )
    return removal
