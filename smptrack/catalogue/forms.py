"""Forms of the pigment catalogue."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from smptrack.formdata import NoControlCharacters
from smptrack.forms import choice_list
from smptrack.models.vocabulary import PIGMENT_BASES
from smptrack.services import catalogue as service

BASE_LABELS = {"carbon": "Carbon", "iron_oxide": "Iron oxide", "mixed": "Mixed"}


class PigmentForm(FlaskForm):
    brand = StringField(
        "Brand",
        validators=[DataRequired(), Length(max=service.BRAND_MAX), NoControlCharacters()],
    )
    line = StringField(
        "Line",
        validators=[
            Optional(strip_whitespace=False),
            Length(max=service.LINE_MAX),
            NoControlCharacters(),
        ],
        description="The brand's range, if it has several.",
    )
    shade = StringField(
        "Shade",
        validators=[DataRequired(), Length(max=service.SHADE_MAX), NoControlCharacters()],
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


class LotForm(FlaskForm):
    lot_number = StringField(
        "Lot number",
        validators=[DataRequired(), Length(max=service.LOT_NUMBER_MAX), NoControlCharacters()],
        description="As printed on the bottle; a recall names the lot.",
    )
    expires_on = DateField(
        "Expires on",
        validators=[InputRequired(message="Enter the expiry date printed on the bottle.")],
    )
    submit = SubmitField("Add lot")
