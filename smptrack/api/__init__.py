"""JSON API v1. Authenticated by bearer token only (never the session cookie), so it is
exempt from CSRF without opening a cross-site hole.

Every route is declared with ``smptrack.api.registry.operation``, which validates requests with
the pydantic models of ``smptrack.api.schemas`` and records the route for the OpenAPI document
(``smptrack.api.openapi``), so the document is generated from what the code enforces.
"""

from flask import Blueprint

from smptrack.api import (
    accounts,
    appointments,
    assessments,
    catalogue,
    clients,
    consents,
    exposure,
    members,
    openapi,
    photos,
    practice,
    projection,
    registry,
    reminders,
    treatments,
)
from smptrack.services.errors import ServiceError

bp = Blueprint("api", __name__)
# The route modules, imported above, declared their operations; add them to the blueprint.
registry.register_routes(bp)
bp.register_error_handler(ServiceError, registry.service_error)

__all__ = [
    "accounts",
    "appointments",
    "assessments",
    "bp",
    "catalogue",
    "clients",
    "consents",
    "exposure",
    "members",
    "openapi",
    "photos",
    "practice",
    "projection",
    "registry",
    "reminders",
    "treatments",
]
