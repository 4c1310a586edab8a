"""Privacy routes: export and erasure, by the client's practitioner and by the client.

Erasing with the right name or password would remove the persona the next rows need, so the
POST rows send a wrong confirmation: the owner gets the form back (422), everyone else the
same answer as for any other page of someone else's record.
"""

from __future__ import annotations

from tests.access_cases import Case, signed_in

CASES = [
    Case(
        "GET",
        "/clients/<int:client_id>/export",
        "/clients/{a}/export",
        signed_in(403, practitioner_p=200, practitioner_q=404),
        shows={"practitioner_p": ("Ada Client",)},
        hides={"practitioner_p": ("Bea Client",)},
    ),
    Case(
        "GET",
        "/clients/<int:client_id>/erase",
        "/clients/{a}/erase",
        signed_in(403, practitioner_p=200, practitioner_q=404),
        shows={"practitioner_p": ("Erase Ada Client",)},
    ),
    Case(
        "POST",
        "/clients/<int:client_id>/erase",
        "/clients/{a}/erase",
        signed_in(403, practitioner_p=422, practitioner_q=404),
        body={"confirm_name": "Someone Else"},
    ),
    Case(
        "GET",
        "/me/export",
        "/me/export",
        signed_in(403, client_a=200, client_b=200),
        shows={"client_a": ("Ada Client",), "client_b": ("Bea Client",)},
        hides={"client_a": ("Bea Client",), "client_b": ("Ada Client",)},
    ),
    Case(
        "GET",
        "/me/erase",
        "/me/erase",
        signed_in(403, client_a=200, client_b=200),
    ),
    Case(
        "POST",
        "/me/erase",
        "/me/erase",
        signed_in(403, client_a=422, client_b=422),
        body={"password": "not the password"},
    ),
    # Issue 13: the practice's erasure requests and its retention period. Practitioners of a
    # practice see their own practice's list; only the owner sets the period (a bad value here,
    # so the row changes nothing: the owner gets the form back).
    Case(
        "GET",
        "/practice/erasure-requests",
        "/practice/erasure-requests",
        signed_in(403, practitioner_p=200, practitioner_q=200),
        shows={"practitioner_p": ("Erasure requests",)},
    ),
    Case(
        "POST",
        "/practice/erasure-requests/retention",
        "/practice/erasure-requests/retention",
        signed_in(403, practitioner_p=422, practitioner_q=422, colleague_p=403),
        body={"years": "0"},
    ),
]
