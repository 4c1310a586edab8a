"""Benchmark the fade chart of a five-zone client (issue 10 item 6).

Times ``charts.fade_chart`` (the geometry and the observed-versus-model words) and the rendering
of ``partials/fade_chart.html`` for a client with five zones, two sessions and ten ratings.
Target: the chart well under 2 ms, so the client page stays under about 8 ms of server CPU.

Run: ``python bench/fade_chart.py [--repeats 500]``. Prints a table (CPU time per call).
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date, timedelta

from smptrack import charts, observed
from smptrack.domain import fade

FIVE = ("frontal_hairline", "left_temple", "right_temple", "mid_scalp", "crown")


def five_zone_client() -> tuple[fade.Projection, list, list[observed.Rating]]:
    client = fade.ClientFactors(fitzpatrick=3, latitude_band="45_55", lifestyle="average")
    placements = tuple(fade.Placement(zone) for zone in FIVE)
    sessions = [
        fade.TreatmentSession(date(2023, 1, 9), "initial", placements),
        fade.TreatmentSession(date(2023, 1, 30), "build_up", placements),
    ]
    ratings = [
        observed.Rating(
            date(2023, 6, 1) + timedelta(days=120 * i),
            FIVE[i % 5],
            0.95 - 0.03 * i,
            "practitioner_in_person" if i % 2 else "client_self",
        )
        for i in range(10)
    ]
    assessments = [fade.FadeAssessment(r.day, r.zone, r.density, r.assessor) for r in ratings]
    projection = fade.project(client, sessions, [], assessments, as_of=date(2026, 12, 1))
    session_days = [(s.day, {p.zone for p in s.placements}) for s in sessions]
    return projection, session_days, ratings


def cpu_ms(call, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.process_time_ns()
        call()
        times.append((time.process_time_ns() - start) / 1e6)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=500)
    args = parser.parse_args()
    projection, session_days, ratings = five_zone_client()

    from smptrack.app import create_app

    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "bench"})
    chart = charts.fade_chart(projection, session_days, ratings)
    with app.test_request_context("/"):
        template = app.jinja_env.get_template("partials/fade_chart.html")
        template.render(chart=chart, projection=projection)  # compile once
        rows = [
            (
                "charts.fade_chart",
                cpu_ms(lambda: charts.fade_chart(projection, session_days, ratings), args.repeats),
            ),
            (
                "render fade_chart.html",
                cpu_ms(lambda: template.render(chart=chart, projection=projection), args.repeats),
            ),
            (
                "both",
                cpu_ms(
                    lambda: template.render(
                        chart=charts.fade_chart(projection, session_days, ratings),
                        projection=projection,
                    ),
                    args.repeats,
                ),
            ),
        ]
        size = len(template.render(chart=chart, projection=projection))
    print(f"five zones, {len(ratings)} ratings, {args.repeats} repeats; HTML {size:,} bytes")
    print(f"{'step':<26}{'median ms':>10}{'p95 ms':>10}")
    for name, times in rows:
        p95 = statistics.quantiles(times, n=20)[-1]
        print(f"{name:<26}{statistics.median(times):>10.3f}{p95:>10.3f}")


if __name__ == "__main__":
    main()
