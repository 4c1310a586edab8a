from __future__ import annotations

from wtforms import SubmitField

from smptrack.forms import BaseForm


class FeedActionForm(BaseForm):
    """Create, regenerate or stop a feed: a button, its CSRF token, nothing to type."""

    submit = SubmitField("Go")
