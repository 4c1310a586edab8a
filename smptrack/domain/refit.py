"""Refit k_bio, k_uv and sigma from a practice's own healed-phase ratings (FADE-MODEL.md §10).

Standard library only; pure (no clock, no I/O).

    y_ij ~ Normal(D0 * exp(-e^theta_i * (k_bio * F_bio_ij * t_ij + k_uv * H_ij)), s_ij^2)
    theta_i ~ Normal(0, sigma^2)

Marginal maximum likelihood over phi = (ln k_bio, ln k_uv, ln sigma): each client's theta is
integrated out on the grid [-3, 3], step 0.01 (a Riemann sum, as the §6 posterior does), and the
clients' log marginal likelihoods are summed.

Optimiser: damped Newton. On a fixed grid the marginal is a finite sum over grid points, so its
gradient and Hessian are exact posterior moments of the complete-data derivatives (Louis 1982):

    grad L_i = E[g],   hess L_i = E[h] + E[g g'] - E[g] E[g]'

with g, h the derivatives of ln p(y_i, theta) at each grid point, weighted by the client's
posterior on the grid. One pass over the grid gives the value, the gradient and the Hessian, and
Newton converges in a handful of passes where Nelder-Mead needs a hundred or more; that is what
makes 1,000 clients fit in seconds in pure Python. Steps are damped (Levenberg-Marquardt when the
Hessian is not negative definite), capped at a factor e per step, and halved until the
likelihood does not fall.

Intervals: 90 % Wald intervals on the log scale from that same exact Hessian at the optimum
(the observed information), exponentiated, so they are never negative and are asymmetric on the
natural scale. The correlation reported is that of the ln k_bio and ln k_uv estimates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

from smptrack.domain.constants import constant

_STEP = constant("refit_theta_grid_step")
_THETA_MIN = constant("theta_grid_min")
_THETA_COUNT = round((constant("theta_grid_max") - _THETA_MIN) / _STEP) + 1
_THETA = tuple(_THETA_MIN + i * _STEP for i in range(_THETA_COUNT))
_THETA_SQUARED = tuple(theta * theta for theta in _THETA)
_M = tuple(math.exp(theta) for theta in _THETA)
_MINUS_M = tuple(-m for m in _M)
# A grid point whose posterior weight is below this share of the client's largest changes no
# moment at double precision (601 of them add less than 1e-12 of the mass): skip it.
_NEGLIGIBLE = 1e-15
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_Z = NormalDist().inv_cdf(0.5 + constant("refit_interval_level") / 2)

# Where the search may go, in units of the defaults: wide enough for any real practice, narrow
# enough that a flat likelihood cannot send a parameter to 0 or infinity. sigma below 0.03 is
# finer than the grid can resolve (a step of 0.01).
_K_RANGE = 1000.0
_SIGMA_BOUNDS = (0.03, 2.0)
_MAX_LOG_STEP = 1.0


@dataclass(frozen=True)
class Rating:
    """One healed-phase rating of one zone, with what the model needs to predict it.

    ``years`` since the zone's baseline (>= 0); ``f_bio`` of the zone's course (> 0);
    ``effective_sed`` the zone's cumulative effective dose from the baseline to the rating (>= 0);
    ``density`` the rating y relative to the healed result; ``sd`` the method's SD s (> 0);
    ``d0`` the healed density if one was stored (FADE-MODEL §2), else 1. ValueError otherwise.
    """

    years: float
    f_bio: float
    effective_sed: float
    density: float
    sd: float
    d0: float = 1.0

    def __post_init__(self) -> None:
        for name, value, low in (
            ("years", self.years, 0.0),
            ("effective_sed", self.effective_sed, 0.0),
        ):
            if not (math.isfinite(value) and value >= low):
                raise ValueError(f"{name} must be a finite number >= {low}; got {value!r}")
        for name, value in (("f_bio", self.f_bio), ("sd", self.sd), ("d0", self.d0)):
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
        if not math.isfinite(self.density):
            raise ValueError(f"density must be a finite number; got {self.density!r}")


@dataclass(frozen=True)
class Estimate:
    """A fitted constant with its 90 % interval (``low`` to ``high``); None bounds when the
    curvature does not define one (a flat direction of the likelihood)."""

    value: float
    low: float | None
    high: float | None

    @property
    def interval_wider_than_estimate(self) -> bool:
        return self.low is None or self.high is None or self.high - self.low > self.value


@dataclass(frozen=True)
class RefitResult:
    """What a refit found, and whether a practice should be offered its adoption.

    ``correlation`` is between the ln k_bio and ln k_uv estimates (None if undefined);
    ``clients`` and ``ratings`` count what entered the likelihood; ``clients_with_two_ratings``
    is the count the adoption rule looks at. ``reasons`` says in plain words why ``adoptable``
    is False (empty when it is True).
    """

    k_bio: Estimate
    k_uv: Estimate
    sigma: Estimate
    correlation: float | None
    clients: int
    ratings: int
    clients_with_two_ratings: int
    log_likelihood: float
    iterations: int
    converged: bool
    adoptable: bool
    reasons: tuple[str, ...]


# --- The likelihood -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Prepared:
    """One client's ratings as parallel tuples, and the constant part of its log likelihood."""

    bio_years: tuple[float, ...]  # F_bio * t
    sed: tuple[float, ...]  # H
    density: tuple[float, ...]
    d0: tuple[float, ...]
    weight: tuple[float, ...]  # 1 / s^2
    constant: float  # sum of -ln s - ln sqrt(2 pi)


def _prepare(client: Sequence[Rating]) -> _Prepared:
    return _Prepared(
        bio_years=tuple(r.f_bio * r.years for r in client),
        sed=tuple(r.effective_sed for r in client),
        density=tuple(r.density for r in client),
        d0=tuple(r.d0 for r in client),
        weight=tuple(1.0 / (r.sd * r.sd) for r in client),
        constant=-sum(math.log(r.sd) + _LOG_SQRT_2PI for r in client),
    )


@dataclass
class _Totals:
    log_likelihood: float = 0.0
    gradient: list[float] | None = None
    hessian: list[list[float]] | None = None


def _evaluate(clients: Sequence[_Prepared], phi: Sequence[float], derivatives: bool) -> _Totals:
    """Sum over clients of the log marginal likelihood at phi, and if asked its exact gradient
    and Hessian in phi (the Louis identity on the grid)."""
    k_bio, k_uv, sigma = (math.exp(p) for p in phi)
    half_precision = 0.5 / (sigma * sigma)
    precision = 2.0 * half_precision
    prior = [-half_precision * t2 for t2 in _THETA_SQUARED]
    # ln of the prior's normalising constant and the grid cell: a Riemann sum of the integral.
    prior_constant = math.log(_STEP) - math.log(sigma) - _LOG_SQRT_2PI
    # d/d ln sigma of ln N(theta; 0, sigma^2) and its second derivative, per grid point.
    g_sigma = [precision * t2 - 1.0 for t2 in _THETA_SQUARED]
    h_sigma = [-2.0 * precision * t2 for t2 in _THETA_SQUARED]
    exp = math.exp
    totals = _Totals()
    grad = [0.0, 0.0, 0.0]
    hess = [[0.0] * 3 for _ in range(3)]
    for client in clients:
        log_weight = prior
        means = []
        for bio, sed, y, d0, w in zip(
            client.bio_years, client.sed, client.density, client.d0, client.weight, strict=True
        ):
            lam = k_bio * bio + k_uv * sed
            mu = [d0 * exp(minus_m * lam) for minus_m in _MINUS_M]
            half_w = 0.5 * w
            log_weight = [
                lw - half_w * (y - x) * (y - x) for lw, x in zip(log_weight, mu, strict=True)
            ]
            means.append(mu)
        top = max(log_weight)
        weights = [exp(lw - top) for lw in log_weight]
        total = sum(weights)
        totals.log_likelihood += top + math.log(total) + prior_constant + client.constant
        if not derivatives:
            continue
        keep = [g for g, weight in enumerate(weights) if weight > _NEGLIGIBLE]
        p = [weights[g] / total for g in keep]
        m = [_M[g] for g in keep]
        # Per grid point: S = sum_j kA_j P_j etc., with P = w (y - mu) mu and
        # Q = w mu (y - 2 mu), u_j = m kA_j the bio share of m * Lambda_j (see module notes).
        s_a = [0.0] * len(keep)
        s_b = [0.0] * len(keep)
        q_aa = [0.0] * len(keep)
        q_bb = [0.0] * len(keep)
        q_ab = [0.0] * len(keep)
        for j, mu_all in enumerate(means):
            y, w = client.density[j], client.weight[j]
            ka, kb = k_bio * client.bio_years[j], k_uv * client.sed[j]
            mu = [mu_all[g] for g in keep]
            big_p = [w * (y - x) * x for x in mu]
            big_q = [w * x * (y - 2.0 * x) for x in mu]
            s_a = [s + ka * v for s, v in zip(s_a, big_p, strict=True)]
            s_b = [s + kb * v for s, v in zip(s_b, big_p, strict=True)]
            q_aa = [s + ka * ka * v for s, v in zip(q_aa, big_q, strict=True)]
            q_bb = [s + kb * kb * v for s, v in zip(q_bb, big_q, strict=True)]
            q_ab = [s + ka * kb * v for s, v in zip(q_ab, big_q, strict=True)]
        g_a = [-mi * s for mi, s in zip(m, s_a, strict=True)]
        g_b = [-mi * s for mi, s in zip(m, s_b, strict=True)]
        g_c = [g_sigma[g] for g in keep]
        h_aa = [mi * mi * q + ga for mi, q, ga in zip(m, q_aa, g_a, strict=True)]
        h_bb = [mi * mi * q + gb for mi, q, gb in zip(m, q_bb, g_b, strict=True)]
        h_ab = [mi * mi * q for mi, q in zip(m, q_ab, strict=True)]
        h_cc = [h_sigma[g] for g in keep]
        g = (g_a, g_b, g_c)
        mean = [sum(pi * v for pi, v in zip(p, gk, strict=True)) for gk in g]
        second = {(0, 0): h_aa, (1, 1): h_bb, (0, 1): h_ab, (2, 2): h_cc}
        for row in range(3):
            grad[row] += mean[row]
            for col in range(row, 3):
                expected_h = (
                    sum(pi * v for pi, v in zip(p, second[row, col], strict=True))
                    if (row, col) in second
                    else 0.0
                )
                outer = sum(pi * u * v for pi, u, v in zip(p, g[row], g[col], strict=True))
                hess[row][col] += expected_h + outer - mean[row] * mean[col]
    if derivatives:
        for row in range(3):
            for col in range(row):
                hess[row][col] = hess[col][row]
        totals.gradient, totals.hessian = grad, hess
    return totals


def log_likelihood(
    clients: Sequence[Sequence[Rating]], k_bio: float, k_uv: float, sigma: float
) -> float:
    """The marginal log likelihood of the ratings at (k_bio, k_uv, sigma), theta integrated out
    on the grid. Clients without ratings add nothing."""
    prepared = [_prepare(c) for c in clients if c]
    phi = (math.log(k_bio), math.log(k_uv), math.log(sigma))
    return _evaluate(prepared, phi, derivatives=False).log_likelihood


def log_likelihood_derivatives(
    clients: Sequence[Sequence[Rating]], k_bio: float, k_uv: float, sigma: float
) -> tuple[list[float], list[list[float]]]:
    """Exact gradient and Hessian of ``log_likelihood`` in (ln k_bio, ln k_uv, ln sigma)."""
    prepared = [_prepare(c) for c in clients if c]
    phi = (math.log(k_bio), math.log(k_uv), math.log(sigma))
    totals = _evaluate(prepared, phi, derivatives=True)
    assert totals.gradient is not None and totals.hessian is not None
    return totals.gradient, totals.hessian


# --- Small linear algebra (3 x 3) ---------------------------------------------------------------


def _cholesky(matrix: Sequence[Sequence[float]]) -> list[list[float]] | None:
    """Lower-triangular L with L L' = matrix, or None if the matrix is not positive definite."""
    n = len(matrix)
    lower = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1):
            s = matrix[i][j] - sum(lower[i][k] * lower[j][k] for k in range(j))
            if i == j:
                if not s > 0:
                    return None
                lower[i][i] = math.sqrt(s)
            else:
                lower[i][j] = s / lower[j][j]
    return lower


def _solve(lower: Sequence[Sequence[float]], rhs: Sequence[float]) -> list[float]:
    n = len(rhs)
    forward = [0.0] * n
    for i in range(n):
        forward[i] = (rhs[i] - sum(lower[i][k] * forward[k] for k in range(i))) / lower[i][i]
    x = [0.0] * n
    for i in reversed(range(n)):
        x[i] = (forward[i] - sum(lower[k][i] * x[k] for k in range(i + 1, n))) / lower[i][i]
    return x


def _inverse(lower: Sequence[Sequence[float]]) -> list[list[float]]:
    n = len(lower)
    columns = [_solve(lower, [1.0 if i == j else 0.0 for i in range(n)]) for j in range(n)]
    return [[columns[j][i] for j in range(n)] for i in range(n)]


# --- The fit ------------------------------------------------------------------------------------


def _bounds() -> list[tuple[float, float]]:
    k_bio, k_uv = constant("k_bio_per_year"), constant("k_uv_per_effective_sed")
    return [
        (math.log(k_bio / _K_RANGE), math.log(k_bio * _K_RANGE)),
        (math.log(k_uv / _K_RANGE), math.log(k_uv * _K_RANGE)),
        (math.log(_SIGMA_BOUNDS[0]), math.log(_SIGMA_BOUNDS[1])),
    ]


def _newton_step(gradient: Sequence[float], hessian: Sequence[Sequence[float]]) -> list[float]:
    """Solve (I + lambda D) step = gradient with I = -hessian, raising lambda until the damped
    information is positive definite (lambda = 0 when it already is: a pure Newton step)."""
    information = [[-v for v in row] for row in hessian]
    scale = [max(abs(information[i][i]), 1e-12) for i in range(3)]
    damping = 0.0
    while True:
        damped = [
            [information[i][j] + (damping * scale[i] if i == j else 0.0) for j in range(3)]
            for i in range(3)
        ]
        lower = _cholesky(damped)
        if lower is not None:
            step = _solve(lower, gradient)
            break
        damping = 1e-3 if damping == 0.0 else damping * 10
    largest = max(abs(s) for s in step)
    return [s * _MAX_LOG_STEP / largest for s in step] if largest > _MAX_LOG_STEP else step


def refit(
    clients: Sequence[Sequence[Rating]],
    *,
    start: tuple[float, float, float] | None = None,
    max_iterations: int = 50,
) -> RefitResult:
    """Estimate (k_bio, k_uv, sigma) by marginal maximum likelihood, with 90 % intervals, the
    correlation of the two rates and the identifiability checks of FADE-MODEL §10.

    ``clients``: one sequence of healed-phase ratings per client (an empty one is skipped).
    ``start`` defaults to the model's constants. Raises ValueError when no client has a rating.
    Never raises on data that cannot identify the constants: it says so in ``reasons``.
    """
    prepared = [_prepare(c) for c in clients if c]
    if not prepared:
        raise ValueError("a refit needs at least one healed-phase rating")
    if start is None:
        start = (
            constant("k_bio_per_year"),
            constant("k_uv_per_effective_sed"),
            constant("prior_sigma"),
        )
    bounds = _bounds()
    phi = [min(hi, max(lo, math.log(v))) for v, (lo, hi) in zip(start, bounds, strict=True)]
    current = _evaluate(prepared, phi, derivatives=True)
    converged = False
    iterations = 0
    for iterations in range(1, max_iterations + 1):  # noqa: B007 (reported)
        assert current.gradient is not None and current.hessian is not None
        step = _newton_step(current.gradient, current.hessian)
        # The Newton decrement: half of it bounds the log likelihood still to gain.
        if sum(g * s for g, s in zip(current.gradient, step, strict=True)) < 1e-8:
            converged = True
            break
        trial = _line_search(prepared, phi, step, bounds, current.log_likelihood)
        if trial is None:
            break  # no ascent left along the step: a flat ridge or a bound
        phi = trial
        current = _evaluate(prepared, phi, derivatives=True)
    return _result(prepared, phi, current, iterations, converged, bounds)


def _line_search(
    prepared: Sequence[_Prepared],
    phi: Sequence[float],
    step: Sequence[float],
    bounds: Sequence[tuple[float, float]],
    value_now: float,
) -> list[float] | None:
    """The first of phi + step, phi + step/2, ... (inside the bounds) whose log likelihood does
    not fall (up to round-off), or None if even 1/1024 of the step does."""
    fraction = 1.0
    while fraction >= 1 / 1024:
        trial = [
            min(hi, max(lo, p + fraction * s))
            for p, s, (lo, hi) in zip(phi, step, bounds, strict=True)
        ]
        if trial == list(phi):
            return None
        if _evaluate(prepared, trial, derivatives=False).log_likelihood >= value_now - 1e-9:
            return trial
        fraction /= 2
    return None


def _result(
    prepared: Sequence[_Prepared],
    phi: Sequence[float],
    at_optimum: _Totals,
    iterations: int,
    converged: bool,
    bounds: Sequence[tuple[float, float]],
) -> RefitResult:
    assert at_optimum.hessian is not None
    information = [[-v for v in row] for row in at_optimum.hessian]
    lower = _cholesky(information)
    covariance = _inverse(lower) if lower is not None else None
    estimates = []
    for i, p in enumerate(phi):
        if covariance is None:
            estimates.append(Estimate(math.exp(p), None, None))
        else:
            half_width = _Z * math.sqrt(covariance[i][i])
            # A nearly flat direction gives an interval past any float: it reaches 0 or infinity.
            estimates.append(
                Estimate(math.exp(p), _exp_or_limit(p - half_width), _exp_or_limit(p + half_width))
            )
    if covariance is not None:
        correlation = covariance[0][1] / math.sqrt(covariance[0][0] * covariance[1][1])
    elif information[0][0] > 0 and information[1][1] > 0:
        # No inverse: the two-rate block of the information still says how they trade off.
        correlation = -information[0][1] / math.sqrt(information[0][0] * information[1][1])
        correlation = max(-1.0, min(1.0, correlation))
    else:
        correlation = None
    with_two = sum(1 for c in prepared if len(c.density) >= 2)
    reasons = _reasons(
        estimates, correlation, covariance, with_two, converged, iterations, phi, bounds
    )
    return RefitResult(
        k_bio=estimates[0],
        k_uv=estimates[1],
        sigma=estimates[2],
        correlation=correlation,
        clients=len(prepared),
        ratings=sum(len(c.density) for c in prepared),
        clients_with_two_ratings=with_two,
        log_likelihood=at_optimum.log_likelihood,
        iterations=iterations,
        converged=converged,
        adoptable=not reasons,
        reasons=tuple(reasons),
    )


def _exp_or_limit(x: float) -> float:
    return math.exp(x) if x < 700 else math.inf


_NAMES = ("the biological fade rate k_bio", "the UV fade rate k_uv", "the spread sigma")


def _reasons(
    estimates: Sequence[Estimate],
    correlation: float | None,
    covariance: list[list[float]] | None,
    with_two: int,
    converged: bool,
    iterations: int,
    phi: Sequence[float],
    bounds: Sequence[tuple[float, float]],
) -> list[str]:
    reasons = []
    needed = int(constant("refit_min_clients_with_two_ratings"))
    if with_two < needed:
        reasons.append(
            f"Only {with_two} client(s) have two or more healed-phase ratings; a refit needs at "
            f"least {needed} before its constants can replace the defaults."
        )
    if correlation is not None and abs(correlation) > constant("refit_max_abs_correlation"):
        reasons.append(
            f"The two fade rates cannot be told apart (correlation {correlation:+.2f}): the "
            "clients' sun doses differ too little to separate fading with time from fading "
            "from the sun."
        )
    if covariance is None:
        reasons.append(
            "The ratings leave at least one constant undetermined (the likelihood is flat in "
            "some direction), so no interval can be given."
        )
    for name, estimate in zip(_NAMES, estimates, strict=True):
        if covariance is None or not estimate.interval_wider_than_estimate:
            continue
        assert estimate.low is not None and estimate.high is not None
        if math.isinf(estimate.high):
            reasons.append(f"The ratings put no upper limit on {name}.")
        else:
            reasons.append(
                f"The 90 % interval of {name} ({estimate.low:.3g} to {estimate.high:.3g}) is "
                f"wider than the estimate itself ({estimate.value:.3g})."
            )
    for name, p, (lo, hi) in zip(_NAMES, phi, bounds, strict=True):
        if p <= lo or p >= hi:
            reasons.append(f"The estimate of {name} reached the edge of the search range.")
    if not converged:
        reasons.append(f"The fit did not settle within {iterations} Newton steps.")
    return reasons
