"""Treatment sessions: the client's practitioner and the client see them; another practitioner
or client is told nothing exists (404); the admin has no such page (403). A session is changed
only from the side that logged it: the practitioner's by the practitioner, the client's own log
by the client (403 for the other, who may still read it).

Placeholders: {treat_session_a} is P's session of client A; {treat_own_a} is a session client A
logged themself; {treat_session_b} is Q's session of client B.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from smptrack.extensions import db
from smptrack.models import Pigment, PigmentLot, Placement, TreatmentSession
from tests.access_cases import ANY_REDIRECT, Case, signed_in
from tests.conftest import Personas

LOT_P = "TREAT-P-77"
OWN_PIGMENT = "Ada own ink"


def _session(
    client_id: int, logged_by_id: int, performed_by_id: int | None, placement: Placement
) -> TreatmentSession:
    row = TreatmentSession(
        client_id=client_id,
        performed_on=date(2025, 5, 2),
        kind="initial",
        performed_by_id=performed_by_id,
        logged_by_id=logged_by_id,
        logged_at=datetime(2025, 5, 2, 15, tzinfo=UTC),
        placements=[placement],
    )
    db.session.add(row)
    return row


def objects(personas: Personas) -> dict[str, int]:
    pigment = Pigment(
        practice_id=personas.practitioner_p.practice_id,
        brand="Treatments Carbon",
        line="",
        shade="Noir",
        base="carbon",
    )
    lot = PigmentLot(pigment=pigment, lot_number=LOT_P, expires_on=date(2030, 1, 1))
    p, q = personas.practitioner_p, personas.practitioner_q
    by_p = _session(personas.record_a.id, p.id, p.id, Placement(zone="crown", pigment_lot=lot))
    own = _session(
        personas.record_a.id,
        personas.client_a.id,
        None,
        Placement(zone="left_temple", pigment_free_text=OWN_PIGMENT),
    )
    by_q = _session(
        personas.record_b.id, q.id, q.id, Placement(zone="crown", pigment_free_text="Q ink")
    )
    db.session.add_all([pigment, lot])
    db.session.flush()
    return {"treat_session_a": by_p.id, "treat_own_a": own.id, "treat_session_b": by_q.id}


def readers_of_a(status: int | str, **overrides: int | str) -> dict[str, int | str]:
    """Client A and practitioner P (and P's colleague) may reach A's sessions; B and Q get
    404; the admin and the front desk, who may not use sessions at all, 403."""
    table = {"client_a": status, "practitioner_p": status, "admin": 403, "front_desk_p": 403}
    table.update(overrides)
    return signed_in(404, **table)


CASES = [
    Case(
        "GET",
        "/clients/<int:client_id>/sessions/new",
        "/clients/{a}/sessions/new",
        readers_of_a(200),
        shows={"practitioner_p": ("Ada Client", LOT_P)},
    ),
    Case(
        "POST",
        "/clients/<int:client_id>/sessions/new",
        "/clients/{a}/sessions/new",
        readers_of_a(422),
        body={},
    ),
    Case(
        "GET",
        "/sessions/<int:session_id>",
        "/sessions/{treat_session_a}",
        readers_of_a(200),
        shows={"client_a": (LOT_P,), "practitioner_p": ("Ada Client", LOT_P)},
        hides={"client_a": ("Bea Client",)},
    ),
    Case(
        "GET",
        "/sessions/<int:session_id>",
        "/sessions/{treat_own_a}",
        readers_of_a(200),
        shows={"client_a": (OWN_PIGMENT,), "practitioner_p": (OWN_PIGMENT,)},
    ),
    Case(
        "GET",
        "/sessions/<int:session_id>",
        "/sessions/{treat_session_b}",
        signed_in(404, client_b=200, practitioner_q=200, admin=403, front_desk_p=403),
        shows={"practitioner_q": ("Bea Client", "Q ink")},
    ),
    Case(
        "GET",
        "/sessions/<int:session_id>/edit",
        "/sessions/{treat_session_a}/edit",
        readers_of_a(200, client_a=403),
        shows={"practitioner_p": (LOT_P,)},
    ),
    Case(
        "GET",
        "/sessions/<int:session_id>/edit",
        "/sessions/{treat_own_a}/edit",
        readers_of_a(200, practitioner_p=403),
        shows={"client_a": (OWN_PIGMENT,)},
    ),
    Case(
        "POST",
        "/sessions/<int:session_id>/edit",
        "/sessions/{treat_session_a}/edit",
        readers_of_a(422, client_a=403),
        body={},
    ),
    Case(
        "POST",
        "/sessions/<int:session_id>/edit",
        "/sessions/{treat_own_a}/edit",
        readers_of_a(422, practitioner_p=403),
        body={},
    ),
    Case(
        "GET",
        "/sessions/<int:session_id>/delete",
        "/sessions/{treat_session_a}/delete",
        readers_of_a(200, client_a=403),
    ),
    Case(
        "POST",
        "/sessions/<int:session_id>/delete",
        "/sessions/{treat_session_a}/delete",
        readers_of_a(ANY_REDIRECT, client_a=403),
    ),
    Case(
        "POST",
        "/sessions/<int:session_id>/delete",
        "/sessions/{treat_own_a}/delete",
        readers_of_a(ANY_REDIRECT, practitioner_p=403),
    ),
]
