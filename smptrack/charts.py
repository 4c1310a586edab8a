"""The fade chart: a projection drawn as server-rendered SVG (no script, no CDN).

``fade_chart`` turns a ``domain.fade.Projection``, the client's sessions and their ratings into
plain geometry that ``chart_markup`` draws as HTML: one panel per zone (its likely
range, its median line, its own ratings and sessions) and, for two or more zones, an "all zones"
panel of median lines only. A radio-button zone picker (CSS only) shows one panel at a time, so
five zones never hide each other's lines or blur their bands into one. Beside it: the window in
words, the latest observed rating against the model (``smptrack.observed``) and a table as the
text alternative. Pure: no Flask, no database. ``section_markup`` (the chart and what the
projection assumed) is stored with the projection when a write materialises it, under
``chart_key`` (services.materialised.fade_section).

Sizing: the SVG's viewBox is 400 units wide and drawn at the column's width (at most 36rem), so a
unit is about 0.9 px on a 390 px phone; the stylesheet sizes the text in units for that (13 units
on a phone, fewer on a wide screen where a unit is larger), which keeps it at 11 px or more.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from markupsafe import Markup, escape

from smptrack import observed
from smptrack.domain import fade
from smptrack.domain.vocabulary import ZONE_LABELS

WIDTH, HEIGHT = 400, 250
LEFT, RIGHT, TOP, BOTTOM = 60, 12, 14, 30
# Colour-blind-safe palette (Okabe-Ito, without yellow and black, which read poorly as thin
# lines on white), one per zone in drawing order; every zone also gets its own marker shape.
PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#882255",
    "#44AA99",
    "#999933",
    "#6A3D9A",
    "#666666",
)
SHAPES = ("circle", "square", "triangle", "diamond", "triangle-down", "plus")
# How far past the latest window date a panel reaches, so the crossing is never at the edge.
_TAIL = timedelta(days=183)
_MAX_POINTS = 30
# How far before the first session a panel starts, so its marker clears the density labels.
_LEAD = timedelta(days=45)


# Named tuples rather than frozen dataclasses: a page makes a few hundred markers, and a frozen
# dataclass's __init__ (object.__setattr__ per field) cost more than placing them.
class Marker(NamedTuple):
    x: float
    y: float
    label: str
    path: str = ""  # SVG path ``d`` of the marker's shape, centred on (x, y)


class Tick(NamedTuple):
    position: float
    label: str


@dataclass(frozen=True)
class Series:
    """One zone inside a panel."""

    zone: str
    label: str
    colour: str
    shape: str
    median_points: str  # "x,y x,y ..." for <polyline>
    band_points: str  # the likely range as one closed <polygon>; "" in the all-zones panel
    ratings: list[Marker]


@dataclass(frozen=True)
class Panel:
    key: str  # the zone, or "all"
    label: str
    series: list[Series]
    sessions: list[Marker]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    threshold_y: float
    today_x: float | None
    description: str


@dataclass(frozen=True)
class ZoneLine:
    """A zone's legend entry: its colour and shape, its window in words and its tags."""

    zone: str
    label: str
    colour: str
    shape: str
    swatch_path: str
    window_text: str
    window: fade.TouchUpWindow
    due_now: bool
    needs_review: bool
    blur_advisory: bool


@dataclass(frozen=True)
class TableRow:
    zone: str
    model_now: str
    observed: str
    earliest: str
    most_likely: str
    latest: str
    disagrees: bool


@dataclass(frozen=True)
class FadeChart:
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    threshold_pct: int
    panels: list[Panel]
    selected: int  # index of the panel shown first: the zone due soonest
    zones: list[ZoneLine]
    comparisons: list[observed.ZoneComparison]
    table: list[TableRow]
    density_now_label: str = observed.DENSITY_NOW_LABEL
    density_now_hint: str = observed.DENSITY_NOW_HINT
    band_hint: str = observed.BAND_HINT

    def markup(self) -> Markup:
        """The chart as HTML (``chart_markup``), for ``{{ chart.markup() }}``."""
        return chart_markup(self)

    def section_markup(self, projection: fade.Projection) -> Markup:
        """The chart and what ``projection`` assumed (``section_markup``)."""
        return section_markup(self, projection)


@functools.lru_cache(maxsize=4096)
def month_year(day: date) -> str:
    # Cached: a chart names the same few months a dozen times, and strftime is slow.
    return day.strftime("%B %Y")


def window_in_words(zone: str, window: fade.TouchUpWindow) -> str:
    """e.g. "Crown: most likely March 2029, between March 2028 and September 2031"."""
    return (
        f"{ZONE_LABELS.get(zone, zone)}: most likely {month_year(window.most_likely)}, "
        f"between {month_year(window.earliest)} and {month_year(window.latest)}"
    )


def shape_path(shape: str, x: float, y: float, size: float = 5.0) -> str:
    """The SVG path of a marker ``shape`` centred on (x, y), about 2*size across."""
    s = size
    if shape == "square":
        return f"M{x - s * 0.85:.1f},{y - s * 0.85:.1f}h{s * 1.7:.1f}v{s * 1.7:.1f}h{-s * 1.7:.1f}z"
    if shape == "triangle":
        return f"M{x:.1f},{y - s:.1f}l{s:.1f},{s * 1.8:.1f}h{-2 * s:.1f}z"
    if shape == "triangle-down":
        return f"M{x:.1f},{y + s:.1f}l{s:.1f},{-s * 1.8:.1f}h{-2 * s:.1f}z"
    if shape == "diamond":
        return f"M{x:.1f},{y - s:.1f}l{s:.1f},{s:.1f}l{-s:.1f},{s:.1f}l{-s:.1f},{-s:.1f}z"
    if shape == "plus":
        t = s * 0.4
        return (
            f"M{x - t:.1f},{y - s:.1f}h{2 * t:.1f}v{s - t:.1f}h{s - t:.1f}v{2 * t:.1f}"
            f"h{t - s:.1f}v{s - t:.1f}h{-2 * t:.1f}v{t - s:.1f}h{t - s:.1f}v{-2 * t:.1f}"
            f"h{s - t:.1f}z"
        )
    r = s * 0.9
    arc = f"a{r:.1f},{r:.1f} 0 1,0"
    return f"M{x - r:.1f},{y:.1f}{arc} {2 * r:.1f},0{arc} {-2 * r:.1f},0z"


class _Axes:
    """A date range and a density range mapped onto the plot area."""

    def __init__(self, start: date, end: date, low: float, high: float):
        self.start, self.end = start, end
        self.low, self.high = low, high
        self._span = max((end - start).days, 1)
        self._plot_w = WIDTH - LEFT - RIGHT
        self._plot_h = HEIGHT - TOP - BOTTOM

    def x(self, day: date) -> float:
        return round(LEFT + self._plot_w * (day - self.start).days / self._span, 1)

    def y(self, density: float) -> float:
        clamped = min(self.high, max(self.low, density))
        return round(TOP + self._plot_h * (self.high - clamped) / (self.high - self.low), 1)

    def xs(self, days: Sequence[date]) -> list[str]:
        """The x of each day, formatted once for the several lines that share them."""
        start, span, plot_w = self.start.toordinal(), self._span, self._plot_w
        return [f"{LEFT + plot_w * (day.toordinal() - start) / span:.1f}" for day in days]

    def polyline(self, xs: Sequence[str], densities: Sequence[float]) -> str:
        """ "x,y x,y ..." for <polyline>: the chart's inner loop, a few hundred points a page.
        No clamping: the density range is chosen from these very values (``_density_range``)."""
        high, scale = self.high, self._plot_h / (self.high - self.low)
        return " ".join(
            f"{x},{TOP + scale * (high - density):.1f}"
            for x, density in zip(xs, densities, strict=True)
        )

    def x_ticks(self) -> list[Tick]:
        years = [y for y in range(self.start.year + 1, self.end.year + 1)]
        # At most about six labels fit 350 units at phone-sized text.
        step = max(1, -(-len(years) // 6))
        return [Tick(self.x(date(y, 1, 1)), str(y)) for y in years[::step]]

    def y_ticks(self) -> list[Tick]:
        low, high = round(self.low * 100), round(self.high * 100)
        step = 10 if high - low <= 50 else 20
        first = -(-low // step) * step
        return [Tick(self.y(v / 100), f"{v} %") for v in range(first, high + 1, step)]


def _density_range(values: Iterable[float], threshold: float) -> tuple[float, float]:
    """From the data, so no line runs flat along the bottom: 5 points of room below the lowest
    value, rounded down to 10 %; the top is 100 % (the healed result) or the highest rating."""
    values = list(values)
    lowest = min([threshold, *values]) - 0.05
    highest = max([1.0, *values])
    return max(0.0, int(lowest * 10) / 10), min(1.0, -(-round(highest * 100) // 10) / 10)


def _clip(curve: Sequence[fade.CurvePoint], end: date) -> list[fade.CurvePoint]:
    """The curve up to the first point on or after ``end``, thinned to at most about
    ``_MAX_POINTS`` (the monthly curve is smooth; 350 units of width need no more), always
    keeping the first and the last point."""
    points = []
    for point in curve:
        points.append(point)
        if point.day >= end:
            break
    step = -(-len(points) // _MAX_POINTS)
    if step > 1:
        points = [*points[:-1:step], points[-1]]
    return points


def _panel_end(zone: fade.ZoneProjection, as_of: date) -> date:
    return max(zone.window.latest + _TAIL, as_of + timedelta(days=365))


def _rating_markers(axes: _Axes, ratings: Sequence[observed.Rating], shape: str) -> list[Marker]:
    markers = []
    for rating in ratings:
        if not axes.start <= rating.day <= axes.end:
            continue
        x, y = axes.x(rating.day), axes.y(rating.density)
        markers.append(
            Marker(
                x,
                y,
                f"{ZONE_LABELS.get(rating.zone, rating.zone)} rated {round(rating.density * 100)} %"
                f" on {observed.day_in_words(rating.day)}"
                f" ({observed.ASSESSOR_WORDS.get(rating.assessor, rating.assessor)})",
                shape_path(shape, x, y),
            )
        )
    return markers


def _session_markers(axes: _Axes, days: Iterable[date], labels: dict[date, str]) -> list[Marker]:
    """A marker per session day in the panel; ``labels`` holds each day's words, made once for
    the chart's panels, which mark the same days."""
    bottom = HEIGHT - BOTTOM
    return [
        Marker(axes.x(d), bottom, labels[d])
        for d in sorted(set(days))
        if axes.start <= d <= axes.end
    ]


def fade_chart(
    projection: fade.Projection,
    session_days: list[date] | Sequence[tuple[date, Iterable[str]]],
    assessments: Sequence[tuple[date, str, float]] | Sequence[observed.Rating],
) -> FadeChart | None:
    """Geometry for the chart, or None when no zone has been treated.

    ``session_days`` are session dates (each then marks every zone) or (date, zones) pairs;
    ``assessments`` are ``observed.Rating``s in the order recorded, or (day, zone, density)
    triples (counted as practitioner ratings in person).
    """
    if not projection.zones:
        return None
    ratings = [
        a
        if isinstance(a, observed.Rating)
        else observed.Rating(a[0], a[1], a[2], "practitioner_in_person")
        for a in assessments
    ]
    all_zones = tuple(projection.zones)
    sessions = [
        (s, all_zones) if isinstance(s, date) else (s[0], tuple(s[1])) for s in session_days
    ]
    session_labels = {d: f"Session on {observed.day_in_words(d)}" for d, _ in sessions}
    as_of = projection.as_of
    threshold = projection.threshold_density
    by_zone: dict[str, list[observed.Rating]] = {}
    for rating in ratings:
        if rating.day <= as_of:
            by_zone.setdefault(rating.zone, []).append(rating)

    zones: list[ZoneLine] = []
    panels: list[Panel] = []
    overview: list[tuple[fade.ZoneProjection, list[fade.CurvePoint], str, str]] = []
    for index, (name, zp) in enumerate(projection.zones.items()):
        colour, shape = PALETTE[index % len(PALETTE)], SHAPES[index % len(SHAPES)]
        label = ZONE_LABELS.get(name, name)
        zone_sessions = [d for d, treated in sessions if name in treated]
        zone_ratings = by_zone.get(name, [])
        start = min([zp.baseline, *zone_sessions]) - _LEAD
        points = _clip(zp.curve, _panel_end(zp, as_of))
        end = points[-1].day
        low, high = _density_range(
            [p.density_p10 for p in points]
            + [r.density for r in zone_ratings if start <= r.day <= end],
            threshold,
        )
        axes = _Axes(start, end, low, high)
        xs = axes.xs([p.day for p in points])
        upper = axes.polyline(xs, [p.density_p90 for p in points])
        lower = axes.polyline(xs[::-1], [p.density_p10 for p in reversed(points)])
        series = Series(
            zone=name,
            label=label,
            colour=colour,
            shape=shape,
            median_points=axes.polyline(xs, [p.density for p in points]),
            band_points=f"{upper} {lower}",
            ratings=_rating_markers(axes, zone_ratings, shape),
        )
        panels.append(
            Panel(
                key=name,
                label=label,
                series=[series],
                sessions=_session_markers(axes, zone_sessions, session_labels),
                x_ticks=axes.x_ticks(),
                y_ticks=axes.y_ticks(),
                threshold_y=axes.y(threshold),
                today_x=axes.x(as_of) if start <= as_of <= end else None,
                description=(
                    f"{label}: the model's most likely density over time, with its likely "
                    f"range shaded, the touch-up level at {round(threshold * 100)} %, "
                    f"{len(series.ratings)} rating(s) and today. "
                    + window_in_words(name, zp.window)
                    + "."
                ),
            )
        )
        overview.append((zp, points, colour, shape))
        zones.append(
            ZoneLine(
                zone=name,
                label=label,
                colour=colour,
                shape=shape,
                swatch_path=shape_path(shape, 8, 8, 6),
                window_text=window_in_words(name, zp.window),
                window=zp.window,
                due_now=zp.due_now,
                needs_review=zp.needs_review,
                blur_advisory=zp.blur_colour_advisory,
            )
        )
    if len(overview) > 1:
        panels.append(
            _overview_panel(overview, sessions, session_labels, by_zone, as_of, threshold)
        )

    comparisons = observed.compare(projection, ratings)
    selected = list(projection.zones).index(projection.next_touch_up_zone or all_zones[0])
    return FadeChart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_top=TOP,
        plot_bottom=HEIGHT - BOTTOM,
        threshold_pct=round(threshold * 100),
        panels=panels,
        selected=selected,
        zones=zones,
        comparisons=comparisons,
        table=[_row(projection.zones[c.zone], c) for c in comparisons],
    )


def _overview_panel(
    overview: Sequence[tuple[fade.ZoneProjection, list[fade.CurvePoint], str, str]],
    sessions: Sequence[tuple[date, tuple[str, ...]]],
    session_labels: dict[date, str],
    by_zone: dict[str, list[observed.Rating]],
    as_of: date,
    threshold: float,
) -> Panel:
    """Every zone's median line and ratings on one set of axes, without bands: the bands are in
    the zone panels, where they cannot hide each other."""
    start = min([zp.baseline for zp, *_ in overview] + [d for d, _ in sessions]) - _LEAD
    end = max(points[-1].day for _, points, *_ in overview)
    zone_names = {zp.zone for zp, *_ in overview}
    shown = [r for name in zone_names for r in by_zone.get(name, []) if start <= r.day <= end]
    low, high = _density_range(
        [p.density for _, points, *_ in overview for p in points] + [r.density for r in shown],
        threshold,
    )
    axes = _Axes(start, end, low, high)
    series = [
        Series(
            zone=zp.zone,
            label=ZONE_LABELS.get(zp.zone, zp.zone),
            colour=colour,
            shape=shape,
            median_points=axes.polyline(
                axes.xs([p.day for p in points]), [p.density for p in points]
            ),
            band_points="",
            ratings=_rating_markers(axes, by_zone.get(zp.zone, []), shape),
        )
        for zp, points, colour, shape in overview
    ]
    return Panel(
        key="all",
        label="All zones",
        series=series,
        sessions=_session_markers(axes, [d for d, _ in sessions], session_labels),
        x_ticks=axes.x_ticks(),
        y_ticks=axes.y_ticks(),
        threshold_y=axes.y(threshold),
        today_x=axes.x(as_of) if start <= as_of <= end else None,
        description=(
            "All zones: each zone's most likely density over time in its own colour, its "
            f"ratings in its own colour and shape, and the touch-up level at "
            f"{round(threshold * 100)} %."
        ),
    )


def _row(zp: fade.ZoneProjection, comparison: observed.ZoneComparison) -> TableRow:
    if comparison.rating is None:
        seen = "not rated yet"
    else:
        seen = f"{comparison.rating_pct} %, {comparison.rated_by}, {comparison.rated_on}"
    return TableRow(
        zone=comparison.label,
        model_now=f"{comparison.model_now_pct} %",
        observed=seen,
        earliest=month_year(zp.window.earliest),
        most_likely=month_year(zp.window.most_likely),
        latest=month_year(zp.window.latest),
        disagrees=comparison.disagrees,
    )


def chart_for_history(projection: fade.Projection, history: object) -> FadeChart | None:
    """The chart for a client page, marking the sessions and ratings ``history`` holds
    (a ``services.history.ClientHistory``: ``sessions`` and ``assessments``, newest first, and
    ``people``, user id to name)."""
    sessions = getattr(history, "sessions", [])
    assessments = getattr(history, "assessments", [])
    people = getattr(history, "people", {}) or {}
    return fade_chart(
        projection,
        [(s.performed_on, {p.zone for p in s.placements}) for s in sessions if s.placements],
        [
            observed.Rating(
                day=a.assessed_on,
                zone=a.zone,
                density=a.density_pct / 100,
                assessor=a.assessor_kind,
                by_name=people.get(a.assessed_by_id),
            )
            for a in reversed(assessments)  # oldest first: the order they were recorded
        ],
    )


# --- the chart's markup ---------------------------------------------------------------------
# Built with plain string joins rather than a Jinja template: the page draws seven panels of a
# few hundred elements each, and a template's per-element escaping and attribute lookups cost
# about ten times the joins (bench/pages.py, `history` against `history-no-chart`). Every text
# that is not a number or a constant of this module goes through ``escape``.


def _esc(text: object) -> str:
    return str(escape(text))


def _panel_svg(chart: FadeChart, panel: Panel) -> str:
    left, right, top, bottom = chart.plot_left, chart.plot_right, chart.plot_top, chart.plot_bottom
    key = _esc(panel.key)
    label = _esc(panel.label)
    out = [
        f'<div class="zone-panel" data-zone="{key}">'
        f'<svg class="fade-plot" viewBox="0 0 {chart.width} {chart.height}" role="img" '
        f'aria-labelledby="fade-title-{key} fade-desc-{key}" '
        'preserveAspectRatio="xMidYMid meet">'
        f'<title id="fade-title-{key}">Projected pigment density: {label}</title>'
        f'<desc id="fade-desc-{key}">{_esc(panel.description)} '
        "The same figures are in the table below.</desc>"
    ]
    for tick in panel.y_ticks:
        out.append(
            f'<line x1="{left}" x2="{right}" y1="{tick.position}" y2="{tick.position}" '
            f'class="grid"/><text x="{left - 4}" y="{tick.position + 4}" text-anchor="end" '
            f'class="axis">{_esc(tick.label)}</text>'
        )
    for tick in panel.x_ticks:
        out.append(
            f'<line x1="{tick.position}" x2="{tick.position}" y1="{top}" y2="{bottom}" '
            f'class="grid"/><text x="{tick.position}" y="{bottom + 18}" text-anchor="middle" '
            f'class="axis">{_esc(tick.label)}</text>'
        )
    for s in panel.series:
        if s.band_points:
            out.append(
                f'<polygon points="{s.band_points}" fill="{s.colour}" fill-opacity="0.18" '
                f'stroke="{s.colour}" stroke-opacity="0.6" stroke-width="1" '
                'stroke-dasharray="3 2" class="band"/>'
            )
    out.append(
        f'<line x1="{left}" x2="{right}" y1="{panel.threshold_y}" y2="{panel.threshold_y}" '
        'class="threshold"/>'
    )
    for s in panel.series:
        out.append(
            f'<polyline points="{s.median_points}" fill="none" stroke="{s.colour}" '
            f'stroke-width="2.5" data-zone="{_esc(s.zone)}" class="median"/>'
        )
    out.append(
        f'<text x="{right - 2}" y="{panel.threshold_y - 5}" text-anchor="end" '
        f'class="axis threshold-label">touch-up level {chart.threshold_pct} %</text>'
    )
    if panel.today_x is not None:
        out.append(
            f'<line x1="{panel.today_x}" x2="{panel.today_x}" y1="{top}" y2="{bottom}" '
            f'class="today"/><text x="{panel.today_x + 3}" y="{top + 11}" class="axis">today</text>'
        )
    out.extend(
        f'<rect x="{m.x - 1.5}" y="{m.y - 9}" width="3" height="9" class="session-marker">'
        f"<title>{_esc(m.label)}</title></rect>"
        for m in panel.sessions
    )
    for s in panel.series:
        zone = _esc(s.zone)
        out.extend(
            f'<path d="{m.path}" fill="{s.colour}" class="rating-marker" data-zone="{zone}">'
            f"<title>{_esc(m.label)}</title></path>"
            for m in s.ratings
        )
    out.append("</svg></div>")
    return "".join(out)


def _swatch(line: ZoneLine) -> str:
    return (
        '<svg class="swatch" viewBox="0 0 16 16" aria-hidden="true" focusable="false">'
        f'<path d="{line.swatch_path}" fill="{line.colour}"/></svg>'
    )


def chart_markup(chart: FadeChart) -> Markup:
    """The chart as HTML: the zone picker, one SVG per panel, the legend with each zone's
    window and rating against the model, and the table that is its text alternative. One panel
    per zone is picked with radio buttons; the stylesheet shows the checked one, so it works
    without JavaScript (without CSS every panel shows)."""
    label_now = _esc(chart.density_now_label)
    out = [
        '<figure class="fade-chart" aria-labelledby="fade-chart-caption"><div class="zone-picker">'
    ]
    for index, panel in enumerate(chart.panels):
        key = _esc(panel.key)
        checked = " checked" if index == chart.selected else ""
        out.append(
            f'<input type="radio" class="zone-radio visually-hidden" name="fade-zone" '
            f'id="fade-zone-{key}" value="{key}"{checked}>'
        )
    out.append(
        '<div class="zone-tabs"><span class="zone-tabs-label" aria-hidden="true">Show:</span>'
    )
    for index, panel in enumerate(chart.panels):
        swatch = _swatch(chart.zones[index]) if panel.key != "all" else ""
        out.append(f'<label for="fade-zone-{_esc(panel.key)}">{swatch}{_esc(panel.label)}</label>')
    out.append('</div><div class="zone-panels">')
    out.extend(_panel_svg(chart, panel) for panel in chart.panels)
    out.append('</div></div><figcaption id="fade-chart-caption"><ul class="legend">')
    for zone, c in zip(chart.zones, chart.comparisons, strict=False):
        out.append(
            f'<li class="zone-summary" data-zone="{_esc(zone.zone)}">{_swatch(zone)} '
            f'<span class="window-text">{_esc(zone.window_text)}</span>'
        )
        if zone.due_now:
            out.append(' <span class="tag tag-due-now">due now</span>')
        if zone.needs_review:
            out.append(' <span class="tag tag-review-flag">review flag</span>')
        if zone.blur_advisory:
            out.append(' <span class="tag tag-blur-colour-advisory">blur/colour advisory</span>')
        disagrees = " disagrees" if c.disagrees else ""
        out.append(
            f' <p class="observed-vs-model{disagrees}">'
            f'<span class="model-now">{label_now}: {_esc(c.model_now_pct)} %.</span> '
            f'<span class="observed-text">{_esc(c.summary)}</span>'
        )
        for css, text in (
            ("due-text", c.due_text),
            ("flag-text", c.flag_text),
            ("advisory-text", c.advisory_text),
        ):
            if text:
                out.append(f' <span class="{css}">{_esc(text)}</span>')
        out.append("</p></li>")
    out.append(
        f'</ul><p class="hint">{_esc(chart.density_now_hint)} {_esc(chart.band_hint)} '
        "The dashed red line is the touch-up level: below it, a touch-up is worth booking. "
        "Coloured shapes are ratings (each zone has its own colour and shape); bars on the time "
        "axis mark sessions.</p></figcaption>"
        '<table class="list cards fade-table"><caption>The projection as a table</caption>'
        f'<thead><tr><th scope="col">Zone</th><th scope="col">{label_now}</th>'
        '<th scope="col">Last rating (by whom, when)</th><th scope="col">Earliest</th>'
        '<th scope="col">Most likely</th><th scope="col">Latest</th></tr></thead><tbody>'
    )
    for row in chart.table:
        disagrees = ' class="disagrees"' if row.disagrees else ""
        out.append(
            f'<tr{disagrees}><th scope="row">{_esc(row.zone)}</th>'
            f'<td data-label="{label_now}">{_esc(row.model_now)}</td>'
            f'<td data-label="Last rating">{_esc(row.observed)}</td>'
            f'<td data-label="Earliest touch-up">{_esc(row.earliest)}</td>'
            f'<td data-label="Most likely touch-up">{_esc(row.most_likely)}</td>'
            f'<td data-label="Latest touch-up">{_esc(row.latest)}</td></tr>'
        )
    out.append(
        '</tbody></table><p class="hint">Earliest, most likely and latest: when this zone is '
        "expected to fade to the touch-up level. The model expects the true date between the "
        "earliest and the latest 8 times out of 10.</p></figure>"
    )
    # Safe: every text in it is a constant of this module, a number, or went through _esc.
    return Markup("".join(out))  # noqa: S704


def section_markup(chart: FadeChart, projection: fade.Projection) -> Markup:
    """The client page's fade chart section body: the chart, then what the projection assumed
    (what ``templates/partials/projection_section.html`` shows; stored with the projection by
    ``services.materialised`` and keyed by ``chart_key``)."""
    out = [chart_markup(chart)]
    if projection.assumptions:
        lines = "".join(f"<li>{_esc(line)}</li>" for line in projection.assumptions)
        out.append(
            f"<details><summary>What the projection assumed</summary><ul>{lines}</ul>"
            f'<p class="hint">Worked out on {_esc(observed.day_in_words(projection.as_of))} by '
            f"the fade model {_esc(projection.model_version)}: the dates are estimates from "
            "the sessions, the sun log and the ratings so far, not guarantees.</p></details>"
        )
    # Safe: chart_markup's is, and every other text went through _esc.
    return Markup("".join(out))  # noqa: S704


@functools.cache
def _code_digest() -> hashlib._Hash:
    """SHA-256 fed with ``_code_version``, copied for each key: hashing 46 kB of source was
    most of a key's cost, on every client page."""
    return hashlib.sha256(_code_version())


@functools.cache
def _code_version() -> bytes:
    """The source of what draws the chart and its words (this module, ``observed`` and the
    zone labels): a stored chart drawn by other code (a release since it was stored) no longer
    matches its key, whoever forgot to bump a number. Not the fade model's: a new model changes
    the stored projection, which is stored with its chart."""
    from pathlib import Path

    from smptrack.domain import vocabulary

    return (
        b"".join(Path(module.__file__).read_bytes() for module in (observed, vocabulary))
        + Path(__file__).read_bytes()
    )


def chart_key(history: object) -> str:
    """SHA-256 (hex) of what the chart shows besides the projection: each session's day and
    zones, each rating (day, zone, density, kind, who), and the chart's code. Computed from the
    ``services.history.ClientHistory`` the chart is drawn from; a stored chart whose key differs
    from the page's (a renamed assessor, a newer release) is drawn again instead."""
    sessions = getattr(history, "sessions", [])
    assessments = getattr(history, "assessments", [])
    people = getattr(history, "people", {}) or {}
    marks = (
        [(s.performed_on, sorted({p.zone for p in s.placements})) for s in sessions],
        [
            (a.assessed_on, a.zone, a.density_pct, a.assessor_kind, people.get(a.assessed_by_id))
            for a in assessments
        ],
    )
    digest = _code_digest().copy()
    digest.update(repr(marks).encode())
    return digest.hexdigest()
