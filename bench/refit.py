"""Benchmark the refit of FADE-MODEL §10 on synthetic practices.

For each practice size: generate a practice with known constants (varied sun doses, 2-4
healed-phase ratings per client), refit it from the model's defaults, and print the time, the
clients per second and each estimate against the truth with its 90 % interval.
Target (issue 10): a refit of 1,000 clients in under 60 s.

Run: ``python bench/refit.py [--clients 200 1000] [--seed 1]``. Pure Python; no database.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from smptrack.domain import refit, synthetic

TRUTH = {"k_bio": 0.045, "k_uv": 1.8e-4, "sigma": 0.25}
TARGET_SECONDS_FOR_1000 = 60.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    header = (
        f"{'clients':>7} {'ratings':>7} {'seconds':>8} {'clients/s':>9} {'steps':>5}  "
        f"{'constant':<8} {'truth':>9} {'estimate':>9} {'error':>7}  {'90 % interval':<21} "
        f"{'holds':<5}"
    )
    print(header)
    print("-" * len(header))
    slowest_per_1000 = 0.0
    for clients in args.clients:
        practice = synthetic.synthetic_practice(
            clients, seed=args.seed, k_bio=TRUTH["k_bio"], k_uv=TRUTH["k_uv"], sigma=TRUTH["sigma"]
        )
        ratings = practice.ratings()
        started = time.perf_counter()
        result = refit.refit(ratings)
        seconds = time.perf_counter() - started
        slowest_per_1000 = max(slowest_per_1000, seconds * 1000 / clients)
        for row, (name, truth) in enumerate(TRUTH.items()):
            estimate: refit.Estimate = getattr(result, name)
            lead = (
                f"{clients:>7} {result.ratings:>7} {seconds:>8.2f} {clients / seconds:>9.0f} "
                f"{result.iterations:>5}"
                if row == 0
                else " " * 40
            )
            interval = (
                f"{estimate.low:.3g} - {estimate.high:.3g}"
                if estimate.low is not None and estimate.high is not None
                else "undefined"
            )
            holds = (
                "yes"
                if estimate.low is not None
                and estimate.high is not None
                and estimate.low <= truth <= estimate.high
                else "no"
            )
            print(
                f"{lead}  {name:<8} {truth:>9.3g} {estimate.value:>9.3g} "
                f"{estimate.value / truth - 1:>+7.1%}  {interval:<21} {holds:<5}"
            )
        print(
            f"{'':>40}  correlation(k_bio, k_uv) {result.correlation:+.2f}; "
            f"adoptable: {'yes' if result.adoptable else 'no: ' + ' '.join(result.reasons)}"
        )
    verdict = "met" if slowest_per_1000 < TARGET_SECONDS_FOR_1000 else "MISSED"
    print(
        f"\nTarget: 1,000 clients in under {TARGET_SECONDS_FOR_1000:.0f} s; "
        f"at the slowest rate measured, {slowest_per_1000:.1f} s per 1,000 ({verdict})."
    )
    return 0 if verdict == "met" else 1


if __name__ == "__main__":
    raise SystemExit(main())
