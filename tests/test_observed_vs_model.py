"""The latest observed rating against the model (issue 10 item 5).

Expected values come from FADE-MODEL.md §6: a rating's measurement SD is 0.07 for a practitioner
in person, 0.10 from the client's photo and 0.12 for the client's own rating; ratings within 28
days of a session are ignored (healing); a rating dated on a session's day describes the scalp
before it; the latest practitioner rating at or below D* makes the zone due now; a rating below
0.85 in the first 12 months is flagged for review. The hand-made projections below have a
straight-line curve, so the model's density on any day is plain arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta

import pytest

from smptrack import observed
from smptrack.domain import fade, uv

BASELINE = date(2025, 2, 1)  # so the last session was 2025-01-04 (baseline = session + 28 days)
LAST_SESSION = date(2025, 1, 4)
YEAR_LATER = date(2026, 2, 1)


def zone_projection(
    *,
    zone: str = "crown",
    density_now: float = 0.9,
    review: tuple[str, ...] = (),
    override: bool = False,
    due_now: bool = False,
) -> fade.ZoneProjection:
    """A zone whose median falls in a straight line from 100 % at the baseline to 90 % a year
    later (365 days)."""
    curve = (
        fade.CurvePoint(BASELINE, 0.0, 1.0, 1.0, 1.0),
        fade.CurvePoint(YEAR_LATER, 1.0, 0.9, 0.85, 0.95),
    )
    window = fade.TouchUpWindow(date(2027, 1, 1), date(2028, 1, 1), date(2029, 1, 1), 1.9, 2.9, 3.9)
    return fade.ZoneProjection(
        zone=zone,
        baseline=BASELINE,
        course_sessions=3,
        f_bio=1.0,
        annual_effective_sed=0.0,
        rate_per_year=0.05,
        density_now=density_now,
        window=window,
        p_due_now=0.0,
        due_now_override=override,
        due_now=due_now or override,
        ignored_healing_ratings=(),
        review_reasons=review,
        advisory_reasons=(),
        curve=curve,
    )


MID_YEAR = BASELINE + timedelta(days=365 // 2)  # 182 days: the model says 1 - 0.1 * 182/365


def model_at_mid_year() -> float:
    return 1.0 - 0.1 * 182 / 365  # 0.95014


def rating(density: float, assessor: str = "practitioner_in_person", day: date = MID_YEAR):
    return observed.Rating(day=day, zone="crown", density=density, assessor=assessor)


def test_the_uncertainty_of_each_kind_of_rating_is_fade_model_section_6() -> None:
    assert observed.rating_uncertainty("practitioner_in_person") == pytest.approx(0.07)
    assert observed.rating_uncertainty("practitioner_photo") == pytest.approx(0.10)
    assert observed.rating_uncertainty("client_self") == pytest.approx(0.12)


def test_the_model_density_on_a_day_is_read_between_curve_points() -> None:
    curve = zone_projection().curve
    assert observed.model_density_on(curve, MID_YEAR) == pytest.approx(model_at_mid_year())
    assert observed.model_density_on(curve, BASELINE) == pytest.approx(1.0)
    assert observed.model_density_on(curve, BASELINE - timedelta(days=1)) is None
    assert observed.model_density_on(curve, YEAR_LATER + timedelta(days=1)) is None


def test_the_latest_rating_of_each_zone_wins_and_a_same_day_tie_goes_to_the_later_record() -> None:
    early = observed.Rating(date(2025, 3, 1), "crown", 0.95, "client_self")
    later = observed.Rating(date(2025, 9, 1), "crown", 0.90, "client_self")
    same_day_second = observed.Rating(date(2025, 9, 1), "crown", 0.80, "practitioner_in_person")
    other_zone = observed.Rating(date(2025, 4, 1), "occipital", 0.97, "client_self")
    future = observed.Rating(date(2026, 1, 1), "crown", 0.50, "client_self")
    latest = observed.latest_ratings(
        [early, later, same_day_second, other_zone, future], as_of=date(2025, 12, 1)
    )
    assert latest == {"crown": same_day_second, "occipital": other_zone}


@pytest.mark.parametrize(
    ("density", "assessor", "status"),
    [
        # the model says 0.950; practitioner in person, s = 0.07: the edge is 0.880
        (0.87, "practitioner_in_person", "below"),
        (0.89, "practitioner_in_person", "agrees"),
        (1.00, "practitioner_in_person", "agrees"),  # 0.05 above
        # from a photo, s = 0.10
        (0.84, "practitioner_photo", "below"),
        (0.86, "practitioner_photo", "agrees"),
        # the client's own, s = 0.12: the edge is 0.950 - 0.12 = 0.830
        (0.84, "client_self", "agrees"),
        (0.82, "client_self", "below"),
    ],
)
def test_a_rating_disagrees_only_beyond_its_own_uncertainty(
    density: float, assessor: str, status: str
) -> None:
    result = observed.compare_zone(zone_projection(), rating(density, assessor), 0.70)
    assert result.status == status
    assert result.model_then_pct == 95
    assert result.disagrees is (status != "agrees")


def test_a_rating_above_the_model_says_slower() -> None:
    flat = replace(
        zone_projection(review=("a reason",)),
        curve=(
            fade.CurvePoint(BASELINE, 0.0, 1.0, 1.0, 1.0),
            fade.CurvePoint(YEAR_LATER, 1.0, 0.7, 0.6, 0.8),
        ),
    )
    # Model at mid-year: 1 - 0.3 * 182/365 = 0.850; a practitioner's 0.95 is 0.10 above (> 0.07).
    result = observed.compare_zone(flat, rating(0.95), 0.70)
    assert result.status == "above"
    assert "well above the 85 %" in result.summary
    assert "fading more slowly than the model expects" in result.summary
    assert result.flag_text is not None and "slower than the model expects" in result.flag_text


def test_the_words_of_a_rating_well_below_the_model() -> None:
    zone = zone_projection(review=("2025-08-02: 80% within the first 12 months",), override=False)
    result = observed.compare_zone(zone, rating(0.80), 0.70)
    assert result.summary == (
        "Rated 80 % on 2 August 2025, well below the 95 % the model expected for that day. "
        "The gap (15 points) is more than a practitioner's rating in person is usually off by "
        "(about 7 points): this zone is fading faster than the model expects."
    )
    assert result.flag_text == (
        "Review flag: faster than the model expects: check depth and aftercare at the next visit."
    )
    assert result.rated_by == "practitioner, in person"
    assert result.rated_on == "2 August 2025"
    assert result.rating_pct == 80
    assert result.due_text is None


def test_agreement_is_said_with_the_size_of_the_uncertainty() -> None:
    result = observed.compare_zone(zone_projection(), rating(0.90, "client_self"), 0.70)
    assert result.summary == (
        "Rated 90 % on 2 August 2025; the model expected 95 % for that day. That agrees: a "
        "client's own rating is usually within about 12 points."
    )
    assert result.flag_text is None


def test_a_practitioner_rating_at_the_threshold_says_due_now_in_words() -> None:
    zone = zone_projection(override=True)
    result = observed.compare_zone(zone, rating(0.70), 0.70)
    assert result.due_text is not None
    assert "due for a touch-up now" in result.due_text.lower()
    assert "70 % touch-up level" in result.due_text


def test_healing_phase_and_earlier_course_ratings_are_not_compared() -> None:
    # §6: ratings within 28 days of a session are ignored.
    healing = observed.compare_zone(
        zone_projection(), rating(0.6, day=LAST_SESSION + timedelta(days=27)), 0.70
    )
    assert healing.status == "healing"
    assert healing.model_then_pct is None
    assert "does not use ratings from the healing weeks" in healing.summary
    # Day 28 after the session is the baseline itself: compared (the model says 100 %).
    healed = observed.compare_zone(
        zone_projection(), rating(0.98, day=LAST_SESSION + timedelta(days=28)), 0.70
    )
    assert healed.status == "agrees" and healed.model_then_pct == 100
    # §6: a rating on a session's day describes the scalp before that session.
    before = observed.compare_zone(zone_projection(), rating(0.6, day=LAST_SESSION), 0.70)
    assert before.status == "earlier_course"
    assert "before the latest session" in before.summary


def test_no_rating_says_the_estimate_is_the_model_alone() -> None:
    result = observed.compare_zone(zone_projection(density_now=0.876), None, 0.70)
    assert result.status == "none"
    assert result.model_now_pct == 88
    assert "model alone" in result.summary


# --- against the real model: the complaint of issue 10 -------------------------------------


def reference_client() -> fade.ClientFactors:
    """FADE-MODEL §5's client R: r = 0.0789 per year at m = 1."""
    return fade.ClientFactors(
        fitzpatrick=3,
        latitude_band="45_55",
        lifestyle="average",
        habits=uv.Habits(cap_fraction=0.25),
    )


SESSIONS = [
    fade.TreatmentSession(day, kind, (fade.Placement("crown"), fade.Placement("frontal_hairline")))
    for day, kind in (
        (date(2025, 1, 6), "initial"),
        (date(2025, 1, 20), "build_up"),
        (date(2025, 2, 10), "build_up"),
    )
]
RATED_ON = date(2025, 5, 12)  # baseline 2025-03-10 + 63 days
AS_OF = date(2025, 5, 20)


def test_a_practitioners_68_percent_soon_after_healing_is_shown_as_far_below_the_model() -> None:
    low = fade.FadeAssessment(RATED_ON, "crown", 0.68, "practitioner_in_person")
    projection = fade.project(reference_client(), SESSIONS, [], [low], as_of=AS_OF)
    ratings = [observed.Rating(low.day, low.zone, low.density, low.assessor)]
    crown = {c.zone: c for c in observed.compare(projection, ratings)}["crown"]
    # The grid stops at theta = 3, so no m above e^3 exists: with Lambda at most r*t =
    # 0.0789 * 63/365.25 = 0.01361, the model's density that day is at least
    # exp(-e^3 * 0.01361) = 0.761, more than 0.07 above 0.68.
    assert crown.model_then_pct >= math.floor(100 * math.exp(-math.exp(3) * 0.0789 * 63 / 365.25))
    assert crown.status == "below"
    assert "faster than the model expects" in crown.summary
    # §6: 68 % <= 70 % by a practitioner: due now whatever the posterior says; and a rating below
    # 85 % in the first 12 months raises the review flag.
    assert crown.due_text is not None and "due for a touch-up now" in crown.due_text.lower()
    assert crown.flag_text == (
        "Review flag: faster than the model expects: check depth and aftercare at the next visit."
    )
    # The other zone, not rated, says so rather than borrowing the crown's rating.
    hairline = {c.zone: c for c in observed.compare(projection, ratings)}["frontal_hairline"]
    assert hairline.status == "none"


def test_density_now_leans_towards_a_low_rating() -> None:
    # §6: one theta per client, updated by every rating, so a low rating lowers "density now"
    # (of the rated zone and the others) below the unrated projection's.
    unrated = fade.project(reference_client(), SESSIONS, [], [], as_of=date(2026, 6, 1))
    low = fade.FadeAssessment(date(2026, 5, 1), "crown", 0.75, "client_self")
    rated = fade.project(reference_client(), SESSIONS, [], [low], as_of=date(2026, 6, 1))
    before = observed.compare(unrated, [])
    after = observed.compare(rated, [observed.Rating(low.day, "crown", 0.75, "client_self")])
    assert all(a.model_now_pct < b.model_now_pct for a, b in zip(after, before, strict=True))


def test_the_blur_colour_advisory_is_explained_with_its_reasons() -> None:
    # §6: a separate advisory, not density: depth too deep, three or more touch-ups, a blowout.
    zone = replace(zone_projection(), advisory_reasons=("pigment placed too deep",))
    result = observed.compare_zone(zone, None, 0.70)
    assert result.advisory_text is not None
    assert result.advisory_text.startswith("Blur or colour advisory (pigment placed too deep)")
    assert "not how dense they are" in result.advisory_text
    assert observed.compare_zone(zone_projection(), None, 0.70).advisory_text is None
