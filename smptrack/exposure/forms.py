"""Forms of the profile and sun log pages. Each default is explained in one sentence."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    IntegerField,
    RadioField,
    SelectField,
    SubmitField,
    TimeField,
)
from wtforms.validators import InputRequired, Optional

from smptrack.domain import limits, vocabulary
from smptrack.domain.vocabulary import LATITUDE_BAND_LABELS
from smptrack.forms import StrictForm, TimeZoneField, choice_list

TIME_FORMATS = ["%H:%M", "%H:%M:%S"]

FITZPATRICK_LABELS = {
    1: "I: always burns, never tans",
    2: "II: usually burns, tans a little",
    3: "III: sometimes burns, tans gradually",
    4: "IV: rarely burns, tans easily",
    5: "V: very rarely burns, brown skin",
    6: "VI: never burns, dark brown or black skin",
}
SEBUM_LABELS = {"normal": "Normal", "oily": "Oily", "dry": "Dry or flaky"}
SWIMMING_LABELS = {
    "never": "Never",
    "occasionally": "Occasionally",
    "weekly": "About once a week",
    "twice_weekly_or_more": "Twice a week or more",
}
GOAL_LABELS = {
    "shaved_look": "A shaved look",
    "density": "Density behind longer hair",
    "scar_camouflage": "Scar camouflage",
}
HAIR_LABELS = {
    "shaved": "Shaved or bald",
    "stubble": "Stubble (3 mm or less)",
    "thinning": "Thinning hair longer than 1 cm",
    "dense": "Dense hair 5 cm or longer",
}
LIFESTYLE_LABELS = {
    "indoor": "Indoors most days, few holidays",
    "average": "Average",
    "outdoor_leisure": "Outdoor hobbies or sports",
    "outdoor_worker": "Works outdoors",
}
HAT_LABELS = {"none": "No hat", "cap": "Cap or beanie", "wide_brim": "Wide brim (7.5 cm or more)"}
SKY_LABELS = {
    "clear": "Clear, sunny",
    "partly_cloudy": "Partly cloudy",
    "mostly_cloudy": "Mostly cloudy",
    "overcast": "Overcast",
}
UV_INDEX_KIND_LABELS = {
    "daily_max": "The day's maximum (as in the forecast)",
    "average": "The average over this time outdoors",
}


def _labelled(values: Iterable, labels: Mapping) -> tuple[tuple[str, str], ...]:
    """(value, label) for each of the domain's ``values``; a value without a label is a KeyError
    at import, so a vocabulary cannot grow without its words."""
    return tuple((str(value), labels[value]) for value in values)


FITZPATRICK = _labelled(
    range(limits.FITZPATRICK.low, limits.FITZPATRICK.high + 1), FITZPATRICK_LABELS
)
SEBUM = _labelled(vocabulary.SEBUM, SEBUM_LABELS)
SWIMMING = _labelled(vocabulary.SWIMMING, SWIMMING_LABELS)
GOALS = _labelled(vocabulary.GOALS, GOAL_LABELS)
HAIR = _labelled(vocabulary.HAIR_LENGTHS, HAIR_LABELS)
LIFESTYLES = _labelled(vocabulary.LIFESTYLES, LIFESTYLE_LABELS)
HATS = _labelled(vocabulary.HATS, HAT_LABELS)
SKY_CHOICES = (("", "I gave the UV index"), *_labelled(vocabulary.SKIES, SKY_LABELS))
# The day's maximum first: it is what forecasts give.
UV_INDEX_KINDS = _labelled(reversed(vocabulary.UV_INDEX_KINDS), UV_INDEX_KIND_LABELS)


class ProfileForm(StrictForm):
    fitzpatrick = SelectField(
        "Skin type (Fitzpatrick)",
        coerce=int,
        choices=choice_list(FITZPATRICK),
        description="Type III is assumed until you choose; darker skin lets less UV reach the "
        "pigment.",
    )
    sebum = SelectField(
        "Scalp skin",
        choices=choice_list(SEBUM),
        description="Normal is assumed; oily or flaky skin clears pigment somewhat faster.",
    )
    retinoid_or_peel_use = BooleanField(
        "Uses retinoids, acids or peels on the scalp regularly",
        description="Off unless ticked; these treatments speed up fading by about a third.",
    )
    swimming = SelectField(
        "Swimming",
        choices=choice_list(SWIMMING),
        description="Occasionally is assumed; swimming twice a week or more speeds up fading.",
    )
    goal = SelectField(
        "Goal",
        choices=choice_list(GOALS),
        description="A shaved look is assumed, the most common goal of SMP.",
    )
    hair_length = SelectField(
        "Usual hair length over the treated area",
        choices=choice_list(HAIR),
        description="Shaved is assumed, the most exposed case; it is used for sun log entries "
        "that do not say.",
    )
    latitude_band = SelectField(
        "Where you live (distance from the equator)",
        choices=choice_list(LATITUDE_BAND_LABELS.items()),
        description="45–55° (for example London, Paris or Berlin) is assumed; it sets how "
        "strong the sun is on days that are not logged.",
    )
    lifestyle = SelectField(
        "Time outdoors",
        choices=choice_list(LIFESTYLES),
        description="Average is assumed: about 8 % of the day's sun, as most office workers get.",
    )
    usual_hat = SelectField(
        "Usual hat outdoors",
        choices=choice_list(HATS),
        description="A cap is assumed, worn a quarter of the time (below); a hat shades the top "
        "of the head best.",
    )
    usual_hat_pct = IntegerField(
        "Share of outdoor time with that hat (%)",
        validators=[InputRequired("Enter a percentage from 0 to 100.")],
        description="25 % is assumed; ignored when the usual hat is none.",
    )
    usual_sunscreen_spf = IntegerField(
        "Usual sunscreen SPF on the scalp",
        validators=[Optional()],
        description="Empty means no sunscreen, as assumed until you say otherwise.",
    )
    usual_sunscreen_pct = IntegerField(
        "Share of outdoor time with sunscreen on (%)",
        validators=[InputRequired("Enter a percentage from 0 to 100.")],
        description="0 % is assumed; most people put sunscreen on their scalp rarely, if ever.",
    )
    usual_sunscreen_generous = BooleanField(
        "Applied generously and reapplied every two hours",
        description="Off unless ticked: most people apply a quarter to half of the label "
        "amount, so SPF 30 acts like SPF 7.5.",
    )
    sun_log_complete = BooleanField(
        "My sun log is complete",
        description="Off unless ticked: days with no entry are then estimated from where you "
        "live and your time outdoors; tick it only if you log every time outdoors.",
    )
    time_zone = TimeZoneField(
        description="Europe/London is assumed; it decides what 'today' is for the sun log and "
        "when reminders arrive."
    )
    latitude = FloatField(
        "Latitude (degrees, + north)",
        validators=[Optional()],
        description="Empty means the main city of your time zone; used to estimate the UV "
        "index when you log time outdoors without one.",
    )
    longitude = FloatField(
        "Longitude (degrees, + east)",
        validators=[Optional()],
        description="Give both or neither.",
    )
    submit = SubmitField("Save profile")


class ExposureForm(StrictForm):
    exposed_on = DateField(
        "Date",
        validators=[InputRequired("Enter the date.")],
        description="Today is filled in; a day in the future cannot be logged.",
    )
    start_time = TimeField(
        "Start time",
        format=TIME_FORMATS,
        validators=[Optional()],
        description="Optional; without it a day's maximum UV is read as if you were out "
        "around midday.",
    )
    duration_minutes = IntegerField(
        "Minutes outdoors",
        validators=[InputRequired("Enter the minutes outdoors.")],
        description=f"{limits.DURATION_MINUTES.words().capitalize()} (a whole day).",
    )
    uv_index = FloatField(
        "UV index",
        validators=[Optional()],
        description=f"{limits.UV_INDEX.words().capitalize()}, as the weather forecast gives it. "
        "Don't know it? Leave it empty and choose the sky below (with the start time).",
    )
    sky = SelectField(
        "The sky (when you don't know the UV index)",
        choices=choice_list(SKY_CHOICES),
        default="",
        description="The UV index is then estimated from the sun where you live, and marked "
        "as an estimate.",
    )
    uv_index_kind = RadioField(
        "That UV index is",
        choices=choice_list(UV_INDEX_KINDS),
        default="daily_max",
    )
    hat = SelectField(
        "Hat",
        choices=choice_list(HATS),
        default="none",
        description="No hat is assumed.",
    )
    sunscreen_spf = IntegerField(
        "Sunscreen SPF on the scalp",
        validators=[Optional()],
        description="Leave empty if none was used.",
    )
    sunscreen_applied_at = TimeField(
        "Sunscreen applied at",
        format=TIME_FORMATS,
        validators=[Optional()],
        description="Optional; empty means at the start. It protects for two hours.",
    )
    sunscreen_generous = BooleanField("Sunscreen applied generously")
    swimming = BooleanField(
        "Went swimming",
        description="Swimming washes sunscreen off, so its protection is not counted.",
    )
    hair_length = SelectField("Hair length at the time", default="")
    submit = SubmitField("Log it")

    def set_usual_hair_length(self, usual: str) -> None:
        """Offer 'my usual' (named) as the first choice of hair length."""
        self.hair_length.choices = choice_list(
            [("", f"My usual ({HAIR_LABELS.get(usual, usual).lower()})"), *HAIR]
        )


class QuickExposureForm(StrictForm):
    """Today, in three fields: the rest takes the usual values."""

    duration_minutes = IntegerField(
        "Minutes outdoors today",
        validators=[InputRequired("Enter the minutes outdoors.")],
        description=f"{limits.DURATION_MINUTES.words().capitalize()}; the rest is taken as usual "
        "(no sunscreen, your usual hair).",
    )
    uv_index = FloatField(
        "Today's UV index (maximum)",
        validators=[Optional()],
        description=f"The day's maximum from the forecast, {limits.UV_INDEX.low} to "
        f"{limits.UV_INDEX.high}. Don't know it? Leave it empty and give the two below.",
    )
    start_time = TimeField(
        "Went out at (when you don't know the UV index)",
        format=TIME_FORMATS,
        validators=[Optional()],
        description="Your local time, HH:MM.",
    )
    sky = SelectField(
        "The sky (when you don't know the UV index)",
        choices=choice_list(SKY_CHOICES),
        default="",
        description="The UV index is then estimated from the sun where you live.",
    )
    hat = SelectField("Hat", choices=choice_list(HATS), default="none")
    submit = SubmitField("Log today")


class ConfirmDeleteForm(StrictForm):
    submit = SubmitField("Delete this entry")
