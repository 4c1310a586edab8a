"""The follow-up page of a healed-check or yearly self-check email: the signed link's holder
rates each treated zone and may add photos, without a login."""

from flask import Blueprint

bp = Blueprint("follow_up", __name__)

from smptrack.follow_up import routes  # noqa: E402,F401
