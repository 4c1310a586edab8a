"""The pigment catalogue and recall trace: a practitioner's own, never another's (404), and no
page at all for clients and admins (403).

Placeholders: {cat_pigment_p} and {cat_lot_p} are practitioner P's pigment and lot (a lot that
went into client A's session); {cat_pigment_q} and {cat_lot_q} are Q's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from smptrack.extensions import db
from smptrack.models import Pigment, PigmentLot, Placement, TreatmentSession
from tests.access_cases import ANY_REDIRECT, Case, signed_in
from tests.conftest import Personas

P_BRAND = "Catalogue Noir P"
Q_BRAND = "Catalogue Noir Q"


def _pigment_with_lot(practice_id: int, brand: str, lot_number: str) -> PigmentLot:
    pigment = Pigment(practice_id=practice_id, brand=brand, line="", shade="Ink", base="carbon")
    lot = PigmentLot(pigment=pigment, lot_number=lot_number, expires_on=date(2030, 1, 1))
    db.session.add_all([pigment, lot])
    db.session.flush()
    return lot


def _session_with(client_id: int, practitioner_id: int, lot: PigmentLot) -> None:
    db.session.add(
        TreatmentSession(
            client_id=client_id,
            performed_on=date(2025, 3, 1),
            kind="initial",
            performed_by_id=practitioner_id,
            logged_by_id=practitioner_id,
            logged_at=datetime(2025, 3, 1, 12, tzinfo=UTC),
            placements=[Placement(zone="crown", pigment_lot=lot)],
        )
    )


def objects(personas: Personas) -> dict[str, int]:
    lot_p = _pigment_with_lot(personas.practitioner_p.practice_id, P_BRAND, "CAT-P-1")
    lot_q = _pigment_with_lot(personas.practitioner_q.practice_id, Q_BRAND, "CAT-Q-1")
    _session_with(personas.record_a.id, personas.practitioner_p.id, lot_p)
    _session_with(personas.record_b.id, personas.practitioner_q.id, lot_q)
    db.session.flush()
    return {
        "cat_pigment_p": lot_p.pigment_id,
        "cat_lot_p": lot_p.id,
        "cat_pigment_q": lot_q.pigment_id,
        "cat_lot_q": lot_q.id,
    }


def practitioner_p_only(status: int | str) -> dict[str, int | str]:
    """P's own object: P gets ``status``, Q a 404, clients and the admin a 403."""
    return signed_in(403, practitioner_p=status, practitioner_q=404)


CASES = [
    Case(
        "GET",
        "/pigments/",
        "/pigments/",
        signed_in(403, practitioner_p=200, practitioner_q=200),
        shows={"practitioner_p": (P_BRAND,), "practitioner_q": (Q_BRAND,)},
        hides={"practitioner_p": (Q_BRAND,), "practitioner_q": (P_BRAND,)},
    ),
    Case(
        "POST",
        "/pigments/",
        "/pigments/",
        signed_in(403, practitioner_p=422, practitioner_q=422),
        body={},
        hides={"practitioner_p": (Q_BRAND,), "practitioner_q": (P_BRAND,)},
    ),
    Case(
        "GET",
        "/pigments/<int:pigment_id>",
        "/pigments/{cat_pigment_p}",
        practitioner_p_only(200),
        shows={"practitioner_p": (P_BRAND, "CAT-P-1")},
        hides={"practitioner_q": (P_BRAND, "CAT-P-1")},
    ),
    Case(
        "POST",
        "/pigments/<int:pigment_id>/lots",
        "/pigments/{cat_pigment_p}/lots",
        practitioner_p_only(ANY_REDIRECT),
        body={"lot_number": "CAT-P-2", "expires_on": "2031-06-30"},
    ),
    Case(
        "GET",
        "/lots/<int:lot_id>/recall",
        "/lots/{cat_lot_p}/recall",
        practitioner_p_only(200),
        shows={"practitioner_p": ("Ada Client", "CAT-P-1")},
        hides={"practitioner_p": ("Bea Client",), "practitioner_q": ("CAT-P-1",)},
    ),
    Case(
        "GET",
        "/lots/<int:lot_id>/recall.csv",
        "/lots/{cat_lot_p}/recall.csv",
        practitioner_p_only(200),
        shows={"practitioner_p": ("Ada Client", "a@clients.test")},
        hides={"practitioner_p": ("Bea Client",)},
    ),
    Case(
        "GET",
        "/lots/<int:lot_id>/recall/notify",
        "/lots/{cat_lot_p}/recall/notify",
        practitioner_p_only(200),
        shows={"practitioner_p": ("CAT-P-1", "1 client will be emailed")},
        hides={"practitioner_q": ("CAT-P-1",)},
    ),
    Case(
        "POST",
        "/lots/<int:lot_id>/recall/notify",
        "/lots/{cat_lot_p}/recall/notify",
        practitioner_p_only(200),  # a preview: it lists the recipients, sends nothing
        body={"message": "A recall notice.", "preview": "Preview"},
        shows={"practitioner_p": ("Ada Client", "a@clients.test")},
        hides={"practitioner_p": ("Bea Client",)},
    ),
    # The other way round: P asking for Q's pigment and lot is told nothing exists.
    Case(
        "GET",
        "/lots/<int:lot_id>/recall",
        "/lots/{cat_lot_q}/recall",
        signed_in(403, practitioner_p=404, practitioner_q=200),
        shows={"practitioner_q": ("Bea Client",)},
    ),
    Case(
        "POST",
        "/pigments/<int:pigment_id>/lots",
        "/pigments/{cat_pigment_q}/lots",
        signed_in(403, practitioner_p=404, practitioner_q=ANY_REDIRECT),
        body={"lot_number": "CAT-Q-2", "expires_on": "2031-06-30"},
    ),
]
