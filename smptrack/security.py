"""The perimeter every request crosses: body limits before anything parses a body, and security
headers on every answer (pages, API, static files and error pages alike).

``init_app`` installs two hooks:

- ``limit_request_body`` runs first of all ``before_request`` hooks (before CSRFProtect's, which
  reads the form). It sets this request's body limits, tighter for a request that is not logged
  in, and answers 413 at once when the declared ``Content-Length`` is over the limit, so no byte
  of such a body is read by the app. A body without a length (``Transfer-Encoding: chunked``)
  is cut off by Werkzeug's limited stream once it passes the same limit.
- ``add_security_headers`` runs on every response Flask builds, error handlers' included.

The limits live here once; the API's registry calls ``limit_anonymous_body`` for its routes that
need no token, because API requests never carry a login cookie.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import parse_qsl

from flask import Flask, Response, abort, current_app, request
from flask import Request as FlaskRequest
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

# No inline script or style anywhere: templates load /static/ files only, and the SVG charts
# draw with presentation attributes (fill=, stroke=), which CSP does not treat as inline style.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

# The full URL goes only to this site (CSRFProtect checks the Referer's origin over HTTPS).
REFERRER_POLICY = "same-origin"
# On a page whose URL holds a secret (reset, invitation, unsubscribe links), even our own
# stylesheet request would carry the token in its Referer into a proxy's access log: send only
# the origin. Not ``no-referrer``: the form on that page must still pass CSRFProtect's HTTPS
# Referer check, which compares origins.
EMAILED_LINK_REFERRER_POLICY = "strict-origin"
EMAILED_LINK_VIEW_ARGS = frozenset({"token"})

# Answers that hold no client data and may be cached: static files and the public OpenAPI
# document. Every other answer is ``no-store``.
CACHEABLE_ENDPOINTS = frozenset({"static", "api.openapi_json"})


@dataclass(frozen=True)
class BodyLimits:
    content_length_bytes: int
    form_memory_bytes: int  # urlencoded: the whole body; multipart: each non-file field
    form_parts: int


def logged_in_limits() -> BodyLimits:
    config = current_app.config
    return BodyLimits(
        config["MAX_CONTENT_LENGTH"], config["MAX_FORM_MEMORY_SIZE"], config["MAX_FORM_PARTS"]
    )


def anonymous_limits() -> BodyLimits:
    config = current_app.config
    return BodyLimits(
        config["ANONYMOUS_MAX_CONTENT_LENGTH"],
        config["ANONYMOUS_MAX_FORM_MEMORY_SIZE"],
        config["ANONYMOUS_MAX_FORM_PARTS"],
    )


def upload_limits() -> BodyLimits:
    """A photo upload's route: a larger body, few parts (``accepts_upload``)."""
    config = current_app.config
    return BodyLimits(
        config["UPLOAD_MAX_CONTENT_LENGTH"],
        config["MAX_FORM_MEMORY_SIZE"],
        config["UPLOAD_MAX_FORM_PARTS"],
    )


def accepts_upload(view: Any = None, *, anonymous: bool = False) -> Any:
    """Mark a view that takes a file upload: it gets ``upload_limits`` for a logged-in request
    (an API request with a bearer token), and with ``anonymous=True`` for anyone, for a page
    that a signed emailed link opens. The mark survives ``functools.wraps``."""

    def mark(function: Any) -> Any:
        function.accepts_upload = "anonymous" if anonymous else "logged_in"
        return function

    return mark(view) if view is not None else mark


def _upload_mark() -> str | None:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "accepts_upload", None)


def apply_body_limits(limits: BodyLimits) -> None:
    """Set this request's limits and refuse at once a body declared larger (413).

    Must run before anything touches ``request.stream``, ``form`` or ``get_data``: Werkzeug wraps
    the input stream with the limit in force at its first use.
    """
    _set_limits(limits)
    _buffer_unsized_body(limits.content_length_bytes)
    declared = request.content_length
    if declared is not None and declared > limits.content_length_bytes:
        abort(413)


def _set_limits(limits: BodyLimits) -> None:
    req = request._get_current_object()  # three writes: one context lookup
    req.max_content_length = limits.content_length_bytes
    req.max_form_memory_size = limits.form_memory_bytes
    req.max_form_parts = limits.form_parts


def _buffer_unsized_body(limit_bytes: int) -> None:
    """Read a body sent without ``Content-Length`` (chunked) up to one byte past the limit: 413
    beyond it, else it becomes an ordinary sized body for everything after.

    Werkzeug's limited stream would hand the parsers the first ``limit`` bytes of such a body
    without complaint (a 413 comes only on a read past the limit), so an oversized chunked form
    would be parsed truncated. The server says it ends the stream (``wsgi.input_terminated``),
    so this read cannot hang on a request without a body.
    """
    environ = request.environ
    if "wsgi.input_terminated" not in environ or environ.get("CONTENT_LENGTH"):
        return
    stream = environ["wsgi.input"]
    body = bytearray()
    try:
        while len(body) <= limit_bytes:
            piece = stream.read(min(64 * 1024, limit_bytes + 1 - len(body)))
            if not piece:
                break
            body.extend(piece)
    except OSError:  # a malformed chunk
        abort(400)
    if len(body) > limit_bytes:
        abort(413)
    environ["wsgi.input"] = io.BytesIO(bytes(body))
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ.pop("wsgi.input_terminated", None)
    request.__dict__.pop("content_length", None)  # a cached_property, if it was read already


def limit_anonymous_body() -> None:
    """The tight limits, for an API route that needs no token (``POST /api/v1/tokens``)."""
    apply_body_limits(anonymous_limits())


def _has_body() -> bool:
    environ = request.environ
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    return chunked or environ.get("CONTENT_LENGTH", "") not in ("", "0")


def limit_request_body() -> None:
    if not _has_body():
        # Most GETs and every static file: no body to limit (neither a length nor chunks), and
        # no reason to load the user from the database just to choose a limit. The tight
        # limits still go on the request, should anything read its empty stream; with no body
        # there is no chunked body to buffer and no declared length to refuse.
        _set_limits(anonymous_limits())
        return
    if request.path.startswith("/api/"):
        # The API never uses the login cookie: it checks the bearer token inside each route,
        # before it reads the body (a bad token is refused unread). A request without one has
        # the tight limits; a route that needs no token applies them again.
        has_token = request.headers.get("Authorization", "").lower().startswith("bearer ")
        logged_in = has_token
    else:
        logged_in = current_user.is_authenticated
    upload = _upload_mark()
    if upload == "anonymous" or (upload == "logged_in" and logged_in):
        apply_body_limits(upload_limits())
        return
    apply_body_limits(logged_in_limits() if logged_in else anonymous_limits())


# The headers every answer gets unless its view set its own.
_DEFAULT_HEADERS = tuple(
    (name, name.lower(), value)
    for name, value in (
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
    )
)


def add_security_headers(response: Response) -> Response:
    # One pass over the few headers the answer has, then appends: Werkzeug's ``setdefault``
    # scanned the list twice per header, a twentieth of a small API read's CPU.
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}
    for name, lowered, value in _DEFAULT_HEADERS:
        if lowered not in present:
            headers.add(name, value)
    req = request._get_current_object()  # read twice below: one context lookup
    view_args = req.view_args
    if view_args and EMAILED_LINK_VIEW_ARGS.intersection(view_args):
        headers["Referrer-Policy"] = EMAILED_LINK_REFERRER_POLICY
    elif "referrer-policy" not in present:
        headers.add("Referrer-Policy", REFERRER_POLICY)
    config = current_app.config
    if config["SESSION_COOKIE_SECURE"] and "strict-transport-security" not in present:
        # Browsers heed it only over HTTPS, where a TLS-terminating proxy serves the app.
        headers.add(
            "Strict-Transport-Security",
            f"max-age={int(config['HSTS_MAX_AGE_SECONDS'])}; includeSubDomains",
        )
    if req.endpoint not in CACHEABLE_ENDPOINTS:
        # Overrides send_file's "no-cache": a download of a client's data must not be kept.
        headers["Cache-Control"] = "private, no-store" if _is_image(response) else "no-store"
    return response


def _is_image(response: Response) -> bool:
    """A client's photo: never stored, and never by a shared cache (``private`` says so to a
    proxy that ignores ``no-store``)."""
    return (response.mimetype or "").startswith("image/")


class LimitedFormDataParser(FormDataParser):
    """Werkzeug applies ``max_form_parts`` and ``max_form_memory_size`` to multipart bodies only;
    an urlencoded body of 1 MiB of ``a&a&...`` would become half a million fields (some 80 MB
    of Python objects). Here both limits hold for urlencoded bodies too."""

    def _parse_urlencoded(
        self,
        stream: IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str],
    ) -> Any:
        # The stream is already limited to max_content_length (413 past it).
        raw = stream.read()
        if self.max_form_memory_size is not None and len(raw) > self.max_form_memory_size:
            raise RequestEntityTooLarge()
        text = raw.decode()  # bad UTF-8: ValueError, which the parser turns into an empty form
        try:
            items = parse_qsl(
                text,
                keep_blank_values=True,
                errors="werkzeug.url_quote",
                max_num_fields=self.max_form_parts,
            )
        except ValueError as exc:  # "Max number of fields exceeded"
            raise RequestEntityTooLarge() from exc
        return stream, self.cls(items), self.cls()


class Request(FlaskRequest):
    form_data_parser_class = LimitedFormDataParser


def init_app(app: Flask) -> None:
    app.request_class = Request
    # First in line: CSRFProtect's hook, registered earlier, reads the form.
    app.before_request_funcs.setdefault(None, []).insert(0, limit_request_body)
    app.after_request(add_security_headers)
