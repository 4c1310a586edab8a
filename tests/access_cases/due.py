"""The due list (practitioners only; each sees their own clients)."""

from __future__ import annotations

from tests.access_cases import Case, signed_in

CASES = [
    Case(
        "GET",
        "/due",
        "/due?before=2100-01-01",
        signed_in(403, practitioner_p=200, practitioner_q=200),
    ),
]
