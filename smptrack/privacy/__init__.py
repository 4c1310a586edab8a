"""The privacy pages: a client's data as one JSON download, and erasure (by the client, or by
their practitioner)."""

from flask import Blueprint

bp = Blueprint("privacy", __name__)

from smptrack.privacy import routes  # noqa: E402,F401


@bp.app_template_global()
def erasure_request_of(client: object) -> object:
    """The erasure request on a client record the page already shows (for the client page's
    notice, ``privacy/_erasure_notice.html``); None when its client has not asked."""
    from smptrack.services.erasure import request_of

    return request_of(client)  # type: ignore[arg-type]
