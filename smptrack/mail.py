"""Composing and sending mail.

With ``SMTP_HOST`` set, messages go to that server; without it they are written as ``.eml`` files
into the mail folder (``instance/mail/`` by default), so a fresh install works and a person can
read what would have been sent. Headers are built with the standard library's ``email`` package,
whose SMTP policy refuses CR or LF in a header value; ``compose`` also refuses (``UnsafeHeader``)
any header value that breaks the single-line text rule of ``smptrack.domain.text``, so a name
typed with a newline cannot add a header and is never quietly altered. Non-ASCII names and subjects
are encoded as RFC 2047 encoded words by the same policy.

SMTP settings (``SMPTRACK_SMTP_*``): host, port, ``SMTP_STARTTLS`` (upgrade a plain connection,
usually port 587) or ``SMTP_IMPLICIT_TLS`` (TLS from the first byte, usually port 465), username
and password (the password from the environment, never a file in the repository), and a timeout
in seconds.

The reminder sender uses a *transport* (``transport_for``) that keeps one SMTP connection open
for a whole sweep and tells temporary failures (connection refused, timeout, 4xx: retry later)
from permanent ones (5xx: give up and say why) through ``DeliveryError``.
"""

from __future__ import annotations

import hashlib
import re
import smtplib
import socket
import ssl
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Protocol

from smptrack.domain import text as text_rule

_LINE_BREAKS = re.compile(r"[\r\n\x00]+")
# Headers holding URLs: folding one would split the URL into RFC 2047 encoded words, which no
# mail client reads back as a link. They are ASCII and far below RFC 5322's 998-character limit.
UNFOLDED_HEADERS = frozenset({"list-unsubscribe", "list-unsubscribe-post"})


class _Policy(EmailPolicy):
    """The SMTP policy (CRLF, 78-column folding, CR/LF refused in values), except that the
    URL-bearing headers are written on one line."""

    def fold(self, name: str, value: str) -> str:
        if name.lower() in UNFOLDED_HEADERS:
            return f"{name}: {header_safe(str(value))}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() in UNFOLDED_HEADERS:
            return self.fold(name, value).encode("ascii")
        return super().fold_binary(name, value)


# 7bit: non-ASCII bodies are quoted-printable or base64, so any SMTP server takes them.
POLICY = _Policy(linesep="\r\n", cte_type="7bit")


def header_safe(value: str) -> str:
    """``value`` on one line: CR, LF and NUL become a space, so nothing can start a header."""
    return _LINE_BREAKS.sub(" ", value or "").strip()


class UnsafeHeader(ValueError):
    """A header value holds a character no header may carry: CR or LF (which would start a new
    header: injection), NUL, another control character or a text-direction override. The rule is
    ``smptrack.domain.text``'s for a single line; the message names the header and the position,
    never the value."""


def _refuse_unsafe(header: str, value: str | Address) -> None:
    parts = (value.display_name, value.addr_spec) if isinstance(value, Address) else (value,)
    for part in parts:
        refused = text_rule.refusal(part or "")
        if refused is not None:
            raise UnsafeHeader(f"The {header} header cannot be built: {refused.message}")


def compose(
    *,
    sender: str,
    to: str | Address,
    subject: str,
    text: str,
    html: str | None = None,
    message_id: str | None = None,
    now: datetime | None = None,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """A message ready to send. Raises ``UnsafeHeader`` when the sender, recipient (address or
    display name), subject, Message-ID or an extra header holds CR, LF or another character the
    single-line rule refuses: such a value is refused, not quietly repaired."""
    for header, value in (
        ("From", sender),
        ("To", to),
        ("Subject", subject),
        ("Message-ID", message_id or ""),
        *((name, name) for name in (headers or {})),
        *(headers or {}).items(),
    ):
        _refuse_unsafe(header, value)
    message = EmailMessage(policy=POLICY)
    message["From"] = header_safe(sender)
    message["To"] = to if isinstance(to, Address) else header_safe(to)
    message["Subject"] = header_safe(subject)
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = header_safe(message_id or make_msgid(domain=_domain_of(sender)))
    for name, value in (headers or {}).items():
        message[header_safe(name)] = header_safe(value)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def recipient(name: str | None, email: str) -> Address:
    """A To (or Reply-To) address with a display name; non-ASCII names are encoded by the SMTP
    policy. A name or address with a line break or another unsafe character raises
    ``UnsafeHeader``."""
    _refuse_unsafe("To", name or "")
    _refuse_unsafe("To", email or "")
    return Address(display_name=(name or "").strip(), addr_spec=(email or "").strip())


def _domain_of(address: str) -> str:
    tail = address.rsplit("@", 1)[-1].strip(" >")
    return tail or "localhost"


def message_id_for(dedupe_key: str, sender: str) -> str:
    """A Message-ID derived from a reminder's dedupe key: the same reminder always carries the
    same id, so a repeat after a crash is recognisable (and deduplicated by many mail stores)."""
    digest = hashlib.sha256(dedupe_key.encode()).hexdigest()[:32]
    return f"<reminder.{digest}@{_domain_of(sender)}>"


def attach_calendar(
    message: EmailMessage, ics: bytes, filename: str, method: str = "PUBLISH"
) -> None:
    """Attach an RFC 5545 calendar (``text/calendar; method=...``) to ``message``. ``method``
    must be the document's own METHOD (RFC 6047 §2.4): PUBLISH, or REQUEST / CANCEL for an
    appointment's invitation."""
    message.add_attachment(
        ics.decode("utf-8"),
        subtype="calendar",
        charset="utf-8",
        filename=filename,
        params={"method": method},
    )


def all_day_event(
    *, uid: str, day: date, summary: str, description: str, stamp: datetime, organiser: str = ""
) -> bytes:
    """A one-event iCalendar document (RFC 5545) for an all-day, informational event.

    Built with the ``icalendar`` library, which folds long lines and escapes text as the RFC
    requires. The event is transparent (it does not block time): it marks a suggested date.
    """
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//smptrack//reminders//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", header_safe(summary))
    event.add("description", description)
    event.add("transp", "TRANSPARENT")
    event.add("sequence", 0)
    if organiser:
        event.add("organizer", f"mailto:{organiser}")
    calendar.add_component(event)
    return calendar.to_ical()


# --- Delivery -------------------------------------------------------------------------------


def deliver(message: EmailMessage, config: Mapping[str, Any]) -> str:
    """Send ``message`` by SMTP, or write it to the mail folder. Returns where it went."""
    if config.get("SMTP_HOST"):
        _send_smtp(message, config)
        return f"smtp://{config['SMTP_HOST']}:{config.get('SMTP_PORT', 25)}"
    return str(write_to_folder(message, Path(config["MAIL_FOLDER"])))


def write_to_folder(message: EmailMessage, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = folder / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
    # Write then rename, so a reader never sees half a message.
    partial = path.with_suffix(".part")
    partial.write_bytes(message.as_bytes())
    partial.rename(path)
    return path


def _connect(config: Mapping[str, Any]) -> smtplib.SMTP:
    host = config["SMTP_HOST"]
    port = int(config.get("SMTP_PORT") or 25)
    timeout = float(config.get("SMTP_TIMEOUT_SECONDS") or 10)
    if config.get("SMTP_IMPLICIT_TLS"):
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if config.get("SMTP_STARTTLS"):
            smtp.starttls(context=ssl.create_default_context())
    try:
        if config.get("SMTP_USERNAME"):
            smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD", ""))
    except BaseException:
        smtp.close()
        raise
    return smtp


def _send_smtp(message: EmailMessage, config: Mapping[str, Any]) -> None:
    with _connect(config) as smtp:
        smtp.send_message(message)


@dataclass
class DeliveryError(Exception):
    """A message was not delivered. ``permanent`` failures (a 5xx answer to the message) are not
    retried; temporary ones (no connection, a timeout, a 4xx answer) are."""

    reason: str
    permanent: bool
    code: int | None = None

    def __str__(self) -> str:
        return self.reason


def classify(exc: BaseException) -> DeliveryError:
    """What an SMTP or network exception means for the reminder.

    - 5xx answers to MAIL, RCPT or DATA are permanent: the server refuses this message.
    - 4xx answers, refused or dropped connections, timeouts and DNS failures are temporary.
    - Failures to log in or to start TLS are the operator's configuration, not the message's;
      they are temporary so that fixing the settings delivers the backlog.
    """
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()), (None, b""))
        return _by_code(code, text, "recipient refused")
    if isinstance(exc, (smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError)):
        return DeliveryError(_reason("SMTP login or extension failed", exc), False, None)
    if isinstance(exc, (smtplib.SMTPConnectError, smtplib.SMTPHeloError)):
        return DeliveryError(_reason("SMTP server would not talk", exc), False, exc.smtp_code)
    if isinstance(exc, smtplib.SMTPResponseException):
        return _by_code(exc.smtp_code, exc.smtp_error, "SMTP server answered")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return DeliveryError(_reason("SMTP server disconnected", exc), False)
    if isinstance(exc, ssl.SSLError):
        return DeliveryError(_reason("TLS failed", exc), False)
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return DeliveryError(_reason("SMTP timeout", exc), False)
    if isinstance(exc, ConnectionRefusedError):
        return DeliveryError(_reason("SMTP connection refused", exc), False)
    if isinstance(exc, OSError):
        return DeliveryError(_reason("SMTP connection failed", exc), False)
    if isinstance(exc, (UnicodeError, ValueError)):
        # e.g. a non-ASCII address the server cannot take (no SMTPUTF8): retrying cannot help.
        return DeliveryError(_reason("message cannot be sent", exc), True)
    return DeliveryError(_reason("unexpected error", exc), False)


def _by_code(code: int | None, text: bytes | str, what: str) -> DeliveryError:
    detail = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    reason = f"{code} {detail}".strip() if code else detail
    permanent = code is not None and 500 <= code < 600
    return DeliveryError(f"{what}: {reason}"[:480], permanent, code)


def _reason(what: str, exc: BaseException) -> str:
    return f"{what}: {type(exc).__name__}: {exc}"[:480]


class Transport(Protocol):
    name: str

    def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` or raise DeliveryError."""

    def close(self) -> None: ...


class SmtpTransport:
    """One SMTP connection, opened on first use and reused for every message of a sweep.

    After any failure the connection is dropped (its state is unknown) and the next message opens
    a new one. A reused connection is checked with NOOP first, because servers close idle ones.
    """

    # A connection idle for longer than this is checked with NOOP before it is used again.
    IDLE_CHECK_SECONDS = 5.0

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = dict(config)
        self.name = f"smtp://{config['SMTP_HOST']}:{config.get('SMTP_PORT', 25)}"
        self._smtp: smtplib.SMTP | None = None
        self._used_at = 0.0

    def send(self, message: EmailMessage) -> None:
        try:
            smtp = self._connection()
            smtp.send_message(message)
        except Exception as exc:
            self.close()
            raise classify(exc) from exc
        self._used_at = time.monotonic()

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            if time.monotonic() - self._used_at < self.IDLE_CHECK_SECONDS:
                return self._smtp
            try:
                code, _ = self._smtp.noop()
            except (OSError, smtplib.SMTPException):
                code = 0
            if code == 250:
                return self._smtp
            self.close()
        self._smtp = _connect(self.config)
        self._used_at = time.monotonic()
        return self._smtp

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


class FolderTransport:
    """Writes each message as an ``.eml`` file (no SMTP server configured)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.name = f"folder:{self.folder}"

    def send(self, message: EmailMessage) -> None:
        try:
            write_to_folder(message, self.folder)
        except OSError as exc:
            raise DeliveryError(_reason("cannot write to the mail folder", exc), False) from exc

    def close(self) -> None:
        pass


def transport_for(config: Mapping[str, Any]) -> Transport:
    if config.get("SMTP_HOST"):
        return SmtpTransport(config)
    return FolderTransport(Path(config["MAIL_FOLDER"]))
