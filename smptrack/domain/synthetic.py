"""Synthetic practices with known constants, for the refit's tests and benchmark (FADE-MODEL §10).

Each client draws theta from Normal(0, sigma^2), an effective annual sun dose (log-uniform over a
wide range, so the doses span what real clients from indoor to outdoor workers get), one zone's
F_bio, and 2-4 healed-phase ratings at times between 0.5 and 5 years, each with the noise of a
rating method chosen at random. Doses accrue evenly through the year (H = h * t): seasons move
when a client fades, not what a refit can separate. Standard library only; deterministic for a
seed (``random.Random``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from smptrack.domain.constants import constant
from smptrack.domain.refit import Rating

# F_bio values of common courses (FADE-MODEL §4): 4+, 3, 2 and 1 sessions; oily skin; scar.
DEFAULT_F_BIO_VALUES: tuple[float, ...] = (0.9, 1.0, 1.15, 1.3, 1.2, 1.5)
DEFAULT_RATING_SDS: tuple[float, ...] = (
    constant("rating_sd.practitioner_in_person"),
    constant("rating_sd.practitioner_photo"),
    constant("rating_sd.client_self"),
)


@dataclass(frozen=True)
class SyntheticClient:
    """One generated client: the truth behind its ratings."""

    theta: float
    f_bio: float
    annual_effective_sed: float
    ratings: tuple[Rating, ...]


@dataclass(frozen=True)
class SyntheticPractice:
    """The constants the ratings were generated with, and the clients."""

    k_bio: float
    k_uv: float
    sigma: float
    clients: tuple[SyntheticClient, ...]

    def ratings(self) -> list[tuple[Rating, ...]]:
        """Per client, its ratings: the input ``refit.refit`` takes."""
        return [client.ratings for client in self.clients]


def synthetic_practice(
    clients: int,
    *,
    seed: int,
    k_bio: float = constant("k_bio_per_year"),
    k_uv: float = constant("k_uv_per_effective_sed"),
    sigma: float = constant("prior_sigma"),
    annual_sed: tuple[float, float] = (20.0, 600.0),
    f_bio_values: Sequence[float] = DEFAULT_F_BIO_VALUES,
    ratings_per_client: tuple[int, int] = (2, 4),
    years: tuple[float, float] = (0.5, 5.0),
    rating_sds: Sequence[float] = DEFAULT_RATING_SDS,
) -> SyntheticPractice:
    """Generate ``clients`` clients from the §10 model with the given true constants.

    ``annual_sed`` bounds each client's effective annual dose (equal bounds: every client gets
    the same dose); ``ratings_per_client`` and ``years`` are inclusive ranges. Ratings are not
    clipped to [0, 1]: the model's noise is Normal, and clipping would bias a fit of it.
    Raises ValueError on an empty or inverted range.
    """
    if clients < 0:
        raise ValueError(f"clients must be >= 0; got {clients!r}")
    low_sed, high_sed = annual_sed
    if not 0 < low_sed <= high_sed:
        raise ValueError(f"annual_sed must be 0 < low <= high; got {annual_sed!r}")
    if not 1 <= ratings_per_client[0] <= ratings_per_client[1]:
        raise ValueError(f"ratings_per_client must be 1 <= low <= high; got {ratings_per_client!r}")
    if not 0 <= years[0] <= years[1]:
        raise ValueError(f"years must be 0 <= low <= high; got {years!r}")
    if not f_bio_values or not rating_sds:
        raise ValueError("f_bio_values and rating_sds must not be empty")
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not secrets
    generated = []
    for _ in range(clients):
        theta = rng.gauss(0.0, sigma)
        m = math.exp(theta)
        dose = math.exp(rng.uniform(math.log(low_sed), math.log(high_sed)))
        f_bio = rng.choice(f_bio_values)
        count = rng.randint(*ratings_per_client)
        ratings = []
        for t in sorted(rng.uniform(*years) for _ in range(count)):
            sd = rng.choice(rating_sds)
            expected = math.exp(-m * (k_bio * f_bio * t + k_uv * dose * t))
            ratings.append(
                Rating(
                    years=t,
                    f_bio=f_bio,
                    effective_sed=dose * t,
                    density=expected + rng.gauss(0.0, sd),
                    sd=sd,
                )
            )
        generated.append(SyntheticClient(theta, f_bio, dose, tuple(ratings)))
    return SyntheticPractice(k_bio=k_bio, k_uv=k_uv, sigma=sigma, clients=tuple(generated))
