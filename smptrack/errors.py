"""Error pages and JSON errors, chosen by where the request went."""

from __future__ import annotations

import logging

from flask import Flask, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from smptrack.extensions import db
from smptrack.services.errors import ServiceError
from smptrack.web import json_error

log = logging.getLogger(__name__)


# API error codes that differ from Werkzeug's name of the status.
_CODES = {413: "payload_too_large"}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _too_large_message(form: bool) -> str:
    """What this request was allowed (its limits depend on whether it is logged in)."""
    size_kib = (request.max_content_length or 0) // 1024
    parts = request.max_form_parts if form else None
    return (
        f"This request is too large: at most {size_kib} KiB"
        + (f" and {parts} form fields" if parts else "")
        + " are accepted here. Nothing was saved."
    )


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        db.session.rollback()
        if _wants_json():
            return json_error(exc.status, exc.code, exc.message, exc.fields)
        template = "errors/404.html" if exc.status == 404 else "errors/error.html"
        response = make_response(
            render_template(template, message=exc.message, status=exc.status), exc.status
        )
        retry_after = getattr(exc, "retry_after", None)  # a throttle's 429 (services.throttle)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        if exc.description == "The CSRF token has expired.":
            hours = int(app.config["WTF_CSRF_TIME_LIMIT"] or 0) // 3600
            message = (
                f"This form was open for more than {hours} hours and has expired, so nothing was"
                " saved. Reload it and send it again."
            )
        else:
            message = (
                "This form has expired or was not sent from this site, so nothing was saved."
                " Reload it and try again."
            )
        rule = request.url_rule
        get_too = rule is not None and "GET" in (rule.methods or ())
        reload_url = request.full_path.rstrip("?") if get_too else None
        return render_template(
            "errors/error.html", message=message, status=400, reload_url=reload_url
        ), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        description = exc.description
        if status == 413:
            description = _too_large_message(form=not _wants_json())
        if _wants_json():
            code = _CODES.get(status) or (exc.name or "error").lower().replace(" ", "_")
            response = json_error(status, code, description or exc.name)
            # Keep the exception's own headers, such as a 405's Allow (RFC 9110).
            for name, value in exc.get_headers():
                if name.lower() != "content-type":
                    response.headers[name] = value
            return response
        template = "errors/404.html" if status == 404 else "errors/error.html"
        return render_template(template, message=description, status=status), status

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        # Roll back so the half-done work of the failed request is never committed later.
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            return json_error(500, "internal_error", "Something went wrong on our side.")
        return render_template("errors/500.html"), 500
