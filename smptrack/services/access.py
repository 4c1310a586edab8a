"""The access policy: the one place that decides who may see or change what.

The practice is the tenant (DESIGN "The practice (studio) is the tenant"); a member's role in it
decides what they may do:

- **owner**: everything a practitioner may, and manages the practice: its members, details,
  settings and fade model.
- **practitioner**: sees and changes every client of the practice (each has an assigned
  practitioner, who need not be the one looking), the catalogue, sessions, assessments.
- **front desk**: sees the schedule and the clients' contact details, and books; never clinical
  notes, placements, sessions or assessments.
- A client sees and changes their own record only. An admin manages users and sees no client
  record.

Views and API routes fetch owned rows only through the loaders here. A row that exists but
belongs to someone else raises ``NotFound``, exactly as a row that does not exist, so that ids
leak nothing; such a refusal is also noted for the audit log (``refused``). A role that may
not use a feature at all raises ``Forbidden``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn, Protocol

import sqlalchemy as sa

from smptrack import read_connection
from smptrack.extensions import db
from smptrack.models import (
    Appointment,
    Client,
    MemberInvitation,
    Photo,
    PracticeMember,
    User,
)
from smptrack.services import audit
from smptrack.services.errors import Forbidden, NotFound

MAX_ROW_ID = 2**31 - 1
# The logins that belong to a practice (their ``PracticeMember`` row says which and how).
STAFF_ROLES = frozenset({"practitioner", "front_desk"})


class Actor(Protocol):
    id: int
    role: str


def practice_id_of(actor: Actor | None) -> int | None:
    """The practice ``actor`` is a member of, or None (clients, admins, anonymous)."""
    if actor is None or actor.role not in STAFF_ROLES:
        return None
    return getattr(actor, "practice_id", None)


def is_member(actor: Actor | None) -> bool:
    return practice_id_of(actor) is not None


def is_owner(actor: Actor | None) -> bool:
    return is_member(actor) and getattr(actor, "member_role", None) == "owner"


def sees_clinical(actor: Actor | None) -> bool:
    """Sessions, placements, assessments, notes, projections: practitioners (and owners)."""
    return actor is not None and actor.role == "practitioner" and is_member(actor)


def visible_clients(actor: Actor) -> sa.Select[tuple[Client]]:
    """A SELECT of the client records whose clinical history ``actor`` may see; extend it with
    filters and ordering. The front desk sees none here: see ``directory_clients``."""
    query = sa.select(Client)
    if sees_clinical(actor):
        return query.where(Client.practice_id == practice_id_of(actor))
    if isinstance(actor, ClientByLink):
        return query.where(Client.id == actor.client_id)
    if actor.role == "client":
        return query.where(Client.user_id == actor.id)
    return query.where(sa.false())


def directory_clients(actor: Actor) -> sa.Select[tuple[Client]]:
    """The practice's clients as a contact list and for booking: every member sees them."""
    practice_id = practice_id_of(actor)
    if practice_id is None:
        return sa.select(Client).where(sa.false())
    return sa.select(Client).where(Client.practice_id == practice_id)


# ``get_client`` runs on every client page and API read: its statements are built once, one per
# kind of scope ``visible_clients`` knows, with the scope and the id as parameters. Building the
# SELECT anew (the column coercions and its cache key) was a tenth of a small API read's CPU.
# The list pages build theirs the same way, on ``SCOPE_COLUMNS`` and ``client_scope``.
SCOPE_COLUMNS = {"practice": Client.practice_id, "link": Client.id, "own": Client.user_id}
_CLIENT_IN_SCOPE = {
    scope: sa.select(Client).where(column == sa.bindparam("scope"), Client.id == sa.bindparam("id"))
    for scope, column in SCOPE_COLUMNS.items()
}
# The same, as a row of the record's columns (``get_client_row``).
_CLIENT_ROW_IN_SCOPE = {
    scope: sa.select(*Client.__table__.c).where(
        column == sa.bindparam("scope"), Client.id == sa.bindparam("id")
    )
    for scope, column in SCOPE_COLUMNS.items()
}


def client_scope(actor: Actor) -> tuple[str, int] | None:
    """Which of ``SCOPE_COLUMNS`` ``actor`` sees the clients of, with its value (None: no
    client): the same rule as ``visible_clients``, which a test holds them to."""
    if sees_clinical(actor):
        return "practice", practice_id_of(actor)
    if isinstance(actor, ClientByLink):
        return "link", actor.client_id
    if actor.role == "client":
        return "own", actor.id
    return None


def login_scope_condition(user: Any, member: Any, client: Any) -> sa.ColumnElement[bool]:
    """``client_scope`` of a login as SQL over its columns (``user``: its ``users`` row,
    ``member``: its ``practice_members`` row, outer-joined) and a client's: true for the
    records whose history the login sees. For a statement that reads a bearer token's caller
    and the record they ask for in one go (``accounts.caller_for_api_token`` with a
    ``record_id``); a test holds it to ``client_scope`` for every persona. A login is never a
    ``ClientByLink``, so the link scope has no part here."""
    return sa.or_(
        sa.and_(
            user.role == "practitioner",
            member.practice_id.is_not(None),
            client.practice_id == member.practice_id,
        ),
        sa.and_(user.role == "client", client.user_id == user.id),
    )


def get_client(actor: Actor, client_id: int) -> Client:
    """The client record ``client_id`` if ``actor`` may see its history, else ``NotFound``
    (``Forbidden`` for the front desk, on a client of their own practice)."""
    scope = client_scope(actor)
    client = (
        db.session.scalar(_CLIENT_IN_SCOPE[scope[0]], {"scope": scope[1], "id": client_id})
        if scope is not None
        else None
    )
    if client is None:
        _refuse_client(actor, client_id)
    return client


def get_client_row(actor: Actor, client_id: int) -> sa.Row:
    """``get_client``'s record as a row of its columns (attributes named as ``Client``'s), for
    a read that only shows it (``GET /api/v1/clients/{id}``) and so need not build, track and
    roll back an ORM instance. The same scope, the same refusals.

    An API caller that read ``client_id``'s record with its token (``ApiCaller.record_id``,
    under ``login_scope_condition``) answers from that row, without a statement of its own."""
    if getattr(actor, "record_id", None) == client_id:
        row = actor.record  # type: ignore[attr-defined]
    else:
        scope = client_scope(actor)
        row = (
            read_connection.connection()
            .execute(_CLIENT_ROW_IN_SCOPE[scope[0]], {"scope": scope[1], "id": client_id})
            .first()
            if scope is not None
            else None
        )
    if row is None:
        _refuse_client(actor, client_id)
    return row


def _refuse_client(actor: Actor, client_id: int) -> NoReturn:
    if is_member(actor) and not sees_clinical(actor):
        in_practice = db.session.scalar(
            directory_clients(actor).with_only_columns(Client.id).where(Client.id == client_id)
        )
        if in_practice is not None:
            raise Forbidden("The front desk does not see clinical records.")
    raise refused(actor, Client, client_id, "client", "No such client.")


def get_directory_client(actor: Actor, client_id: int) -> Client:
    """A client of ``actor``'s practice, for contact details and booking, else ``NotFound``."""
    client = db.session.scalar(directory_clients(actor).where(Client.id == client_id))
    if client is None:
        raise refused(actor, Client, client_id, "client", "No such client.")
    return client


def practice_members(actor: Actor) -> sa.Select[tuple[User]]:
    """The logins of ``actor``'s practice (every member sees who works there)."""
    practice_id = practice_id_of(actor)
    if practice_id is None:
        return sa.select(User).where(sa.false())
    return (
        sa.select(User)
        .join(PracticeMember, PracticeMember.user_id == User.id)
        .where(PracticeMember.practice_id == practice_id)
    )


def get_member(actor: Actor, user_id: int) -> User:
    """A member of ``actor``'s practice, else ``NotFound`` (the same for another practice's)."""
    in_range = isinstance(user_id, int) and 1 <= user_id <= MAX_ROW_ID
    member = (
        db.session.scalar(practice_members(actor).where(User.id == user_id)) if in_range else None
    )
    if member is None:
        raise NotFound("No such member of your practice.")
    return member


def get_practitioner_of_practice(actor: Actor, user_id: int) -> User:
    """A practitioner (or owner) of ``actor``'s practice, to assign a client or book with."""
    member = get_member(actor, user_id)
    if member.role != "practitioner":
        raise NotFound("No such practitioner in your practice.")
    return member


def refuse_front_desk(actor: Actor) -> None:
    """Clinical loaders call this first: the front desk may not use them at all (403), and a
    session's id then tells them nothing either way."""
    if is_member(actor) and not sees_clinical(actor):
        raise Forbidden("The front desk does not see clinical records.")


def require_member(actor: Actor) -> None:
    if not is_member(actor):
        raise Forbidden("Only a member of a practice can do this.")


def require_owner(actor: Actor) -> None:
    if not is_owner(actor):
        raise Forbidden("Only the practice's owner can do this.")


def may_book(actor: Actor) -> bool:
    """Book, move, cancel appointments and see the schedule: every member."""
    return is_member(actor)


def require_may_book(actor: Actor) -> None:
    if not may_book(actor):
        raise Forbidden("Only a member of the practice can book appointments.")


def visible_appointments(actor: Actor) -> sa.Select[tuple[Appointment]]:
    """Appointments ``actor`` may see: every member sees the practice's schedule; a client sees
    their own bookings (read only)."""
    query = sa.select(Appointment)
    practice_id = practice_id_of(actor)
    if practice_id is not None:
        return query.where(Appointment.practice_id == practice_id)
    if actor.role == "client":
        own = sa.select(Client.id).where(Client.user_id == actor.id).scalar_subquery()
        return query.where(Appointment.client_id == own)
    return query.where(sa.false())


def get_appointment(actor: Actor, appointment_id: int) -> Appointment:
    """An appointment ``actor`` may see, else ``NotFound`` (another practice's included)."""
    in_range = isinstance(appointment_id, int) and 1 <= appointment_id <= MAX_ROW_ID
    found = (
        db.session.scalar(visible_appointments(actor).where(Appointment.id == appointment_id))
        if in_range
        else None
    )
    if found is None:
        raise refused(actor, Appointment, appointment_id, "appointment", "No such appointment.")
    return found


def get_bookable_appointment(actor: Actor, appointment_id: int) -> Appointment:
    """An appointment ``actor`` may move, cancel or mark: a member of its practice."""
    require_may_book(actor)
    return get_appointment(actor, appointment_id)


def refused(
    actor: Actor | None, model: Any, object_id: object, object_type: str, message: str
) -> NotFound:
    """The ``NotFound`` a loader raises when ``actor`` may not see row ``object_id`` of
    ``model``. When the row exists (another tenant's), the denial is first noted for the audit
    log (``audit.note_denial``; the request writes it even though it answers 404). The answer
    is the same either way, so ids leak nothing."""
    in_range = isinstance(object_id, int) and not isinstance(object_id, bool)
    if in_range and 1 <= object_id <= MAX_ROW_ID:
        owner = model.id if model is Client else getattr(model, "client_id", sa.null())
        found = db.session.execute(sa.select(model.id, owner).where(model.id == object_id)).first()
        if found is not None:
            audit.note_denial(actor, object_type, object_id, found[1])
    return NotFound(message)


def own_client_record(actor: Actor) -> Client | None:
    """A client login's own record (None for other roles, or a client not yet linked)."""
    if isinstance(actor, ClientByLink):
        return db.session.get(Client, actor.client_id)
    if actor.role != "client":
        return None
    return db.session.scalar(sa.select(Client).where(Client.user_id == actor.id))


def require_practitioner(actor: Actor) -> None:
    if not sees_clinical(actor):
        raise Forbidden("Only a practitioner can do this.")


def require_client(actor: Actor) -> None:
    if actor.role != "client":
        raise Forbidden("Only a client can do this.")


def require_admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise Forbidden("Only an administrator can do this.")


def may_manage_practice(actor: Actor, client: Client) -> bool:
    """Practice-side actions on a visible record: invite the client, record for them, erase.
    Any practitioner of the client's practice, not only the assigned one."""
    return sees_clinical(actor) and client.practice_id == practice_id_of(actor)


def is_own_record(actor: Actor, client: Client) -> bool:
    if isinstance(actor, ClientByLink):
        return client.id == actor.client_id
    return actor.role == "client" and client.user_id == actor.id


def require_own_record(actor: Actor, client: Client, message: str) -> None:
    """Choices only the client makes (their reminder preferences): ``Forbidden`` otherwise."""
    if not is_own_record(actor, client):
        raise Forbidden(message)


def acts_for(actor: Actor, client: Client) -> bool:
    """Log sun, record assessments, edit the profile: the client, or the practice."""
    return is_own_record(actor, client) or may_manage_practice(actor, client)


def may_delete_assessment(actor: Actor, client: Client, by_client: bool) -> bool:
    """The practice may remove any rating of its client; a client only their self-ratings."""
    if is_own_record(actor, client):
        return by_client
    return may_manage_practice(actor, client)


def may_record_for(actor: Actor, client: Client) -> bool:
    """Record a session for ``client``: a practitioner of their practice, or the client."""
    return may_manage_practice(actor, client) or is_own_record(actor, client)


def may_change_session(actor: Actor, client: Client, treatment_session: Any) -> bool:
    """Change or delete a session: whoever's side logged it. The practice changes the sessions
    it recorded, not those the client logged; the client only those they logged themself."""
    logged_by_client = (
        client.user_id is not None and treatment_session.logged_by_id == client.user_id
    )
    if may_manage_practice(actor, client):
        return not logged_by_client
    return is_own_record(actor, client) and treatment_session.logged_by_id == actor.id


def may_read_notes(actor: Actor | None, record: Any) -> bool:
    """Whether ``actor``, who may already see ``record`` (a treatment session or a fade
    assessment, as an ORM row or a timeline line), reads its notes (issue 13 item 5).

    The practice's notes are internal unless shared (``notes_shared``): practitioners of the
    practice read them all, the client only the shared ones. What the client wrote themself is
    theirs: a session they logged, a self-rating. The front desk never sees the record at all.
    """
    if isinstance(record, Client):
        return may_read_record_notes(actor)
    if actor is None:
        return False
    if sees_clinical(actor):
        return True
    if getattr(record, "notes_shared", False):
        return True
    if hasattr(record, "assessor_kind"):  # a fade assessment
        return record.assessor_kind == "client_self"
    logged_by = getattr(record, "logged_by_id", None)
    return actor.role == "client" and logged_by is not None and logged_by == actor.id


def may_read_record_notes(actor: Actor | None) -> bool:
    """Whether ``actor``, who may already see a client record (an ORM row or a row of its
    columns), reads the practice's notes on the record itself: always internal, so only the
    practice's practitioners do."""
    return actor is not None and sees_clinical(actor)


def may_see_control(actor: Actor | None, action: str, client: Client, record: Any = None) -> bool:
    """Whether a page shows ``actor`` the control for ``action`` on ``record`` of ``client``:
    the very rule the route it points to enforces, so a button and its route cannot drift.

    ``action`` is one of ``change_session`` (change or delete a session), ``delete_assessment``,
    ``delete_photo``, ``record_session``, ``manage_practice`` (invite, erase, practice-only
    pages). Unknown actions are refused, so a typo hides a control rather than showing it.
    """
    if actor is None:
        return False
    if action == "change_session":
        return may_change_session(actor, client, record)
    if action == "delete_assessment":
        return may_delete_assessment(actor, client, record.assessor_kind == "client_self")
    if action == "delete_photo":
        return may_delete_photo(actor, client, record)
    if action == "record_session":
        return may_record_for(actor, client)
    if action == "manage_practice":
        return may_manage_practice(actor, client)
    return False


def may_export_or_erase(actor: Actor, client: Client) -> bool:
    """Export or erase a record: a practitioner of the client's practice, or the client."""
    return may_manage_practice(actor, client) or is_own_record(actor, client)


def require_practice_of(actor: Actor, client: Client) -> None:
    if not may_manage_practice(actor, client):
        raise Forbidden("Only a practitioner of the client's practice can do this.")


# A reminder still in the outbox (or delivered) whose last error is a retry's transient reply.
_IN_DELIVERY = frozenset({"pending", "sending", "sent"})


def may_see_reminder_error(actor: Actor, client: Client, status: str) -> bool:
    """Whether ``actor``, who may see ``client``, sees a reminder's ``last_error``.

    The practice sees every reason, the mail server's replies to retries included: it is their
    delivery log. The client sees the reason once a reminder has ended unsent (failed,
    cancelled, or any later such status), as on their reminders page, and not the transient
    errors of a delivery still in progress.
    """
    if may_manage_practice(actor, client):
        return True
    return actor.role == "client" and client.user_id == actor.id and status not in _IN_DELIVERY


def listable_users(actor: Actor) -> sa.Select[tuple[User]]:
    require_admin(actor)
    return sa.select(User)


# --- Calendar feeds (services/calendar_feeds.py) ---------------------------------------------
#
# A feed URL is personal: each holder has their own secret, so stopping or regenerating one
# never breaks a colleague's calendar, and a member who leaves takes only their own URLs with
# them (``calendar_feed_serves`` refuses them at the next fetch). What the feeds carry is the
# schedule (client names, times, kind, practitioner), never notes or placements; the client's
# own feed adds their projected touch-up window.

_PRACTITIONER_MEMBER_ROLES = frozenset({"owner", "practitioner"})


def own_calendar_feed_scopes(actor: Actor | None) -> tuple[str, ...]:
    """The feeds ``actor`` may hold for themselves: a practitioner (owner included) their own
    appointments and the practice's schedule; the front desk the practice's schedule (every
    member sees it, ``visible_appointments``); a client their own appointments and touch-up
    window (once their record belongs to a practice). Admins and anonymous: none."""
    if actor is None:
        return ()
    if sees_clinical(actor) and getattr(actor, "member_role", None) in _PRACTITIONER_MEMBER_ROLES:
        return ("practitioner", "practice")
    if is_member(actor):
        return ("practice",)
    if actor.role == "client":
        return ("client",)
    return ()


def may_issue_client_feed(actor: Actor, client: Client) -> bool:
    """Issue, regenerate or stop ``client``'s feed on their behalf: a practitioner of their
    practice (the feed shows the projected window, which the front desk does not see)."""
    return may_manage_practice(actor, client)


def calendar_feed_serves(
    scope: str,
    feed_practice_id: int,
    *,
    holder_active: bool | None = None,
    holder_role: str | None = None,
    holder_practice_id: int | None = None,
    holder_member_role: str | None = None,
    client_practice_id: int | None = None,
) -> bool:
    """Whether a live feed still answers (checked at every fetch, from its holder as stored
    now): a member's feed while they are an active member of the feed's practice (and, for
    their own appointments, still a practitioner there); a client's while the client record
    belongs to the practice that issued it."""
    if scope == "client":
        return client_practice_id is not None and client_practice_id == feed_practice_id
    if not holder_active or holder_role not in STAFF_ROLES:
        return False
    if holder_practice_id != feed_practice_id:
        return False
    if scope == "practitioner":
        return holder_role == "practitioner" and holder_member_role in _PRACTITIONER_MEMBER_ROLES
    return scope == "practice"


# --- The practice's members (services/members.py) ---------------------------------------------


def get_member_invitation(actor: Actor, invitation_id: int) -> MemberInvitation:
    """An invitation of ``actor``'s practice, for its owner to revoke: ``Forbidden`` for anyone
    but an owner, ``NotFound`` for another practice's (the same as for none)."""
    require_owner(actor)
    in_range = isinstance(invitation_id, int) and 1 <= invitation_id <= MAX_ROW_ID
    found = (
        db.session.scalar(
            sa.select(MemberInvitation).where(
                MemberInvitation.id == invitation_id,
                MemberInvitation.practice_id == practice_id_of(actor),
            )
        )
        if in_range
        else None
    )
    if found is None:
        raise NotFound("No such invitation.")
    return found


# --- Emailed links that speak for a client (issue 12: the healed and yearly check) ----------


@dataclass(frozen=True)
class ClientByLink:
    """Whoever holds a valid follow-up link of client ``client_id``: the link went to the
    client's own address (as an unsubscribe link does), so its holder acts as that client, on
    that record only, with or without a login. ``id`` is the client's login, if any, so that
    their ratings and audit lines name it; never compare it with ``Client.user_id`` (it may be
    None): the loaders above recognise the holder by ``client_id``."""

    client_id: int
    id: int | None
    role: str = "client"


def client_by_link(client: Client) -> ClientByLink:
    """The actor a verified follow-up link of ``client`` stands for (the token is checked by
    ``services.follow_up``, which alone builds one)."""
    return ClientByLink(client_id=client.id, id=client.user_id)


# --- Photos (services/photos.py) ---------------------------------------------------------------
#
# A photo is clinical: practitioners of the client's practice and the client see it (the front
# desk meets 403, another practice 404). Both add photos: the practice on a session, an
# assessment or the record, the client on their own record. The practice deletes any of its
# client's photos; a client only the ones they uploaded themselves.


def visible_photos(actor: Actor) -> sa.Select[tuple[Photo]]:
    """A SELECT of the photos ``actor`` may see (those of ``visible_clients``)."""
    clients = visible_clients(actor).with_only_columns(Client.id)
    return sa.select(Photo).where(Photo.client_id.in_(clients.scalar_subquery()))


def get_photo(actor: Actor, photo_id: int) -> Photo:
    """A photo ``actor`` may see, else ``NotFound`` (``Forbidden`` for the front desk)."""
    refuse_front_desk(actor)
    in_range = isinstance(photo_id, int) and 1 <= photo_id <= MAX_ROW_ID
    found = (
        db.session.scalar(visible_photos(actor).where(Photo.id == photo_id)) if in_range else None
    )
    if found is None:
        raise refused(actor, Photo, photo_id, "photo", "No such photo.")
    return found


def may_add_photo(actor: Actor, client: Client) -> bool:
    """Upload a photo of ``client``: the client, or a practitioner of their practice."""
    return acts_for(actor, client)


def may_delete_photo(actor: Actor, client: Client, photo: Photo) -> bool:
    """The practice deletes any photo of its client; the client only those they uploaded."""
    if may_manage_practice(actor, client):
        return True
    uploaded_own = actor.id is not None and photo.uploaded_by_id == actor.id
    return is_own_record(actor, client) and uploaded_own


# --- Consent and the health questionnaire (services/consents.py, questionnaire.py) ----------
#
# The consent text is the practice's own legal wording, so only an owner publishes a new
# version (a practitioner reads it; so does the front desk, who sends the signing links).
# Whether a client has signed is front-desk business (they book, and chase the signature);
# the signed document itself (name, address, time) and the questionnaire's answers are
# clinical: practitioners of the practice and the client only.


def may_publish_consent_template(actor: Actor | None) -> bool:
    return is_owner(actor)


def require_may_publish_consent_template(actor: Actor) -> None:
    if not may_publish_consent_template(actor):
        raise Forbidden("Only the practice's owner can change its consent text.")


def may_read_consent_template(actor: Actor | None) -> bool:
    return is_member(actor)


def get_consent_client(actor: Actor, client_id: int) -> Client:
    """The client whose consent status ``actor`` may see: any member of the client's practice
    (the front desk included), or the client themself; ``NotFound`` otherwise."""
    if is_member(actor):
        return get_directory_client(actor, client_id)
    own = own_client_record(actor)
    if own is None or own.id != client_id:
        raise refused(actor, Client, client_id, "client", "No such client.")
    return own


def may_send_consent_link(actor: Actor, client: Client) -> bool:
    """Email the client a signing link: any member of the client's practice."""
    return is_member(actor) and client.practice_id == practice_id_of(actor)


def may_sign_consent_for(actor: Actor, client: Client) -> bool:
    """Sign from a login: only the client, on their own record (nobody signs for them; the
    practice sends a link instead)."""
    return is_own_record(actor, client)


def may_read_signed_consent(actor: Actor, client: Client) -> bool:
    """The signed document: the client's own, or a practitioner of their practice."""
    return is_own_record(actor, client) or may_manage_practice(actor, client)


def may_answer_questionnaire(actor: Actor, client: Client) -> bool:
    """Read and answer the health questionnaire: the client, or a practitioner of their
    practice. Never the front desk (clinical), who meets ``get_client``'s 403 first."""
    return acts_for(actor, client)
