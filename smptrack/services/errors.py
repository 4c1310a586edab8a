"""Errors that services raise and the web layers translate (pages: flash or 404; API: JSON)."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class. ``message`` is safe to show to the person who made the request."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(ServiceError):
    """The object does not exist, or the actor may not know that it does (another tenant's)."""

    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    """The actor's role may not do this at all (not a question of whose row it is)."""

    status = 403
    code = "forbidden"


class ValidationFailed(ServiceError):
    status = 422
    code = "validation_failed"


class Conflict(ServiceError):
    status = 409
    code = "conflict"
