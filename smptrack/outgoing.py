"""Links for account mail (invitations, password resets), built while the request is here.

The mail itself is never sent from a request: the view queues it with
``services.account_mail.enqueue`` and the worker's sweep delivers it
(``smptrack.sending.account_mail``), so a slow mail server cannot slow or reveal anything."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, request, url_for

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
