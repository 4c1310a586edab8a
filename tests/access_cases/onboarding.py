"""The first-run set-up page: the owner of a practice only. A member who is not the owner (P's
colleague) and the front desk are refused (403), as are clients and the admin."""

from __future__ import annotations

from tests.access_cases import Case, signed_in

CASES = [
    Case(
        "GET",
        "/welcome",
        "/welcome",
        signed_in(403, practitioner_p=200, practitioner_q=200, colleague_p=403),
        shows={"practitioner_p": ("Set up your practice",)},
    ),
    Case(
        "POST",
        "/welcome",
        "/welcome",
        # An empty post names nothing: every open section is refused with its message.
        signed_in(403, practitioner_p=422, practitioner_q=422, colleague_p=403),
        body={},
    ),
]
