"""The fade chart's geometry and words: the reference client of FADE-MODEL.md §8, and a five-zone
client (issue 10 item 6: one zone per panel, own colour and shape, no flat line at a floor)."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest

from smptrack import charts, observed
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
    (series,) = chart.panels[0].series
    median = [tuple(map(float, p.split(","))) for p in series.median_points.split()]
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
    (panel,) = chart.panels  # one zone: no "all zones" panel
    assert chart.threshold_pct == 70
    assert chart.plot_top < panel.threshold_y < chart.plot_bottom
    assert panel.today_x is not None and chart.plot_left < panel.today_x < chart.plot_right
    assert len(panel.sessions) == 1 and len(panel.series[0].ratings) == 1
    assert "90 %" in panel.series[0].ratings[0].label
    assert [row.zone for row in chart.table] == ["Crown"]


def test_no_treated_zone_means_no_chart() -> None:
    client = fade.ClientFactors(fitzpatrick=3, latitude_band="45_55", lifestyle="average")
    projection = fade.project(client, [], [], [], as_of=date(2025, 6, 1))
    assert charts.fade_chart(projection, [], []) is None


# --- five zones -------------------------------------------------------------------------------

FIVE = ("frontal_hairline", "left_temple", "right_temple", "mid_scalp", "crown")


@pytest.fixture
def five_zone_projection() -> tuple[fade.Projection, list[observed.Rating]]:
    """A sunny outdoor worker (fast fading) treated on five zones, with ratings of two of them."""
    client = fade.ClientFactors(fitzpatrick=2, latitude_band="under_25", lifestyle="outdoor_worker")
    placements = tuple(fade.Placement(zone) for zone in FIVE)
    sessions = [
        fade.TreatmentSession(date(2024, 1, 8), "initial", placements),
        fade.TreatmentSession(date(2024, 1, 29), "build_up", placements),
    ]
    ratings = [
        observed.Rating(date(2024, 9, 2), "crown", 0.80, "practitioner_in_person"),
        observed.Rating(date(2025, 3, 3), "crown", 0.62, "practitioner_in_person"),
        observed.Rating(date(2025, 3, 10), "frontal_hairline", 0.75, "client_self"),
    ]
    assessments = [fade.FadeAssessment(r.day, r.zone, r.density, r.assessor) for r in ratings]
    projection = fade.project(client, sessions, [], assessments, as_of=date(2025, 4, 1))
    return projection, ratings


def _points(text: str) -> list[tuple[float, float]]:
    return [tuple(map(float, p.split(","))) for p in text.split()]


def test_five_zones_get_a_panel_each_and_an_all_zones_panel(five_zone_projection) -> None:
    projection, ratings = five_zone_projection
    chart = charts.fade_chart(projection, [date(2024, 1, 8), date(2024, 1, 29)], ratings)
    assert [p.key for p in chart.panels] == [*FIVE, "all"]
    # Each zone panel draws one zone, with its band; the overview has five lines and no band.
    for panel in chart.panels[:5]:
        assert [s.zone for s in panel.series] == [panel.key]
        assert panel.series[0].band_points
    assert [s.zone for s in chart.panels[5].series] == list(FIVE)
    assert all(s.band_points == "" for s in chart.panels[5].series)
    # The panel shown first is the zone due soonest.
    assert chart.panels[chart.selected].key == projection.next_touch_up_zone


def test_each_zone_has_its_own_colour_and_its_own_shape(five_zone_projection) -> None:
    projection, ratings = five_zone_projection
    chart = charts.fade_chart(projection, [date(2024, 1, 8)], ratings)
    assert len({z.colour for z in chart.zones}) == 5
    assert len({z.shape for z in chart.zones}) == 5
    assert len({z.swatch_path for z in chart.zones}) == 5
    crown = chart.panels[FIVE.index("crown")]
    # Only the crown's own two ratings are in the crown's panel, drawn in the crown's shape.
    assert len(crown.series[0].ratings) == 2
    x, y = crown.series[0].ratings[0].x, crown.series[0].ratings[0].y
    assert crown.series[0].ratings[0].path == charts.shape_path(crown.series[0].shape, x, y)
    overview = chart.panels[-1]
    assert sum(len(s.ratings) for s in overview.series) == 3


def test_no_line_runs_flat_along_the_bottom_of_its_panel(five_zone_projection) -> None:
    projection, ratings = five_zone_projection
    chart = charts.fade_chart(projection, [date(2024, 1, 8)], ratings)
    lowest_p10 = min(p.density_p10 for z in projection.zones.values() for p in z.curve[:40])
    assert lowest_p10 < 0.4, "the fixture should fade below the old 40 % floor"
    for panel in chart.panels:
        for series in panel.series:
            ys = [y for _, y in _points(series.median_points)]
            ys += [y for _, y in _points(series.band_points)] if series.band_points else []
            assert max(ys) < chart.plot_bottom, f"{panel.key}: a line touches the floor"
    # The axes reach below 40 % where the data do, and say so on the lowest tick.
    assert any(int(panel.y_ticks[0].label.split()[0]) < 40 for panel in chart.panels)


def test_time_labels_fit_a_phone(five_zone_projection) -> None:
    projection, ratings = five_zone_projection
    chart = charts.fade_chart(projection, [date(2024, 1, 8)], ratings)
    for panel in chart.panels:
        assert 1 <= len(panel.x_ticks) <= 6
        gaps = [b.position - a.position for a, b in pairwise(panel.x_ticks)]
        # a four-digit year at 13 units is about 32 units wide
        assert all(gap >= 40 for gap in gaps)


def test_the_table_puts_the_latest_rating_beside_the_model(five_zone_projection) -> None:
    projection, ratings = five_zone_projection
    chart = charts.fade_chart(projection, [date(2024, 1, 8)], ratings)
    rows = {row.zone: row for row in chart.table}
    assert rows["Crown"].observed == "62 %, practitioner, in person, 3 March 2025"
    assert rows["Frontal hairline"].observed == "75 %, client's own rating, 10 March 2025"
    assert rows["Mid-scalp"].observed == "not rated yet"
    assert rows["Crown"].model_now == f"{round(projection.zones['crown'].density_now * 100)} %"
    assert chart.density_now_label == "Model estimate for today"
