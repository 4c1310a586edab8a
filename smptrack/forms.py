"""Form pieces shared by several blueprints."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from smptrack.services.accounts import time_zone_choices


def choice_list(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices (plain tuples are deprecated from WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


class TimeZoneField(SelectField):
    """A select of IANA time zones; the list is built once per process."""

    def __init__(self, label: str = "Time zone", **kwargs) -> None:  # noqa: ANN003
        kwargs.setdefault(
            "description", "Dates and reminder times are shown and sent in this time zone."
        )
        super().__init__(label, choices=choice_list((z, z) for z in time_zone_choices()), **kwargs)
