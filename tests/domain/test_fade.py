"""The fade projection (FADE-MODEL.md §1, §2, §4-§7) and its check cases (§8).

Expected figures come from the spec's check cases or from hand arithmetic on the spec's tables;
the properties at the end compare projections with each other, never with the code's own output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from itertools import pairwise

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from smptrack.domain import fade, uv
from smptrack.domain.constants import constant

# The reference client R of FADE-MODEL §5 and §8.
REFERENCE = fade.ClientFactors(
    fitzpatrick=3,
    latitude_band="45_55",
    lifestyle="average",
    habits=uv.Habits(cap_fraction=0.25),
)
LAST_SESSION = date(2025, 1, 6)
BASELINE = date(2025, 2, 3)
AS_OF = date(2025, 6, 1)  # before the window, so the clamp t* >= t_now does not bite
# §5: 4500 * 0.08 * 1.0 * 1.0 * (0.75 + 0.25 * 0.05) * 0.7 effective SED a year on R's crown.
REFERENCE_SED_PER_YEAR = 192.15
REFERENCE_RATE = 0.052 + 1.4e-4 * REFERENCE_SED_PER_YEAR  # 0.0789 per year
LN_1_OVER_0_7 = math.log(1 / 0.7)


def placement(zone: str = "crown", **overrides: object) -> fade.Placement:
    fields: dict[str, object] = {"pigment_base": "carbon", **overrides}
    return fade.Placement(zone, **fields)  # type: ignore[arg-type]


def sessions_of(
    *days: date, zones: tuple[str, ...] = ("crown",), kind: str = "initial", **overrides: object
) -> list[fade.TreatmentSession]:
    return [
        fade.TreatmentSession(day, kind, tuple(placement(z, **overrides) for z in zones))  # type: ignore[arg-type]
        for day in days
    ]


def reference_sessions(**overrides: object) -> list[fade.TreatmentSession]:
    """R's three correct-depth carbon sessions, the last on 2025-01-06: one initial course of an
    ``initial`` session and two build-ups (each ``initial`` session starts a new course)."""
    return sessions_of(date(2024, 11, 25), **overrides) + sessions_of(
        date(2024, 12, 16), LAST_SESSION, kind="build_up", **overrides
    )


def sun_matching_the_imputation(first_day: date, days: int) -> list[uv.Exposure]:
    """Log entries that give R's crown exactly the imputed daily dose on each logged day.

    One bare-headed hour at UVI u gives 0.9 * u * 0.7 effective SED on a shaved type III crown,
    so u = (192.15 / 365.25) / 0.63. With such a log sigma is 0.30, as §8 requires.
    """
    uv_index = (REFERENCE_SED_PER_YEAR / 365.25) / (0.9 * 0.7)
    return [
        uv.Exposure(first_day + timedelta(days=i), time(12, 0), 60, uv_index) for i in range(days)
    ]


def project(
    sessions: list[fade.TreatmentSession],
    exposures: list[uv.Exposure] | None = None,
    assessments: list[fade.FadeAssessment] | None = None,
    client: fade.ClientFactors = REFERENCE,
    **options: object,
) -> fade.Projection:
    options.setdefault("as_of", AS_OF)
    return fade.project(client, sessions, exposures or [], assessments or [], **options)  # type: ignore[arg-type]


def rating(
    day: date, density: float, assessor: str = "practitioner_in_person", zone: str = "crown"
) -> fade.FadeAssessment:
    return fade.FadeAssessment(day, zone, density, assessor)  # type: ignore[arg-type]


def within_days(actual: date, expected: date, days: int = 3) -> bool:
    return abs((actual - expected).days) <= days


# --- §8 check cases -----------------------------------------------------------------------------


@pytest.fixture(
    params=["log-adds-up-to-the-imputed-dose", "sigma-given"],
)
def reference_projection(request: pytest.FixtureRequest) -> fade.Projection:
    if request.param == "sigma-given":
        return project(reference_sessions(), sigma=0.30)
    return project(reference_sessions(), sun_matching_the_imputation(date(2025, 3, 1), 40))


def test_the_reference_client_fades_at_0_0789_a_year(reference_projection: fade.Projection) -> None:
    crown = reference_projection.zones["crown"]
    assert reference_projection.prior_sigma == pytest.approx(0.30)
    assert crown.baseline == BASELINE
    assert crown.f_bio == pytest.approx(1.0)
    assert crown.annual_effective_sed == pytest.approx(192.15)
    assert crown.rate_per_year == pytest.approx(0.0789, abs=0.00005)


@pytest.mark.parametrize(("months", "density"), [(12, 0.924), (36, 0.789)])
def test_the_reference_client_keeps_the_specs_density_after_one_and_three_years(
    reference_projection: fade.Projection, months: int, density: float
) -> None:
    point = reference_projection.zones["crown"].curve[months]
    assert point.years == pytest.approx(months / 12, abs=0.01)
    assert point.density == pytest.approx(density, abs=0.002)


def test_the_reference_client_is_due_at_4_52_years_within_3_08_to_6_64(
    reference_projection: fade.Projection,
) -> None:
    window = reference_projection.zones["crown"].window
    assert window.earliest_years == pytest.approx(3.08, abs=0.05)
    assert window.most_likely_years == pytest.approx(4.52, abs=0.05)
    assert window.latest_years == pytest.approx(6.64, abs=0.05)
    assert within_days(window.earliest, date(2028, 3, 3))
    assert within_days(window.most_likely, date(2029, 8, 12))
    assert within_days(window.latest, date(2031, 9, 25))
    assert reference_projection.next_touch_up_on == window.most_likely


def test_without_any_sun_log_the_window_widens_to_2_89_to_7_08_years() -> None:
    projection = project(reference_sessions())
    window = projection.zones["crown"].window
    assert projection.prior_sigma == pytest.approx(0.35)
    assert window.earliest_years == pytest.approx(2.89, abs=0.05)
    assert window.most_likely_years == pytest.approx(4.52, abs=0.05)
    assert window.latest_years == pytest.approx(7.08, abs=0.05)


def test_the_projection_names_its_model_version() -> None:
    assert fade.MODEL_VERSION
    assert project(reference_sessions()).model_version == fade.MODEL_VERSION


# --- F_bio --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client_changes", "placements", "course_sessions", "scar", "expected"),
    [
        ({}, [placement()], 3, False, 1.0),
        ({}, [placement()], 1, False, 1.3),
        ({}, [placement()], 2, False, 1.15),
        ({}, [placement()], 4, False, 0.9),
        ({}, [placement()], 7, False, 0.9),
        ({}, [placement(depth="shallow")], 3, False, 1.5),
        ({}, [placement(depth="too_deep")], 3, False, 0.7),
        ({}, [placement(dilution="light")], 3, False, 1.15),
        ({}, [placement(pigment_base="iron_oxide")], 3, False, 1.3),
        ({}, [placement(pigment_base="mixed")], 3, False, 1.3),
        ({}, [fade.Placement("crown")], 3, False, 1.0),  # pigment not recorded: carbon
        ({}, [placement()], 3, True, 1.5),
        ({"sebum": "oily"}, [placement()], 3, False, 1.2),
        ({"sebum": "dry"}, [placement()], 3, False, 1.1),
        ({"retinoids": True}, [placement()], 3, False, 1.3),
        ({"swims_twice_weekly_or_more": True}, [placement()], 3, False, 1.1),
        ({}, [placement(depth="shallow"), placement(), placement()], 3, False, 3.5 / 3),
        ({}, [placement(depth="too_deep")], 4, False, 0.7 * 0.9),
        ({"sebum": "oily", "retinoids": True}, [placement(depth="shallow")], 1, True, 2.5),
    ],
    ids=[
        "reference",
        "one-session",
        "two-sessions",
        "four-sessions",
        "seven-sessions",
        "shallow",
        "too-deep",
        "light-dilution",
        "iron-oxide",
        "mixed-pigment",
        "pigment-unknown",
        "scar",
        "oily",
        "dry",
        "retinoids",
        "swimmer",
        "depth-averaged-over-the-course",
        "deep-and-many",
        "clamped-at-2.5",
    ],
)
def test_f_bio_is_the_product_of_the_specs_multipliers(
    client_changes: dict[str, object],
    placements: list[fade.Placement],
    course_sessions: int,
    scar: bool,
    expected: float,
) -> None:
    client = replace(REFERENCE, **client_changes)
    assert fade.f_bio(client, placements, course_sessions, scar) == pytest.approx(expected)


def test_f_bio_needs_a_placement() -> None:
    with pytest.raises(ValueError, match="placement"):
        fade.f_bio(REFERENCE, [], 1, False)


# --- Courses and touch-ups ----------------------------------------------------------------------


def test_a_touch_up_resets_the_baseline_and_keeps_the_sessions_multiplier() -> None:
    # §4/§6: the touch-up refreshes a zone built by three sessions; it is not a course of one
    # (1.3). More, with hand-derived windows, in test_touch_ups.py.
    touch_up = date(2029, 3, 1)
    sessions = reference_sessions() + sessions_of(touch_up, kind="touch_up")
    crown = project(sessions, as_of=date(2029, 6, 1)).zones["crown"]
    assert crown.baseline == touch_up + timedelta(days=28)
    assert crown.course_sessions == 3
    assert crown.f_bio == pytest.approx(1.0)
    assert crown.curve[0].density == 1.0


def test_a_build_up_after_a_touch_up_resets_the_clock_but_keeps_the_count() -> None:
    # Only a correction or a new initial course changes the count (§6): a build-up that follows
    # a touch-up is read as part of that refresh.
    sessions = (
        reference_sessions()
        + sessions_of(date(2029, 3, 1), kind="touch_up")
        + sessions_of(date(2029, 3, 22), kind="build_up")
    )
    crown = project(sessions, as_of=date(2029, 6, 1)).zones["crown"]
    assert crown.course_sessions == 3
    assert crown.f_bio == pytest.approx(1.0)
    assert crown.baseline == date(2029, 3, 22) + timedelta(days=28)


def test_a_touch_up_resets_only_the_zones_it_treats() -> None:
    sessions = reference_sessions(zones=("crown", "frontal_hairline")) + sessions_of(
        date(2029, 3, 1), kind="touch_up", zones=("crown",)
    )
    zones = project(sessions, as_of=date(2029, 6, 1)).zones
    assert zones["crown"].baseline == date(2029, 3, 29)
    assert zones["frontal_hairline"].baseline == BASELINE
    assert zones["frontal_hairline"].course_sessions == 3


def test_sessions_and_ratings_after_as_of_are_not_counted() -> None:
    later = sessions_of(date(2025, 7, 1), kind="touch_up")
    projection = project(reference_sessions() + later, assessments=[rating(date(2025, 8, 1), 0.5)])
    assert projection.zones["crown"].baseline == BASELINE
    assert projection.zones["crown"].window == project(reference_sessions()).zones["crown"].window


def test_a_client_with_no_sessions_has_nothing_to_project() -> None:
    projection = project([])
    assert projection.zones == {}
    assert projection.next_touch_up_on is None


# --- Sun log and imputation ---------------------------------------------------------------------


def test_a_sunny_log_entry_raises_the_expected_annual_dose() -> None:
    # One bare-headed hour at UVI 10/0.63 gives the crown 10 effective SED; the other 364 days of
    # the trailing year are imputed. The mean day is scaled to 365.25 days.
    sunny = uv.Exposure(date(2025, 5, 1), time(12, 0), 60, 10 / 0.63)
    crown = project(reference_sessions(), [sunny]).zones["crown"]
    daily = REFERENCE_SED_PER_YEAR / 365.25
    assert crown.annual_effective_sed == pytest.approx((364 * daily + 10) / 365 * 365.25)
    assert crown.window.most_likely_years < 4.52


def test_a_complete_log_counts_days_without_entries_as_no_sun_from_its_first_entry() -> None:
    client = replace(REFERENCE, sun_log_complete=True)
    shade = uv.Exposure(date(2025, 3, 1), time(12, 0), 60, uv_index=0)
    crown = project(reference_sessions(), [shade], client=client).zones["crown"]
    # The trailing year from 2024-06-01: 273 days before the first entry are imputed, the rest 0.
    assert crown.annual_effective_sed == pytest.approx(273 * 192.15 / 365.25 / 365 * 365.25)


def test_the_assumptions_say_which_days_were_imputed_and_from_what() -> None:
    notes = project(reference_sessions()).assumptions
    # 2025-02-03 to 2025-05-31: 26 + 31 + 30 + 31 days.
    assert "2025: 118 days not logged, imputed from latitude 45-55° and an average lifestyle" in (
        notes
    )
    assert any("no sun log" in note and "0.35" in note for note in notes)
    assert any("estimate" in note for note in notes)


def test_the_assumptions_count_imputed_days_per_calendar_year() -> None:
    notes = project(reference_sessions(), as_of=date(2026, 1, 10)).assumptions
    assert "2025: 332 days not logged, imputed from latitude 45-55° and an average lifestyle" in (
        notes
    )
    assert "2026: 9 days not logged, imputed from latitude 45-55° and an average lifestyle" in (
        notes
    )


def test_logged_days_are_not_reported_as_imputed() -> None:
    exposures = sun_matching_the_imputation(date(2025, 3, 1), 40)
    notes = project(reference_sessions(), exposures).assumptions
    # The logged trailing year from 2024-06-01 sets the future dose, so its days count too:
    # 2024 has 214 of them; 2025 has 151 before June, 40 of them logged.
    assert "2024: 214 days not logged, imputed from latitude 45-55° and an average lifestyle" in (
        notes
    )
    assert "2025: 111 days not logged, imputed from latitude 45-55° and an average lifestyle" in (
        notes
    )


# --- Prior spread -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("has_sun_log", "scar", "sigma"),
    [
        (True, False, 0.30),
        (False, False, 0.35),
        (True, True, math.sqrt(0.30**2 + 0.15**2)),
        (False, True, 0.35),
    ],
)
def test_the_prior_spread_is_the_largest_that_applies(
    has_sun_log: bool, scar: bool, sigma: float
) -> None:
    exposures = sun_matching_the_imputation(date(2025, 3, 1), 1) if has_sun_log else []
    projection = project(reference_sessions(scar_tissue=scar), exposures)
    assert projection.prior_sigma == pytest.approx(sigma)
    assert fade.prior_sigma(has_sun_log, scar) == pytest.approx(sigma)


# --- Assessments --------------------------------------------------------------------------------


def test_a_rating_in_the_healing_phase_is_ignored_and_reported() -> None:
    early = rating(LAST_SESSION + timedelta(days=20), 0.5)
    projection = project(reference_sessions(), assessments=[early])
    crown = projection.zones["crown"]
    assert crown.ignored_healing_ratings == (early,)
    assert crown.window == project(reference_sessions()).zones["crown"].window
    assert not crown.due_now_override
    assert any("healing phase" in note for note in projection.assumptions)


@pytest.mark.parametrize(
    ("assessor", "density", "overrides"),
    [
        ("practitioner_in_person", 0.65, True),
        ("practitioner_photo", 0.70, True),
        ("practitioner_in_person", 0.71, False),
        ("client_self", 0.60, False),
    ],
)
def test_a_practitioner_rating_at_or_below_the_threshold_makes_the_zone_due_now(
    assessor: str, density: float, overrides: bool
) -> None:
    as_of = date(2026, 6, 1)
    projection = project(
        reference_sessions(), assessments=[rating(date(2026, 3, 1), density, assessor)], as_of=as_of
    )
    crown = projection.zones["crown"]
    assert crown.due_now_override is overrides
    if overrides:
        assert crown.due_now
        assert projection.next_touch_up_on == as_of


def test_only_the_latest_practitioner_rating_can_override() -> None:
    ratings = [rating(date(2026, 1, 5), 0.65), rating(date(2026, 3, 1), 0.9)]
    crown = project(reference_sessions(), assessments=ratings, as_of=date(2026, 6, 1)).zones[
        "crown"
    ]
    assert not crown.due_now_override


def test_a_rating_from_before_a_touch_up_cannot_override_the_new_course() -> None:
    sessions = reference_sessions() + sessions_of(date(2026, 4, 1), kind="touch_up")
    crown = project(
        sessions, assessments=[rating(date(2026, 3, 1), 0.6)], as_of=date(2026, 6, 1)
    ).zones["crown"]
    assert not crown.due_now_override


@pytest.mark.parametrize(
    ("days_after_baseline", "density", "assessor", "flagged"),
    [
        # prediction at m = 1: exp(-0.078901 * days / 365.25); review beyond 2.5 SD
        (180, 0.80, "practitioner_in_person", True),  # < 0.85 in the first 12 months
        (180, 0.90, "practitioner_in_person", False),  # 0.962 expected, 0.062 off < 0.175
        (1096, 0.99, "practitioner_in_person", True),  # 0.789 expected, 0.201 off > 0.175
        (1096, 0.99, "client_self", False),  # 0.201 off < 2.5 * 0.12
        (1096, 0.60, "practitioner_in_person", True),  # 0.189 off > 0.175
        (1096, 0.60, "practitioner_photo", False),  # 0.189 off < 2.5 * 0.10
        (400, 0.84, "practitioner_in_person", False),  # after 12 months; 0.917 expected
    ],
)
def test_a_surprising_rating_is_flagged_for_review(
    days_after_baseline: int, density: float, assessor: str, flagged: bool
) -> None:
    day = BASELINE + timedelta(days=days_after_baseline)
    crown = project(
        reference_sessions(), assessments=[rating(day, density, assessor)], as_of=date(2028, 6, 1)
    ).zones["crown"]
    assert crown.needs_review is flagged


def test_ratings_that_agree_with_the_typical_rate_narrow_the_window() -> None:
    # Ratings on the m = 1 curve, in person, at 1, 2 and 3 years.
    ratings = [
        rating(BASELINE + timedelta(days=days), math.exp(-REFERENCE_RATE * days / 365.25))
        for days in (365, 730, 1096)
    ]
    rated = project(reference_sessions(), assessments=ratings, as_of=date(2028, 3, 1))
    unrated = project(reference_sessions(), as_of=date(2028, 3, 1))
    rated_window, unrated_window = rated.zones["crown"].window, unrated.zones["crown"].window
    assert rated_window.latest_years - rated_window.earliest_years < (
        unrated_window.latest_years - unrated_window.earliest_years
    )
    # Not exactly 4.52: g(theta) = exp(-e^theta * Lambda) is concave for Lambda < 1, so a rating
    # on the m = 1 curve is likelier under slightly slower fading and the median drifts later.
    assert rated_window.most_likely_years == pytest.approx(4.52, abs=0.15)


def test_the_window_matches_a_brute_force_integration_of_the_posterior() -> None:
    # One in-person rating of 0.80 two years after R's baseline, no sun log (sigma 0.35): the
    # posterior of theta integrated independently on a finer, wider grid (FADE-MODEL §6).
    rated_on = BASELINE + timedelta(days=730)
    as_of = rated_on + timedelta(days=1)
    projection = project(reference_sessions(), assessments=[rating(rated_on, 0.80)], as_of=as_of)
    lambda_rated = REFERENCE_RATE * 730 / 365.25
    years_now = (as_of - BASELINE).days / 365.25

    def log_posterior(theta: float) -> float:
        predicted = math.exp(-math.exp(theta) * lambda_rated)
        return -(theta**2) / (2 * 0.35**2) - (0.80 - predicted) ** 2 / (2 * 0.07**2)

    thetas = [i / 10_000 for i in range(-40_000, 40_001)]
    weights = [math.exp(log_posterior(theta)) for theta in thetas]
    total, running, quantiles = sum(weights), 0.0, {}
    for theta, weight in zip(thetas, weights, strict=True):
        running += weight
        for q in (0.1, 0.5, 0.9):
            if q not in quantiles and running >= q * total:
                quantiles[q] = theta

    def years_to_threshold(theta: float) -> float:
        remaining = LN_1_OVER_0_7 / math.exp(theta) - REFERENCE_RATE * years_now
        return years_now + max(0.0, remaining) / REFERENCE_RATE

    window = projection.zones["crown"].window
    assert window.earliest_years == pytest.approx(years_to_threshold(quantiles[0.9]), abs=0.01)
    assert window.most_likely_years == pytest.approx(years_to_threshold(quantiles[0.5]), abs=0.01)
    assert window.latest_years == pytest.approx(years_to_threshold(quantiles[0.1]), abs=0.01)
    assert projection.zones["crown"].p_due_now == pytest.approx(
        sum(w for t, w in zip(thetas, weights, strict=True) if years_to_threshold(t) <= years_now)
        / total,
        abs=0.005,
    )


def test_a_rating_from_a_previous_course_still_informs_the_client_rate() -> None:
    sessions = reference_sessions() + sessions_of(date(2027, 1, 4), kind="touch_up")
    faded_fast = [rating(date(2026, 12, 1), 0.75)]
    rated = project(sessions, assessments=faded_fast, as_of=date(2027, 6, 1))
    unrated = project(sessions, as_of=date(2027, 6, 1))
    assert rated.zones["crown"].window.most_likely < unrated.zones["crown"].window.most_likely
    assert rated.rate_multiplier[1] > 1


# --- Due now and the whole client (reminder dates: test_reminder_policy.py) -----------------------


def test_half_the_posterior_is_due_on_the_most_likely_date() -> None:
    projection = project(reference_sessions(), as_of=date(2029, 8, 12))
    assert projection.zones["crown"].p_due_now == pytest.approx(0.5, abs=0.01)


def test_long_after_the_window_every_date_is_today_and_the_zone_is_due() -> None:
    as_of = date(2034, 1, 1)  # past the 7.08-year end of the no-log window
    crown = project(reference_sessions(), as_of=as_of).zones["crown"]
    assert (crown.window.earliest, crown.window.most_likely, crown.window.latest) == (as_of,) * 3
    assert crown.p_due_now > 0.95
    assert crown.due_now


def test_a_stricter_threshold_brings_the_touch_up_forward() -> None:
    crown = project(reference_sessions(), threshold_density=0.8).zones["crown"]
    assert crown.window.most_likely_years == pytest.approx(
        math.log(1 / 0.8) / REFERENCE_RATE, abs=0.05
    )


def test_the_client_is_due_when_their_fastest_zone_is() -> None:
    sessions = reference_sessions(zones=("left_temple", "crown"))
    projection = project(sessions)
    # Temple: 4500 * 0.08 * 0.5 * (0.75 + 0.25 * 0.5) * 0.7 = 110.25 effective SED a year.
    temple_rate = 0.052 + 1.4e-4 * 110.25
    assert list(projection.zones) == ["left_temple", "crown"]
    assert projection.zones["left_temple"].window.most_likely_years == pytest.approx(
        LN_1_OVER_0_7 / temple_rate, abs=0.05
    )
    assert projection.next_touch_up_zone == "crown"
    assert projection.next_touch_up_on == projection.zones["crown"].window.most_likely


@pytest.mark.parametrize(
    ("sessions", "colour_shift_zones", "reasons"),
    [
        (reference_sessions(), (), ()),
        (reference_sessions(depth="too_deep"), (), ("pigment placed too deep",)),
        (
            reference_sessions()
            + sessions_of(date(2026, 1, 5), date(2026, 9, 7), date(2027, 5, 3), kind="touch_up"),
            (),
            ("3 touch-ups",),
        ),
        (
            reference_sessions() + sessions_of(date(2026, 1, 5), date(2026, 9, 7), kind="touch_up"),
            (),
            (),
        ),
        (reference_sessions(), ("crown",), ("blowout or blue/grey shift recorded",)),
    ],
    ids=["none", "too-deep", "three-touch-ups", "two-touch-ups", "colour-shift"],
)
def test_the_blur_and_colour_advisory_has_its_own_reasons(
    sessions: list[fade.TreatmentSession], colour_shift_zones: tuple[str, ...], reasons: tuple
) -> None:
    crown = project(sessions, colour_shift_zones=colour_shift_zones, as_of=date(2027, 6, 1)).zones[
        "crown"
    ]
    assert crown.advisory_reasons == reasons
    assert crown.blur_colour_advisory is bool(reasons)


# --- Validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: replace(REFERENCE, fitzpatrick=7), "fitzpatrick"),
        (lambda: replace(REFERENCE, sebum="greasy"), "sebum"),
        (lambda: replace(REFERENCE, latitude_band="north"), "latitude_band"),
        (lambda: fade.Placement("nape"), "zone"),
        (lambda: fade.Placement("crown", depth="deep"), "depth"),
        (lambda: fade.Placement("crown", pigment_base="ink"), "pigment_base"),
        (lambda: fade.TreatmentSession(AS_OF, "tattoo", ()), "kind"),
        (lambda: rating(AS_OF, 1.2), "density"),
        (lambda: rating(AS_OF, 0.9, assessor="friend"), "assessor"),
        (lambda: project(reference_sessions(), threshold_density=1.0), "threshold_density"),
        (lambda: project(reference_sessions(), colour_shift_zones=("nape",)), "colour_shift"),
        (lambda: project(reference_sessions(), sigma=0.0), "sigma"),
    ],
)
def test_impossible_inputs_raise_a_clear_value_error(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# --- Properties ---------------------------------------------------------------------------------

FEW = settings(max_examples=50, deadline=None)
EPSILON_YEARS = 1e-9


@dataclass(frozen=True)
class History:
    client: fade.ClientFactors
    sessions: list[fade.TreatmentSession]
    exposures: list[uv.Exposure]
    as_of: date

    def project(self, **changes: object) -> fade.Projection:
        fields = {**vars(self), "assessments": [], **changes}
        return fade.project(
            fields["client"],
            fields["sessions"],
            fields["exposures"],
            fields["assessments"],
            as_of=fields["as_of"],
        )


habits_st = st.builds(
    uv.Habits,
    cap_fraction=st.sampled_from([0.0, 0.25, 0.5]),
    wide_brim_fraction=st.sampled_from([0.0, 0.25, 0.5]),
    sunscreen_fraction=st.sampled_from([0.0, 0.5, 1.0]),
    sunscreen_spf=st.sampled_from([15.0, 30.0, 50.0]),
    generous_sunscreen=st.booleans(),
)
clients_st = st.builds(
    fade.ClientFactors,
    fitzpatrick=st.integers(1, 6),
    latitude_band=st.sampled_from(uv.LATITUDE_BANDS),
    lifestyle=st.sampled_from(uv.LIFESTYLES),
    sebum=st.sampled_from(fade.SEBUM_TYPES),
    retinoids=st.booleans(),
    swims_twice_weekly_or_more=st.booleans(),
    habits=habits_st,
    usual_hair_length=st.sampled_from(uv.HAIR_LENGTHS),
    sun_log_complete=st.booleans(),
)


def days_between(first: date, last: date) -> st.SearchStrategy[date]:
    return st.integers(0, (last - first).days).map(lambda n: first + timedelta(days=n))


exposures_st = st.builds(
    uv.Exposure,
    day=days_between(date(2021, 6, 1), date(2026, 12, 31)),
    start=st.times(),
    duration_minutes=st.integers(1, 600),
    uv_index=st.floats(0, 12),
    uv_index_kind=st.sampled_from(uv.UV_INDEX_KINDS),
    hat=st.sampled_from(uv.HATS),
    spf=st.none() | st.sampled_from([15.0, 30.0, 50.0]),
    hair_length=st.sampled_from(uv.HAIR_LENGTHS),
)


@st.composite
def placements_st(draw: st.DrawFn, zone: str) -> fade.Placement:
    return fade.Placement(
        zone,  # type: ignore[arg-type]
        depth=draw(st.sampled_from(fade.DEPTHS)),
        scar_tissue=draw(st.booleans()),
        dilution=draw(st.sampled_from(fade.DILUTIONS)),
        pigment_base=draw(st.none() | st.sampled_from(fade.PIGMENT_BASES)),
    )


@st.composite
def histories(draw: st.DrawFn, min_exposures: int = 0) -> History:
    zones = draw(st.lists(st.sampled_from(uv.ZONES), min_size=1, max_size=3, unique=True))
    day = draw(days_between(date(2022, 1, 1), date(2022, 12, 31)))
    sessions = []
    for index in range(draw(st.integers(1, 4))):
        treated = (
            zones if index == 0 else draw(st.lists(st.sampled_from(zones), min_size=1, unique=True))
        )
        kind = (
            "initial"
            if index == 0
            else draw(st.sampled_from(["initial", "build_up", "correction"]))
        )
        sessions.append(
            fade.TreatmentSession(day, kind, tuple(draw(placements_st(z)) for z in treated))
        )
        day += timedelta(days=draw(st.integers(7, 60)))
    as_of = sessions[-1].day + timedelta(days=draw(st.integers(0, 5 * 365)))
    exposures = draw(st.lists(exposures_st, min_size=min_exposures, max_size=25))
    return History(draw(clients_st), sessions, exposures, as_of)


def windows(projection: fade.Projection) -> dict[str, tuple[float, float, float]]:
    return {
        zone: (z.window.earliest_years, z.window.most_likely_years, z.window.latest_years)
        for zone, z in projection.zones.items()
    }


def no_later(after: dict, before: dict) -> bool:
    return all(
        new <= old + EPSILON_YEARS
        for zone in before
        for new, old in zip(after[zone], before[zone], strict=True)
    )


@FEW
@given(history=histories())
def test_density_never_rises_between_sessions(history: History) -> None:
    for zone in history.project().zones.values():
        for band in ("density", "density_p10", "density_p90"):
            densities = [getattr(point, band) for point in zone.curve]
            assert all(b <= a for a, b in pairwise(densities)), (zone.zone, band)


@FEW
@given(history=histories())
def test_the_window_is_ordered_and_never_before_today_or_the_baseline(history: History) -> None:
    for zone in history.project().zones.values():
        window = zone.window
        assert window.earliest_years <= window.most_likely_years <= window.latest_years
        assert window.earliest <= window.most_likely <= window.latest
        assert window.earliest >= max(history.as_of, zone.baseline)


@FEW
@given(history=histories(min_exposures=1), extra=exposures_st, pick=st.integers(0, 24))
def test_more_logged_sun_never_moves_the_window_later(
    history: History, extra: uv.Exposure, pick: int
) -> None:
    # On a day that is already logged, so no imputed day is replaced by a smaller logged one.
    logged_day = history.exposures[pick % len(history.exposures)].day
    sunnier = [*history.exposures, replace(extra, day=logged_day)]
    assert no_later(windows(history.project(exposures=sunnier)), windows(history.project()))


@FEW
@given(history=histories(min_exposures=1), spf=st.sampled_from([15.0, 30.0, 50.0]))
def test_more_protection_never_moves_the_window_earlier(history: History, spf: float) -> None:
    better_hat = {"none": "cap", "cap": "wide_brim", "wide_brim": "wide_brim"}
    protected = [
        replace(e, hat=better_hat[e.hat], spf=e.spf or spf, sunscreen_applied_at=e.start)
        for e in history.exposures
    ]
    habits = history.client.habits
    more_careful = replace(
        history.client,
        habits=replace(habits, cap_fraction=1 - habits.wide_brim_fraction),
    )
    before = windows(history.project())
    assert no_later(before, windows(history.project(exposures=protected)))
    assert no_later(before, windows(history.project(client=more_careful)))


@FEW
@given(
    history=histories(),
    days_later=st.integers(1, 3 * 365),
    data=st.data(),
)
def test_a_touch_up_restores_the_zones_it_treats(
    history: History, days_later: int, data: st.DataObject
) -> None:
    treated = sorted({p.zone for s in history.sessions for p in s.placements})
    touched = data.draw(st.lists(st.sampled_from(treated), min_size=1, unique=True))
    day = history.sessions[-1].day + timedelta(days=days_later)
    touch_up = fade.TreatmentSession(day, "touch_up", tuple(fade.Placement(z) for z in touched))
    before = history.project(as_of=day + timedelta(days=60))
    after = history.project(sessions=[*history.sessions, touch_up], as_of=day + timedelta(days=60))
    for zone in treated:
        if zone in touched:
            assert after.zones[zone].baseline == day + timedelta(days=28)
            # A touch-up keeps the count of the course that built the zone (§4, §6).
            assert after.zones[zone].course_sessions == before.zones[zone].course_sessions
            assert after.zones[zone].curve[0].day == day + timedelta(days=28)
            assert after.zones[zone].curve[0].density == 1.0
        else:
            assert after.zones[zone].baseline == before.zones[zone].baseline


@st.composite
def single_zone_histories(draw: st.DrawFn) -> tuple[History, str]:
    zone = draw(st.sampled_from(uv.ZONES))
    sessions = [
        fade.TreatmentSession(date(2022, 3, 1), "initial", (draw(placements_st(zone)),)),
        fade.TreatmentSession(date(2022, 3, 22), "build_up", (draw(placements_st(zone)),)),
    ]
    as_of = date(2026, 5, 1) + timedelta(days=draw(st.integers(0, 3 * 365)))
    return History(draw(clients_st), sessions, [], as_of), zone


@FEW
@given(
    case=single_zone_histories(),
    months=st.integers(1, 48),
    assessor=st.sampled_from(fade.ASSESSORS),
    below=st.booleans(),
    sds_off=st.floats(0.5, 3),
)
def test_a_rating_below_the_prediction_moves_the_window_earlier_and_above_later(
    case: tuple[History, str], months: int, assessor: str, below: bool, sds_off: float
) -> None:
    # The prediction is the unrated median curve (m = 1). A rating exactly on it still nudges the
    # window a little, as the likelihood is skewed in theta = ln m; half a rating SD dominates that
    # nudge (at most about 0.3 SD for densities above 0.02), hence the 0.5 SD floor.
    history, zone = case
    unrated = history.project().zones[zone]
    point = unrated.curve[months]
    sd = constant(f"rating_sd.{assessor}")
    density = point.density + (-sds_off if below else sds_off) * sd
    assume(0 <= density <= 1)
    rated = history.project(assessments=[rating(point.day, density, assessor, zone)]).zones[zone]
    before, after = unrated.window.most_likely_years, rated.window.most_likely_years
    today = (history.as_of - unrated.baseline).days / 365.25
    if below:
        assert after <= before + EPSILON_YEARS
        if before > today + 1e-6:
            assert after < before
    else:
        assert after >= before - EPSILON_YEARS
        if after > today + 1e-6:
            assert after > before


@FEW
@given(
    case=single_zone_histories(),
    months=st.integers(1, 48),
    assessor=st.sampled_from(fade.ASSESSORS),
    densities=st.tuples(st.floats(0, 1), st.floats(0, 1)),
)
def test_a_lower_rating_never_gives_a_later_window_than_a_higher_one(
    case: tuple[History, str], months: int, assessor: str, densities: tuple[float, float]
) -> None:
    history, zone = case
    day = history.project().zones[zone].curve[months].day
    low, high = sorted(densities)
    by_density = {
        d: windows(history.project(assessments=[rating(day, d, assessor, zone)]))
        for d in (low, high)
    }
    assert no_later(by_density[low], by_density[high])


@FEW
@given(
    history=histories(),
    days_after=st.integers(1, 27),  # day 0 is before the session (§6 "Order within a day")
    density=st.floats(0, 1),
    assessor=st.sampled_from(fade.ASSESSORS),
    data=st.data(),
)
def test_a_healing_phase_rating_changes_nothing(
    history: History, days_after: int, density: float, assessor: str, data: st.DataObject
) -> None:
    session = data.draw(st.sampled_from(history.sessions))
    zone = data.draw(st.sampled_from([p.zone for p in session.placements]))
    day = session.day + timedelta(days=days_after)
    assume(day <= history.as_of)
    early = rating(day, density, assessor, zone)
    rated = history.project(assessments=[early])
    unrated = history.project()
    assert early in rated.zones[zone].ignored_healing_ratings
    assert windows(rated) == windows(unrated)
    assert [z.curve for z in rated.zones.values()] == [z.curve for z in unrated.zones.values()]


@FEW
@given(
    history=histories(),
    density=st.floats(0, 1),
    assessor=st.sampled_from(fade.ASSESSORS),
    data=st.data(),
)
def test_a_rating_on_a_sessions_day_is_read_as_before_that_session(
    history: History, density: float, assessor: str, data: st.DataObject
) -> None:
    # §6: it belongs to the course the session ends, so it is exactly as if rated the day before
    # (same t from the previous baseline, give or take one day's fade, and the same sessions):
    # never in the healing phase of that day's session, and never the current course's rating.
    session = data.draw(st.sampled_from(history.sessions))
    zone = data.draw(st.sampled_from([p.zone for p in session.placements]))
    assume(session.day <= history.as_of)
    same_day = rating(session.day, density, assessor, zone)
    projected = history.project(assessments=[same_day]).zones[zone]
    earlier = [
        s.day
        for s in history.sessions
        if s.day < session.day and zone in {p.zone for p in s.placements}
    ]
    if not earlier or session.day >= max(earlier) + timedelta(days=28):
        assert same_day not in projected.ignored_healing_ratings
    assert not projected.due_now_override
    assert projected.review_reasons == ()
