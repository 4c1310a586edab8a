"""Touch-ups and same-day ratings (FADE-MODEL §4 and §6), with expected numbers derived by hand.

The client is the reference client R of §5 with no sun log at all, so every day is imputed:
h = 4500 * 0.08 * 1.0 (crown) * 1.0 (shaved) * (0.75 + 0.25 * 0.05) (cap 25 %) * 0.7 (type III)
  = 192.15 effective SED a year on the crown, and with no log the prior SD is sigma = 0.35 (§6).

R's course: initial 2024-11-25, build-ups 2024-12-16 and 2025-01-06 (baseline 2025-02-03), three
sessions, so the sessions multiplier is 1.0 and F_bio = 1.0 (§4). The crown is touched up on
2029-03-01: the new baseline is 2029-03-01 + 28 days = 2029-03-29, Lambda restarts at 0, and the
touch-up keeps the count of three (§4, §6): still 1.0, not the 1.3 of a course of one.

    r    = k_bio * F_bio + k_uv * h = 0.052 * 1.0 + 1.4e-4 * 192.15 = 0.078901 a year
    L    = ln(1 / D*) = ln(1 / 0.7) = 0.356675
    t*(theta) = L / (e^theta * r)     (§6; with every day imputed Lambda(t) = r * t, and t_now =
                                       64 days = 0.1752 y is far before any t*, so no clamp)
    t*(0) = 0.356675 / 0.078901 = 4.52054 y = 1651.1 days -> 2029-03-29 + 1651 = 2033-10-05

(Under the old rule, a course of one: r = 0.052 * 1.3 + 0.026901 = 0.094501, t*(0) = 3.774 y.)
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from smptrack.domain import fade, uv

R = fade.ClientFactors(
    fitzpatrick=3, latitude_band="45_55", lifestyle="average", habits=uv.Habits(cap_fraction=0.25)
)
OLD_BASELINE = date(2025, 2, 3)
TOUCH_UP = date(2029, 3, 1)
NEW_BASELINE = date(2029, 3, 29)
AS_OF = date(2029, 6, 1)
RATE = 0.052 + 1.4e-4 * 192.15  # 0.078901 a year
LN_1_OVER_D_STAR = math.log(1 / 0.7)  # 0.356675
SIGMA = 0.35  # no sun log
Z_90 = 1.2815516  # the standard normal's 90 % point


def crown(kind: str, day: date) -> fade.TreatmentSession:
    return fade.TreatmentSession(day, kind, (fade.Placement("crown", pigment_base="carbon"),))  # type: ignore[arg-type]


COURSE = [
    crown("initial", date(2024, 11, 25)),
    crown("build_up", date(2024, 12, 16)),
    crown("build_up", date(2025, 1, 6)),
]
TOUCHED_UP = [*COURSE, crown("touch_up", TOUCH_UP)]


def project(
    sessions: list[fade.TreatmentSession],
    assessments: list[fade.FadeAssessment] = (),  # type: ignore[assignment]
    as_of: date = AS_OF,
) -> fade.Projection:
    return fade.project(R, sessions, [], list(assessments), as_of=as_of)


def years_to_threshold(theta: float) -> float:
    return LN_1_OVER_D_STAR / (math.exp(theta) * RATE)


# --- A touch-up of a three-session zone, no rating ----------------------------------------------


def test_a_touch_up_of_a_three_session_zone_keeps_the_sessions_multiplier_at_1_0() -> None:
    """No rating: the posterior is the prior, theta ~ N(0, 0.35^2), so

    most likely t*(0)              = 4.52054 y -> 2029-03-29 + 1651 d = 2033-10-05
    earliest    t*(+1.28155 * 0.35) = 4.52054 * e^-0.448543 = 4.52054 * 0.638558 = 2.88662 y
    latest      t*(-1.28155 * 0.35) = 4.52054 * e^+0.448543 = 4.52054 * 1.566029 = 7.07929 y
    """
    zone = project(TOUCHED_UP).zones["crown"]
    assert zone.baseline == NEW_BASELINE
    assert zone.course_sessions == 3
    assert zone.f_bio == pytest.approx(1.0)
    assert zone.rate_per_year == pytest.approx(0.078901, abs=1e-6)
    assert zone.curve[0].day == NEW_BASELINE and zone.curve[0].density == 1.0
    window = zone.window
    assert window.most_likely_years == pytest.approx(4.52054, abs=0.002)
    assert window.earliest_years == pytest.approx(2.88662, abs=0.002)
    assert window.latest_years == pytest.approx(7.07929, abs=0.002)
    assert abs((window.most_likely - date(2033, 10, 5)).days) <= 1
    # Hand check of the factors above against the formula, independent of the code under test.
    assert years_to_threshold(SIGMA * Z_90) == pytest.approx(2.88662, abs=1e-4)


def test_the_same_zone_before_its_touch_up_ran_from_the_old_baseline() -> None:
    """The day before the touch-up the crown is 1486 days past 2025-02-03: t = 4.0684 y,
    density at m = 1 = exp(-0.078901 * 4.0684) = exp(-0.32100) = 0.7254."""
    zone = project(TOUCHED_UP, as_of=TOUCH_UP - timedelta(days=1)).zones["crown"]
    assert zone.baseline == OLD_BASELINE
    assert zone.course_sessions == 3
    assert math.exp(-zone.rate_per_year * 1486 / 365.25) == pytest.approx(0.7254, abs=0.0005)


# --- The same touch-up with a rating on its day -------------------------------------------------

# The rating: 70 % by the practitioner in person (s = 0.07) on 2029-03-01, the touch-up's day.
# It describes the scalp before the touch-up, so its t runs from the OLD baseline 2025-02-03:
#   2025-02-03 -> 2029-02-03 = 4 * 365 + 1 (29 Feb 2028) = 1461 days, -> 2029-03-01 = +26: 1487 d
#   t = 1487 / 365.25 = 4.071184 y;   Lambda = r * t = 0.078901 * 4.071184 = 0.321220
# The rating alone is best fitted where exp(-e^theta * 0.321220) = 0.70:
#   theta_hat = ln(L / Lambda) = ln(0.356675 / 0.321220) = ln(1.110378) = 0.104697
# Linearised there (slope of exp(-e^theta * Lambda) = -L * 0.70 = -0.249672) the rating is worth
# theta ~ N(0.104697, (0.07 / 0.249672)^2 = 0.280367^2); combined with the prior N(0, 0.35^2):
#   mean = 0.104697 * 0.1225 / (0.1225 + 0.078606) = 0.0638, SD = 0.2188.
# The likelihood is skewed in theta, so the exact posterior median sits lower than that (0.043 by
# the integration below); what holds exactly is 0 < median < theta_hat: the prior's pull.
RATING_DENSITY = 0.70
RATING_SD = 0.07
RATING_LAMBDA = RATE * 1487 / 365.25  # 0.321220
THETA_HAT = math.log(LN_1_OVER_D_STAR / RATING_LAMBDA)  # 0.104697


def posterior_quantiles_by_integration() -> dict[float, float]:
    """Posterior quantiles of theta, integrated independently: step 1e-4 on [-6, 6], plain math."""

    def log_posterior(theta: float) -> float:
        predicted = math.exp(-math.exp(theta) * RATING_LAMBDA)
        return -(theta**2) / (2 * SIGMA**2) - (RATING_DENSITY - predicted) ** 2 / (2 * RATING_SD**2)

    thetas = [i / 10_000 for i in range(-60_000, 60_001)]
    weights = [math.exp(log_posterior(theta)) for theta in thetas]
    total, running, quantiles = sum(weights), 0.0, {}
    for theta, weight in zip(thetas, weights, strict=True):
        running += weight
        for q in (0.1, 0.5, 0.9):
            if q not in quantiles and running >= q * total:
                quantiles[q] = theta
    return quantiles


def same_day_rating() -> fade.FadeAssessment:
    return fade.FadeAssessment(TOUCH_UP, "crown", RATING_DENSITY, "practitioner_in_person")


def test_a_rating_on_the_touch_ups_day_counts_from_the_old_baseline_and_moves_the_posterior() -> (
    None
):
    """The integration gives theta's P10, P50, P90 = -0.266, 0.043, 0.319, so

    most likely t*(0.043)  = 4.52054 * e^-0.043 = 4.331 y (was 4.521 without the rating)
    earliest    t*(0.319)  = 3.288 y;  latest t*(-0.266) = 5.898 y (was 2.887-7.079)
    most likely date: 2029-03-29 + round(4.331 * 365.25) = + 1582 days = 2033-07-28
    """
    quantiles = posterior_quantiles_by_integration()
    assert 0 < quantiles[0.5] < THETA_HAT  # between the prior's median and the rating's own fit
    assert quantiles[0.5] == pytest.approx(0.043, abs=0.001)

    projection = project(TOUCHED_UP, [same_day_rating()])
    zone = projection.zones["crown"]
    # The touch-up itself is unchanged by the rating: same baseline, same count of three.
    assert zone.baseline == NEW_BASELINE and zone.course_sessions == 3
    assert zone.f_bio == pytest.approx(1.0)
    # Used, not ignored: the rating is not in the touch-up's healing phase.
    assert zone.ignored_healing_ratings == ()
    assert not any("healing phase" in note for note in projection.assumptions)
    # The posterior moved exactly as integrated (grid step 0.001 against 0.0001 here).
    assert math.log(projection.rate_multiplier[1]) == pytest.approx(quantiles[0.5], abs=0.002)
    window = zone.window
    assert window.most_likely_years == pytest.approx(years_to_threshold(quantiles[0.5]), abs=0.01)
    assert window.earliest_years == pytest.approx(years_to_threshold(quantiles[0.9]), abs=0.01)
    assert window.latest_years == pytest.approx(years_to_threshold(quantiles[0.1]), abs=0.01)
    assert window.most_likely_years == pytest.approx(4.331, abs=0.01)
    assert abs((window.most_likely - date(2033, 7, 28)).days) <= 4
    # 70 % <= D* by a practitioner, but of the course the touch-up ended: it neither makes the
    # refreshed zone due now nor flags it for review.
    assert not zone.due_now_override and not zone.due_now
    assert zone.review_reasons == ()


def test_the_same_day_rating_brings_the_window_forward_and_narrows_it() -> None:
    # A guard on the derivation: Lambda from the old baseline (0.3212) is what sets theta_hat;
    # the same 70 % read at t = 0 of the new course (Lambda 0) would carry no information on m.
    assert math.isclose(RATING_LAMBDA, 0.321220, abs_tol=1e-6)
    assert math.isclose(THETA_HAT, 0.104697, abs_tol=1e-6)
    unrated = project(TOUCHED_UP).zones["crown"].window
    rated = project(TOUCHED_UP, [same_day_rating()]).zones["crown"].window
    assert rated.most_likely < unrated.most_likely
    assert rated.latest_years - rated.earliest_years < unrated.latest_years - unrated.earliest_years


# --- Same-day ratings elsewhere in the history --------------------------------------------------


def test_a_rating_on_a_build_ups_day_is_in_the_previous_sessions_healing_phase() -> None:
    # 2024-12-16 is 21 days after the initial session: inside its 28-day healing phase, so the
    # rating is ignored, though not because of the build-up done that day.
    early = fade.FadeAssessment(date(2024, 12, 16), "crown", 0.5, "practitioner_in_person")
    zone = project(COURSE, [early]).zones["crown"]
    assert zone.ignored_healing_ratings == (early,)
    assert zone.window == project(COURSE).zones["crown"].window


def test_a_rating_on_the_day_of_a_zones_first_session_describes_untreated_skin() -> None:
    before = fade.FadeAssessment(date(2024, 11, 25), "crown", 0.2, "practitioner_in_person")
    projection = project(COURSE, [before])
    assert projection.zones["crown"].ignored_healing_ratings == ()
    assert projection.zones["crown"].window == project(COURSE).zones["crown"].window
    assert any("not yet treated" in note for note in projection.assumptions)


def test_a_rating_the_day_after_the_touch_up_is_in_its_healing_phase() -> None:
    after = fade.FadeAssessment(TOUCH_UP + timedelta(days=1), "crown", 0.7, "client_self")
    zone = project(TOUCHED_UP, [after]).zones["crown"]
    assert zone.ignored_healing_ratings == (after,)


# --- The sessions count -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kinds", "count"),
    [
        (["initial"], 1),
        (["initial", "build_up"], 2),
        (["initial", "build_up", "build_up"], 3),
        (["initial", "build_up", "build_up", "build_up", "build_up"], 5),
        (["initial", "build_up", "build_up", "touch_up"], 3),
        (["initial", "build_up", "build_up", "touch_up", "touch_up"], 3),
        (["initial", "build_up", "build_up", "touch_up", "build_up"], 3),  # part of the refresh
        (["initial", "build_up", "build_up", "correction"], 4),
        (["initial", "build_up", "build_up", "touch_up", "correction"], 4),
        (["initial", "build_up", "build_up", "touch_up", "correction", "build_up"], 5),
        (["initial", "build_up", "build_up", "touch_up", "initial"], 1),  # a new initial course
        (["initial", "build_up", "touch_up", "initial", "build_up", "build_up"], 3),
        (["initial", "initial", "initial"], 1),  # each initial session starts a course
        (["scar", "scar", "correction"], 3),
        (["build_up"], 1),
        (["correction"], 1),
        (["touch_up"], 3),  # built elsewhere: the reference course, never a course of one
        (["touch_up", "correction"], 4),
    ],
)
def test_the_sessions_count_follows_the_kinds_of_the_zones_sessions(
    kinds: list[str], count: int
) -> None:
    assert fade.building_sessions(kinds) == count


def test_the_sessions_count_refuses_nothing_and_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="at least one"):
        fade.building_sessions([])
    with pytest.raises(ValueError, match="kind"):
        fade.building_sessions(["tattoo"])


def test_a_correction_after_a_touch_up_makes_four_sessions_and_0_9() -> None:
    sessions = [*TOUCHED_UP, crown("correction", date(2029, 9, 3))]
    zone = project(sessions, as_of=date(2030, 1, 1)).zones["crown"]
    assert zone.course_sessions == 4
    assert zone.f_bio == pytest.approx(0.9)
    assert zone.baseline == date(2029, 10, 1)


def test_a_zone_first_recorded_at_a_touch_up_is_assumed_built_by_three_sessions() -> None:
    projection = project([crown("touch_up", TOUCH_UP)])
    assert projection.zones["crown"].course_sessions == 3
    assert projection.zones["crown"].f_bio == pytest.approx(1.0)
    assert "First recorded at a touch-up (crown): assumed built by 3 sessions elsewhere." in (
        projection.assumptions
    )
    assert not any("First recorded" in note for note in project(TOUCHED_UP).assumptions)
