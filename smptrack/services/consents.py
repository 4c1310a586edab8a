"""Consent: the practice's versioned consent text, the client's signature, the signing link.

Rules (issue 12 item 1; README "Consent and health questionnaire"):

- **Versions.** Publishing a text writes a new ``ConsentTemplate`` with the next version number;
  no version is ever changed or deleted, and each ``Consent`` names the version it was signed
  on and the SHA-256 of that version's text, so the exact words signed stay readable and
  checkable. The highest version is the current one.
- **When a consent is required.** Once the practice has published a consent text, every
  session the practice records needs one; a practice with no text is not affected. A session
  a client logs themself (done outside smptrack's practices) is never held up.
- **Valid.** A consent is valid when the client signed the *current* version. After an edit,
  older signatures still stand as records but no longer count: the page says "signed
  version N, current is M" and the practice sends the new one. A changed text is a new
  promise, and the plain rule is the one a person can check at a glance.
- **The typed name** must be the record's name, read "sensibly": case, accents, spacing and
  punctuation do not matter, and middle names may be left out (the first and last words must
  match). A consent typed under another name is a consent by someone else.
- **The signing link** carries a signed (id, nonce); only the nonce's SHA-256 is stored. It
  works once, for ``LINK_MAX_AGE``, and a newer link for the same client revokes it. Opening it
  moves the token into the session (the browser goes on to a token-less URL) and the access
  log redacts it (smptrack/logfilter.py).

Every function flushes and never commits; ``now`` is an aware UTC datetime. Who may: the
consent section of ``smptrack.services.access``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeTimedSerializer

from smptrack.extensions import db
from smptrack.models import Client, Consent, ConsentLink, ConsentTemplate, User
from smptrack.models.consent import (
    CONSENT_TEXT_MAX,
    CONSENT_TITLE_MAX,
    OVERRIDE_REASON_MAX,
    TYPED_NAME_MAX,
)
from smptrack.services import access, account_mail, audit, practices
from smptrack.services.access import Actor
from smptrack.services.catalogue import check_text, is_row_id
from smptrack.services.errors import Conflict, Forbidden, NotFound, ValidationFailed

LINK_SALT = "smptrack.consent-link"
LINK_MAX_AGE = timedelta(days=7)
MAIL_TEMPLATE = "consent_request"


def text_hash(body: str) -> str:
    """The SHA-256 (hex) of a consent text as stored: UTF-8, LF line breaks, trimmed."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --- the practice's text ---------------------------------------------------------------------


# Built once with bound parameters: the consent panel on every client page reads both, and
# composing a SELECT cost more than running it.
_CURRENT_TEMPLATE = (
    sa.select(ConsentTemplate)
    .where(ConsentTemplate.practice_id == sa.bindparam("practice_id"))
    .order_by(ConsentTemplate.version.desc())
    .limit(1)
)
_LATEST_CONSENT = (
    sa.select(Consent)
    .where(Consent.client_id == sa.bindparam("client_id"))
    .order_by(Consent.signed_at.desc(), Consent.id.desc())
    .limit(1)
)


def current_template(practice_id: int | None) -> ConsentTemplate | None:
    """The practice's current consent text (its highest version), or None when it has none."""
    if practice_id is None:
        return None
    return db.session.scalar(_CURRENT_TEMPLATE, {"practice_id": practice_id})


def versions_of(practice_id: int | None) -> list[ConsentTemplate]:
    """Every version of the practice's text, newest first."""
    if practice_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(ConsentTemplate)
            .where(ConsentTemplate.practice_id == practice_id)
            .order_by(ConsentTemplate.version.desc())
        )
    )


def publish_template(actor: Actor, *, title: str, body: str, now: datetime) -> ConsentTemplate:
    """A new version of ``actor``'s practice's consent text (the owner only: ``Forbidden``).

    ``ValidationFailed`` on an empty or unfit title or text, or a text identical to the current
    version's (a new version would invalidate every signature for nothing). Older versions and
    the consents signed on them are left as they are."""
    access.require_may_publish_consent_template(actor)
    fields: dict[str, str] = {}
    clean_title = check_text(
        fields, "title", title, label="Title", max_length=CONSENT_TITLE_MAX, required=True
    )
    clean_body = check_text(
        fields,
        "body",
        body,
        label="Consent text",
        max_length=CONSENT_TEXT_MAX,
        required=True,
        multiline=True,
    )
    if fields:
        raise ValidationFailed("Please correct the highlighted fields.", fields)
    practice_id = access.practice_id_of(actor)
    current = current_template(practice_id)
    if current is not None and current.body == clean_body and current.title == clean_title:
        message = "This is the current version's text already: change it to publish a new one."
        raise ValidationFailed(message, {"body": message})
    template = ConsentTemplate(
        practice_id=practice_id,
        version=(current.version + 1) if current else 1,
        title=clean_title,
        body=clean_body,
        text_sha256=text_hash(clean_body),
        created_at=now,
        created_by_id=actor.id,
    )
    db.session.add(template)
    try:
        db.session.flush()
    except sa.exc.IntegrityError as exc:
        # Two owners published at the same moment: the unique (practice, version) decides.
        raise Conflict(
            "Another version was published at the same moment. Reload the page, read it, and"
            " publish yours again if it is still needed."
        ) from exc
    audit.record_event(
        actor,
        "create",
        client_id=None,
        object_type="consent_template",
        object_id=template.id,
        now=now,
    )
    return template


# --- a client's status -------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentStatus:
    """Where ``client`` stands: ``current`` is the practice's current text (None: no consent
    is required), ``latest`` the client's most recent signature (on any version)."""

    current: ConsentTemplate | sa.Row | None  # a row of its id and version: ``status_shown``
    latest: Consent | sa.Row | None  # a row of its template's id and version: the same

    @property
    def required(self) -> bool:
        return self.current is not None

    @property
    def valid(self) -> bool:
        return (
            self.current is not None
            and self.latest is not None
            and self.latest.template_id == self.current.id
        )

    @property
    def words(self) -> str:
        if self.current is None:
            return "No consent needed: the practice has not published a consent text."
        if self.latest is None:
            return f"Not signed (current version is {self.current.version})."
        if self.valid:
            return f"Signed on version {self.current.version}, the current one."
        return (
            f"Signed version {self.latest.template_version}, current is {self.current.version}:"
            " the new version needs signing."
        )


def latest_consent(client: Client) -> Consent | None:
    return db.session.scalar(_LATEST_CONSENT, {"client_id": client.id})


def status_of(client: Client) -> ConsentStatus:
    """The client's consent status (two indexed queries; reads only)."""
    return ConsentStatus(current_template(client.practice_id), latest_consent(client))


# ``status_shown``'s reads: only the columns ``ConsentStatus`` reads, built once.
_CURRENT_TEMPLATE_SHOWN = _CURRENT_TEMPLATE.with_only_columns(
    ConsentTemplate.id, ConsentTemplate.version
)
_LATEST_CONSENT_SHOWN = _LATEST_CONSENT.with_only_columns(
    Consent.template_id, Consent.template_version
)


def status_shown(client: Client) -> ConsentStatus:
    """``status_of`` for a panel that only shows it (the client page, the appointment): the
    same status from rows of the few columns it reads. Loading the template (with its whole
    text) and the signature as ORM objects was a twentieth of the client page's CPU."""
    connection = db.session.connection()
    current = (
        connection.execute(_CURRENT_TEMPLATE_SHOWN, {"practice_id": client.practice_id}).first()
        if client.practice_id is not None
        else None
    )
    latest = connection.execute(_LATEST_CONSENT_SHOWN, {"client_id": client.id}).first()
    return ConsentStatus(current, latest)


def consents_of(client: Client) -> list[Consent]:
    """The client's signatures, newest first (a short list: one per version signed)."""
    return list(
        db.session.scalars(
            sa.select(Consent)
            .where(Consent.client_id == client.id)
            .order_by(Consent.signed_at.desc(), Consent.id.desc())
        )
    )


def get_consent(actor: Actor, consent_id: int) -> Consent:
    """A signed consent ``actor`` may read (its client or a practitioner of the practice):
    ``Forbidden`` for the front desk, ``NotFound`` for anyone else's."""
    access.refuse_front_desk(actor)
    found = None
    if is_row_id(consent_id):
        visible = access.visible_clients(actor).with_only_columns(Client.id)
        found = db.session.scalar(
            sa.select(Consent).where(Consent.id == consent_id, Consent.client_id.in_(visible))
        )
    if found is None:
        raise access.refused(actor, Consent, consent_id, "consent", "No such consent.")
    return found


def record_read(actor: Actor, consent: Consent, *, now: datetime) -> None:
    audit.record_event(
        actor,
        "read",
        client_id=consent.client_id,
        object_type="consent",
        object_id=consent.id,
        now=now,
    )


# --- the override on a session ---------------------------------------------------------------


class ConsentMissing(Conflict):
    """A session recorded by the practice for a client with no valid consent, and no reason
    given for recording it anyway (``fields["consent_override_reason"]``)."""


def override_reason(actor: Actor, client: Client, reason: object) -> str | None:
    """The reason to store on a session ``actor`` records for ``client``: None when no override
    is needed (no text published, a valid consent, or the client logging their own session);
    else the trimmed reason, or ``ConsentMissing`` when there is none (``ValidationFailed``
    when it is unfit)."""
    if not access.may_manage_practice(actor, client):
        return None
    status = status_of(client)
    if not status.required or status.valid:
        return None
    fields: dict[str, str] = {}
    text = check_text(
        fields,
        "consent_override_reason",
        reason,
        label="Reason",
        max_length=OVERRIDE_REASON_MAX,
        multiline=True,
    )
    if fields:
        raise ValidationFailed(fields["consent_override_reason"], fields)
    if not text:
        message = (
            f"{client.display_name} has no valid consent ({status.words}) Send the signing link"
            " from their page, or give the reason for recording the session anyway."
        )
        raise ConsentMissing(message, {"consent_override_reason": message})
    return text


# --- signing ---------------------------------------------------------------------------------


def _name_words(name: str) -> list[str]:
    """A name as comparable words: accents dropped, case folded, punctuation as spaces."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[\W_]+", " ", plain).split()


def name_matches(typed: str, on_record: str) -> bool:
    """Whether ``typed`` is ``on_record`` read sensibly (see the module's docstring)."""
    typed_words, record_words = _name_words(typed), _name_words(on_record)
    if not typed_words or not record_words:
        return False
    if typed_words == record_words:
        return True
    return (
        len(typed_words) >= 2
        and typed_words[0] == record_words[0]
        and typed_words[-1] == record_words[-1]
    )


def _check_signature(client: Client, typed_name: object, agreed: object, template_id: object):
    """The current template and the trimmed name, or ``ValidationFailed`` / ``Conflict``."""
    current = current_template(client.practice_id)
    if current is None:
        raise Conflict("Your practice has no consent text to sign.")
    fields: dict[str, str] = {}
    name = check_text(
        fields,
        "typed_name",
        typed_name,
        label="Full name",
        max_length=TYPED_NAME_MAX,
        required=True,
    )
    if name and not name_matches(name, client.display_name):
        fields["typed_name"] = (
            "Type your full name as it is on your record (capitals and accents do not matter)."
        )
    if agreed is not True:
        fields["agreed"] = "Tick the box to say you have read and agree to the text."
    if fields:
        raise ValidationFailed("Please correct the highlighted fields.", fields)
    if template_id != current.id:
        # The text changed between showing the page and signing: never sign unread words.
        raise Conflict(
            "The consent text has just been changed by the practice. Read the new version"
            " below and sign it."
        )
    return current, name


def _sign(
    client: Client,
    current: ConsentTemplate,
    name: str,
    *,
    actor: Actor | None,
    method: str,
    signed_by_id: int | None,
    remote_addr: str | None,
    now: datetime,
) -> Consent:
    """The signature and its audit line, the same from a login and from a link."""
    consent = Consent(
        client_id=client.id,
        template_id=current.id,
        template_version=current.version,
        text_sha256=current.text_sha256,
        typed_name=name,
        agreed=True,
        signed_at=now,
        remote_addr=(remote_addr or "")[:45] or None,
        method=method,
        signed_by_id=signed_by_id,
    )
    db.session.add(consent)
    db.session.flush()
    audit.record_event(
        actor,
        "create",
        client_id=client.id,
        object_type="consent",
        object_id=consent.id,
        remote_addr=remote_addr,
        now=now,
    )
    return consent


def sign_from_account(
    actor: Actor,
    client: Client,
    *,
    typed_name: object,
    agreed: object,
    template_id: object,
    remote_addr: str | None,
    now: datetime,
) -> Consent:
    """The client signs the current version from their own login.

    ``template_id`` is the version the page showed. ``Forbidden`` for anyone but the client;
    ``ValidationFailed`` (name, checkbox); ``Conflict`` when there is no text or it changed."""
    if not access.may_sign_consent_for(actor, client):
        raise Forbidden("Only the client signs their consent; send them the signing link.")
    current, name = _check_signature(client, typed_name, agreed, template_id)
    consent = _sign(
        client,
        current,
        name,
        actor=actor,
        method="account",
        signed_by_id=actor.id,
        remote_addr=remote_addr,
        now=now,
    )
    return consent


# --- the emailed link --------------------------------------------------------------------------


def issue_link(
    actor: Actor, client: Client, *, secret_key: str, now: datetime
) -> tuple[ConsentLink, str]:
    """A signing link for ``client`` and its token. Any member of the client's practice
    (``Forbidden`` otherwise). ``Conflict`` when the practice has no text or the client no
    email address. Earlier open links of the client stop working."""
    if not access.may_send_consent_link(actor, client):
        raise Forbidden("Only a member of the client's practice can send the signing link.")
    if current_template(client.practice_id) is None:
        raise Conflict("Publish the practice's consent text first (on the practice's page).")
    if not client.email:
        raise Conflict(f"{client.display_name} has no email address on their record: add it first.")
    db.session.execute(
        sa.update(ConsentLink)
        .where(
            ConsentLink.client_id == client.id,
            ConsentLink.used_at.is_(None),
            ConsentLink.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    nonce = secrets.token_urlsafe(16)
    link = ConsentLink(
        client_id=client.id,
        nonce_hash=_sha256(nonce),
        sent_by_id=actor.id,
        created_at=now,
        expires_at=now + LINK_MAX_AGE,
    )
    db.session.add(link)
    db.session.flush()
    audit.record_event(
        actor,
        "create",
        client_id=client.id,
        object_type="consent_link",
        object_id=link.id,
        now=now,
    )
    token = URLSafeTimedSerializer(secret_key, salt=LINK_SALT).dumps({"l": link.id, "n": nonce})
    return link, token


def queue_link_mail(link: ConsentLink, client: Client, *, url: str, now: datetime) -> None:
    """The signing link's mail in the account-mail outbox, tied to the client (erased with
    them) and expiring with the link (a mail still queued then fails rather than carry it)."""
    practice = practices.get_practice(client.practice_id)
    account_mail.enqueue(
        to=client.email or "",
        subject=f"{practice.name} asks you to sign your consent form",
        template=MAIL_TEMPLATE,
        context={
            "name": client.display_name,
            "practice": practice.name,
            "link": url,
            "days": LINK_MAX_AGE.days,
        },
        now=now,
        client_id=client.id,
        expires_at=link.expires_at,
    )


def link_for_token(token: str, secret_key: str, now: datetime) -> ConsentLink:
    """The open link ``token`` names; else ``NotFound`` with a reason a person can act on."""
    invalid = "This signing link is not valid. Ask your practice to send a new one."
    try:
        data = URLSafeTimedSerializer(secret_key, salt=LINK_SALT).loads(token or "")
    except BadSignature as exc:
        raise NotFound(invalid) from exc
    if not isinstance(data, dict) or not is_row_id(data.get("l")):
        raise NotFound(invalid)
    link = db.session.get(ConsentLink, data["l"])
    if link is None or not hmac.compare_digest(link.nonce_hash, _sha256(str(data.get("n")))):
        raise NotFound(invalid)
    if link.used_at is not None:
        raise NotFound("This signing link has already been used: your consent is recorded.")
    if link.revoked_at is not None:
        raise NotFound("A newer signing link was sent to you: use the latest email.")
    if link.expires_at <= now:
        raise NotFound("This signing link has expired. Ask your practice to send a new one.")
    return link


def client_of_link(link: ConsentLink) -> Client:
    client = db.session.get(Client, link.client_id)
    if client is None:  # the foreign key cascades; never hand back None
        raise NotFound("This signing link is not valid. Ask your practice to send a new one.")
    return client


def sign_with_link(
    link: ConsentLink,
    *,
    typed_name: object,
    agreed: object,
    template_id: object,
    remote_addr: str | None,
    now: datetime,
) -> Consent:
    """Sign through an open link (``link_for_token``): the link is claimed by a conditional
    UPDATE, so it signs once even when two requests race (``Conflict`` for the loser)."""
    client = client_of_link(link)
    current, name = _check_signature(client, typed_name, agreed, template_id)
    claimed = db.session.execute(
        sa.update(ConsentLink)
        .where(
            ConsentLink.id == link.id,
            ConsentLink.used_at.is_(None),
            ConsentLink.revoked_at.is_(None),
            ConsentLink.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise Conflict("This signing link has already been used.")
    consent = _sign(
        client,
        current,
        name,
        # No actor: whoever holds the link signs as the client, logged in or not.
        actor=None,
        method="link",
        signed_by_id=client.user_id,
        remote_addr=remote_addr,
        now=now,
    )
    db.session.refresh(link)
    return consent


def people_by_id(user_ids: set[int | None]) -> dict[int, User]:
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(wanted)))}
