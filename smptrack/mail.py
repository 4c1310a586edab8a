"""Composing and sending mail.

With ``SMTP_HOST`` set, messages go to that server; without it they are written as ``.eml`` files
into the mail folder (``instance/mail/`` by default), so a fresh install works and a person can
read what would have been sent. Headers are built with the standard library's ``email`` package,
whose SMTP policy refuses CR or LF in a header value.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any


def compose(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    message_id: str | None = None,
    now: datetime | None = None,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = message_id or make_msgid(domain=_domain_of(sender))
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def _domain_of(address: str) -> str:
    tail = address.rsplit("@", 1)[-1].strip(" >")
    return tail or "localhost"


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


def _send_smtp(message: EmailMessage, config: Mapping[str, Any]) -> None:
    host = config["SMTP_HOST"]
    port = int(config.get("SMTP_PORT") or 25)
    timeout = float(config.get("SMTP_TIMEOUT_SECONDS") or 10)
    with smtplib.SMTP(host, port, timeout=timeout) as smtp:
        if config.get("SMTP_STARTTLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("SMTP_USERNAME"):
            smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD", ""))
        smtp.send_message(message)
