"""Error pages and JSON errors, chosen by where the request went."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from smptrack.extensions import db
from smptrack.services.errors import ServiceError
from smptrack.web import json_error

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        db.session.rollback()
        if _wants_json():
            return json_error(exc.status, exc.code, exc.message, exc.fields)
        template = "errors/404.html" if exc.status == 404 else "errors/error.html"
        return render_template(template, message=exc.message, status=exc.status), exc.status

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        message = (
            "This form has expired or was not sent from this site. Go back, reload and try again."
        )
        return render_template("errors/error.html", message=message, status=400), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if _wants_json():
            code = (exc.name or "error").lower().replace(" ", "_")
            response = json_error(status, code, exc.description or exc.name)
            # Keep the exception's own headers, such as a 405's Allow (RFC 9110).
            for name, value in exc.get_headers():
                if name.lower() != "content-type":
                    response.headers[name] = value
            return response
        template = "errors/404.html" if status == 404 else "errors/error.html"
        return render_template(template, message=exc.description, status=status), status

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        # Roll back so the half-done work of the failed request is never committed later.
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            return json_error(500, "internal_error", "Something went wrong on our side.")
        return render_template("errors/500.html"), 500
