"""The new-session form's shortcuts (issue 13 item 4): a "same settings for these zones" block
and an "add a lot" button that keeps the draft.

The block is a placement row without a zone, plus a checkbox per zone; the server expands it
into one placement per ticked zone (``services.session_start.expand_shared``), so it works
without JavaScript. Per-zone rows below it still override it for their zone.
"""

from __future__ import annotations

from wtforms import SelectMultipleField, SubmitField
from wtforms.fields import FormField
from wtforms.widgets import CheckboxInput, ListWidget

from smptrack.domain.vocabulary import ZONE_LABELS, ZONES
from smptrack.forms import choice_list
from smptrack.treatments.forms import (
    ClientPlacementForm,
    ClientSessionForm,
    PractitionerPlacementForm,
    PractitionerSessionForm,
)


class ZoneChecks(SelectMultipleField):
    """One checkbox per zone; none ticked is a valid answer (the block is then unused)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        # The service names an unknown zone; WTForms' "not a valid choice" would hide which.
        return None


def _zones() -> ZoneChecks:
    return ZoneChecks(
        "Zones",
        choices=choice_list((zone, ZONE_LABELS[zone]) for zone in ZONES),
        default=[],
        description="Tick every zone worked with the same settings.",
    )


class SharedPractitionerSettings(PractitionerPlacementForm):
    # The zones come from the ticks; the inherited ``zone`` select is never rendered (each
    # expanded placement gets its ticked zone), and keeps the row's reading code unchanged.
    zones = _zones()


class SharedClientSettings(ClientPlacementForm):
    zones = _zones()


_ADD_LOT = "Add a new lot…"


class QuickPractitionerSessionForm(PractitionerSessionForm):
    shared = FormField(SharedPractitionerSettings)
    # Pressed, the form is not saved: the draft is kept and the catalogue opens, then returns.
    add_lot = SubmitField(_ADD_LOT)


class QuickClientSessionForm(ClientSessionForm):
    shared = FormField(SharedClientSettings)
