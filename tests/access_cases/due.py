"""The due list (practitioners only; each sees their own clients)."""

from __future__ import annotations

from tests.access_cases import Case, everyone, signed_in

CASES = [
    Case(
        "GET",
        "/due",
        "/due?before=2100-01-01",
        signed_in(403, practitioner_p=200, practitioner_q=200),
    ),
]

CASES += [
    Case(
        "GET",
        "/api/v1/clients/<int:client_id>/projection",
        "/api/v1/clients/{a}/projection",
        everyone(404, anonymous=401, client_a=200, practitioner_p=200),
        json=True,
        shows={"client_a": ("model_version",), "practitioner_p": ("model_version",)},
    ),
    Case(
        "GET",
        "/api/v1/due",
        "/api/v1/due?before=2100-01-01",
        everyone(403, anonymous=401, practitioner_p=200, practitioner_q=200),
        json=True,
    ),
]
