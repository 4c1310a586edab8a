"""The fade chart's geometry and words, from the reference client of FADE-MODEL.md §8."""

from __future__ import annotations

from datetime import date

import pytest

from smptrack import charts
from smptrack.domain import fade, uv


@pytest.fixture
def reference_projection() -> fade.Projection:
    client = fade.ClientFactors(
        fitzpatrick=3,
        latitude_band="45_55",
        lifestyle="average",
        habits=uv.Habits(cap_fraction=0.25),
    )
    sessions = [
        fade.TreatmentSession(day, kind, (fade.Placement("crown"),))
        for day, kind in (
            (date(2024, 12, 2), "initial"),
            (date(2024, 12, 16), "build_up"),
            (date(2025, 1, 6), "build_up"),
        )
    ]
    return fade.project(client, sessions, [], [], as_of=date(2025, 6, 1), sigma=0.30)


def test_the_window_reads_as_the_check_case_dates_in_words(
    reference_projection: fade.Projection,
) -> None:
    chart = charts.fade_chart(reference_projection, [date(2025, 1, 6)], [])
    # §8: most likely 2029-08-12, window 2028-03-03 -> 2031-09-25 (± 3 days).
    assert chart.zones[0].window_text == (
        "Crown: most likely August 2029, between March 2028 and September 2031"
    )


def test_the_median_line_never_rises_and_stays_inside_its_band(
    reference_projection: fade.Projection,
) -> None:
    chart = charts.fade_chart(reference_projection, [date(2025, 1, 6)], [])
    median = [tuple(map(float, p.split(","))) for p in chart.zones[0].median_points.split()]
    xs = [x for x, _ in median]
    ys = [y for _, y in median]
    assert xs == sorted(xs)
    assert ys == sorted(ys), "SVG y grows downwards: density must never rise"
    assert all(chart.plot_left <= x <= chart.plot_right for x in xs)
    assert all(chart.plot_top <= y <= chart.plot_bottom for y in ys)


def test_the_threshold_today_and_markers_are_placed(reference_projection: fade.Projection) -> None:
    chart = charts.fade_chart(
        reference_projection, [date(2025, 1, 6)], [(date(2025, 5, 1), "crown", 0.9)]
    )
    assert chart.threshold_pct == 70
    assert chart.plot_top < chart.threshold_y < chart.plot_bottom
    assert chart.today_x is not None and chart.plot_left < chart.today_x < chart.plot_right
    assert len(chart.sessions) == 1 and len(chart.assessments) == 1
    assert "90 %" in chart.assessments[0].label
    assert [row[0] for row in chart.table] == ["Crown"]


def test_no_treated_zone_means_no_chart() -> None:
    client = fade.ClientFactors(fitzpatrick=3, latitude_band="45_55", lifestyle="average")
    projection = fade.project(client, [], [], [], as_of=date(2025, 6, 1))
    assert charts.fade_chart(projection, [], []) is None
