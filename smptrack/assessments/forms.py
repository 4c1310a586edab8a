"""Forms of the fade assessment pages."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    RadioField,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired

from smptrack.domain.limits import ASSESSMENT_NOTE_MAX
from smptrack.domain.vocabulary import ZONE_LABELS
from smptrack.forms import StrictForm, choice_list

ASSESSOR_LABELS = {
    "practitioner_in_person": "Practitioner, in person",
    "practitioner_photo": "Practitioner, from a photo",
    "client_self": "Self-rating by the client",
}


class AssessmentForm(StrictForm):
    assessed_on = DateField(
        "Date of the assessment",
        validators=[InputRequired("Enter the date.")],
        description="Today is filled in; a date in the future cannot be recorded.",
    )
    zone = SelectField("Zone", choices=choice_list(ZONE_LABELS.items()))
    density_pct = FloatField(
        "Density (% of the healed result)",
        validators=[InputRequired("Enter the density.")],
        description="100 % is as dense as when it had just healed; from 0 to 100. A touch-up is "
        "usually due near 70 %.",
    )
    assessor_kind = RadioField("Assessed")
    blur_or_colour_shift = BooleanField(
        "Blurred dots or a blue/grey colour shift seen",
        description="A touch-up adds density but does not fix blur or colour; this flags it.",
    )
    note = TextAreaField(
        "Note",
        description=f"Optional, up to {ASSESSMENT_NOTE_MAX:,} characters: light, angle, what you "
        "noticed.",
    )
    # A practitioner's note stays internal unless shared (issue 13); a client's own is theirs,
    # and their page does not show the box.
    notes_shared = BooleanField(
        "Share the note with the client",
        description="Left unticked, the note stays internal to the practice.",
    )
    submit = SubmitField("Record the assessment")

    def set_assessor_kinds(self, kinds: tuple[str, ...]) -> None:
        self.assessor_kind.choices = choice_list((kind, ASSESSOR_LABELS[kind]) for kind in kinds)


class ConfirmDeleteForm(StrictForm):
    submit = SubmitField("Delete this assessment")
