"""Form helpers for the page blueprints: refuse fields a form does not have. (Control characters
are refused by the text rule every ``smptrack.forms.BaseForm`` applies.) Kept out of any one
blueprint so that none imports another."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from werkzeug.datastructures import MultiDict
from wtforms import Field, Form
from wtforms.fields import FieldList, FormField

# Sent by every FlaskForm when CSRF is on (tests turn it off, browsers do not).
ALWAYS_ALLOWED = frozenset({"csrf_token"})


def field_names(fields: Iterable[Field]) -> Iterator[str]:
    """Every input name a form renders, through FieldLists and FormFields."""
    for field in fields:
        if isinstance(field, FieldList):
            yield from field_names(field.entries)
        elif isinstance(field, FormField):
            yield from field_names(field.form)
        else:
            yield field.name


def unexpected_fields(form: Form, formdata: MultiDict) -> list[str]:
    """Names posted that ``form`` does not have (``id``, ``practitioner_id``, a 99th row...).

    A form that quietly ignored them would let a crafted post look accepted; we refuse it.
    """
    known = set(field_names(form)) | ALWAYS_ALLOWED
    return sorted(name for name in formdata if name not in known)


def refuse_unexpected(form: Form, formdata: MultiDict) -> bool:
    """Flag the unexpected fields on the form's ``form_errors``; True when there were any."""
    extra = unexpected_fields(form, formdata)
    if extra:
        shown = ", ".join(name[:40] for name in extra[:5])
        form.form_errors.append(
            f"This form does not take the field{'s' if len(extra) > 1 else ''} {shown}; "
            "nothing was saved."
        )
    return bool(extra)
