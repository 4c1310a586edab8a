"""One assessment form for several zones (issue 13 item 4): a date and who rated, then one
rating per zone. All or nothing: every rating is checked (by the one-zone rule,
``assessments.validate_assessment``) before any is written, so one bad row writes none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from smptrack.models import Client, FadeAssessment
from smptrack.services import assessments
from smptrack.services.access import Actor
from smptrack.services.errors import ValidationFailed
from smptrack.services.profile import require_acts_for


@dataclass(frozen=True)
class ZoneRating:
    """One zone's row of the form. ``density_pct`` None with nothing else filled in is a row
    left empty (skipped); None with a note or the blur flag is a row missing its density."""

    zone: str
    density_pct: float | None
    note: str = ""
    blur_or_colour_shift: bool = False

    @property
    def is_empty(self) -> bool:
        return self.density_pct is None and not self.note.strip() and not self.blur_or_colour_shift


def record_zone_ratings(
    actor: Actor,
    client: Client,
    *,
    assessed_on: date,
    assessor_kind: str,
    ratings: Sequence[ZoneRating],
    notes_shared: bool = False,
    now: datetime,
) -> list[FadeAssessment]:
    """Record one assessment per filled row of ``ratings``, all on ``assessed_on`` by
    ``assessor_kind``; empty rows are skipped.

    Raises ``NotFound`` (not the actor's client) or ``ValidationFailed`` with every problem at
    once, nothing written: field keys are ``assessed_on``, ``assessor_kind`` (shared by all
    rows), ``rows`` (no row filled) and ``rows.<index>.<name>``, ``index`` counting ``ratings``
    (empty rows included). A zone rated twice is refused. Flushes, never commits.
    """
    require_acts_for(actor, client)
    fields: dict[str, str] = {}
    checked: list[assessments.AssessmentInput] = []
    seen: set[str] = set()
    for index, rating in enumerate(ratings):
        if rating.is_empty:
            continue
        prefix = f"rows.{index}."
        if rating.density_pct is None:
            fields[prefix + "density_pct"] = "Enter the density for this zone, or clear the row."
            continue
        if rating.zone in seen:
            fields[prefix + "zone"] = "This zone is rated twice; keep one rating."
            continue
        seen.add(rating.zone)
        data = assessments.AssessmentInput(
            assessed_on=assessed_on,
            zone=rating.zone,
            density_pct=rating.density_pct,
            assessor_kind=assessor_kind,
            note=rating.note,
            blur_or_colour_shift=rating.blur_or_colour_shift,
            notes_shared=notes_shared,
        )
        try:
            checked.append(assessments.validate_assessment(actor, client, data, now=now))
        except ValidationFailed as exc:
            for name, message in exc.fields.items():
                # The date, the assessor and the sharing box are the form's, not the row's.
                shared = name in ("assessed_on", "assessor_kind", "notes_shared")
                fields.setdefault(name if shared else prefix + name, message)
    if not checked and not fields:
        fields["rows"] = "Rate at least one zone: enter its density."
    if fields:
        raise ValidationFailed("Please correct the highlighted fields; nothing was saved.", fields)
    return [assessments.record_assessment(actor, client, data, now=now) for data in checked]
