"""Refit of k_bio, k_uv and sigma from a practice's ratings (FADE-MODEL §10), on synthetic
practices whose true constants are known.

The truth differs from the model's defaults (where the fit starts) so the fit has to move:
k_bio 0.045 per year (defaults 0.052), k_uv 1.8e-4 per SED (1.4e-4), sigma 0.25 (0.30).
"""

from __future__ import annotations

import math

import pytest

from smptrack.domain import refit, synthetic

TRUE_K_BIO, TRUE_K_UV, TRUE_SIGMA = 0.045, 1.8e-4, 0.25
SEEDS = (1, 2, 3, 4, 5)


def practice(clients: int, seed: int, **options: object) -> synthetic.SyntheticPractice:
    return synthetic.synthetic_practice(
        clients, seed=seed, k_bio=TRUE_K_BIO, k_uv=TRUE_K_UV, sigma=TRUE_SIGMA, **options
    )  # type: ignore[arg-type]


# --- The likelihood ------------------------------------------------------------------------------


def direct_log_marginal(
    ratings: tuple[refit.Rating, ...], k_bio: float, k_uv: float, s: float
) -> float:
    """ln of the integral over theta of N(theta; 0, s^2) * prod_j N(y_j; mu_j(theta), sd_j^2),
    written out from the §10 model and integrated by a midpoint rule 100x finer than the fit's."""
    step = 1e-4

    def integrand(theta: float) -> float:
        m = math.exp(theta)
        value = math.exp(-theta * theta / (2 * s * s)) / (s * math.sqrt(2 * math.pi))
        for r in ratings:
            mu = r.d0 * math.exp(-m * (k_bio * r.f_bio * r.years + k_uv * r.effective_sed))
            value *= math.exp(-((r.density - mu) ** 2) / (2 * r.sd**2)) / (
                r.sd * math.sqrt(2 * math.pi)
            )
        return value

    return math.log(sum(integrand(-3 + step * (i + 0.5)) for i in range(int(6 / step))) * step)


def test_the_marginal_likelihood_integrates_theta_out() -> None:
    clients = practice(4, seed=7).ratings()
    expected = sum(direct_log_marginal(c, 0.05, 1.5e-4, 0.3) for c in clients)
    assert refit.log_likelihood(clients, 0.05, 1.5e-4, 0.3) == pytest.approx(expected, abs=1e-6)


def test_gradient_and_hessian_are_the_likelihoods_own_derivatives() -> None:
    clients = practice(30, seed=8).ratings()
    point = (0.05, 1.5e-4, 0.3)
    gradient, hessian = refit.log_likelihood_derivatives(clients, *point)
    h = 1e-4

    def shifted(i: int, by: float) -> tuple[float, float, float]:
        logs = [math.log(v) for v in point]
        logs[i] += by
        return tuple(math.exp(v) for v in logs)  # type: ignore[return-value]

    for i in range(3):
        numeric = (
            refit.log_likelihood(clients, *shifted(i, h))
            - refit.log_likelihood(clients, *shifted(i, -h))
        ) / (2 * h)
        assert gradient[i] == pytest.approx(numeric, rel=1e-5, abs=1e-6)
        for j in range(3):
            numeric_second = (
                refit.log_likelihood_derivatives(clients, *shifted(j, h))[0][i]
                - refit.log_likelihood_derivatives(clients, *shifted(j, -h))[0][i]
            ) / (2 * h)
            assert hessian[i][j] == pytest.approx(numeric_second, rel=1e-5, abs=1e-5)


# --- Recovering the truth ------------------------------------------------------------------------


@pytest.mark.slow
def test_200_clients_recover_the_constants_and_the_intervals_hold_them() -> None:
    truth = {"k_bio": TRUE_K_BIO, "k_uv": TRUE_K_UV, "sigma": TRUE_SIGMA}
    tolerance = {"k_bio": 0.15, "k_uv": 0.15, "sigma": 0.25}
    close = dict.fromkeys(truth, 0)
    covered = dict.fromkeys(truth, 0)
    for seed in SEEDS:
        result = refit.refit(practice(200, seed).ratings())
        assert result.converged, seed
        assert (result.clients, result.clients_with_two_ratings) == (200, 200)
        for name, true_value in truth.items():
            estimate: refit.Estimate = getattr(result, name)
            assert estimate.low is not None and estimate.high is not None
            close[name] += abs(estimate.value / true_value - 1) <= tolerance[name]
            covered[name] += estimate.low <= true_value <= estimate.high
    assert all(count >= 4 for count in close.values()), close
    assert all(count >= 4 for count in covered.values()), covered


def test_a_well_spread_practice_is_offered_for_adoption() -> None:
    result = refit.refit(practice(200, seed=2).ratings())
    assert result.adoptable, result.reasons
    assert result.reasons == ()
    assert result.ratings == sum(len(c) for c in practice(200, seed=2).ratings())
    # Fading with time and from the sun trade off, but varied doses keep them apart.
    assert result.correlation is not None and -0.95 < result.correlation < 0
    for estimate in (result.k_bio, result.k_uv, result.sigma):
        assert estimate.low is not None and estimate.high is not None
        assert estimate.low < estimate.value < estimate.high


# --- Declining to offer adoption -----------------------------------------------------------------


def test_one_sun_dose_for_everyone_cannot_separate_the_two_rates() -> None:
    same = practice(200, seed=3, annual_sed=(192.15, 192.15), f_bio_values=(1.0,))
    result = refit.refit(same.ratings())
    assert not result.adoptable
    assert result.correlation is not None and abs(result.correlation) > 0.95
    assert any("sun doses differ too little" in reason for reason in result.reasons)


def test_one_sun_dose_declines_even_when_the_courses_differ() -> None:
    # F_bio varies, so the design is not exactly collinear; the rates still blur together.
    same = practice(200, seed=4, annual_sed=(192.15, 192.15))
    result = refit.refit(same.ratings())
    assert not result.adoptable
    assert any("cannot be told apart" in reason for reason in result.reasons)


def test_fewer_than_50_clients_are_not_enough() -> None:
    result = refit.refit(practice(40, seed=5).ratings())
    assert not result.adoptable
    assert result.clients_with_two_ratings == 40
    assert any(
        "Only 40 client(s) have two or more healed-phase ratings" in reason
        and "at least 50" in reason
        for reason in result.reasons
    )


def test_clients_with_a_single_rating_do_not_count_towards_the_50() -> None:
    once = practice(80, seed=6, ratings_per_client=(1, 1))
    result = refit.refit(once.ratings())
    assert (result.clients, result.ratings, result.clients_with_two_ratings) == (80, 80, 0)
    assert not result.adoptable
    assert any("Only 0 client(s)" in reason for reason in result.reasons)


def test_clients_without_ratings_are_skipped_and_no_ratings_at_all_is_refused() -> None:
    clients = [*practice(3, seed=9).ratings(), ()]
    assert refit.refit(clients).clients == 3
    with pytest.raises(ValueError, match="at least one healed-phase rating"):
        refit.refit([(), ()])


@pytest.mark.parametrize(
    "fields",
    [
        {"years": -0.1},
        {"f_bio": 0.0},
        {"effective_sed": -1.0},
        {"sd": 0.0},
        {"density": math.nan},
        {"d0": -1.0},
    ],
)
def test_a_rating_outside_the_model_is_refused(fields: dict[str, float]) -> None:
    values = {"years": 1.0, "f_bio": 1.0, "effective_sed": 100.0, "density": 0.9, "sd": 0.07}
    values.update(fields)
    with pytest.raises(ValueError):
        refit.Rating(**values)


# --- The synthetic practice ----------------------------------------------------------------------


def test_a_synthetic_practice_is_the_same_for_the_same_seed() -> None:
    assert practice(20, seed=11) == practice(20, seed=11)
    assert practice(20, seed=11) != practice(20, seed=12)


def test_a_synthetic_practice_has_the_shape_the_refit_needs() -> None:
    generated = practice(300, seed=13)
    doses = [c.annual_effective_sed for c in generated.clients]
    assert min(doses) >= 20 and max(doses) <= 600
    assert max(doses) / min(doses) > 10  # varied: from indoor to outdoor lives
    for client in generated.clients:
        assert 2 <= len(client.ratings) <= 4
        times = [r.years for r in client.ratings]
        assert times == sorted(times) and times[0] >= 0.5 and times[-1] <= 5.0
        for r in client.ratings:
            assert r.sd in (0.07, 0.10, 0.12)
            assert r.effective_sed == pytest.approx(client.annual_effective_sed * r.years)
    thetas = [c.theta for c in generated.clients]
    spread = math.sqrt(sum(t * t for t in thetas) / len(thetas))
    assert spread == pytest.approx(TRUE_SIGMA, rel=0.15)


def test_a_synthetic_rating_is_the_model_plus_the_methods_noise() -> None:
    # With no noise left in the draw (sd tiny) the rating is the model's density exactly.
    client = practice(1, seed=14, rating_sds=(1e-9,)).clients[0]
    for r in client.ratings:
        lam = TRUE_K_BIO * r.f_bio * r.years + TRUE_K_UV * r.effective_sed
        assert r.density == pytest.approx(math.exp(-math.exp(client.theta) * lam), abs=1e-7)
