"""The fade chart: a projection drawn as a server-rendered SVG (no script, no CDN).

``fade_chart`` turns a ``domain.fade.Projection`` and the client's session and assessment dates
into plain geometry (polylines, polygons, markers, axis ticks) that
``templates/partials/fade_chart.html`` draws, plus the window in words and a table as the text
alternative. Pure: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from smptrack.domain import fade
from smptrack.domain.vocabulary import ZONE_LABELS

WIDTH, HEIGHT = 720, 320
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40
DENSITY_MIN, DENSITY_MAX = 0.4, 1.0
# Colour-blind-safe palette (Okabe-Ito), one per zone in drawing order.
PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#F0E442",
    "#999999",
    "#882255",
    "#44AA99",
)


@dataclass(frozen=True)
class ZoneLine:
    zone: str
    label: str
    colour: str
    median_points: str  # "x,y x,y ..." for <polyline>
    band_points: str  # the 80 % band as one closed <polygon>
    window_text: str
    window: fade.TouchUpWindow
    due_now: bool
    needs_review: bool
    blur_advisory: bool


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class FadeChart:
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    zones: list[ZoneLine]
    threshold_y: float
    threshold_pct: int
    today_x: float | None
    sessions: list[Marker]
    assessments: list[Marker]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    table: list[tuple[str, str, str, str, str]]  # zone, density now, earliest, most likely, latest


def month_year(day: date) -> str:
    return day.strftime("%B %Y")


def window_in_words(zone: str, window: fade.TouchUpWindow) -> str:
    """e.g. "Crown: most likely March 2029, between March 2028 and September 2031"."""
    return (
        f"{ZONE_LABELS.get(zone, zone)}: most likely {month_year(window.most_likely)}, "
        f"between {month_year(window.earliest)} and {month_year(window.latest)}"
    )


def fade_chart(
    projection: fade.Projection,
    session_days: list[date],
    assessments: list[tuple[date, str, float]],  # (day, zone, density 0..1)
) -> FadeChart | None:
    """Geometry for the chart, or None when no zone has been treated."""
    if not projection.zones:
        return None
    points = [p for z in projection.zones.values() for p in z.curve]
    start = min([p.day for p in points] + session_days)
    end = max([p.day for p in points] + [z.window.latest for z in projection.zones.values()])
    span = max((end - start).days, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        return round(LEFT + plot_w * (day - start).days / span, 1)

    def y(density: float) -> float:
        clamped = min(DENSITY_MAX, max(DENSITY_MIN, density))
        return round(TOP + plot_h * (DENSITY_MAX - clamped) / (DENSITY_MAX - DENSITY_MIN), 1)

    zones = []
    for index, (zone, zp) in enumerate(projection.zones.items()):
        median = " ".join(f"{x(p.day)},{y(p.density)}" for p in zp.curve)
        upper = [f"{x(p.day)},{y(p.density_p90)}" for p in zp.curve]
        lower = [f"{x(p.day)},{y(p.density_p10)}" for p in reversed(zp.curve)]
        zones.append(
            ZoneLine(
                zone=zone,
                label=ZONE_LABELS.get(zone, zone),
                colour=PALETTE[index % len(PALETTE)],
                median_points=median,
                band_points=" ".join(upper + lower),
                window_text=window_in_words(zone, zp.window),
                window=zp.window,
                due_now=zp.due_now,
                needs_review=zp.needs_review,
                blur_advisory=zp.blur_colour_advisory,
            )
        )
    x_ticks = [
        Tick(x(date(year, 1, 1)), str(year))
        for year in range(start.year + 1, end.year + 1)
        if start <= date(year, 1, 1) <= end
    ]
    y_ticks = [Tick(y(v / 100), f"{v} %") for v in range(40, 101, 10)]
    today = projection.as_of
    return FadeChart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_top=TOP,
        plot_bottom=HEIGHT - BOTTOM,
        zones=zones,
        threshold_y=y(projection.threshold_density),
        threshold_pct=round(projection.threshold_density * 100),
        today_x=x(today) if start <= today <= end else None,
        sessions=[Marker(x(d), HEIGHT - BOTTOM, f"Session {d.isoformat()}") for d in session_days],
        assessments=[
            Marker(
                x(d),
                y(density),
                f"{ZONE_LABELS.get(z, z)} rated {round(density * 100)} % on {d.isoformat()}",
            )
            for d, z, density in assessments
            if start <= d <= end
        ],
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        table=[
            (
                ZONE_LABELS.get(zone, zone),
                f"{round(zp.density_now * 100)} %",
                month_year(zp.window.earliest),
                month_year(zp.window.most_likely),
                month_year(zp.window.latest),
            )
            for zone, zp in projection.zones.items()
        ],
    )


def chart_for_history(projection: fade.Projection, history: object) -> FadeChart | None:
    """The chart for a client page, marking the sessions and assessments ``history`` holds
    (a ``services.history.ClientHistory``: ``sessions`` and ``assessments``)."""
    sessions = getattr(history, "sessions", [])
    assessments = getattr(history, "assessments", [])
    return fade_chart(
        projection,
        [s.performed_on for s in sessions if s.placements],
        [(a.assessed_on, a.zone, a.density_pct / 100) for a in assessments],
    )
