"""Form pieces shared by several blueprints."""

from __future__ import annotations

from collections.abc import Iterable

from flask import request
from flask_wtf import FlaskForm
from wtforms import Field, SelectField, StringField, TextAreaField
from wtforms import Form as PlainForm
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, StopValidation

from smptrack.domain import limits
from smptrack.domain import text as text_rule
from smptrack.services.accounts import time_zone_choices


def place_field_errors(form: PlainForm, fields: dict[str, str]) -> bool:
    """Add a service's messages (``ServiceError.fields``) to the form's fields of those names,
    beside what the form's own validation said; whether any had a field to go to (the caller
    shows the error's message otherwise)."""
    placed = False
    for name, message in fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors), message]
            placed = True
    return placed


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


def in_range(allowed: limits.Range, message: str | None = None) -> NumberRange:
    """A ``NumberRange`` validator of one of the domain's ranges."""
    return NumberRange(allowed.low, allowed.high, message)


class TextRule:
    """The validator that ``smptrack.domain.text``'s rule becomes on a form field: a line for a
    one-line field, a text (LF and TAB allowed) for a textarea. It stops the field's validation
    chain, so that ``Optional`` cannot then wave through a value that ``str.strip()`` empties
    (a lone U+001C or U+0085 counts as white space to Python)."""

    def __init__(self, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, form: PlainForm, field: Field) -> None:
        if isinstance(field.data, str):
            problem = text_rule.problem(field.data, multiline=self.multiline)
            if problem is not None:
                raise StopValidation(problem)


def _newlines_as_lf(value: object) -> object:
    return text_rule.normalise_newlines(value) if isinstance(value, str) else value


class _TextRuleMeta:
    """Gives every text field of a form the text rule when the form is built.

    Every ``StringField`` (so also ``TextAreaField``, ``EmailField``, ``PasswordField``, ``URL``
    and search fields) gets ``TextRule`` first in its validators; a textarea also reads CRLF
    (what browsers send) as LF. Done here, once, so that a field added later cannot forget it.
    """

    def bind_field(self, form: PlainForm, unbound_field, options):
        field = super().bind_field(form, unbound_field, options)
        if isinstance(field, StringField):
            multiline = isinstance(field, TextAreaField)
            field.validators = [TextRule(multiline), *field.validators]
            if multiline:
                field.filters = (_newlines_as_lf, *field.filters)
        return field


class BaseForm(FlaskForm):
    """Every page form: Flask-WTF's CSRF protection plus the text rule on every text field."""

    class Meta(_TextRuleMeta):
        pass


class RowForm(PlainForm):
    """A repeated group of fields inside a ``BaseForm`` (a ``FormField`` in a ``FieldList``):
    the outer form carries the CSRF token; the text rule applies here too."""

    class Meta(_TextRuleMeta):
        pass


class StrictForm(BaseForm):
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


# The words for each kind of session (``vocabulary.SESSION_KINDS``), for every page that offers
# or shows one: the session form and the booking pages.
SESSION_KIND_LABELS = {
    "initial": "Initial session",
    "build_up": "Build-up session (of the initial series)",
    "touch_up": "Touch-up",
    "correction": "Correction",
    "scar": "Scar camouflage",
}
