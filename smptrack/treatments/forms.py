"""The session form: the session's details and up to ``MAX_ROWS`` placements in one form.

Placements are rows of the same form (no JavaScript needed); a row left blank is ignored. The
practitioner names each placement's pigment by a lot of their catalogue, a client in words.
"""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import FieldList, FormField
from wtforms.validators import InputRequired, Length, Optional

from smptrack.domain import limits
from smptrack.domain.vocabulary import SESSION_KINDS, ZONE_LABELS, ZONES
from smptrack.forms import BaseForm, RowForm, choice_list, in_range

# Rows shown on a new session; an edit shows at least as many as the session has.
BLANK_ROWS = 6
MAX_ROWS = limits.MAX_PLACEMENTS

KIND_LABELS = {
    "initial": "Initial session",
    "build_up": "Build-up session (of the initial series)",
    "touch_up": "Touch-up",
    "correction": "Correction",
    "scar": "Scar camouflage",
}
DILUTION_LABELS = {"standard": "Standard", "light": "Light (diluted further)"}
DEPTH_LABELS = {"shallow": "Shallow", "correct": "Correct", "too_deep": "Too deep"}


def _text(label: str, max_length: int, description: str = "", multiline: bool = False):
    field_class = TextAreaField if multiline else StringField
    return field_class(
        label,
        # The text rule comes first (BaseForm and RowForm add it to every text field).
        validators=[Optional(strip_whitespace=False), Length(max=max_length)],
        description=description,
    )


class _PlacementFields(RowForm):
    """One placement; a ``RowForm`` because the session form carries the CSRF token."""

    zone = SelectField(
        "Zone",
        choices=choice_list(
            [("", "Not used (leave this row blank)")] + [(z, ZONE_LABELS[z]) for z in ZONES]
        ),
        default="",
    )
    dilution = SelectField(
        "Dilution",
        choices=choice_list(DILUTION_LABELS.items()),
        default="standard",
    )
    dilution_ratio = _text(
        "Ratio as written", limits.DILUTION_RATIO_MAX, "For example 1:3 pigment to water."
    )
    needle = _text("Needle", limits.NEEDLE_MAX, "If different from the session's needle.")
    dot_size = _text("Dot size", limits.DOT_SIZE_MAX)
    density_worked_pct = IntegerField(
        "Density worked (%)",
        validators=[Optional(), in_range(limits.PERCENT)],
        description="How much of the zone's final density this pass built, 0 to 100.",
    )
    depth = SelectField("Depth", choices=choice_list(DEPTH_LABELS.items()), default="correct")
    depth_note = _text("Depth note", limits.DEPTH_NOTE_MAX, multiline=True)
    scar_tissue = BooleanField("Worked over scar tissue")

    # Fields whose content makes a row "used"; dilution and depth always carry a default.
    USED_WHEN_FILLED = (
        "zone",
        "dilution_ratio",
        "needle",
        "dot_size",
        "density_worked_pct",
        "depth_note",
        "scar_tissue",
    )


class PractitionerPlacementForm(_PlacementFields):
    # Choices are the practitioner's lots, set per request. The choice is checked by the
    # service, so another practitioner's lot gets a clear message rather than "Not a valid choice".
    pigment_lot_id = SelectField("Pigment lot", choices=[], validate_choice=False, default="")

    USED_WHEN_FILLED = (*_PlacementFields.USED_WHEN_FILLED, "pigment_lot_id")


class ClientPlacementForm(_PlacementFields):
    pigment_free_text = _text(
        "Pigment",
        limits.PIGMENT_FREE_TEXT_MAX,
        "Brand and shade as your practitioner named it; write “unknown” if you do not know.",
    )

    USED_WHEN_FILLED = (*_PlacementFields.USED_WHEN_FILLED, "pigment_free_text")


class _SessionFields(BaseForm):
    performed_on = DateField(
        "Date of the session",
        validators=[InputRequired(message="Enter the date of the session.")],
    )
    kind = SelectField(
        "Kind of session",
        # No default: a post without a kind is refused rather than taken as an initial session.
        choices=choice_list((k, KIND_LABELS[k]) for k in SESSION_KINDS),
    )
    needle = _text("Needle", limits.NEEDLE_MAX, "Cartridge or needle configuration.")
    machine_settings = _text("Machine settings", limits.MACHINE_SETTINGS_MAX)
    duration_minutes = IntegerField(
        "Duration (minutes)",
        validators=[
            Optional(),
            in_range(limits.DURATION_MINUTES),
        ],
    )
    notes = _text("Notes", limits.NOTES_MAX, multiline=True)
    confirm_expired_lot = BooleanField(
        "I confirm using an expired lot",
        description="Recorded on the session, so a later review sees it was deliberate.",
    )
    # Shown only when the client has no valid consent (templates/consent/_session_warning.html).
    consent_override_reason = _text(
        "Reason to record without a valid consent",
        limits.NOTES_MAX,
        "Kept on the session with your name and the time.",
        multiline=True,
    )
    submit = SubmitField("Save session")


class PractitionerSessionForm(_SessionFields):
    placements = FieldList(
        FormField(PractitionerPlacementForm), min_entries=BLANK_ROWS, max_entries=MAX_ROWS
    )
    # Unticked, the notes stay internal (issue 13): the client reads only what is shared. A
    # client's own form has no such box: what a client writes is theirs.
    notes_shared = BooleanField(
        "Share the notes with the client",
        description="The session notes and the placements' depth notes. Left unticked, they stay "
        "internal to the practice.",
    )


class ClientSessionForm(_SessionFields):
    placements = FieldList(
        FormField(ClientPlacementForm), min_entries=BLANK_ROWS, max_entries=MAX_ROWS
    )


class DeleteSessionForm(BaseForm):
    submit = SubmitField("Delete this session")
