"""Account mail (invitations, password resets) rendered from templates/emails/ and delivered
after the request's commit. Reminder mail has its own pipeline in the worker."""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from flask import current_app, render_template, url_for

from smptrack import mail

log = logging.getLogger(__name__)


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for an email: BASE_URL when configured, else the request's host."""
    base = current_app.config.get("BASE_URL", "").rstrip("/")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def send_templated(to: str, subject: str, template: str, **context: Any) -> bool:
    """Render ``emails/<template>.txt`` and ``.html`` and deliver. Call only after commit.

    Returns False (and logs) when delivery fails, so the caller can say so without a 500.
    """
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
