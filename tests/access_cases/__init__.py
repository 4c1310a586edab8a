"""The access matrix's rows, one module per area. Each module defines ``CASES`` (a list of
``Case``) and may define ``objects(personas) -> dict[str, int]``, which creates the rows its
paths name and returns their ids for the ``{placeholders}`` in ``Case.path``."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.conftest import PERSONA_NAMES

LOGIN = "login"  # a redirect to the login page
ANY_REDIRECT = "redirect"


@dataclass(frozen=True)
class Case:
    method: str
    rule: str  # the url_map rule this case covers
    path: str  # with placeholders {a} (client A's record), {b}, {token_a} (A's API token id)
    expect: dict[str, int | str]  # persona -> status, LOGIN or ANY_REDIRECT
    body: dict = field(default_factory=dict)
    json: bool = False
    # For 200s: text that must and must not be on the page (proves whose data was shown).
    shows: dict[str, tuple[str, ...]] = field(default_factory=dict)
    hides: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # A success that is neither a page nor JSON (a photo, an export zip): its media type.
    media_type: str | None = None


def everyone(status: int | str, **overrides: int | str) -> dict[str, int | str]:
    """``status`` for every persona but those named. Unless named: P's colleague (a
    practitioner of the same practice) answers as P does, and P's front desk, who sees no
    clinical record, gets 403 where P may (it is their practice's record) and what the others
    get elsewhere."""
    table = dict.fromkeys(PERSONA_NAMES, status)
    table.update(overrides)
    if "practitioner_p" in overrides:
        table.setdefault("colleague_p", overrides["practitioner_p"])
        if "colleague_p" not in overrides:
            table["colleague_p"] = overrides["practitioner_p"]
        if "front_desk_p" not in overrides:
            allowed = overrides["practitioner_p"]
            table["front_desk_p"] = 403 if _succeeds(allowed) else status
    return table


def _succeeds(status: int | str) -> bool:
    """P reaches the record: a success, or a refusal of the input rather than of P (422, 409)."""
    return status == ANY_REDIRECT or (isinstance(status, int) and status not in (401, 403, 404))


def signed_in(status: int | str, **overrides: int | str) -> dict[str, int | str]:
    return everyone(status, anonymous=LOGIN, **overrides)


def api(status: int, **overrides: int) -> dict[str, int | str]:
    return everyone(status, anonymous=401, **overrides)
