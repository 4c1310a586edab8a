"""Forms of the pigment catalogue."""

from __future__ import annotations

from wtforms import DateField, RadioField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from smptrack.domain import limits
from smptrack.domain.vocabulary import PIGMENT_BASES
from smptrack.forms import BaseForm, choice_list

BASE_LABELS = {"carbon": "Carbon", "iron_oxide": "Iron oxide", "mixed": "Mixed"}


class PigmentForm(BaseForm):
    brand = StringField(
        "Brand",
        validators=[DataRequired(), Length(max=limits.BRAND_MAX)],
    )
    line = StringField(
        "Line",
        validators=[
            Optional(strip_whitespace=False),
            Length(max=limits.PIGMENT_LINE_MAX),
        ],
        description="The brand's range, if it has several.",
    )
    shade = StringField(
        "Shade",
        validators=[DataRequired(), Length(max=limits.SHADE_MAX)],
    )
    base = RadioField(
        "Base",
        choices=choice_list((b, BASE_LABELS[b]) for b in PIGMENT_BASES),
        default="carbon",
        description=(
            "Carbon pigments fade slowly and stay neutral; iron oxides can warm as they fade."
        ),
    )
    submit = SubmitField("Add pigment")


class LotForm(BaseForm):
    lot_number = StringField(
        "Lot number",
        validators=[DataRequired(), Length(max=limits.LOT_NUMBER_MAX)],
        description="As printed on the bottle; a recall names the lot.",
    )
    expires_on = DateField(
        "Expires on",
        validators=[InputRequired(message="Enter the expiry date printed on the bottle.")],
    )
    submit = SubmitField("Add lot")
