"""Form pieces shared by several blueprints."""

from __future__ import annotations

from wtforms import SelectField

from smptrack.services.accounts import time_zone_choices


class TimeZoneField(SelectField):
    """A select of IANA time zones; the list is built once per process."""

    def __init__(self, label: str = "Time zone", **kwargs) -> None:
        kwargs.setdefault(
            "description", "Dates and reminder times are shown and sent in this time zone."
        )
        super().__init__(label, choices=[(z, z) for z in time_zone_choices()], **kwargs)
