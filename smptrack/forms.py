"""Form pieces shared by several blueprints."""

from __future__ import annotations

from collections.abc import Iterable

from flask import request
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from smptrack.services.accounts import time_zone_choices


def choice_list(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices (plain tuples are deprecated from WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


class TimeZoneField(SelectField):
    """A select of IANA time zones; the list is built once per process."""

    def __init__(self, label: str = "Time zone", **kwargs) -> None:
        kwargs.setdefault(
            "description", "Dates and reminder times are shown and sent in this time zone."
        )
        super().__init__(label, choices=choice_list((z, z) for z in time_zone_choices()), **kwargs)


class StrictForm(FlaskForm):
    """A form that refuses fields it does not define.

    A posted ``client_id``, ``practitioner_id`` or ``id`` is someone trying to choose what the
    URL and the login decide; it is answered with a message rather than silently ignored.
    """

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        unknown = sorted(set(request.form) - set(self._fields) - {"csrf_token"})
        if unknown:
            shown = ", ".join(name[:40] for name in unknown[:5])
            self.form_errors.append(f"This form does not take these fields: {shown}.")
            return False
        return valid
