"""The recall notice's form: the message, the preview step, the repeat confirmation."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from smptrack.domain.limits import NOTES_MAX
from smptrack.forms import BaseForm


class RecallNoticeForm(BaseForm):
    message = TextAreaField(
        "Message to each client",
        validators=[
            DataRequired("Write the message the clients will receive."),
            Length(max=NOTES_MAX),
        ],
        description="Each client gets their own email, with their name, the pigment, the lot "
        "and where and when it was placed, followed by this message.",
    )
    # The last notice time the preview showed (ISO, UTC; empty: none), so a notice sent by a
    # colleague in the meantime is not repeated unseen.
    seen_last = HiddenField()
    send_again = BooleanField("Yes, send this lot's recall notice again")
    preview = SubmitField("Preview")
    send = SubmitField("Send the notices")
    edit = SubmitField("Edit the message")
