"""The refit of a practice's constants from its own healed-phase ratings (FADE-MODEL §10).

Gathers every client's ratings with the inputs the model reads at each (the course's F_bio, the
years since its baseline, the zone's cumulative effective dose H), from the same loader as the
projections, and runs ``domain.refit.refit``. Reads only; proposing or adopting the result is
``services.model_versions``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa

from smptrack.domain import fade, refit
from smptrack.domain.limits import MAX_ROW_ID
from smptrack.extensions import db
from smptrack.models import Client, Practice
from smptrack.services import projections
from smptrack.services.errors import NotFound, ServiceError

# Clients read per batch: four queries per batch, whatever the practice's size.
BATCH = 500


def practice(practice_id: int) -> Practice:
    """The practice ``practice_id``, else NotFound."""
    found = db.session.get(Practice, practice_id) if 1 <= practice_id <= MAX_ROW_ID else None
    if found is None:
        raise NotFound(f"No practice with id {practice_id}.")
    return found


def practice_ids() -> list[int]:
    """Every practice, in id order."""
    return list(db.session.scalars(sa.select(Practice.id).order_by(Practice.id)))


def gather(
    practice_id: int, now: datetime, *, progress: Callable[[int, int], None] | None = None
) -> list[list[refit.Rating]]:
    """Per client of the practice (with at least one), its healed-phase ratings as of the
    client's today."""
    ids = db.session.scalars(
        sa.select(Client.id).where(Client.practice_id == practice_id).order_by(Client.id)
    ).all()
    gathered: list[list[refit.Rating]] = []
    for start in range(0, len(ids), BATCH):
        batch = db.session.scalars(
            sa.select(Client).where(Client.id.in_(ids[start : start + BATCH]))
        ).all()
        loaded = projections.load_inputs_many(batch)
        for client in batch:
            inputs = loaded[client.id]
            if not inputs.assessments:
                continue
            ratings = fade.healed_ratings(
                inputs.factors,
                inputs.sessions,
                inputs.exposures,
                inputs.assessments,
                as_of=projections.client_today(client, now),
            )
            if ratings:
                gathered.append(ratings)
        if progress is not None:
            progress(min(start + BATCH, len(ids)), len(ids))
    return gathered


def run(practice_id: int, now: datetime) -> refit.RefitResult:
    """The refit of one practice. Raises NotFound for a practice that does not exist and
    ServiceError when it has no healed-phase rating at all."""
    practice(practice_id)
    ratings = gather(practice_id, now)
    if not ratings:
        raise ServiceError(
            "This practice has no healed-phase ratings yet (ratings made at least 28 days after "
            "a session): there is nothing to refit."
        )
    return refit.refit(ratings)
