"""Forms of the photo pages."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, SubmitField
from wtforms.validators import InputRequired

from smptrack.domain.vocabulary import ZONE_LABELS
from smptrack.forms import StrictForm, choice_list

WHOLE_SCALP = ""  # the zone select's value for a photo of the whole scalp


def _optional_id(value: object) -> int | None:
    if value in (None, "", "None"):
        return None
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return -1  # not a choice: the select refuses it


class PhotoForm(StrictForm):
    photo = FileField(
        "Photo",
        validators=[FileRequired("Choose a photo to upload.")],
        description="A JPEG, PNG, WebP or HEIC photo of up to 15 MB. It is stored without its "
        "location and camera details.",
    )
    zone = SelectField(
        "Zone",
        choices=choice_list([(WHOLE_SCALP, "Whole scalp"), *ZONE_LABELS.items()]),
        default=WHOLE_SCALP,
    )
    taken_on = DateField("Taken on", validators=[InputRequired("Enter the date it was taken.")])
    session_id = SelectField("Taken at the session", coerce=_optional_id, validate_choice=True)
    assessment_id = SelectField("For the assessment", coerce=_optional_id, validate_choice=True)
    submit = SubmitField("Upload the photo")

    def set_links(self, sessions: list[tuple[int, str]], ratings: list[tuple[int, str]]) -> None:
        self.session_id.choices = choice_list([(None, "None"), *sessions])
        self.assessment_id.choices = choice_list([(None, "None"), *ratings])


class ConfirmDeleteForm(StrictForm):
    submit = SubmitField("Delete this photo")
