"""The follow-up form: one rating and one photo per treated zone, and a whole-scalp photo.

The zones differ per client, so the form class is built for the zones the page shows. The
form parses (a number or nothing, a file or nothing); the service decides what is allowed.
"""

from __future__ import annotations

from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import BooleanField, FloatField, SubmitField, TextAreaField
from wtforms.validators import Optional

from smptrack.domain.limits import ASSESSMENT_NOTE_MAX
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


class FollowUpFormBase(StrictForm):
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

    zones: tuple[str, ...] = ()

    def zone_fields(self, zone: str) -> tuple:
        return getattr(self, service.density_field(zone)), getattr(self, service.photo_field(zone))

    def answers(self) -> service.FollowUpAnswers:
        return service.FollowUpAnswers(
            zones=tuple(
                service.ZoneAnswer(
                    zone=zone,
                    density_pct=self.zone_fields(zone)[0].data,
                    photo=_bytes(self.zone_fields(zone)[1].data),
                )
                for zone in self.zones
            ),
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


def follow_up_form(zones: list[str]) -> FollowUpFormBase:
    """A form with a rating and a photo field for each of ``zones``."""
    attributes: dict = {"zones": tuple(zones)}
    for zone in zones:
        attributes[service.density_field(zone)] = RatingField(
            "How full does it look, in % of the healed result?",
            validators=[Optional()],
            description=RATING_HINT,
            render_kw={"inputmode": "decimal", "min": "0", "max": "100", "step": "any"},
        )
        attributes[service.photo_field(zone)] = FileField(
            "A photo (optional)", render_kw={"accept": "image/*"}
        )
    return type("FollowUpForm", (FollowUpFormBase,), attributes)()


def _bytes(value: object) -> bytes | None:
    """The uploaded file's bytes, read from the start (a form post retried after a lock reads
    the same upload again); None when no file was chosen."""
    if not isinstance(value, FileStorage) or not value:
        return None
    value.stream.seek(0)
    return value.stream.read()
