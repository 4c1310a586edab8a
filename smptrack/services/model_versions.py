"""A practice's model versions: the constants its projections use, adopted and reverted.

A
refit's estimate is stored as a proposal; adopting it retires the current version and rebuilds
every projection of the practice and replans its reminders in the caller's unit of work (the
caller commits). Reverting retires the current version and brings back the one it replaced, or
the documented defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime

import sqlalchemy as sa

from smptrack.domain import fade
from smptrack.domain.refit import RefitResult
from smptrack.extensions import db
from smptrack.models import Client, PracticeModelVersion, User
from smptrack.services import access
from smptrack.services.errors import ServiceError

_MODEL = fade.MODEL_VERSION.split()[0]  # "smptrack-fade-1.1"


def label(version: PracticeModelVersion | None) -> str:
    """What a projection made with ``version`` records as its model version (<= 40 chars)."""
    if version is None:
        return fade.MODEL_VERSION
    return f"{_MODEL} practice v{version.id} ({version.source})"


def constants_of(version: PracticeModelVersion | None) -> fade.ModelConstants:
    if version is None:
        return fade.DEFAULT_CONSTANTS
    return fade.ModelConstants(
        k_bio=version.k_bio, k_uv=version.k_uv, sigma=version.sigma, label=label(version)
    )


def _current_query(practice_ids: Collection[int]) -> sa.Select:
    return sa.select(PracticeModelVersion).where(
        PracticeModelVersion.practice_id.in_(list(practice_ids)),
        PracticeModelVersion.adopted_at.is_not(None),
        PracticeModelVersion.retired_at.is_(None),
    )


def current_version(practice_id: int) -> PracticeModelVersion | None:
    """The practice's adopted, unretired version; None means the documented defaults."""
    return db.session.scalar(_current_query([practice_id]))


def constants_by_practice(practice_ids: Collection[int]) -> dict[int, fade.ModelConstants]:
    """The current constants of each practice that has adopted a version (one SELECT)."""
    if not practice_ids:
        return {}
    return {
        v.practice_id: constants_of(v) for v in db.session.scalars(_current_query(practice_ids))
    }


def history(practice_id: int) -> list[PracticeModelVersion]:
    """Every version of the practice, newest first (proposals included)."""
    return list(
        db.session.scalars(
            sa.select(PracticeModelVersion)
            .where(PracticeModelVersion.practice_id == practice_id)
            .order_by(PracticeModelVersion.id.desc())
        )
    )


def get_version(actor: access.Actor, version_id: int) -> PracticeModelVersion:
    """Version ``version_id`` of the actor's own practice, else NotFound (as a missing one)."""
    access.require_practitioner(actor)
    version = db.session.scalar(
        sa.select(PracticeModelVersion).where(
            PracticeModelVersion.id == version_id,
            PracticeModelVersion.practice_id == access.practice_id_of(actor),
        )
    )
    if version is None:
        raise access.refused(
            actor, PracticeModelVersion, version_id, "model_version", "No such model version."
        )
    return version


def fit_summary(result: RefitResult) -> dict:
    """The refit as plain JSON: estimates with 90 % intervals, counts, correlation, checks."""

    def estimate(e) -> dict:
        return {"value": e.value, "low": e.low, "high": e.high}

    return {
        "k_bio": estimate(result.k_bio),
        "k_uv": estimate(result.k_uv),
        "sigma": estimate(result.sigma),
        "correlation": result.correlation,
        "clients": result.clients,
        "ratings": result.ratings,
        "clients_with_two_ratings": result.clients_with_two_ratings,
        "log_likelihood": result.log_likelihood,
        "iterations": result.iterations,
        "converged": result.converged,
        "adoptable": result.adoptable,
        "reasons": list(result.reasons),
    }


def propose(
    practice_id: int, result: RefitResult, now: datetime, created_by: User | None
) -> PracticeModelVersion:
    """Store a refit's estimate as a proposal of the practice (flushes; adopts nothing)."""
    version = PracticeModelVersion(
        practice_id=practice_id,
        k_bio=result.k_bio.value,
        k_uv=result.k_uv.value,
        sigma=result.sigma.value,
        source="refit",
        fit_summary=fit_summary(result),
        created_at=now,
        created_by_id=created_by.id if created_by is not None else None,
    )
    db.session.add(version)
    db.session.flush()
    return version


Progress = Callable[[int, int], None]


def adopt(version: PracticeModelVersion, now: datetime, *, progress: Progress | None = None) -> int:
    """Make ``version`` the practice's current one, then rebuild its projections and replan its
    reminders (flushes; the caller commits). Returns the number of clients rebuilt. Raises
    ServiceError for a proposal whose fit did not pass the checks, or one already used."""
    if version.adopted_at is not None:
        raise ServiceError("This version was already adopted; run a new refit to adopt again.")
    if version.source == "refit" and not version.fit_summary.get("adoptable", False):
        reasons = " ".join(version.fit_summary.get("reasons", []))
        raise ServiceError(f"This refit is not offered for adoption: {reasons}")
    current = current_version(version.practice_id)
    if current is not None:
        current.retired_at = now
        db.session.flush()  # one current version per practice at every moment
    version.adopted_at = now
    db.session.flush()
    return rebuild_practice(version.practice_id, now, progress=progress)


def revert(
    practice_id: int, now: datetime, *, progress: Progress | None = None
) -> tuple[PracticeModelVersion | None, int]:
    """Retire the current version and bring back the one it replaced (or the defaults); rebuild
    and replan. Returns the version now current (None: defaults) and the clients rebuilt.
    Raises ServiceError when the practice already uses the defaults."""
    current = current_version(practice_id)
    if current is None:
        raise ServiceError("This practice already uses the documented default constants.")
    current.retired_at = now
    current.reverted_at = now
    previous = db.session.scalar(
        sa.select(PracticeModelVersion)
        .where(
            PracticeModelVersion.practice_id == practice_id,
            PracticeModelVersion.id != current.id,
            PracticeModelVersion.adopted_at.is_not(None),
            PracticeModelVersion.adopted_at <= current.adopted_at,
            PracticeModelVersion.reverted_at.is_(None),
        )
        .order_by(PracticeModelVersion.adopted_at.desc(), PracticeModelVersion.id.desc())
        .limit(1)
    )
    db.session.flush()
    if previous is not None:
        previous.retired_at = None
        db.session.flush()
    return previous, rebuild_practice(practice_id, now, progress=progress)


def rebuild_practice(
    practice_id: int, now: datetime, *, batch_size: int = 200, progress: Progress | None = None
) -> int:
    """Re-project every client of the practice with its current constants and replan their
    reminders, in the caller's transaction (flushes per batch, never commits)."""
    from smptrack.services import projections
    from smptrack.services.materialised import store_projections
    from smptrack.services.reminders import plan_reminders

    ids = db.session.scalars(
        sa.select(Client.id).where(Client.practice_id == practice_id).order_by(Client.id)
    ).all()
    total = len(ids)
    for start in range(0, total, batch_size):
        batch = db.session.scalars(
            sa.select(Client).where(Client.id.in_(ids[start : start + batch_size]))
        ).all()
        loaded = projections.load_inputs_many(batch)
        done = []
        with db.session.no_autoflush:
            for client in batch:
                projection = projections.refresh_client(
                    client, now, loaded[client.id], store_document=False
                )
                done.append((client, projection))
        store_projections(done, now)
        for client in batch:
            plan_reminders(client, now)
        db.session.flush()
        if progress is not None:
            progress(min(start + batch_size, total), total)
    return total
