"""Accounts: sign-up, authentication, password reset, client invitations and API tokens.

Everything here flushes and never commits; the caller owns the transaction. Secrets (the app's
secret key) and the clock are parameters, so the worker and the CLI can use these too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import namedtuple
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from smptrack import read_connection
from smptrack.domain import text as text_rule
from smptrack.domain.limits import DISPLAY_NAME_MAX
from smptrack.extensions import db
from smptrack.models import ApiToken, Client, Invitation, LoginSession, PracticeMember, User
from smptrack.services import access, account_mail, audit, practices
from smptrack.services.errors import Conflict, NotFound, ValidationFailed

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 1024
RESET_SALT = "smptrack.password-reset"
INVITE_SALT = "smptrack.invite"
TOKEN_PREFIX = "smp_"  # noqa: S105 - a public marker, not a secret

# Verifying against this when no account exists keeps login time the same either way, so the
# response time does not tell whether an email is registered.
_DUMMY_HASH = generate_password_hash("not-a-real-password-just-for-timing")


def normalise_email(raw: str) -> str:
    """Trimmed, lower-cased and syntax-checked; raises ``ValidationFailed`` with a clear message."""
    candidate = (raw or "").strip()
    try:
        # No DNS look-ups (offline installs, fast forms); test_environment also admits the
        # reserved .test domain, which the demo practice and the test suite use.
        result = validate_email(candidate, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ValidationFailed(
            "Enter a valid email address.", {"email": "Enter a valid email address."}
        ) from exc
    return result.normalized.lower()


def check_password_rules(password: str, min_length: int = PASSWORD_MIN_LENGTH) -> None:
    if len(password or "") < min_length:
        message = f"Use at least {min_length} characters."
        raise ValidationFailed(message, {"password": message})
    if len(password) > PASSWORD_MAX_LENGTH:
        message = f"Use at most {PASSWORD_MAX_LENGTH} characters."
        raise ValidationFailed(message, {"password": message})


def check_time_zone(name: str) -> str:
    if name not in _time_zones():
        message = "Choose a time zone from the list, for example Europe/London."
        raise ValidationFailed(message, {"time_zone": message})
    return name


_ZONES: frozenset[str] | None = None


def _time_zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def time_zone_choices() -> list[str]:
    return sorted(_time_zones())


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def find_user_by_email(email: str) -> User | None:
    try:
        normalised = normalise_email(email)
    except ValidationFailed:
        return None
    return db.session.scalar(sa.select(User).where(User.email == normalised))


def create_user(
    *,
    email: str,
    password: str,
    role: str,
    display_name: str,
    time_zone: str = "UTC",
    min_password_length: int = PASSWORD_MIN_LENGTH,
) -> User:
    """A new login. Raises ``Conflict`` if the email is taken, ``ValidationFailed`` on bad input."""
    if role not in ("client", "practitioner", "admin"):
        raise ValidationFailed("Unknown role.", {"role": "Choose client, practitioner or admin."})
    normalised = normalise_email(email)
    check_password_rules(password, min_password_length)
    check_time_zone(time_zone)
    problem = text_rule.problem(display_name or "")
    if problem is not None:
        raise ValidationFailed(problem, {"display_name": problem})
    display_name = (display_name or "").strip()
    if not display_name or len(display_name) > DISPLAY_NAME_MAX:
        message = f"Enter a name of at most {DISPLAY_NAME_MAX} characters."
        raise ValidationFailed("Enter a name.", {"display_name": message})
    if db.session.scalar(sa.select(User.id).where(User.email == normalised)) is not None:
        raise Conflict("An account with this email already exists.", {"email": "Already in use."})
    user = User(
        email=normalised,
        password_hash=hash_password(password),
        role=role,
        display_name=display_name,
        time_zone=time_zone,
    )
    db.session.add(user)
    db.session.flush()
    if role == "practitioner":
        # Every practitioner belongs to a practice; one who signs up alone owns a practice of one.
        practices.found_practice(user)
    return user


def sign_up(
    *, email: str, password: str, role: str, display_name: str, time_zone: str, now: datetime
) -> User:
    """Self-service sign-up. A client who signs up alone gets a record of their own."""
    if role not in ("client", "practitioner"):
        raise ValidationFailed("Choose practitioner or client.", {"role": "Choose one."})
    user = create_user(
        email=email, password=password, role=role, display_name=display_name, time_zone=time_zone
    )
    if role == "client":
        db.session.add(
            Client(
                user_id=user.id,
                display_name=user.display_name,
                email=user.email,
                time_zone=time_zone,
            )
        )
        db.session.flush()
    return user


def authenticate(email: str, password: str, now: datetime) -> User | None:
    """The active user with these credentials, else None. Same work whether or not they exist."""
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    user.last_login_at = now
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """The bare change of the hash. Pages use ``change_password`` or ``reset_password``, which
    also end the other sessions and tokens and tell the owner."""
    check_password_rules(password)
    user.password_hash = hash_password(password)
    db.session.flush()


def change_password(
    user: User,
    *,
    current_password: str,
    new_password: str,
    now: datetime,
    reset_url: str | None = None,
) -> int:
    """A logged-in person's own change: check the current password, set the new one, end every
    other login session and API token, and queue the "your password was changed" mail.

    Raises ``ValidationFailed`` (field ``current_password`` or ``password``). The caller's own
    session (``user.login_session_key``) stays open. Returns how many sessions and tokens
    ended.
    """
    if not check_password_hash(user.password_hash, current_password or ""):
        message = "That is not your current password."
        raise ValidationFailed(message, {"current_password": message})
    set_password(user, new_password)
    ended = end_other_login_sessions(user, now) + revoke_api_tokens(user, now)
    _queue_password_notice(user, now, how="changed", reset_url=reset_url)
    return ended


def reset_password(
    user: User, new_password: str, *, now: datetime, reset_url: str | None = None
) -> int:
    """A new password through a reset link: set it, end every login session (the resetter is
    not logged in) and API token, and queue the notice. Raises ``ValidationFailed``."""
    set_password(user, new_password)
    ended = end_all_login_sessions(user, now) + revoke_api_tokens(user, now)
    _queue_password_notice(user, now, how="reset", reset_url=reset_url)
    return ended


def _queue_password_notice(user: User, now: datetime, *, how: str, reset_url: str | None) -> None:
    try:
        zone = ZoneInfo(user.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = now.astimezone(zone)
    account_mail.enqueue(
        to=user.email,
        subject="Your smptrack password was changed",
        template="password_changed",
        context={
            "name": user.display_name,
            "how": how,
            "when": f"{local.strftime('%d %b %Y, %H:%M')} {local.tzname()}",
            "reset_url": reset_url,
        },
        now=now,
    )


# --- login sessions -----------------------------------------------------------------------

# last_seen_at is written at most this often, so reading pages does not write to the database.
LOGIN_SESSION_TOUCH_EVERY = timedelta(hours=1)
USER_AGENT_MAX_LENGTH = 200


def _printable(text: str | None, limit: int) -> str:
    return "".join(ch for ch in (text or "") if ch.isprintable())[:limit]


def open_login_session(
    user: User,
    *,
    user_agent: str | None,
    remote_addr: str | None,
    remembered: bool,
    now: datetime,
) -> LoginSession:
    """Start a login session for ``user`` and set ``user.login_session_key``, which
    ``User.get_id`` hands to Flask-Login's cookies. Only the key's SHA-256 is stored."""
    key = secrets.token_urlsafe(32)
    row = LoginSession(
        user_id=user.id,
        key_hash=_sha256(key),
        created_at=now,
        last_seen_at=now,
        user_agent=_printable(user_agent, USER_AGENT_MAX_LENGTH),
        remote_addr=_printable(remote_addr, 45) or None,
        remembered=remembered,
    )
    db.session.add(row)
    db.session.flush()
    user.login_session_key = key
    return row


# The session's few columns and its user in one SELECT, built once: this runs on every request
# of a logged-in user. The session is read as columns, not as an ORM row: the request needs only
# its id and last use, and building and tracking the entity was a tenth of a small page's CPU.
_LOGIN_SESSION_AND_USER = (
    sa.select(
        LoginSession.id,
        LoginSession.user_id,
        LoginSession.revoked_at,
        LoginSession.last_seen_at,
        User,
    )
    .join(User, User.id == LoginSession.user_id)
    .where(LoginSession.key_hash == sa.bindparam("key_hash"))
)


@dataclass(frozen=True, slots=True)
class LiveLoginSession:
    """The login session a request came in through: which row, and when it was last seen."""

    id: int
    last_seen_at: datetime


def user_for_login_session(
    session_id: str | None, now: datetime, idle: timedelta
) -> tuple[User, LiveLoginSession] | None:
    """The active user and live login session a cookie's id (``User.get_id``) names, else None:
    unknown, revoked, idle for longer than ``idle``, or begun with a password since changed.
    Reads only: the caller decides when to record ``last_seen_at`` (``touch_due``)."""
    user_id, fingerprint, key = [*(session_id or "").split(":"), "", "", ""][:3]
    if not key or len(key) > 100:
        return None
    found = db.session.execute(_LOGIN_SESSION_AND_USER, {"key_hash": _sha256(key)}).first()
    if found is None:
        return None
    row_id, row_user_id, revoked_at, last_seen_at, user = found
    if str(row_user_id) != user_id or revoked_at is not None:
        return None
    if last_seen_at <= now - idle:
        return None
    if not user.active:
        return None
    if not hmac.compare_digest(fingerprint, user.password_fingerprint):
        return None  # the password changed since this session began
    user.login_session_key = key
    return user, LiveLoginSession(id=row_id, last_seen_at=last_seen_at)


def touch_due(row: LiveLoginSession, now: datetime) -> bool:
    return row.last_seen_at <= now - LOGIN_SESSION_TOUCH_EVERY


def login_session_key_hash(user: User) -> str | None:
    """The stored form of the key of the session ``user`` was loaded through (to mark it in a
    list), or None."""
    return _sha256(user.login_session_key) if user.login_session_key else None


def _live(user: User) -> sa.ColumnElement[bool]:
    return sa.and_(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))


def end_login_session(user: User, now: datetime) -> None:
    """Revoke the session ``user`` was loaded through (logout): its session and remember-me
    cookies stop working, even replayed."""
    if not user.login_session_key:
        return
    db.session.execute(
        sa.update(LoginSession)
        .where(_live(user), LoginSession.key_hash == _sha256(user.login_session_key))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()


def end_other_login_sessions(user: User, now: datetime) -> int:
    """Revoke every live session of ``user`` but the current one; returns how many."""
    condition = _live(user)
    if user.login_session_key:
        condition = sa.and_(condition, LoginSession.key_hash != _sha256(user.login_session_key))
    result = db.session.execute(
        sa.update(LoginSession)
        .where(condition)
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return result.rowcount or 0


def end_all_login_sessions(user: User, now: datetime) -> int:
    result = db.session.execute(
        sa.update(LoginSession)
        .where(_live(user))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return result.rowcount or 0


def live_login_sessions(user: User, now: datetime, idle: timedelta) -> list[LoginSession]:
    """The user's sessions that still work, most recently seen first."""
    return list(
        db.session.scalars(
            sa.select(LoginSession)
            .where(_live(user), LoginSession.last_seen_at > now - idle)
            .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())
        )
    )


def revoke_api_tokens(user: User, now: datetime) -> int:
    """Revoke every live API token of ``user``; returns how many."""
    result = db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return result.rowcount or 0


# --- password reset ---------------------------------------------------------------------


def _password_fingerprint(user: User) -> str:
    # Part of the token: once the password changes, every earlier reset link stops working.
    return user.password_fingerprint


def make_reset_token(user: User, secret_key: str) -> str:
    serializer = URLSafeTimedSerializer(secret_key, salt=RESET_SALT)
    return serializer.dumps({"u": user.id, "f": _password_fingerprint(user)})


def user_for_reset_token(token: str, secret_key: str, max_age_seconds: int) -> User:
    """The user a valid, unused, unexpired reset token names; else ``NotFound``."""
    serializer = URLSafeTimedSerializer(secret_key, salt=RESET_SALT)
    try:
        data = serializer.loads(token, max_age=max_age_seconds)
    except SignatureExpired as exc:
        raise NotFound("This reset link has expired. Ask for a new one.") from exc
    except BadSignature as exc:
        raise NotFound("This reset link is not valid. Ask for a new one.") from exc
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not hmac.compare_digest(str(data.get("f")), _password_fingerprint(user)):
        raise NotFound("This reset link has already been used. Ask for a new one.")
    return user


# --- invitations ------------------------------------------------------------------------


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def invite_client(
    client: Client, email: str, invited_by: User, secret_key: str, now: datetime, max_age: timedelta
) -> tuple[Invitation, str]:
    """Create an invitation for ``client`` and return it with the signed token for the link.

    The caller has checked, through the access policy, that ``invited_by`` runs this client's
    practice. Earlier unaccepted invitations for the record stop working.
    """
    if client.user_id is not None:
        raise Conflict("This client already has a login linked to the record.")
    if client.erasure_requested_at is not None:
        # Issue 13: the client erased their login and contact details; the record is kept only
        # for the practice's duty, never to reach them again.
        message = "This client asked for their data to be erased; they cannot be invited again."
        raise Conflict(message, {"email": message})
    normalised = normalise_email(email)
    taken = db.session.scalar(sa.select(User).where(User.email == normalised))
    if taken is not None and taken.role != "client":
        message = "This email belongs to a staff account; use the client's own address."
        raise Conflict(message, {"email": message})
    db.session.execute(
        sa.update(Invitation)
        .where(Invitation.client_id == client.id, Invitation.accepted_at.is_(None))
        .values(expires_at=now)
    )
    nonce = secrets.token_urlsafe(16)
    invitation = Invitation(
        client_id=client.id,
        email=normalised,
        nonce_hash=_sha256(nonce),
        invited_by_id=invited_by.id,
        created_at=now,
        expires_at=now + max_age,
    )
    client.email = normalised
    db.session.add(invitation)
    db.session.flush()
    token = URLSafeTimedSerializer(secret_key, salt=INVITE_SALT).dumps(
        {"i": invitation.id, "n": nonce}
    )
    return invitation, token


def invitation_for_token(token: str, secret_key: str, now: datetime) -> Invitation:
    """The open invitation this token names; ``NotFound`` with a reason a person can act on."""
    try:
        data = URLSafeTimedSerializer(secret_key, salt=INVITE_SALT).loads(token)
    except BadSignature as exc:
        raise NotFound(
            "This invitation link is not valid. Ask your practitioner for a new one."
        ) from exc
    if not isinstance(data, dict):
        raise NotFound("This invitation link is not valid.")
    invitation = db.session.get(Invitation, data.get("i"))
    if invitation is None or not hmac.compare_digest(
        invitation.nonce_hash, _sha256(str(data.get("n")))
    ):
        raise NotFound("This invitation link is not valid. Ask your practitioner for a new one.")
    if invitation.accepted_at is not None:
        raise NotFound("This invitation has already been used. Log in instead.")
    if invitation.expires_at <= now:
        raise NotFound("This invitation has expired. Ask your practitioner for a new one.")
    return invitation


def accept_invitation(
    invitation: Invitation, *, password: str, default_time_zone: str, now: datetime
) -> User:
    """Create the client's login from an open invitation and link it to the record.

    The login takes the record's name and time zone (issue 13: accepting asks for a password
    only, and never replaces the zone the practice set with the site's default); a record with
    no valid zone gives the login ``default_time_zone``, and the record keeps what it had.
    Both can be changed afterwards on the account page. Flushes, never commits.
    """
    client = db.session.get(Client, invitation.client_id)
    if client is None or client.user_id is not None:
        raise Conflict("This record already has a login. Log in instead.")
    zone = client.time_zone if client.time_zone in _time_zones() else default_time_zone
    user = create_user(
        email=invitation.email,
        password=password,
        role="client",
        display_name=client.display_name,
        time_zone=zone,
    )
    user.email_verified_at = now  # they received the link at this address
    client.user_id = user.id
    invitation.accepted_at = now
    db.session.flush()
    return user


def invited_record(invitation: Invitation) -> Client | None:
    """The client record an invitation links to (its name and zone are shown on the page)."""
    return db.session.get(Client, invitation.client_id)


def link_existing_login(invitation: Invitation, user: User, now: datetime) -> Client:
    """Link an existing client login (with no record yet) to the invited record."""
    client = db.session.get(Client, invitation.client_id)
    if client is None or client.user_id is not None:
        raise Conflict("This record already has a login.")
    if user.role != "client" or user.email != invitation.email:
        raise Conflict("Log in with the address the invitation was sent to.")
    existing = db.session.scalar(sa.select(Client.id).where(Client.user_id == user.id))
    if existing is not None:
        raise Conflict(
            "Your login already has its own record. Ask your practitioner to invite another "
            "address, or erase your own record first."
        )
    client.user_id = user.id
    invitation.accepted_at = now
    db.session.flush()
    return client


# --- API tokens -------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once; only its hash is stored


def issue_api_token(user: User, name: str, now: datetime, max_age: timedelta) -> IssuedToken:
    name = (name or "").strip() or "API token"
    if len(name) > 80:
        raise ValidationFailed("Name too long.", {"name": "Use at most 80 characters."})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=_sha256(secret),
        prefix=secret[:10],
        created_at=now,
        expires_at=now + max_age,
    )
    db.session.add(token)
    db.session.flush()
    return IssuedToken(token=token, secret=secret)


def token_max_age(now: datetime, expires_on: date | None, limit: timedelta) -> timedelta:
    """How long a token made at ``now`` lives: until the start (UTC) of ``expires_on``, or
    ``limit`` when none is given. ``ValidationFailed`` (field ``expires_on``) for a day that is
    not after today or beyond ``limit``."""
    if expires_on is None:
        return limit
    until = datetime.combine(expires_on, datetime.min.time(), tzinfo=UTC) - now
    if until <= timedelta(0):
        message = "Choose a day after today."
        raise ValidationFailed(message, {"expires_on": message})
    if until > limit:
        message = f"A token lives at most {limit.days} days."
        raise ValidationFailed(message, {"expires_on": message})
    return until


# A token's last use is kept to the hour: at most one write per token an hour, so that the API's
# reads do not each write (issue 9: the UPDATE of every request waited out the lock).
TOKEN_USE_RESOLUTION = timedelta(hours=1)


# The token's columns and its user in one SELECT, built once: this runs on every API request,
# and building it anew cost as much as running it.
_TOKEN_AND_USER = (
    sa.select(ApiToken.id, ApiToken.revoked_at, ApiToken.expires_at, ApiToken.last_used_at, User)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == sa.bindparam("token_hash"))
)


@dataclass(frozen=True, slots=True)
class ApiCaller:
    """Who a live bearer token speaks for, as the access policy reads an actor: the login's id
    and role and, for a member of a practice, that practice and their role in it (what
    ``User.practice_id`` and ``User.member_role`` say). No other fact of the login.

    For the API reads that need no more (``registry.operation(identity_only=True)``): loading
    the ORM ``User`` with its membership and practice, and rolling the session's copies back at
    the end, was a quarter of the CPU of ``GET /api/v1/clients/{id}``."""

    id: int
    role: str
    practice_id: int | None
    member_role: str | None
    # The client record the request names, read with the token (``caller_for_api_token``'s
    # ``record_id``): its columns when the login sees its history, else None. Only
    # ``access.get_client_row`` reads it, for that id.
    record_id: int | None = None
    record: ClientColumns | None = None


# The token's columns and the few facts of its login ``ApiCaller`` holds, as plain columns.
_TOKEN_AND_CALLER = (
    sa.select(
        ApiToken.id,
        ApiToken.revoked_at,
        ApiToken.expires_at,
        ApiToken.last_used_at,
        User.active,
        User.id,
        User.role,
        PracticeMember.practice_id,
        PracticeMember.role,
    )
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(PracticeMember, PracticeMember.user_id == User.id)
    .where(ApiToken.token_hash == sa.bindparam("token_hash"))
)


# A client record's columns by name, as ``access.get_client_row`` answers it (``sa.Row``'s
# attribute access, for the part of a wider row that is the record).
ClientColumns = namedtuple("ClientColumns", [column.key for column in Client.__table__.c])  # type: ignore[misc]

# ``_TOKEN_AND_CALLER`` with the record the request names, when the login sees its history
# (``access.login_scope_condition``, the rule of ``access.client_scope``): one statement where
# the hot reads ran two.
_CALLER_WIDTH = len(_TOKEN_AND_CALLER.selected_columns)
_TOKEN_CALLER_AND_RECORD = _TOKEN_AND_CALLER.add_columns(*Client.__table__.c).outerjoin(
    Client,
    sa.and_(
        Client.id == sa.bindparam("client_id"),
        access.login_scope_condition(User, PracticeMember, Client),
    ),
)


def user_for_api_token(secret: str, now: datetime) -> User | None:
    """The active user a live token belongs to, else None. Its last use is recorded at most
    once per ``TOKEN_USE_RESOLUTION``, after the response when a request is running."""
    if not _may_be_token(secret):
        return None
    found = db.session.execute(_TOKEN_AND_USER, {"token_hash": _sha256(secret)}).first()
    if found is None:
        return None
    token_id, revoked_at, expires_at, last, user = found
    if not _token_in_force(token_id, revoked_at, expires_at, last, user.active, now):
        return None
    return user


def caller_for_api_token(
    secret: str, now: datetime, *, record_id: int | None = None
) -> ApiCaller | None:
    """``user_for_api_token``'s answer as an ``ApiCaller``: the same token rules, the same
    record of its last use, from one row of plain columns (no ORM object in the session).

    With ``record_id`` (the client a read asks for) the same statement reads that record
    too, when the login sees its history; ``access.get_client_row`` then answers from it."""
    if not _may_be_token(secret):
        return None
    params = {"token_hash": _sha256(secret)}
    statement = _TOKEN_AND_CALLER
    if record_id is not None:
        statement, params["client_id"] = _TOKEN_CALLER_AND_RECORD, record_id
    found = read_connection.connection().execute(statement, params).first()
    if found is None:
        return None
    token_id, revoked_at, expires_at, last, active, user_id, role, practice_id, member_role = found[
        :_CALLER_WIDTH
    ]
    if not _token_in_force(token_id, revoked_at, expires_at, last, active, now):
        return None
    record = None
    if record_id is not None and found[_CALLER_WIDTH] is not None:
        record = ClientColumns(*found[_CALLER_WIDTH:])
    return ApiCaller(
        id=user_id,
        role=role,
        practice_id=practice_id,
        member_role=member_role,
        record_id=record_id,
        record=record,
    )


def _may_be_token(secret: str) -> bool:
    return bool(secret) and secret.startswith(TOKEN_PREFIX) and len(secret) <= 200


def _token_in_force(
    token_id: int,
    revoked_at: datetime | None,
    expires_at: datetime | None,
    last: datetime | None,
    active: bool,
    now: datetime,
) -> bool:
    """Whether a token row (and its login's ``active``) may authenticate at ``now``; notes the
    token's use when its last one is older than ``TOKEN_USE_RESOLUTION``."""
    if revoked_at is not None:
        return False
    if expires_at is not None and expires_at <= now:
        return False
    if not active:
        return False
    # Never in the request's own transaction: a read must not take the write lock. Inside a
    # request it is written after the response (smptrack/denials.py); elsewhere here.
    due = last is None or last <= now - TOKEN_USE_RESOLUTION
    if due and not audit.note_token_use(token_id, now):
        record_token_use(token_id, now)
    return True


def record_token_use(token_id: int, now: datetime) -> int:
    """Set the token's last use to ``now`` unless it was set within ``TOKEN_USE_RESOLUTION``
    (one conditional UPDATE, so concurrent requests write it once); flushes. Rows updated."""
    result = db.session.execute(
        sa.update(ApiToken)
        .where(
            ApiToken.id == token_id,
            sa.or_(
                ApiToken.last_used_at.is_(None),
                ApiToken.last_used_at <= now - TOKEN_USE_RESOLUTION,
            ),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def own_api_token(user: User, token_id: int) -> ApiToken:
    """One of ``user``'s tokens; ``NotFound`` for anyone else's (as for one that is not)."""
    token = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    )
    if token is None:
        raise NotFound("No such token.")
    return token


def revoke_api_token(user: User, token_id: int, now: datetime) -> ApiToken:
    token = own_api_token(user, token_id)
    if token.revoked_at is None:
        token.revoked_at = now
        db.session.flush()
    return token


def tokens_of(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at)
        )
    )
