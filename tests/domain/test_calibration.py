"""Calibration of the touch-up window (issue 10 acceptance; FADE-MODEL §6).

Clients are drawn from the model's own prior: varied factors and zones, theta ~ Normal(0, sigma^2)
with the sigma the model itself uses for them (no sun log: 0.35), and a true crossing date
t* = ln(1/D*) / (e^theta * r). If the projection is a correct Bayesian posterior, its 80 % window
(P10 to P90 of the crossing date, from ``fade.project``) holds t* for 80 % of them; 1,000 clients
give a binomial SD of 1.3 points, so 75-85 % is a wide margin for a correct model and a tight one
for a wrong spread. With one practitioner rating each the window still holds 80 % and is narrower.

The true rate r at m = 1 is the projection's own ``rate_per_year``: the test checks the
posterior and its window, not the dose pipeline (test_uv and test_fade check that by hand).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import fmean

import pytest

from smptrack.domain import fade, uv
from smptrack.domain.constants import constant

CLIENTS = 1000
THRESHOLD = constant("touch_up_threshold_density")
DAYS_PER_YEAR = constant("days_per_year")
IN_PERSON_SD = constant("rating_sd.practitioner_in_person")  # 0.07


@dataclass(frozen=True)
class TrueClient:
    factors: fade.ClientFactors
    zone: str
    sessions: tuple[fade.TreatmentSession, ...]
    baseline: date
    theta: float
    rating_years: float
    rating_noise: float  # standard normal draw, scaled by the rating SD


def draw_clients(seed: int) -> list[TrueClient]:
    rng = random.Random(seed)
    sigma = fade.prior_sigma(has_sun_log=False, scar_tissue=False)
    clients = []
    for _ in range(CLIENTS):
        factors = fade.ClientFactors(
            fitzpatrick=rng.randint(1, 6),
            latitude_band=rng.choice(uv.LATITUDE_BANDS),
            lifestyle=rng.choice(uv.LIFESTYLES),
            habits=uv.Habits(cap_fraction=rng.choice((0.0, 0.25, 0.5))),
            usual_hair_length=rng.choice(("shaved", "stubble")),
        )
        zone = rng.choice([z for z in uv.ZONES if z != "other"])
        first = date(2024, 1, 1) + timedelta(days=rng.randrange(365))
        placements = (fade.Placement(zone, pigment_base="carbon"),)
        sessions = (
            fade.TreatmentSession(first, "initial", placements),
            fade.TreatmentSession(first + timedelta(days=21), "build_up", placements),
            fade.TreatmentSession(first + timedelta(days=42), "build_up", placements),
        )
        clients.append(
            TrueClient(
                factors=factors,
                zone=zone,
                sessions=sessions,
                baseline=first + timedelta(days=42 + 28),
                theta=rng.gauss(0.0, sigma),
                # Rated in the second year: early enough that hardly anyone has crossed yet
                # (the window never starts before "now"), late enough to be informative.
                rating_years=rng.uniform(1.0, 2.0),
                rating_noise=rng.gauss(0.0, 1.0),
            )
        )
    return clients


def crossing_day(baseline: date, years: float) -> date:
    return baseline + timedelta(days=round(years * DAYS_PER_YEAR))


@dataclass(frozen=True)
class Outcome:
    covered: bool
    width_days: int


def project_without_ratings(client: TrueClient) -> tuple[Outcome, float]:
    projection = fade.project(
        client.factors, client.sessions, [], [], as_of=client.baseline, curve_years=1
    )
    zone = projection.zones[client.zone]
    true_years = math.log(1 / THRESHOLD) / (math.exp(client.theta) * zone.rate_per_year)
    truth = crossing_day(client.baseline, true_years)
    window = zone.window
    outcome = Outcome(
        window.earliest <= truth <= window.latest, (window.latest - window.earliest).days
    )
    return outcome, zone.rate_per_year


def project_with_one_rating(client: TrueClient, rate_per_year: float) -> Outcome:
    rating_day = crossing_day(client.baseline, client.rating_years)
    years = (rating_day - client.baseline).days / DAYS_PER_YEAR
    m = math.exp(client.theta)
    # Without a sun log the model's Lambda is r * t exactly (imputed days at an even daily dose).
    density = math.exp(-m * rate_per_year * years) + IN_PERSON_SD * client.rating_noise
    rating = fade.FadeAssessment(
        rating_day, client.zone, min(1.0, max(0.0, density)), "practitioner_in_person"
    )
    projection = fade.project(
        client.factors,
        client.sessions,
        [],
        [rating],
        as_of=rating_day + timedelta(days=1),
        curve_years=1,
    )
    window = projection.zones[client.zone].window
    true_years = math.log(1 / THRESHOLD) / (m * rate_per_year)
    truth = crossing_day(client.baseline, true_years)
    return Outcome(
        window.earliest <= truth <= window.latest, (window.latest - window.earliest).days
    )


@pytest.mark.slow
def test_the_80_percent_window_holds_the_true_crossing_for_80_percent_of_clients() -> None:
    clients = draw_clients(seed=10)
    prior_only, with_rating = [], []
    for client in clients:
        outcome, rate = project_without_ratings(client)
        prior_only.append(outcome)
        with_rating.append(project_with_one_rating(client, rate))

    coverage_prior = sum(o.covered for o in prior_only) / CLIENTS
    coverage_rated = sum(o.covered for o in with_rating) / CLIENTS
    assert 0.75 <= coverage_prior <= 0.85, coverage_prior
    assert 0.75 <= coverage_rated <= 0.85, coverage_rated
    # One in-person rating narrows the window on average.
    mean_prior = fmean(o.width_days for o in prior_only)
    mean_rated = fmean(o.width_days for o in with_rating)
    assert mean_rated < mean_prior, (mean_rated, mean_prior)
