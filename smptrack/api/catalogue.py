"""The practitioner's pigment catalogue and the recall trace of a lot."""

from __future__ import annotations

from smptrack.api.common import page_slice
from smptrack.api.registry import operation
from smptrack.api.schemas import (
    LotCreate,
    LotOut,
    PageQuery,
    PigmentCreate,
    PigmentOut,
    PigmentPage,
    RecallRowOut,
    RecallTrace,
)
from smptrack.models import Pigment, User
from smptrack.services import catalogue
from smptrack.web import utc_now

PRACTITIONER = ("practitioner",)


def pigment_out(pigment: Pigment) -> PigmentOut:
    return PigmentOut(
        id=pigment.id,
        brand=pigment.brand,
        line=pigment.line,
        shade=pigment.shade,
        base=pigment.base,
        label=pigment.label,
        lots=[LotOut.model_validate(lot) for lot in pigment.lots],
    )


@operation(
    "GET",
    "/pigments",
    summary="Your pigment catalogue, with each pigment's lots",
    tag="pigments",
    query=PageQuery,
    response=PigmentPage,
    roles=PRACTITIONER,
)
def list_pigments(actor: User, query: PageQuery) -> PigmentPage:
    """By brand, line and shade."""
    found = catalogue.list_pigments(actor)
    return PigmentPage(
        items=[pigment_out(p) for p in page_slice(found, query.page, query.per_page)],
        page=query.page,
        per_page=query.per_page,
        total=len(found),
    )


@operation(
    "POST",
    "/pigments",
    summary="Add a pigment to your catalogue",
    tag="pigments",
    body=PigmentCreate,
    response=PigmentOut,
    status=201,
    errors=(409,),
    roles=PRACTITIONER,
)
def create_pigment(actor: User, body: PigmentCreate) -> PigmentOut:
    """409 when the catalogue already holds the same brand, line and shade."""
    pigment = catalogue.create_pigment(
        actor, catalogue.PigmentInput(**body.model_dump()), now=utc_now()
    )
    return pigment_out(pigment)


@operation(
    "POST",
    "/pigments/<int:pigment_id>/lots",
    summary="Add a lot to one of your pigments",
    tag="pigments",
    body=LotCreate,
    response=LotOut,
    status=201,
    errors=(409,),
    roles=PRACTITIONER,
)
def add_lot(actor: User, pigment_id: int, body: LotCreate) -> LotOut:
    """409 when the pigment already has a lot with this number. A past expiry is accepted
    (lots of past sessions); using an expired lot in a session asks for a confirmation."""
    lot = catalogue.add_lot(
        actor, pigment_id, catalogue.LotInput(**body.model_dump()), now=utc_now()
    )
    return LotOut.model_validate(lot)


@operation(
    "GET",
    "/pigment-lots/<int:lot_id>/clients",
    summary="Recall trace: every client and session that received a lot",
    tag="pigments",
    query=PageQuery,
    response=RecallTrace,
    roles=PRACTITIONER,
)
def recall_trace(actor: User, lot_id: int, query: PageQuery) -> RecallTrace:
    """One row per placement of the lot, by session date. Reading it is recorded in the audit
    trail of each client on the page."""
    lot = catalogue.get_lot(actor, lot_id)
    rows = catalogue.recall_trace(actor, lot.id)
    shown = page_slice(rows, query.page, query.per_page)
    catalogue.record_recall_read(actor, shown, lot.id, now=utc_now())
    return RecallTrace(
        lot=LotOut.model_validate(lot),
        items=[RecallRowOut.model_validate(row) for row in shown],
        page=query.page,
        per_page=query.per_page,
        total=len(rows),
    )
