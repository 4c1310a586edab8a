"""The consent and questionnaire forms."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from smptrack.forms import BaseForm, StrictForm, choice_list
from smptrack.models.consent import (
    ALLERGIES_MAX,
    CONSENT_TEXT_MAX,
    CONSENT_TITLE_MAX,
    QUESTIONNAIRE_NOTES_MAX,
    TYPED_NAME_MAX,
)
from smptrack.services.questionnaire import ROMAN, YES_NO_QUESTIONS


class TemplateForm(StrictForm):
    title = StringField("Title", validators=[Length(max=CONSENT_TITLE_MAX)])
    body = TextAreaField(
        "Consent text",
        validators=[Length(max=CONSENT_TEXT_MAX)],
        description="Publishing makes a new version. Clients who signed an older one are asked"
        " to sign again; what they signed stays on record.",
    )
    submit = SubmitField("Publish this version")


class SendLinkForm(BaseForm):
    submit = SubmitField("Email the signing link")


class SignForm(StrictForm):
    typed_name = StringField(
        "Your full name",
        validators=[Length(max=TYPED_NAME_MAX)],
        description="As it is on your record.",
    )
    agreed = BooleanField("I have read this consent form and I agree to it")
    # The version the page showed: signing refuses if the text changed meanwhile.
    template_id = HiddenField()
    submit = SubmitField("Sign")


def _question(name: str) -> BooleanField:
    return BooleanField(YES_NO_QUESTIONS[name])


class QuestionnaireForm(StrictForm):
    keloid_or_scarring = _question("keloid_or_scarring")
    blood_thinners = _question("blood_thinners")
    scalp_skin_condition = _question("scalp_skin_condition")
    pigment_allergy = _question("pigment_allergy")
    photosensitising_medication = _question("photosensitising_medication")
    retinoid_use = _question("retinoid_use")
    allergies = StringField(
        "Other allergies",
        validators=[Optional(strip_whitespace=False), Length(max=ALLERGIES_MAX)],
        description="For example numbing creams, latex, metals. Leave empty for none.",
    )
    fitzpatrick = SelectField(
        "Fitzpatrick skin type",
        choices=choice_list(
            [("", "Not known")] + [(str(n), f"Type {r}") for n, r in ROMAN.items()]
        ),
        default="",
    )
    notes = TextAreaField(
        "Anything else",
        validators=[Optional(strip_whitespace=False), Length(max=QUESTIONNAIRE_NOTES_MAX)],
    )
    submit = SubmitField("Save the answers")


class ConfirmProfileForm(BaseForm):
    submit = SubmitField("Update the profile")
