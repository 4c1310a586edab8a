"""The follow-up form: one rating and one photo per zone, and a whole-scalp photo.

The form has the fields of every zone of the vocabulary (one class, so that every form of the
app can be listed and tested); the page shows those of the client's treated zones, and the
service refuses an answer for any other. The form parses (a number or nothing, a file or
nothing); the service decides what is allowed.
"""

from __future__ import annotations

from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import BooleanField, FloatField, SubmitField, TextAreaField

from smptrack.domain.limits import ASSESSMENT_NOTE_MAX
from smptrack.domain.vocabulary import ZONES
from smptrack.forms import StrictForm
from smptrack.services import follow_up as service

RATING_HINT = "From 0 to 100; leave it empty to skip this zone."
NOT_A_NUMBER = "Enter a number from 0 to 100, or leave it empty."


class RatingField(FloatField):
    """A percentage as people type it: "80", "80 %", "72,5". Empty is no rating."""

    def process_formdata(self, valuelist: list) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        text = str(valuelist[0]).strip().rstrip("%").strip().replace(",", ".")
        try:
            self.data = float(text)
        except ValueError as exc:
            self.data = None
            raise ValueError(NOT_A_NUMBER) from exc


class FollowUpForm(StrictForm):
    photo_whole_scalp = FileField("A photo of your whole scalp (optional)")
    blur_or_colour_shift = BooleanField(
        "Some dots look blurred, or the colour looks blue or grey",
        description="Tick it if so: a touch-up adds density but does not fix blur or colour.",
    )
    note = TextAreaField(
        "Anything else you noticed (optional)",
        description=f"Up to {ASSESSMENT_NOTE_MAX:,} characters: the light, the angle, a change.",
    )
    submit = SubmitField("Send my check-in")

    def zone_fields(self, zone: str) -> tuple:
        return getattr(self, service.density_field(zone)), getattr(self, service.photo_field(zone))

    def answers(self) -> service.FollowUpAnswers:
        """What was posted, zone by zone (a zone neither rated nor photographed is left out)."""
        answers = []
        for zone in ZONES:
            rating, photo = self.zone_fields(zone)
            upload = _bytes(photo.data)
            if rating.data is not None or upload is not None:
                answers.append(service.ZoneAnswer(zone, rating.data, upload))
        return service.FollowUpAnswers(
            zones=tuple(answers),
            whole_scalp_photo=_bytes(self.photo_whole_scalp.data),
            note=self.note.data or "",
            blur_or_colour_shift=bool(self.blur_or_colour_shift.data),
        )

    def show_errors(self, fields: dict[str, str]) -> None:
        for name, message in fields.items():
            if name in self._fields:
                self._fields[name].errors = [message]
            else:
                self.form_errors.append(message)


for _zone in ZONES:
    setattr(
        FollowUpForm,
        service.density_field(_zone),
        RatingField(
            "How full does it look, in % of the healed result?",
            description=RATING_HINT,
            render_kw={"inputmode": "decimal"},
        ),
    )
    setattr(
        FollowUpForm,
        service.photo_field(_zone),
        FileField("A photo (optional)", render_kw={"accept": "image/*"}),
    )


def _bytes(value: object) -> bytes | None:
    """The uploaded file's bytes, read from the start (a form post retried after a lock reads
    the same upload again); None when no file was chosen."""
    if not isinstance(value, FileStorage) or not value:
        return None
    value.stream.seek(0)
    return value.stream.read()
