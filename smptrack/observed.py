"""What people observed next to what the model says (issue 10 item 5), in plain words.

For each projected zone: the latest rating of that zone (who rated it, when), the model's density
for that day and for today, whether the two disagree by more than a rating of that kind can be
off by (FADE-MODEL §6's measurement SD, read from ``domain.constants``), and what the projection's
review flag and due-now override mean for the next visit. Pure: no Flask, no database.

"Density now" is the model's posterior median for today. The posterior already leans towards the
ratings (one fade rate per client, learned from every rating), but a rating the model cannot
explain (a big loss soon after healing, or one zone fading much faster than the others) stays
away from it; that is what the disagreement sentence is for, so the screen never shows one number
and silently contradicts what someone saw.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Literal

from smptrack.domain import fade
from smptrack.domain.constants import constant
from smptrack.domain.vocabulary import ZONE_LABELS

Status = Literal["none", "agrees", "below", "above", "healing", "earlier_course", "later"]

# Who made a rating, in words a client understands.
ASSESSOR_WORDS = {
    "practitioner_in_person": "practitioner, in person",
    "practitioner_photo": "practitioner, from the client's photo",
    "client_self": "client's own rating",
}
# The same kinds, as a short noun for "a ... can be off by".
_ASSESSOR_NOUN = {
    "practitioner_in_person": "a practitioner's rating in person",
    "practitioner_photo": "a practitioner's rating from a photo",
    "client_self": "a client's own rating",
}

DENSITY_NOW_LABEL = "Model estimate for today"
DENSITY_NOW_HINT = (
    "How much of the healed result's pigment density the model expects is left today "
    "(100 % = as it looked once healed)."
)
BAND_HINT = (
    "The shaded area is the likely range: the model expects the true line to fall inside it "
    "8 times out of 10. Dates are estimates, not guarantees."
)
FASTER_FLAG = "faster than the model expects: check depth and aftercare at the next visit"
SLOWER_FLAG = (
    "slower than the model expects: check how the zone was rated (light, photo, angle) "
    "at the next visit"
)
OTHER_FLAG = "a rating is far from what the model expects: look at the zone at the next visit"


@dataclass(frozen=True)
class Rating:
    """One recorded rating, as the comparison needs it (density 0..1)."""

    day: date
    zone: str
    density: float
    assessor: str
    by_name: str | None = None


@dataclass(frozen=True)
class ZoneComparison:
    zone: str
    label: str
    model_now_pct: int
    rating: Rating | None
    rating_pct: int | None
    rated_by: str | None  # words: who rated it
    rated_on: str | None  # words: "3 May 2025"
    model_then_pct: int | None  # the model's density on the rating's day, when compared
    uncertainty_pts: int | None  # how far a rating of that kind can be off, in % points
    status: Status
    summary: str  # one or two sentences, the observed rating against the model
    flag_text: str | None  # what the review flag means, when the zone carries one
    due_text: str | None  # why the zone is due now, when it is
    advisory_text: str | None = None  # what the blur/colour advisory means, when raised

    @property
    def disagrees(self) -> bool:
        return self.status in ("below", "above")


def day_in_words(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def latest_ratings(ratings: Iterable[Rating], as_of: date) -> dict[str, Rating]:
    """The latest rating of each zone on or before ``as_of``. ``ratings`` come in the order they
    were recorded; of two ratings on the same day, the one recorded later wins."""
    latest: dict[str, Rating] = {}
    for rating in ratings:
        if rating.day > as_of:
            continue
        current = latest.get(rating.zone)
        if current is None or rating.day >= current.day:
            latest[rating.zone] = rating
    return latest


def model_density_on(curve: Sequence[fade.CurvePoint], day: date) -> float | None:
    """The model's median density on ``day``, linear between the curve's monthly points; None
    outside the curve (before the zone's baseline, or past its end)."""
    if not curve or day < curve[0].day or day > curve[-1].day:
        return None
    for before, after in pairwise(curve):
        if before.day <= day <= after.day:
            span = (after.day - before.day).days
            share = (day - before.day).days / span if span else 0.0
            return before.density + share * (after.density - before.density)
    return curve[-1].density


def rating_uncertainty(assessor: str) -> float:
    """How far a rating of this kind can be off (FADE-MODEL §6's SD s), as a density 0..1."""
    return constant(f"rating_sd.{assessor}")


def _pct(value: float) -> int:
    return round(value * 100)


def compare_zone(
    zone: fade.ZoneProjection, rating: Rating | None, threshold_density: float
) -> ZoneComparison:
    """The latest ``rating`` of one zone (or None) against ``zone``'s projection."""
    label = ZONE_LABELS.get(zone.zone, zone.zone)
    model_then = uncertainty = None
    if rating is None:
        status: Status = "none"
    else:
        last_session = zone.baseline - timedelta(days=constant("healed_baseline_days"))
        healing_end = last_session + timedelta(days=constant("healing_phase_days"))
        if rating.day <= last_session:
            # §6: a rating on a session's day describes the scalp before that session.
            status = "earlier_course"
        elif rating.day < healing_end:
            status = "healing"
        else:
            model_then = model_density_on(zone.curve, rating.day)
            uncertainty = rating_uncertainty(rating.assessor)
            if model_then is None:
                status = "later"
            elif rating.density < model_then - uncertainty:
                status = "below"
            elif rating.density > model_then + uncertainty:
                status = "above"
            else:
                status = "agrees"
    summary = _summary(status, rating, model_then, uncertainty)
    return ZoneComparison(
        zone=zone.zone,
        label=label,
        model_now_pct=_pct(zone.density_now),
        rating=rating,
        rating_pct=_pct(rating.density) if rating else None,
        rated_by=_rated_by(rating) if rating else None,
        rated_on=day_in_words(rating.day) if rating else None,
        model_then_pct=_pct(model_then) if model_then is not None else None,
        uncertainty_pts=_pct(uncertainty) if uncertainty is not None else None,
        status=status,
        summary=summary,
        flag_text=_flag_text(zone, status),
        due_text=_due_text(zone, threshold_density),
        advisory_text=_advisory_text(zone),
    )


def compare(projection: fade.Projection, ratings: Iterable[Rating]) -> list[ZoneComparison]:
    """Every projected zone, in the projection's order, against its latest rating."""
    latest = latest_ratings(ratings, projection.as_of)
    return [
        compare_zone(zone, latest.get(name), projection.threshold_density)
        for name, zone in projection.zones.items()
    ]


def _rated_by(rating: Rating) -> str:
    words = ASSESSOR_WORDS.get(rating.assessor, rating.assessor)
    if rating.by_name and rating.assessor != "client_self":
        return f"{words} ({rating.by_name})"
    return words


def _summary(
    status: Status, rating: Rating | None, model_then: float | None, uncertainty: float | None
) -> str:
    if rating is None:
        return "No rating of this zone yet: the estimate comes from the model alone."
    seen = f"Rated {_pct(rating.density)} % on {day_in_words(rating.day)}"
    if status == "earlier_course":
        return (
            f"{seen}, before the latest session on this zone; the estimate starts again "
            "from that session."
        )
    if status == "healing":
        return (
            f"{seen}, within 4 weeks of a session while the skin heals; the model does not "
            "use ratings from the healing weeks."
        )
    if status == "later" or model_then is None or uncertainty is None:
        return f"{seen}."
    noun = _ASSESSOR_NOUN.get(rating.assessor, "a rating")
    model_pct, off_by = _pct(model_then), _pct(uncertainty)
    if status == "agrees":
        return (
            f"{seen}; the model expected {model_pct} % for that day. That agrees: {noun} is "
            f"usually within about {off_by} points."
        )
    direction, pace = ("below", "faster") if status == "below" else ("above", "more slowly")
    gap = abs(_pct(rating.density) - model_pct)
    return (
        f"{seen}, well {direction} the {model_pct} % the model expected for that day. The gap "
        f"({gap} points) is more than {noun} is usually off by (about {off_by} points): this "
        f"zone is fading {pace} than the model expects."
    )


def _flag_text(zone: fade.ZoneProjection, status: Status) -> str | None:
    if not zone.needs_review:
        return None
    meaning = {"below": FASTER_FLAG, "above": SLOWER_FLAG}.get(status, OTHER_FLAG)
    return f"Review flag: {meaning}."


def _due_text(zone: fade.ZoneProjection, threshold_density: float) -> str | None:
    threshold = _pct(threshold_density)
    if zone.due_now_override:
        return (
            f"Due for a touch-up now: a practitioner rated it at or below the {threshold} % "
            "touch-up level, whatever the model says."
        )
    if zone.due_now:
        return (
            f"Due for a touch-up now: the model thinks it is more likely than not already "
            f"below the {threshold} % touch-up level."
        )
    return None


def _advisory_text(zone: fade.ZoneProjection) -> str | None:
    if not zone.advisory_reasons:
        return None
    return (
        f"Blur or colour advisory ({', '.join(zone.advisory_reasons)}): this is about how the "
        "dots look (spread or a blue/grey tint), not how dense they are; a touch-up alone may "
        "not fix it, so talk it through at the next visit."
    )
