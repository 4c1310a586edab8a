"""Handing a client over to another practitioner of the practice: any practitioner of the
client's practice may (P and P's colleague, for client A); Q is told A does not exist; clients,
the admin and the front desk may not use it (403)."""

from __future__ import annotations

from tests.access_cases import ANY_REDIRECT, Case, signed_in

CASES = [
    Case(
        "POST",
        "/clients/<int:client_id>/practitioner",
        "/clients/{a}/practitioner",
        signed_in(403, practitioner_p=ANY_REDIRECT, practitioner_q=404),
        # No such practitioner: the practice's members are refused back to the page; the
        # hand-over itself is tests/test_client_assignment.py.
        body={"practitioner_id": "0"},
    ),
]
