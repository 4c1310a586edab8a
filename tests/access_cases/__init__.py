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


def everyone(status: int | str, **overrides: int | str) -> dict[str, int | str]:
    table = dict.fromkeys(PERSONA_NAMES, status)
    table.update(overrides)
    return table


def signed_in(status: int | str, **overrides: int | str) -> dict[str, int | str]:
    return everyone(status, anonymous=LOGIN, **overrides)


def api(status: int, **overrides: int) -> dict[str, int | str]:
    return everyone(status, anonymous=401, **overrides)
