"""The fade projection: sessions, sun log and fade assessments to a touch-up window per zone.

Implements FADE-MODEL.md §1, §2, §4-§6. Standard library only; constants come from the one table
in ``constants.CONSTANTS``; time is the ``as_of`` parameter, never the clock. The §7 reminder
dates derived from the window are made in one place, ``protocol.plan``, not here.

    Lambda_z(t) = k_bio * F_bio * t + k_uv * H_eff_z(t)      (t in years since the zone's baseline)
    D_z(t)      = exp(-m * Lambda_z(t))                       (m = e^theta, one per client)

Interpretations of the spec, in one place:

- ``as_of`` is the start of that day: the sun dose counts whole days before it; sessions and
  ratings dated after it are ignored, as are exposures on or after it.
- A zone's *course* (§1: "the most recent course, initial sessions or a touch-up") is the sessions
  treating it since (and including) its latest ``initial`` or ``touch_up`` session, or since its
  first session if it had neither. The baseline is the latest session treating the zone + 28 days,
  whatever its kind: every session resets the zone's clock (Lambda = 0, D = 1 at the new
  baseline). A touch-up resets only the zones it treats; theta (the client's posterior) is shared
  by all zones and all courses, and is never reset.
- The §4 *sessions count* is not the course's length: it counts the sessions that built the zone
  (``building_sessions``). A touch-up keeps it, so a touched-up three-session zone stays at 1.0.
- F_bio per zone: placement factors (depth, dilution, pigment) are averaged over the course's
  placements of that zone, as the healed result mixes what each visit deposited; scar tissue
  applies if any placement of the zone was ever flagged (the skin stays scarred); an unrecorded
  pigment counts as carbon SMP pigment; ``mixed`` pigment counts as iron oxide (see the table).
- Prior sigma: the largest of 0.30, 0.35 (no sun log entry on or before ``as_of``) and
  sqrt(0.30^2 + 0.15^2) (scar tissue in any treated zone), as "the largest that applies" reads.
- Ratings: the healing phase is the 28 days after a session treating the rated zone. A rating
  informs theta through the course it was made in (its own baseline and F_bio); review flags and
  the due-now override look only at the current course's ratings. D0 = 1 always: a rating made
  at or after the baseline enters the likelihood like any other.
- Order within a day (§6): a rating dated on the day of a session describes the scalp before that
  session (practitioners rate, then work). It belongs to the course that the session ends: its t
  runs from the previous baseline, it is never in that session's healing phase (only, possibly,
  in an earlier session's), it counts for theta, and as a past course's rating it neither flags
  nor overrides the refreshed zone. A rating on the day of a zone's first session describes
  untreated skin and is ignored with the other untreated-zone ratings.
- Unlogged days: imputed unless the log is declared complete; a complete log covers the days from
  its first entry on, and days before that entry are imputed.
- Future dose: the trailing 365 days before ``as_of`` (logged days, plus imputed unlogged days as
  above), scaled to 365.25 days, when at least one of those days is logged; else the imputation.
- The sun log is passed as raw ``uv.Exposure`` entries: each is priced once per projection and
  summed into per-day prefix sums, so any interval's dose for any zone costs O(1).
- Quantiles of t* are read off the posterior of theta: t*(theta) is non-increasing, so the P10
  date is t* at theta's P90 (exact, and one pass over the grid serves every zone).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache, partial
from itertools import accumulate
from statistics import NormalDist
from typing import NamedTuple

from smptrack.domain import uv, vocabulary
from smptrack.domain.constants import constant
from smptrack.domain.refit import Rating

# 1.1: a touch-up keeps the sessions multiplier of the course that built the zone, and a rating
# on a session's day belongs to the course that session ends (FADE-MODEL §4, §6).
MODEL_VERSION = "smptrack-fade-1.1 (FADE-MODEL.md)"

# The vocabularies of the model's inputs, from the one place they are written.
SessionKind = vocabulary.SessionKind
Depth = vocabulary.Depth
Dilution = vocabulary.Dilution
PigmentBase = vocabulary.PigmentBase
Sebum = vocabulary.Sebum
Assessor = vocabulary.AssessorKind

SESSION_KINDS = vocabulary.SESSION_KINDS
DEPTHS = vocabulary.DEPTHS
DILUTIONS = vocabulary.DILUTIONS
PIGMENT_BASES = vocabulary.PIGMENT_BASES
SEBUM_TYPES = vocabulary.SEBUM
ASSESSORS = vocabulary.ASSESSOR_KINDS
PRACTITIONER_ASSESSORS = vocabulary.PRACTITIONER_ASSESSOR_KINDS

DEFAULT_THRESHOLD_DENSITY: float = constant("touch_up_threshold_density")

_DAYS_PER_YEAR = constant("days_per_year")
_HEALING = timedelta(days=constant("healing_phase_days"))
_BASELINE_DELAY = timedelta(days=constant("healed_baseline_days"))
_TRAILING_DAYS = int(constant("future_dose_trailing_days"))


@dataclass(frozen=True)
class ModelConstants:
    """The calibration constants a practice may refit (FADE-MODEL §2, §6, §10), and the label
    that a projection made with them records in ``Projection.model_version``.

    ``sigma`` is the base prior SD of theta; the larger spreads of §6 (no sun log, scar tissue)
    scale with it: the no-sun-log spread keeps its ratio to the base (0.35 / 0.30) and the scar
    term adds in quadrature as before. ValueError on a non-positive or non-finite constant.
    """

    k_bio: float = constant("k_bio_per_year")
    k_uv: float = constant("k_uv_per_effective_sed")
    sigma: float = constant("prior_sigma")
    label: str = MODEL_VERSION

    def __post_init__(self) -> None:
        for name in ("k_bio", "k_uv", "sigma"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
        if not self.label:
            raise ValueError("label must not be empty")


DEFAULT_CONSTANTS = ModelConstants()


# --- Inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientFactors:
    """What the model needs to know about the client; validated on construction (ValueError)."""

    fitzpatrick: int
    latitude_band: uv.LatitudeBand
    lifestyle: uv.Lifestyle
    sebum: Sebum = "normal"
    retinoids: bool = False
    swims_twice_weekly_or_more: bool = False
    habits: uv.Habits = field(default_factory=uv.Habits)
    usual_hair_length: uv.HairLength = "shaved"
    sun_log_complete: bool = False

    def __post_init__(self) -> None:
        uv.require_fitzpatrick(self.fitzpatrick)
        uv.require_choice("latitude_band", self.latitude_band, uv.LATITUDE_BANDS)
        uv.require_choice("lifestyle", self.lifestyle, uv.LIFESTYLES)
        uv.require_choice("sebum", self.sebum, SEBUM_TYPES)
        uv.require_choice("usual_hair_length", self.usual_hair_length, uv.HAIR_LENGTHS)


@dataclass(frozen=True)
class Placement:
    """One zone worked in one session. ``pigment_base`` None means not recorded."""

    zone: uv.Zone
    depth: Depth = "correct"
    scar_tissue: bool = False
    dilution: Dilution = "standard"
    pigment_base: PigmentBase | None = None

    def __post_init__(self) -> None:
        uv.require_choice("zone", self.zone, uv.ZONES)
        uv.require_choice("depth", self.depth, DEPTHS)
        uv.require_choice("dilution", self.dilution, DILUTIONS)
        if self.pigment_base is not None:
            uv.require_choice("pigment_base", self.pigment_base, PIGMENT_BASES)


@dataclass(frozen=True)
class TreatmentSession:
    """A treatment session and the zones it worked (``placements``, stored as a tuple)."""

    day: date
    kind: SessionKind
    placements: tuple[Placement, ...]

    def __post_init__(self) -> None:
        uv.require_choice("kind", self.kind, SESSION_KINDS)
        object.__setattr__(self, "placements", tuple(self.placements))


@dataclass(frozen=True)
class FadeAssessment:
    """A dated density rating of one zone, relative to the healed result (0..1)."""

    day: date
    zone: uv.Zone
    density: float
    assessor: Assessor

    def __post_init__(self) -> None:
        uv.require_choice("zone", self.zone, uv.ZONES)
        uv.require_range("density", self.density, 0, 1)
        uv.require_choice("assessor", self.assessor, ASSESSORS)


# --- Outputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TouchUpWindow:
    """When density crosses the threshold: posterior P10, P50 and P90, as dates and as years
    since the zone's baseline. Never before ``as_of``."""

    earliest: date
    most_likely: date
    latest: date
    earliest_years: float
    most_likely_years: float
    latest_years: float


class CurvePoint(NamedTuple):
    """Density on a date: the posterior median and the 80 % band (P10 is the faded side).

    A named tuple rather than a frozen dataclass: a projection builds hundreds of these per
    zone, and a tuple is built in a third of the time; the fields read the same."""

    day: date
    years: float
    density: float
    density_p10: float
    density_p90: float


@dataclass(frozen=True)
class ZoneProjection:
    """The projection of one treated zone as of ``Projection.as_of``.

    ``rate_per_year`` is k_bio*F_bio + k_uv*h at m = 1 with the future annual dose h
    (``annual_effective_sed``). ``due_now`` is the override or P(due now) >= 0.5.
    ``course_sessions`` is the §4 count of the sessions that built the zone (a touch-up keeps it).
    """

    zone: str
    baseline: date
    course_sessions: int
    f_bio: float
    annual_effective_sed: float
    rate_per_year: float
    density_now: float
    window: TouchUpWindow
    p_due_now: float
    due_now_override: bool
    due_now: bool
    ignored_healing_ratings: tuple[FadeAssessment, ...]
    review_reasons: tuple[str, ...]
    advisory_reasons: tuple[str, ...]
    curve: tuple[CurvePoint, ...]

    @property
    def needs_review(self) -> bool:
        return bool(self.review_reasons)

    @property
    def blur_colour_advisory(self) -> bool:
        return bool(self.advisory_reasons)


@dataclass(frozen=True)
class Projection:
    """Every treated zone (in ``uv.ZONES`` order) and the client's next touch-up.

    ``next_touch_up_on`` is the earliest zone's most likely date (``as_of`` for a zone whose
    override fired); None when nothing has been treated. ``rate_multiplier`` is m = e^theta at the
    posterior's P10, P50 and P90. Every date is an estimate, not a guarantee.
    """

    model_version: str
    as_of: date
    threshold_density: float
    prior_sigma: float
    rate_multiplier: tuple[float, float, float]
    zones: Mapping[str, ZoneProjection]
    next_touch_up_on: date | None
    next_touch_up_zone: str | None
    assumptions: tuple[str, ...]


# --- F_bio and the prior ------------------------------------------------------------------------


_DEPTH_FACTORS = {depth: constant(f"depth.{depth}") for depth in DEPTHS}
_DILUTION_FACTORS = {dilution: constant(f"dilution.{dilution}") for dilution in DILUTIONS}
# An unrecorded pigment (None) counts as carbon SMP pigment.
_PIGMENT_FACTORS = {
    base: constant(f"pigment.{base or 'carbon'}") for base in (*PIGMENT_BASES, None)
}


def f_bio(
    client: ClientFactors,
    course_placements: Sequence[Placement],
    course_sessions: int,
    scar_tissue: bool,
) -> float:
    """The product of the FADE-MODEL §4 multipliers for one zone's course, clamped to [0.5, 2.5].

    ``course_placements`` are that zone's placements in the course (at least one); placement
    factors are averaged over them. Raises ValueError if there are none.
    """
    if not course_placements or course_sessions < 1:
        raise ValueError("f_bio needs at least one session and one placement in the course")
    sessions_key = str(course_sessions) if course_sessions < 4 else "4_or_more"
    # fmean is fsum / n: written out over the factor tables read once at import.
    count = len(course_placements)
    product = (
        math.fsum([_DEPTH_FACTORS[p.depth] for p in course_placements])
        / count
        * (math.fsum([_DILUTION_FACTORS[p.dilution] for p in course_placements]) / count)
        * (math.fsum([_PIGMENT_FACTORS[p.pigment_base] for p in course_placements]) / count)
        * constant(f"course_sessions.{sessions_key}")
        * (constant("scar_tissue") if scar_tissue else 1.0)
        * constant(f"sebum.{client.sebum}")
        * (constant("retinoids") if client.retinoids else 1.0)
        * (constant("swimming") if client.swims_twice_weekly_or_more else 1.0)
    )
    return min(constant("f_bio_max"), max(constant("f_bio_min"), product))


def prior_sigma(
    has_sun_log: bool, scar_tissue: bool, base: float = constant("prior_sigma")
) -> float:
    """SD of the prior on theta = ln m: the largest that applies (FADE-MODEL §6). ``base`` is
    the practice's sigma (default the documented 0.30); the no-sun-log spread keeps its ratio."""
    candidates = [base]
    if not has_sun_log:
        candidates.append(
            base * constant("prior_sigma_no_sun_log") / constant("prior_sigma")
            if base != constant("prior_sigma")
            else constant("prior_sigma_no_sun_log")
        )
    if scar_tissue:
        candidates.append(math.hypot(base, constant("prior_sigma_scar_extra")))
    return max(candidates)


# --- The projection -----------------------------------------------------------------------------


def project(
    client: ClientFactors,
    sessions: Sequence[TreatmentSession],
    exposures: Sequence[uv.Exposure],
    assessments: Sequence[FadeAssessment],
    *,
    as_of: date,
    threshold_density: float = DEFAULT_THRESHOLD_DENSITY,
    colour_shift_zones: Collection[str] = (),
    sigma: float | None = None,
    curve_years: int = 8,
    constants: ModelConstants = DEFAULT_CONSTANTS,
) -> Projection:
    """Project every treated zone of one client as of the start of ``as_of``.

    ``exposures`` is the client's raw sun log (priced here, once per exposure);
    ``colour_shift_zones`` are zones with a recorded blowout or blue/grey shift. ``sigma``
    overrides the prior SD of theta (for refits and check cases); by default it follows
    ``prior_sigma``. The curve covers at least ``curve_years`` from each baseline and reaches
    past the latest window date. ``constants`` are the practice's calibration (default: the
    documented ones); their label becomes ``model_version``. Pure: reads no clock, changes
    nothing. Raises ValueError on a threshold outside (0, 1), an unknown zone in
    ``colour_shift_zones``, a sigma <= 0 or curve_years < 1.
    """
    if not 0 < threshold_density < 1:
        raise ValueError(
            f"threshold_density must be between 0 and 1 (exclusive); got {threshold_density!r}"
        )
    for zone in colour_shift_zones:
        uv.require_choice("colour_shift_zones item", zone, uv.ZONES)
    if sigma is not None and not sigma > 0:
        raise ValueError(f"sigma must be positive; got {sigma!r}")
    if curve_years < 1:
        raise ValueError(f"curve_years must be at least 1; got {curve_years!r}")

    past_sessions = [s for s in sessions if s.day <= as_of]
    treated = _sessions_by_zone(past_sessions)
    has_sun_log = any(e.day <= as_of for e in exposures)
    scar_anywhere = any(p.scar_tissue for s in past_sessions for p in s.placements)
    sigma_note = _sigma_note(sigma, has_sun_log, scar_anywhere, constants.sigma)
    sigma = prior_sigma(has_sun_log, scar_anywhere, constants.sigma) if sigma is None else sigma
    if not treated:
        return _empty_projection(as_of, threshold_density, sigma, constants.label)

    first_session_day = min(s.day for s in past_sessions)
    ledger = _DoseLedger(
        client, exposures, min(first_session_day, as_of - timedelta(days=_TRAILING_DAYS)), as_of
    )
    readings = _read_assessments(client, treated, ledger, assessments, as_of, constants)
    posterior = (
        _Posterior(sigma, [(r.lambda_value, r.assessment.density, r.sd) for r in readings.used])
        if readings.used
        else _PriorPosterior(sigma)  # no ratings: the prior, in closed form
    )
    zones = {
        zone: _project_zone(
            zone,
            client,
            treated[zone],
            ledger,
            posterior,
            readings,
            threshold_density=threshold_density,
            colour_shift=zone in colour_shift_zones,
            curve_years=curve_years,
            constants=constants,
        )
        for zone in uv.ZONES
        if zone in treated
    }
    next_zone = min(zones, key=lambda z: _next_touch_up(zones[z], as_of))
    return Projection(
        model_version=constants.label,
        as_of=as_of,
        threshold_density=threshold_density,
        prior_sigma=sigma,
        rate_multiplier=tuple(math.exp(posterior.quantile(q)) for q in (0.1, 0.5, 0.9)),
        zones=zones,
        next_touch_up_on=_next_touch_up(zones[next_zone], as_of),
        next_touch_up_zone=next_zone,
        assumptions=_assumptions(client, zones, ledger, readings, sigma_note, past_sessions),
    )


def healed_ratings(
    client: ClientFactors,
    sessions: Sequence[TreatmentSession],
    exposures: Sequence[uv.Exposure],
    assessments: Sequence[FadeAssessment],
    *,
    as_of: date,
) -> list[Rating]:
    """The ratings of one client that a refit uses (FADE-MODEL §10): those ``project`` lets
    inform theta (healed phase, a treated zone, on or before ``as_of``), each with its course's
    F_bio, its years since that course's baseline and the zone's cumulative effective dose H
    over them, read off the same dose ledger as the projection. Pure."""
    past_sessions = [s for s in sessions if s.day <= as_of]
    treated = _sessions_by_zone(past_sessions)
    if not treated:
        return []
    first_session_day = min(s.day for s in past_sessions)
    ledger = _DoseLedger(
        client, exposures, min(first_session_day, as_of - timedelta(days=_TRAILING_DAYS)), as_of
    )
    readings = _read_assessments(client, treated, ledger, assessments, as_of)
    return [
        Rating(
            years=max(r.years, 0.0),
            f_bio=r.f_bio,
            effective_sed=r.effective_sed,
            density=r.assessment.density,
            sd=r.sd,
        )
        for r in readings.used
    ]


def _next_touch_up(zone: ZoneProjection, as_of: date) -> date:
    return as_of if zone.due_now_override else zone.window.most_likely


def _empty_projection(
    as_of: date, threshold_density: float, sigma: float, label: str = MODEL_VERSION
) -> Projection:
    return Projection(
        model_version=label,
        as_of=as_of,
        threshold_density=threshold_density,
        prior_sigma=sigma,
        rate_multiplier=(1.0, 1.0, 1.0),
        zones={},
        next_touch_up_on=None,
        next_touch_up_zone=None,
        assumptions=("No treated zone yet: nothing to project.",),
    )


# --- Courses ------------------------------------------------------------------------------------


# What each session kind does to the §4 sessions count of the zones it treats. FADE-MODEL §4 counts
# "the sessions that built the zone: initial and build-up sessions"; §6 adds that a touch-up keeps
# the count and that "only a correction or a new initial course of a zone changes that count".
# Decided here, precisely:
# - ``initial`` starts a new initial course: the count restarts at 1, and the ``build_up``
#   sessions after it add one each. A new course needs a new ``initial`` session (the app's own
#   vocabulary: "Build-up session (of the initial series)"; protocol.series_position reads an
#   initial series the same way), so three sessions recorded as ``initial`` are three restarts.
# - ``build_up`` and ``scar`` (scar camouflage is built up over sessions like an initial course)
#   add one while the zone is being built: after an ``initial``, a ``correction``, or as the
#   zone's first recorded session. After a touch-up they are read as part of that refresh and keep
#   the count, since only a correction or a new initial course may change it.
# - ``correction`` adds one: it places new pigment where the build fell short, on top of what is
#   there, so it adds to the build rather than starting one (a zone corrected from scratch is
#   recorded as a new ``initial`` course). Build-ups after it add too: building has resumed.
# - ``touch_up`` keeps the count and ends the building. When a zone's first recorded session is a
#   touch-up, the zone was built elsewhere and its count is unknown: the reference client's
#   three (multiplier 1.0, a constants row) stands in, never a course of one.
_SESSIONS_BUILT_ELSEWHERE = int(constant("course_sessions_assumed_when_built_elsewhere"))


def building_sessions(kinds: Sequence[str]) -> int:
    """The §4 sessions count of a zone whose sessions, oldest first, were of ``kinds``.

    See the rules above; e.g. initial, build_up, build_up, touch_up -> 3. Raises ValueError on an
    unknown kind or no sessions.
    """
    count: int | None = None  # None: nothing recorded yet
    building = False
    for kind in kinds:
        uv.require_choice("kind", kind, SESSION_KINDS)
        if kind == "initial":
            count, building = 1, True
        elif kind == "touch_up":
            count, building = (_SESSIONS_BUILT_ELSEWHERE if count is None else count), False
        elif kind == "correction" or building or count is None:
            count, building = (count or 0) + 1, True
        # else: a build-up or scar session after a touch-up belongs to the refresh: count kept
    if count is None:
        raise ValueError("building_sessions needs at least one session")
    return count


@dataclass(frozen=True)
class _Course:
    """The sessions of one zone's course up to one of its sessions, and what F_bio needs.

    ``sessions_count`` is the §4 count of the sessions that built the zone (``building_sessions``
    over its whole history), not the number of sessions in this course.
    """

    zone: str
    sessions: tuple[TreatmentSession, ...]
    sessions_count: int
    scar_tissue: bool
    touch_ups: int
    too_deep: bool

    @property
    def baseline(self) -> date:
        return self.sessions[-1].day + _BASELINE_DELAY

    @property
    def placements(self) -> list[Placement]:
        return [p for s in self.sessions for p in s.placements if p.zone == self.zone]

    def f_bio(self, client: ClientFactors) -> float:
        return f_bio(client, self.placements, self.sessions_count, self.scar_tissue)


def _sessions_by_zone(sessions: Sequence[TreatmentSession]) -> dict[str, list[TreatmentSession]]:
    """Sessions treating each zone, oldest first (same-day sessions keep their input order)."""
    by_zone: dict[str, list[TreatmentSession]] = {}
    for treatment in sorted(sessions, key=lambda s: s.day):
        for zone in dict.fromkeys(p.zone for p in treatment.placements):
            by_zone.setdefault(zone, []).append(treatment)
    return by_zone


def _course(zone: str, treated: Sequence[TreatmentSession], last_index: int) -> _Course:
    """The course in effect for ``zone`` right after ``treated[last_index]``."""
    first = last_index
    while first > 0 and treated[first].kind not in ("initial", "touch_up"):
        first -= 1
    history = treated[: last_index + 1]
    zone_placements = [p for s in history for p in s.placements if p.zone == zone]
    return _Course(
        zone=zone,
        sessions=tuple(treated[first : last_index + 1]),
        sessions_count=building_sessions([s.kind for s in history]),
        scar_tissue=any(p.scar_tissue for p in zone_placements),
        touch_ups=sum(1 for s in history if s.kind == "touch_up"),
        too_deep=any(p.depth == "too_deep" for p in zone_placements),
    )


# --- Sun dose -----------------------------------------------------------------------------------


class _DoseLedger:
    """Cumulative effective SED per zone over the days [start, as_of), O(1) per interval.

    Each exposure is priced once without its zone (``uv.skin_sed``) and summed per day and hat;
    a zone's dose is then ER_z * T_hat_z per hat over prefix sums, plus the zone's imputed daily
    dose times the number of imputed days in the interval.
    """

    def __init__(
        self, client: ClientFactors, exposures: Sequence[uv.Exposure], start: date, as_of: date
    ):
        self.client = client
        self.start = start
        self.as_of = as_of
        self.days = days = (as_of - start).days
        # Sparse: only the days with an entry are kept, per hat, with the running sum up to and
        # including that day. Adding the empty days' 0.0 changes no float sum, so these are the
        # same numbers a dense per-day prefix sum gives, at the cost of the entries, not days.
        skin_by_hat: dict[str, dict[int, float]] = {hat: {} for hat in uv.HATS}
        logged: set[int] = set()
        entry_days = [e.day for e in exposures if e.day < as_of]
        self.first_entry = min(entry_days, default=None)
        fitzpatrick = client.fitzpatrick
        for exposure in exposures:
            index = (exposure.day - start).days
            if 0 <= index < days:
                slots = skin_by_hat[exposure.hat]
                slots[index] = slots.get(index, 0.0) + uv.skin_sed(exposure, fitzpatrick)
                logged.add(index)
        self.covered_from = self.first_entry if client.sun_log_complete else None
        self._covered_index = (
            days if self.covered_from is None else (self.covered_from - start).days
        )
        self._hats: list[tuple[str, list[int], list[float]]] = []
        for hat, slots in skin_by_hat.items():
            indices = sorted(slots)
            self._hats.append((hat, indices, list(accumulate(slots[i] for i in indices))))
        # The hats with at least one entry, by their position in ``_hats``.
        self._filled = [
            (position, indices, sums)
            for position, (_, indices, sums) in enumerate(self._hats)
            if indices
        ]
        self._logged = sorted(logged)
        self._daily_imputed: dict[str, float] = {}
        self._trailing_logged: bool | None = None
        self._transmissions: dict[str, tuple[float, ...]] = {}
        # Per (begin, ends) of ``sed_from``: what its zones share (see there).
        self._month_parts: dict[
            tuple[date, tuple[date, ...]], tuple[int, list[int], list[tuple[int, list[float]]]]
        ] = {}

    def daily_imputed(self, zone: str) -> float:
        if zone not in self._daily_imputed:
            c = self.client
            self._daily_imputed[zone] = uv.daily_imputed_effective_sed(
                zone, c.fitzpatrick, c.latitude_band, c.lifestyle, c.habits, c.usual_hair_length
            )
        return self._daily_imputed[zone]

    def _index(self, day: date) -> int:
        return min(max((day - self.start).days, 0), self.days)

    def _zone_transmissions(self, zone: str) -> tuple[float, ...]:
        found = self._transmissions.get(zone)
        if found is None:
            found = tuple(uv.zone_transmission(zone, hat) for hat, _, _ in self._hats)
            self._transmissions[zone] = found
        return found

    def _logged_days(self, a: int, b: int) -> int:
        """Logged days among the day indices [a, b)."""
        return bisect_left(self._logged, b) - bisect_left(self._logged, a)

    def _imputed_days(self, a: int, b: int) -> int:
        """Imputed days among [a, b): not logged, and before a complete log's first entry."""
        b = min(b, self._covered_index)
        return b - a - self._logged_days(a, b) if b > a else 0

    def sed(self, zone: str, begin: date, end: date) -> float:
        """Effective SED at ``zone`` over the days [begin, end), clipped to the ledger."""
        a, b = self._index(begin), self._index(end)
        if b <= a:
            return 0.0
        # Hats without an entry would add exactly 0.0 to the sum: left out.
        transmissions = self._zone_transmissions(zone)
        logged = sum(
            transmissions[position] * (_running(indices, sums, b) - _running(indices, sums, a))
            for position, indices, sums in self._filled
        )
        return logged + self._imputed_days(a, b) * self.daily_imputed(zone)

    def sed_from(self, zone: str, begin: date, ends: Sequence[date]) -> list[float]:
        """``[self.sed(zone, begin, end) for end in ends]`` for ascending ``ends``: the same
        operations in the same order per value (so the same floats). What does not depend on
        the zone (each hat's dose since ``begin`` and the imputed days up to each end) is
        computed once per ledger for the zones that share a baseline. Hats with no entry add
        exactly 0.0 and are skipped."""
        key = (begin, tuple(ends))
        parts = self._month_parts.get(key)
        if parts is None:
            a = self._index(begin)
            start, days = self.start, self.days
            ends_at = [min(max((end - start).days, 0), days) for end in ends]
            # ``sed`` is 0.0 up to ``begin``; ascending ends make that a prefix.
            empty = bisect_right(ends_at, a)
            parts = self._month_parts[key] = (empty, *self._parts_from(a, ends_at[empty:]))
        empty, imputed, hats = parts
        daily = self.daily_imputed(zone)
        transmissions = self._zone_transmissions(zone)
        if not hats:
            values = [count * daily for count in imputed]
        else:
            (position, doses), *others = hats
            transmission = transmissions[position]
            logged = [transmission * dose for dose in doses]
            for position, doses in others:
                transmission = transmissions[position]
                logged = [
                    total + transmission * dose for total, dose in zip(logged, doses, strict=True)
                ]
            values = [total + count * daily for total, count in zip(logged, imputed, strict=True)]
        return [0.0] * empty + values if empty else values

    def _parts_from(
        self, a: int, ends_at: Sequence[int]
    ) -> tuple[list[int], list[tuple[int, list[float]]]]:
        """For day indices ``ends_at`` (each after ``a``): the imputed days in [a, end), and per
        hat with entries (by its position in ``_hats``) the logged skin dose in [a, end)."""
        logged, covered = self._logged, self._covered_index
        logged_before_a = bisect_left(logged, a)
        imputed = []
        for b in ends_at:
            b = min(b, covered)
            imputed.append(b - a - (bisect_left(logged, b) - logged_before_a) if b > a else 0)
        hats = []
        for position, indices, sums in self._filled:
            at_a = _running(indices, sums, a)
            hats.append((position, [_running(indices, sums, b) - at_a for b in ends_at]))
        return imputed, hats

    def trailing_start(self) -> date:
        return self.as_of - timedelta(days=_TRAILING_DAYS)

    def trailing_is_logged(self) -> bool:
        if self._trailing_logged is None:
            a, b = self._index(self.trailing_start()), self._index(self.as_of)
            self._trailing_logged = self._logged_days(a, b) > 0
        return self._trailing_logged

    def annual_future_sed(self, zone: str) -> float:
        """Expected effective SED per year from now: the trailing 365 days if any is logged."""
        if self.trailing_is_logged():
            per_day = self.sed(zone, self.trailing_start(), self.as_of) / _TRAILING_DAYS
        else:
            per_day = self.daily_imputed(zone)
        return per_day * _DAYS_PER_YEAR

    def imputed_days_by_year(self, begin: date) -> dict[int, int]:
        """Imputed days from ``begin`` to ``as_of``, per calendar year (years with none left
        out), counted a year at a time rather than a day at a time."""
        counts: dict[int, int] = {}
        a = self._index(begin)
        while a < self.days:
            year = (self.start + timedelta(days=a)).year
            b = min(self.days, (date(year + 1, 1, 1) - self.start).days)
            count = self._imputed_days(a, b)
            if count:
                counts[year] = count
            a = b
        return counts


def _running(indices: list[int], sums: list[float], index: int) -> float:
    """The sum of a hat's entries on the days before day index ``index`` (0.0 if none)."""
    position = bisect_left(indices, index)
    return sums[position - 1] if position else 0.0


# --- Assessments --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reading:
    assessment: FadeAssessment
    baseline: date
    years: float
    lambda_value: float
    sd: float
    current_course: bool
    f_bio: float = 1.0
    effective_sed: float = 0.0


@dataclass
class _Readings:
    used: list[_Reading]
    healing: dict[str, list[FadeAssessment]]
    untreated: list[FadeAssessment]
    future: list[FadeAssessment]


def _read_assessments(
    client: ClientFactors,
    treated: Mapping[str, list[TreatmentSession]],
    ledger: _DoseLedger,
    assessments: Sequence[FadeAssessment],
    as_of: date,
    constants: ModelConstants = DEFAULT_CONSTANTS,
) -> _Readings:
    """Sort ratings into used (with their Lambda), healing phase, untreated zone and future."""
    readings = _Readings(used=[], healing={}, untreated=[], future=[])
    for assessment in sorted(assessments, key=lambda a: a.day):
        zone_sessions = treated.get(assessment.zone, [])
        # Sessions strictly before the rating's day: one on the same day comes after it (§6).
        last_index = bisect_left([s.day for s in zone_sessions], assessment.day) - 1
        if assessment.day > as_of:
            readings.future.append(assessment)
        elif last_index < 0:
            readings.untreated.append(assessment)
        elif assessment.day < zone_sessions[last_index].day + _HEALING:
            readings.healing.setdefault(assessment.zone, []).append(assessment)
        else:
            course = _course(assessment.zone, zone_sessions, last_index)
            years = (assessment.day - course.baseline).days / _DAYS_PER_YEAR
            factor = course.f_bio(client)
            sed = ledger.sed(assessment.zone, course.baseline, assessment.day)
            lambda_value = constants.k_bio * factor * years + constants.k_uv * sed
            readings.used.append(
                _Reading(
                    assessment=assessment,
                    baseline=course.baseline,
                    years=years,
                    lambda_value=lambda_value,
                    sd=constant(f"rating_sd.{assessment.assessor}"),
                    current_course=last_index == len(zone_sessions) - 1,
                    f_bio=factor,
                    effective_sed=sed,
                )
            )
    return readings


# --- Posterior on theta = ln m ------------------------------------------------------------------

_THETA_MIN = constant("theta_grid_min")
_THETA_STEP = constant("theta_grid_step")
_THETA_COUNT = round((constant("theta_grid_max") - _THETA_MIN) / _THETA_STEP) + 1
_THETA = tuple(_THETA_MIN + i * _THETA_STEP for i in range(_THETA_COUNT))
_M = tuple(math.exp(theta) for theta in _THETA)
_MINUS_M = tuple(-m for m in _M)


@lru_cache(maxsize=16)
def _log_prior(sigma: float) -> list[float]:
    """ln N(theta; 0, sigma^2) on the grid, up to a constant: a few sigmas serve every client
    (the practice's base and its no-sun-log and scar spreads), so each is computed once. The
    caller must not change the list."""
    half_precision = 1.0 / (2.0 * sigma * sigma)
    return [-half_precision * theta * theta for theta in _THETA]


class _Posterior:
    """Exact posterior of theta on the grid [-3, 3] step 0.001 (FADE-MODEL §6).

    Each grid point's mass is spread evenly over its cell, so the CDF is piecewise linear and
    quantiles do not jump by whole grid steps.
    """

    def __init__(self, sigma: float, observations: Sequence[tuple[float, float, float]]):
        log_density = _log_prior(sigma)
        terms = [(lam, density, 1.0 / (2.0 * sd * sd)) for lam, density, sd in observations]
        exp = math.exp  # a local name: these passes run 6,001 times per rating
        # Two ratings per pass over the grid where there are two: the same operations in the
        # same order per point as one pass each (so the same floats), with half the passes'
        # overhead. The square is a product, not ``** 2`` (the same value, or one ulp off).
        for first in range(0, len(terms) - 1, 2):
            (lam_a, density_a, weight_a), (lam_b, density_b, weight_b) = terms[first : first + 2]
            log_density = [
                log_p
                - weight_a * ((residual := density_a - exp(minus_m * lam_a)) * residual)
                - weight_b * ((residual := density_b - exp(minus_m * lam_b)) * residual)
                for log_p, minus_m in zip(log_density, _MINUS_M, strict=True)
            ]
        if len(terms) % 2:
            lam, density, weight = terms[-1]
            log_density = [
                log_p - weight * ((residual := density - exp(minus_m * lam)) * residual)
                for log_p, minus_m in zip(log_density, _MINUS_M, strict=True)
            ]
        # log_p + (-top) is log_p - top exactly; ``map`` over bound methods keeps it in C.
        self._mass = list(map(exp, map((-max(log_density)).__add__, log_density)))
        self._cumulative = list(accumulate(self._mass))
        self._total = self._cumulative[-1]

    def quantile(self, q: float) -> float:
        """The theta below which a share ``q`` of the posterior lies."""
        target = q * self._total
        index = min(bisect_left(self._cumulative, target), _THETA_COUNT - 1)
        below = self._cumulative[index - 1] if index else 0.0
        share_of_cell = (target - below) / self._mass[index] if self._mass[index] else 0.5
        return _THETA[index] + (share_of_cell - 0.5) * _THETA_STEP

    def probability_at_least(self, theta: float) -> float:
        """P(Theta >= theta) under the posterior."""
        cell_position = (theta - _THETA_MIN) / _THETA_STEP + 0.5
        if cell_position <= 0:
            return 1.0
        if cell_position >= _THETA_COUNT:
            return 0.0
        index = int(cell_position)
        below = (self._cumulative[index - 1] if index else 0.0) + self._mass[index] * (
            cell_position - index
        )
        return max(0.0, 1.0 - below / self._total)


class _PriorPosterior:
    """The posterior of a client without ratings: the prior N(0, sigma^2) itself, on the grid's
    span, in closed form (the grid's 6,001 points are not needed). Agrees with ``_Posterior``
    given no observations to the grid's resolution."""

    _LOW = _THETA_MIN - _THETA_STEP / 2
    _HIGH = _THETA_MIN + (_THETA_COUNT - 0.5) * _THETA_STEP

    def __init__(self, sigma: float):
        self._normal = NormalDist(0.0, sigma)
        self._below_low = self._normal.cdf(self._LOW)
        self._span = self._normal.cdf(self._HIGH) - self._below_low

    def quantile(self, q: float) -> float:
        target = min(max(self._below_low + q * self._span, 1e-300), 1 - 1e-16)
        return min(max(self._normal.inv_cdf(target), self._LOW), self._HIGH)

    def probability_at_least(self, theta: float) -> float:
        if theta <= self._LOW:
            return 1.0
        if theta >= self._HIGH:
            return 0.0
        return max(0.0, 1.0 - (self._normal.cdf(theta) - self._below_low) / self._span)


# --- One zone -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fading:
    """Lambda of one zone's current course at m = 1: the actual dose up to ``as_of``, then the
    expected annual dose. Nothing fades before the baseline, so if ``as_of`` precedes it the
    projection starts at the baseline."""

    zone: str
    baseline: date
    as_of: date
    f_bio: float
    annual_sed: float
    rate_per_year: float
    years_now: float
    lambda_now: float
    ledger: _DoseLedger
    k_bio: float = constant("k_bio_per_year")
    k_uv: float = constant("k_uv_per_effective_sed")

    def lambda_on(self, day: date) -> float:
        years = (day - self.baseline).days / _DAYS_PER_YEAR
        if day <= self.as_of:
            return self.k_bio * self.f_bio * years + self.k_uv * self.ledger.sed(
                self.zone, self.baseline, day
            )
        return self.lambda_now + self.rate_per_year * (years - self.years_now)

    def years_to_threshold(self, theta: float, log_threshold: float) -> float:
        """t*(theta) = t_now + (ln(1/D*)/e^theta - Lambda(t_now)) / r, never before now."""
        remaining = log_threshold / math.exp(theta) - self.lambda_now
        return self.years_now + max(0.0, remaining) / self.rate_per_year


def _fading(
    zone: str,
    course: _Course,
    client: ClientFactors,
    ledger: _DoseLedger,
    constants: ModelConstants = DEFAULT_CONSTANTS,
) -> _Fading:
    k_bio, k_uv = constants.k_bio, constants.k_uv
    factor = course.f_bio(client)
    annual_sed = ledger.annual_future_sed(zone)
    years_now = max((ledger.as_of - course.baseline).days / _DAYS_PER_YEAR, 0.0)
    return _Fading(
        zone=zone,
        baseline=course.baseline,
        as_of=ledger.as_of,
        f_bio=factor,
        annual_sed=annual_sed,
        rate_per_year=k_bio * factor + k_uv * annual_sed,
        years_now=years_now,
        lambda_now=k_bio * factor * years_now
        + k_uv * ledger.sed(zone, course.baseline, ledger.as_of),
        ledger=ledger,
        k_bio=k_bio,
        k_uv=k_uv,
    )


def _project_zone(
    zone: str,
    client: ClientFactors,
    zone_sessions: Sequence[TreatmentSession],
    ledger: _DoseLedger,
    posterior: _Posterior,
    readings: _Readings,
    *,
    threshold_density: float,
    colour_shift: bool,
    curve_years: int,
    constants: ModelConstants = DEFAULT_CONSTANTS,
) -> ZoneProjection:
    course = _course(zone, zone_sessions, len(zone_sessions) - 1)
    fading = _fading(zone, course, client, ledger, constants)
    log_threshold = math.log(1.0 / threshold_density)
    # t* falls as theta rises, so theta's P90 gives the earliest date and its P10 the latest.
    thetas = tuple(posterior.quantile(q) for q in (0.9, 0.5, 0.1))
    window_years = [fading.years_to_threshold(theta, log_threshold) for theta in thetas]
    window = TouchUpWindow(
        *(_date_at(fading.baseline, years) for years in window_years), *window_years
    )
    p_due = (
        posterior.probability_at_least(math.log(log_threshold / fading.lambda_now))
        if fading.lambda_now > 0
        else 0.0
    )
    current = [r for r in readings.used if r.assessment.zone == zone and r.current_course]
    override = _override(current, threshold_density)
    due_now = override or p_due >= constant("due_now_probability")
    months = max(curve_years * 12, _months_between(fading.baseline, window.latest) + 1)
    return ZoneProjection(
        zone=zone,
        baseline=fading.baseline,
        course_sessions=course.sessions_count,
        f_bio=fading.f_bio,
        annual_effective_sed=fading.annual_sed,
        rate_per_year=fading.rate_per_year,
        density_now=math.exp(-math.exp(thetas[1]) * fading.lambda_now),
        window=window,
        p_due_now=p_due,
        due_now_override=override,
        due_now=due_now,
        ignored_healing_ratings=tuple(readings.healing.get(zone, ())),
        review_reasons=tuple(reason for r in current for reason in _review_reasons(r)),
        advisory_reasons=_advisory_reasons(course, colour_shift),
        curve=_curve(fading, months, thetas),
    )


def _override(current: Sequence[_Reading], threshold_density: float) -> bool:
    """Due now whatever the posterior says if the latest practitioner rating is <= D*."""
    practitioner = [r for r in current if r.assessment.assessor in PRACTITIONER_ASSESSORS]
    return bool(practitioner) and practitioner[-1].assessment.density <= threshold_density


def _review_reasons(reading: _Reading) -> list[str]:
    """Why a current-course rating deserves a second look (FADE-MODEL §6), if it does."""
    rating = reading.assessment
    reasons = []
    if reading.years < constant("review_first_period_years") and rating.density < constant(
        "review_density_first_year"
    ):
        reasons.append(f"{rating.day}: {rating.density:.0%} within the first 12 months")
    expected = math.exp(-reading.lambda_value)
    if abs(rating.density - expected) > constant("review_sd_multiple") * reading.sd:
        reasons.append(
            f"{rating.day}: {rating.density:.0%} against {expected:.0%} expected "
            "at the typical rate"
        )
    return reasons


def _advisory_reasons(course: _Course, colour_shift: bool) -> tuple[str, ...]:
    reasons = []
    if course.too_deep:
        reasons.append("pigment placed too deep")
    if course.touch_ups >= 3:
        reasons.append(f"{course.touch_ups} touch-ups")
    if colour_shift:
        reasons.append("blowout or blue/grey shift recorded")
    return tuple(reasons)


def _curve(fading: _Fading, months: int, thetas: Sequence[float]) -> tuple[CurvePoint, ...]:
    """Monthly densities from the baseline: median and 80 % band (theta's P90 is the low side).

    The same arithmetic as ``fading.lambda_on`` per point, with the dose up to ``as_of`` read
    month by month from the ledger and the month dates shared by zones with one baseline."""
    # exp(-m * L) as exp((-m) * L): the same product, negated exactly.
    high, mid, low = (-math.exp(theta) for theta in thetas)
    baseline, as_of, ledger, zone = fading.baseline, fading.as_of, fading.ledger, fading.zone
    k_bio_f, k_uv = fading.k_bio * fading.f_bio, fading.k_uv
    lambda_now, rate, years_now = fading.lambda_now, fading.rate_per_year, fading.years_now
    exp, point = math.exp, _new_point
    days, years_of = _month_days(baseline, months)
    past = bisect_right(days, as_of)
    doses = ledger.sed_from(zone, baseline, days[:past])
    lambdas = [
        k_bio_f * years + k_uv * dose for years, dose in zip(years_of, doses, strict=False)
    ] + [lambda_now + rate * (years - years_now) for years in years_of[past:]]
    # Positional construction: the fields in order (day, years, density, p10, p90).
    return tuple(
        [
            point((day, years, exp(mid * value), exp(high * value), exp(low * value)))
            for day, years, value in zip(days, years_of, lambdas, strict=True)
        ]
    )


# A curve point built by ``tuple.__new__`` directly: the named tuple's own ``__new__`` is a
# Python function, called for each of the ~100 points of every zone.
_new_point = partial(tuple.__new__, CurvePoint)


@lru_cache(maxsize=4096)
def _month_days(baseline: date, months: int) -> tuple[tuple[date, ...], tuple[float, ...]]:
    """The curve's dates, and each one's years since ``baseline`` (as ``lambda_on`` has them)."""
    days = tuple(_add_months(baseline, month) for month in range(months + 1))
    return days, tuple((day - baseline).days / _DAYS_PER_YEAR for day in days)


# --- Plain-language assumptions -----------------------------------------------------------------

_BAND_LABELS = {
    "55_plus": "55° or more",
    "45_55": "45-55°",
    "35_45": "35-45°",
    "25_35": "25-35°",
    "under_25": "under 25°",
}
_LIFESTYLE_LABELS = {
    "indoor": "an indoor lifestyle",
    "average": "an average lifestyle",
    "outdoor_leisure": "an outdoor-leisure lifestyle",
    "outdoor_worker": "an outdoor-worker lifestyle",
}


def _assumptions(
    client: ClientFactors,
    zones: Mapping[str, ZoneProjection],
    ledger: _DoseLedger,
    readings: _Readings,
    sigma_note: str | None,
    sessions: Sequence[TreatmentSession],
) -> tuple[str, ...]:
    as_of = ledger.as_of
    source = (
        f"latitude {_BAND_LABELS[client.latitude_band]} and {_LIFESTYLE_LABELS[client.lifestyle]}"
    )
    # Report the imputed days the projection actually read: from the earliest baseline in use,
    # or from the start of the trailing year when that year's log sets the future dose.
    read_from = min([z.baseline for z in zones.values()] + [r.baseline for r in readings.used])
    if ledger.trailing_is_logged():
        read_from = min(read_from, ledger.trailing_start())
    imputed_by_year = ledger.imputed_days_by_year(read_from)
    notes = [
        f"{year}: {count} days not logged, imputed from {source}"
        for year, count in sorted(imputed_by_year.items())
    ]
    if imputed_by_year or not ledger.trailing_is_logged():
        notes.append(f"Unlogged days assume the client's usual habits: {_habits_text(client)}.")
    if ledger.covered_from is not None:
        notes.append(
            f"Sun log declared complete from {ledger.covered_from}: "
            "days without an entry count as no sun."
        )
    if ledger.trailing_is_logged():
        notes.append(f"Future sun projected from the 12 months before {as_of}.")
    else:
        notes.append(f"Future sun imputed from {source}, as the last 12 months have no log.")
    if sigma_note:
        notes.append(sigma_note)
    unrecorded = sorted(
        {p.zone for s in sessions for p in s.placements if p.pigment_base is None},
        key=uv.ZONES.index,
    )
    if unrecorded:
        notes.append(f"Pigment not recorded ({', '.join(unrecorded)}): assumed carbon SMP pigment.")
    built_elsewhere = [
        zone
        for zone, treated in _sessions_by_zone(sessions).items()
        if treated[0].kind == "touch_up"
    ]
    if built_elsewhere:
        names = ", ".join(sorted(built_elsewhere, key=uv.ZONES.index))
        notes.append(
            f"First recorded at a touch-up ({names}): "
            f"assumed built by {_SESSIONS_BUILT_ELSEWHERE} sessions elsewhere."
        )
    healing = sum(len(v) for v in readings.healing.values())
    if healing:
        notes.append(f"{healing} rating(s) within 28 days of a session ignored (healing phase).")
    if readings.untreated:
        notes.append(f"{len(readings.untreated)} rating(s) of zones not yet treated ignored.")
    if readings.future:
        notes.append(f"{len(readings.future)} rating(s) dated after {as_of} ignored.")
    notes.append(
        "Rates are calibration choices, not measurements: "
        "every date is an estimate, not a guarantee."
    )
    return tuple(notes)


def _sigma_note(
    sigma: float | None,
    has_sun_log: bool,
    scar_tissue: bool,
    base: float = constant("prior_sigma"),
) -> str | None:
    if sigma is not None:
        return f"Spread of the client's own fade rate set to {sigma:.2f} by the caller."
    reasons = [
        *([] if has_sun_log else ["there is no sun log"]),
        *(["a treated zone has scar tissue"] if scar_tissue else []),
    ]
    if not reasons:
        return None
    chosen = prior_sigma(has_sun_log, scar_tissue, base)
    return (
        f"The client's own fade rate is less certain because {' and '.join(reasons)} "
        f"(spread {chosen:.2f} instead of {base:.2f})."
    )


def _habits_text(client: ClientFactors) -> str:
    habits = client.habits
    parts = [f"hair {client.usual_hair_length}"]
    if habits.cap_fraction:
        parts.append(f"cap on {habits.cap_fraction:.0%} of outdoor time")
    if habits.wide_brim_fraction:
        parts.append(f"wide-brimmed hat on {habits.wide_brim_fraction:.0%} of outdoor time")
    if not habits.hat_fraction:
        parts.append("no hat")
    if habits.sunscreen_fraction and habits.sunscreen_spf is not None:
        parts.append(
            f"SPF {habits.sunscreen_spf:g} sunscreen on {habits.sunscreen_fraction:.0%} of it"
        )
    else:
        parts.append("no sunscreen")
    return ", ".join(parts)


# --- Dates --------------------------------------------------------------------------------------


def _date_at(baseline: date, years: float) -> date:
    return baseline + timedelta(days=round(years * _DAYS_PER_YEAR))


def _add_months(day: date, months: int) -> date:
    """``day`` plus calendar months, the day of month clamped to the target month's length."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(day.day, (next_month - timedelta(days=1)).day))


def _months_between(start: date, end: date) -> int:
    """Whole calendar months from ``start`` until on or after ``end``."""
    months = max(0, (end.year - start.year) * 12 + end.month - start.month)
    return months + (_add_months(start, months) < end)
