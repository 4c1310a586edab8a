"""Account mail (invitations, password resets) rendered from templates/emails/ and delivered
after the request's commit. Reminder mail has its own pipeline in the worker."""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from flask import current_app, render_template, request, url_for

from smptrack import mail

log = logging.getLogger(__name__)

# Without BASE_URL, links may be built from the request only when it came to this machine:
# the laptop default. Elsewhere the Host header is the visitor's to forge, and a reset link
# pointing at their site would hand them the token ("reset poisoning").
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _request_hostname() -> str:
    host = request.host
    if host.startswith("["):  # [::1]:5000
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def external_url(endpoint: str, **values: Any) -> str | None:
    """An absolute link for an email, or None when no trustworthy address is known.

    BASE_URL when configured; else SERVER_NAME; else the request's host if it is loopback.
    """
    path = url_for(endpoint, **values)
    base = (current_app.config.get("BASE_URL") or "").rstrip("/")
    if base:
        return base + path
    server_name = current_app.config.get("SERVER_NAME")
    if server_name:
        scheme = current_app.config.get("PREFERRED_URL_SCHEME", "http")
        return f"{scheme}://{server_name}{path}"
    if _request_hostname() in LOOPBACK_HOSTS:
        return request.host_url.rstrip("/") + path
    log.error(
        "not building an email link from the untrusted Host header %r: set SMPTRACK_BASE_URL",
        request.host,
    )
    return None


def send_templated(to: str, subject: str, template: str, **context: Any) -> bool:
    """Render ``emails/<template>.txt`` and ``.html`` and deliver. Call only after commit.

    Returns False (and logs) when delivery fails or a link could not be built, so the caller
    can say so without a 500.
    """
    if "link" in context and context["link"] is None:
        log.error("not sending %s mail: it has no trustworthy link", template)
        return False
    text = render_template(f"emails/{template}.txt", **context)
    html = render_template(f"emails/{template}.html", **context)
    message = mail.compose(
        sender=current_app.config["MAIL_FROM"], to=to, subject=subject, text=text, html=html
    )
    try:
        mail.deliver(message, current_app.config)
    except (OSError, smtplib.SMTPException):
        log.exception("could not deliver %s mail", template)
        return False
    return True
