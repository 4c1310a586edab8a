"""The UV index from the sky, for exposures logged without one (FADE-MODEL.md §11).

Standard library only; time is always a parameter (an aware datetime), never the clock.

    Z        solar zenith angle, NOAA solar-position equations (the NOAA Solar Calculator's
             Julian-century series after Meeus), geometric: no refraction correction, which only
             matters within a degree of the horizon where the UV index is ~0 anyway
    UVI      = 12.5 * (cos Z)^2.42 * (ozone / 300 DU)^-1.23 * cloud factor; 0 with the sun down
    SED_amb  = 0.9 * integral of UVI over the window in hours, midpoint rule, steps <= 10 minutes

The midpoint rule: the window is cut into n equal steps of at most 10 minutes and each step is
priced at the UV index of its middle instant. Its error is second order in the step (0.1 % of a
two-hour noon window at 10 minutes) and it never samples the window's ends, so a window that
starts or stops at sunset counts exactly its daylight part.

Default location: the coordinates the tz database gives a time zone (``zone1970.tab``, else the
older per-country ``zone.tab`` for names zone1970 merged into another zone, after following
backward links such as ``US/Eastern``), read from the system tz database or the ``tzdata``
package, whichever ``zoneinfo`` would use. None when neither is installed or the name has no
location (``UTC``, ``Etc/GMT+5``).
"""

from __future__ import annotations

import importlib.resources
import math
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from smptrack.domain.constants import constant
from smptrack.domain.uv import require_choice, require_range
from smptrack.domain.vocabulary import SKIES, Sky

DEFAULT_OZONE_DU: float = constant("ozone_default_du")
_SED_PER_UVI_HOUR = constant("sed_per_uvi_hour")
_MAX_STEP = timedelta(minutes=constant("sky_dose_max_step_minutes"))
_J2000 = datetime(2000, 1, 1, 12, tzinfo=UTC)  # Julian day 2451545.0


@dataclass(frozen=True)
class Location:
    """A point on the Earth in decimal degrees: latitude + north, longitude + east."""

    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        require_range("latitude", self.latitude, -90, 90)
        require_range("longitude", self.longitude, -180, 180)


# --- The sun ------------------------------------------------------------------------------------


def _utc(when: datetime) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"the time must carry its time zone (UTC or local); got naive {when!r}")
    return when.astimezone(UTC)


def solar_zenith_degrees(when: datetime, latitude: float, longitude: float) -> float:
    """The sun's geometric zenith angle (0 overhead, 90 on the horizon, up to 180) in degrees.

    ``when`` must be timezone-aware (ValueError if naive); latitude and longitude in degrees,
    + north and + east (ValueError outside [-90, 90] and [-180, 180]). NOAA Solar Calculator
    equations: accurate to a small fraction of a degree for 1800-2100.
    """
    require_range("latitude", latitude, -90, 90)
    require_range("longitude", longitude, -180, 180)
    utc = _utc(when)
    julian_century = (utc - _J2000).total_seconds() / 86400.0 / 36525.0
    jc = julian_century
    mean_longitude = (280.46646 + jc * (36000.76983 + jc * 0.0003032)) % 360.0
    mean_anomaly = math.radians(357.52911 + jc * (35999.05029 - 0.0001537 * jc))
    eccentricity = 0.016708634 - jc * (0.000042037 + 0.0000001267 * jc)
    centre = (
        math.sin(mean_anomaly) * (1.914602 - jc * (0.004817 + 0.000014 * jc))
        + math.sin(2 * mean_anomaly) * (0.019993 - 0.000101 * jc)
        + math.sin(3 * mean_anomaly) * 0.000289
    )
    omega = math.radians(125.04 - 1934.136 * jc)
    apparent_longitude = math.radians(mean_longitude + centre - 0.00569 - 0.00478 * math.sin(omega))
    mean_obliquity = (
        23.0 + (26.0 + (21.448 - jc * (46.815 + jc * (0.00059 - jc * 0.001813))) / 60.0) / 60.0
    )
    obliquity = math.radians(mean_obliquity + 0.00256 * math.cos(omega))
    declination = math.asin(math.sin(obliquity) * math.sin(apparent_longitude))

    y = math.tan(obliquity / 2) ** 2
    l0 = math.radians(mean_longitude)
    equation_of_time_minutes = 4.0 * math.degrees(
        y * math.sin(2 * l0)
        - 2 * eccentricity * math.sin(mean_anomaly)
        + 4 * eccentricity * y * math.sin(mean_anomaly) * math.cos(2 * l0)
        - 0.5 * y * y * math.sin(4 * l0)
        - 1.25 * eccentricity * eccentricity * math.sin(2 * mean_anomaly)
    )
    minutes_utc = utc.hour * 60 + utc.minute + (utc.second + utc.microsecond / 1e6) / 60
    true_solar_minutes = (minutes_utc + equation_of_time_minutes + 4.0 * longitude) % 1440.0
    hour_angle = math.radians(true_solar_minutes / 4.0 - 180.0)

    lat = math.radians(latitude)
    cos_zenith = math.sin(lat) * math.sin(declination) + math.cos(lat) * math.cos(
        declination
    ) * math.cos(hour_angle)
    return math.degrees(math.acos(max(-1.0, min(1.0, cos_zenith))))


# --- The UV index -------------------------------------------------------------------------------


def clear_sky_uv_index(zenith_degrees: float, ozone_du: float = DEFAULT_OZONE_DU) -> float:
    """12.5 * (cos Z)^2.42 * (ozone/300)^-1.23, and 0 with the sun at or below the horizon.

    Raises ValueError for a zenith outside [0, 180] or an ozone column outside 100..600 DU
    (beyond anything observed, so a typo rather than a sky).
    """
    require_range("zenith_degrees", zenith_degrees, 0, 180)
    require_range("ozone_du", ozone_du, 100, 600)
    cos_zenith = math.cos(math.radians(zenith_degrees))
    if cos_zenith <= 0:
        return 0.0
    return (
        constant("clear_sky_uvi_overhead")
        * cos_zenith ** constant("clear_sky_uvi_zenith_exponent")
        * (ozone_du / constant("ozone_reference_du")) ** constant("clear_sky_uvi_ozone_exponent")
    )


def cloud_factor(sky: str) -> float:
    """The share of clear-sky UV that reaches the ground under ``sky`` (ValueError if unknown)."""
    require_choice("sky", sky, SKIES)
    return constant(f"cloud_factor.{sky}")


def uv_index_from_sky(
    when: datetime,
    location: Location,
    sky: Sky = "clear",
    ozone_du: float = DEFAULT_OZONE_DU,
) -> float:
    """The estimated UV index at one instant: clear-sky UVI at the sun's zenith times the cloud
    factor. ``when`` must be timezone-aware."""
    zenith = solar_zenith_degrees(when, location.latitude, location.longitude)
    return clear_sky_uv_index(zenith, ozone_du) * cloud_factor(sky)


def _midpoints(start: datetime, end: datetime) -> tuple[list[datetime], float]:
    """The middle instants of equal steps of at most 10 minutes over [start, end], and the step
    length in hours."""
    if end <= start:
        raise ValueError(f"the window must end after it starts; got {start} to {end}")
    steps = math.ceil((end - start) / _MAX_STEP)
    step = (end - start) / steps
    return [start + step * (i + 0.5) for i in range(steps)], step / timedelta(hours=1)


def ambient_sed_from_sky(
    start: datetime,
    end: datetime,
    location: Location,
    sky: Sky = "clear",
    ozone_du: float = DEFAULT_OZONE_DU,
) -> float:
    """Estimated ambient erythemal dose in SED of being outdoors from ``start`` to ``end``:
    0.9 * the UV index integrated over the window in hours (midpoint rule, steps <= 10 min).

    Both times timezone-aware (ValueError if naive or if ``end <= start``). The dose is an
    estimate: callers mark it so. Hours with the sun down add nothing.
    """
    start, end = _utc(start), _utc(end)
    midpoints, step_hours = _midpoints(start, end)
    factor = cloud_factor(sky)
    uvi_hours = sum(
        clear_sky_uv_index(
            solar_zenith_degrees(instant, location.latitude, location.longitude), ozone_du
        )
        for instant in midpoints
    )
    return _SED_PER_UVI_HOUR * factor * uvi_hours * step_hours


def uv_index_average_from_sky(
    start: datetime,
    end: datetime,
    location: Location,
    sky: Sky = "clear",
    ozone_du: float = DEFAULT_OZONE_DU,
) -> float:
    """The window's mean estimated UV index, so that ``0.9 * mean * hours`` is
    ``ambient_sed_from_sky``: what a ``uv.Exposure`` with ``uv_index_kind="average"`` takes."""
    hours = (_utc(end) - _utc(start)) / timedelta(hours=1)
    return ambient_sed_from_sky(start, end, location, sky, ozone_du) / (_SED_PER_UVI_HOUR * hours)


# --- Default location from the tz database ------------------------------------------------------


def parse_iso6709(coordinates: str) -> Location:
    """``+513030-0000731`` (±DDMM[SS]±DDDMM[SS], as in zone1970.tab) to decimal degrees.

    Raises ValueError on anything else.
    """
    split = max(coordinates.rfind("+"), coordinates.rfind("-"))
    latitude, longitude = coordinates[:split], coordinates[split:]
    return Location(_dms(latitude, 2), _dms(longitude, 3))


def _dms(text: str, degree_digits: int) -> float:
    sign, digits = text[:1], text[1:]
    if sign not in ("+", "-") or not digits.isdigit():
        raise ValueError(f"not an ISO 6709 coordinate: {text!r}")
    if len(digits) not in (degree_digits + 2, degree_digits + 4):
        raise ValueError(f"not ±D…MM or ±D…MMSS: {text!r}")
    degrees = int(digits[:degree_digits])
    minutes = int(digits[degree_digits : degree_digits + 2])
    seconds = int(digits[degree_digits + 2 :] or 0)
    if minutes >= 60 or seconds >= 60:
        raise ValueError(f"minutes and seconds must be below 60: {text!r}")
    value = degrees + minutes / 60 + seconds / 3600
    return -value if sign == "-" else value


def parse_zone_table(text: str) -> dict[str, Location]:
    """Time zone name -> coordinates, from the text of ``zone1970.tab`` or ``zone.tab``.

    Both files have the coordinates in column 2 and the name in column 3, tab-separated, with
    ``#`` comment lines. Raises ValueError on a malformed row (a corrupt tz database should be
    noticed, not half read).
    """
    table = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        columns = line.split("\t")
        if len(columns) < 3:
            raise ValueError(f"zone table line {number}: expected 3 or 4 columns: {line!r}")
        table[columns[2]] = parse_iso6709(columns[1])
    return table


def parse_links(text: str) -> dict[str, str]:
    """Link name -> target zone, from the ``L target link`` lines of ``tzdata.zi``."""
    links = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[0] == "L":
            links[fields[2]] = fields[1]
    return links


def _tz_database_files(name: str) -> Iterator[str]:
    """The text of ``name`` from each tz database that zoneinfo would use, in its order: the
    TZPATH directories, then the tzdata package (which ships zone1970.tab, zone.tab and
    tzdata.zi beside the binary zone files)."""
    for directory in zoneinfo.TZPATH:
        path = Path(directory) / name
        if path.is_file():
            yield path.read_text(encoding="utf-8")
    try:
        resource = importlib.resources.files("tzdata").joinpath("zoneinfo", name)
    except ModuleNotFoundError:
        return
    if resource.is_file():
        yield resource.read_text(encoding="utf-8")


@cache
def _zone_locations() -> tuple[dict[str, Location], dict[str, str]]:
    locations: dict[str, Location] = {}
    # zone.tab first so that zone1970.tab's rows win where both list a name.
    for table in ("zone.tab", "zone1970.tab"):
        text = next(_tz_database_files(table), None)
        if text is not None:
            locations.update(parse_zone_table(text))
    links_text = next(_tz_database_files("tzdata.zi"), None)
    return locations, parse_links(links_text) if links_text else {}


def default_location(time_zone: str) -> Location | None:
    """The coordinates the tz database gives ``time_zone`` (e.g. Europe/London -> 51.508 N,
    0.125 W), following backward links; None if it has none or no tz database is installed."""
    locations, links = _zone_locations()
    seen = set()
    name = time_zone
    while name not in locations and name in links and name not in seen:
        seen.add(name)
        name = links[name]
    return locations.get(name)
