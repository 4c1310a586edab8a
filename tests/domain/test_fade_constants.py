"""A practice's own constants reach the projection (FADE-MODEL §10): ``fade.project`` takes them
as a parameter and records their label; the refit's inputs come from the same ledger.

Expected figures are hand arithmetic on the reference client R of FADE-MODEL §5.
"""

from __future__ import annotations

import math
from datetime import date

import pytest

from smptrack.domain import fade, uv

R = fade.ClientFactors(
    fitzpatrick=3, latitude_band="45_55", lifestyle="average", habits=uv.Habits(cap_fraction=0.25)
)
SESSIONS = [
    fade.TreatmentSession(date(2024, 11, 25), "initial", (fade.Placement("crown"),)),
    fade.TreatmentSession(date(2024, 12, 16), "build_up", (fade.Placement("crown"),)),
    fade.TreatmentSession(date(2025, 1, 6), "build_up", (fade.Placement("crown"),)),
]
BASELINE = date(2025, 2, 3)
AS_OF = date(2025, 6, 1)
# §5: R's crown gets 192.15 effective SED a year from the imputation.
SED_PER_YEAR = 192.15


def test_the_default_constants_are_the_documented_ones() -> None:
    plain = fade.project(R, SESSIONS, [], [], as_of=AS_OF)
    explicit = fade.project(R, SESSIONS, [], [], as_of=AS_OF, constants=fade.ModelConstants())
    assert plain == explicit
    assert plain.model_version == fade.MODEL_VERSION
    assert plain.zones["crown"].rate_per_year == pytest.approx(0.052 + 1.4e-4 * SED_PER_YEAR)


def test_a_practices_constants_change_the_rate_the_spread_and_the_label() -> None:
    own = fade.ModelConstants(k_bio=0.104, k_uv=0.7e-4, sigma=0.60, label="smptrack-fade-1.1 v7")
    projection = fade.project(R, SESSIONS, [], [], as_of=AS_OF, constants=own)
    crown = projection.zones["crown"]
    assert crown.rate_per_year == pytest.approx(0.104 + 0.7e-4 * SED_PER_YEAR)
    assert projection.model_version == "smptrack-fade-1.1 v7"
    # No sun log: the no-sun-log spread keeps its ratio 0.35 / 0.30 to the base sigma.
    assert projection.prior_sigma == pytest.approx(0.60 * 0.35 / 0.30)
    # The median m is 1 with no ratings, so the median crossing is ln(1/0.7) / rate years away.
    years = math.log(1 / 0.7) / crown.rate_per_year
    assert crown.window.most_likely_years == pytest.approx(years, abs=1e-6)


@pytest.mark.parametrize("field", ["k_bio", "k_uv", "sigma"])
@pytest.mark.parametrize("value", [0.0, -1.0, math.inf, math.nan])
def test_constants_outside_the_model_are_refused(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        fade.ModelConstants(**{field: value})


def test_healed_ratings_carry_f_bio_years_and_dose_and_skip_the_healing_phase() -> None:
    ratings = [
        fade.FadeAssessment(date(2025, 1, 20), "crown", 0.99, "practitioner_in_person"),
        fade.FadeAssessment(date(2026, 2, 3), "crown", 0.90, "practitioner_in_person"),
        fade.FadeAssessment(date(2026, 3, 1), "occipital", 0.90, "client_self"),  # untreated
    ]
    used = fade.healed_ratings(R, SESSIONS, [], ratings, as_of=date(2026, 6, 1))
    assert len(used) == 1
    (rating,) = used
    # One year of 365 days after the baseline; three sessions, carbon, correct depth: F_bio 1.0.
    assert rating.years == pytest.approx(365 / 365.25)
    assert rating.f_bio == pytest.approx(1.0)
    assert rating.effective_sed == pytest.approx(SED_PER_YEAR / 365.25 * 365, rel=1e-9)
    assert (rating.density, rating.sd) == (0.90, 0.07)
