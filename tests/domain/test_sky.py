"""The UV index from the sky (FADE-MODEL.md §11).

Expected figures are worked by hand from the spec's formula, written out next to each case, or
come from an independent, simpler solar formula computed here; none is read back from the code.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from smptrack.domain import sky, uv

LONDON = sky.Location(51.5, 0.0)
# The June solstice of 2025 fell at 02:42 UTC on 21 June, so the declination that day is
# 23.44° to within 0.001°; the March equinox at 09:01 UTC on 20 March (declination ~ +0.05° at
# noon). At longitude 0 solar noon is 12:00 UTC minus the equation of time (-2 min in June,
# -7.5 min in March), and a few minutes off noon change the zenith by hundredths of a degree.
SOLSTICE_NOON = datetime(2025, 6, 21, 12, 2, tzinfo=UTC)
EQUINOX_NOON = datetime(2025, 3, 20, 12, 7, 30, tzinfo=UTC)


def reference_zenith_degrees(when: datetime, latitude: float, longitude: float) -> float:
    """A textbook approximation, independent of the NOAA series under test: declination
    -23.44° cos(360/365 (N + 10)), the equation of time 9.87 sin 2B - 7.53 cos B - 1.5 sin B
    with B = 360/365 (N - 81) (minutes), and the hour angle from local solar time. Good to
    about a degree."""
    utc = when.astimezone(UTC)
    n = utc.timetuple().tm_yday
    declination = math.radians(-23.44 * math.cos(math.radians(360 / 365 * (n + 10))))
    b = math.radians(360 / 365 * (n - 81))
    equation_of_time = 9.87 * math.sin(2 * b) - 7.53 * math.cos(b) - 1.5 * math.sin(b)
    solar_minutes = utc.hour * 60 + utc.minute + utc.second / 60 + 4 * longitude + equation_of_time
    hour_angle = math.radians(solar_minutes / 4 - 180)
    lat = math.radians(latitude)
    cos_zenith = math.sin(lat) * math.sin(declination) + math.cos(lat) * math.cos(
        declination
    ) * math.cos(hour_angle)
    return math.degrees(math.acos(cos_zenith))


# --- Zenith angle --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "latitude", "expected_zenith"),
    [
        # Solar noon: Z = |latitude - declination|.
        (SOLSTICE_NOON, 23.44, 0.0),
        (SOLSTICE_NOON, 51.5, 51.5 - 23.44),  # 28.06°
        (SOLSTICE_NOON, -33.9, 33.9 + 23.44),  # Cape Town in its winter: 57.34°
        (EQUINOX_NOON, 45.0, 45.0 - 0.05),
        (EQUINOX_NOON, 0.0, 0.05),
    ],
)
def test_the_noon_zenith_is_the_distance_from_latitude_to_the_declination(
    when: datetime, latitude: float, expected_zenith: float
) -> None:
    assert sky.solar_zenith_degrees(when, latitude, 0.0) == pytest.approx(expected_zenith, abs=0.1)


def test_the_zenith_agrees_with_an_independent_formula_at_random_times_and_places() -> None:
    rng = random.Random(20250621)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for _ in range(500):
        when = start + timedelta(minutes=rng.randrange(365 * 24 * 60))
        latitude, longitude = rng.uniform(-66, 66), rng.uniform(-180, 180)
        # The textbook declination and equation of time are off by up to about a degree.
        assert sky.solar_zenith_degrees(when, latitude, longitude) == pytest.approx(
            reference_zenith_degrees(when, latitude, longitude), abs=1.5
        ), (when, latitude, longitude)


def test_a_local_time_is_the_same_instant_as_its_utc() -> None:
    local = datetime(2025, 6, 21, 13, 2, tzinfo=ZoneInfo("Europe/London"))  # BST = UTC+1
    assert sky.solar_zenith_degrees(local, 51.5, 0.0) == sky.solar_zenith_degrees(
        SOLSTICE_NOON, 51.5, 0.0
    )


def test_a_time_without_its_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        sky.solar_zenith_degrees(datetime(2025, 6, 21, 12), 51.5, 0.0)


@pytest.mark.parametrize(("latitude", "longitude"), [(91, 0), (0, 181), (-90.5, 0)])
def test_a_place_off_the_globe_is_refused(latitude: float, longitude: float) -> None:
    with pytest.raises(ValueError):
        sky.solar_zenith_degrees(SOLSTICE_NOON, latitude, longitude)


# --- Clear-sky UV index --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zenith", "ozone", "expected"),
    [
        (0.0, 300, 12.5),  # (cos 0)^2.42 = 1
        # cos 28.06° = 0.88244; ln = -0.125064; x 2.42 = -0.302656; e^that = 0.73885; x 12.5
        (28.06, 300, 9.2357),
        # cos 45° = 0.70711; ln = -0.346574; x 2.42 = -0.838708; e^that = 0.43226; x 12.5
        (45.0, 300, 5.4033),
        # cos 60° = 0.5; 0.5^2.42 = e^(-1.677418) = 0.186843; x 12.5
        (60.0, 300, 2.3355),
        # (350/300)^-1.23 = e^(-1.23 x 0.154151) = e^(-0.189606) = 0.827286
        (0.0, 350, 10.3411),
        # (250/300)^-1.23 = e^(1.23 x 0.182322) = e^(0.224256) = 1.251377
        (0.0, 250, 15.6422),
        (90.0, 300, 0.0),  # on the horizon
        (120.0, 300, 0.0),  # night
    ],
)
def test_clear_sky_uv_index_follows_the_madronich_fit(
    zenith: float, ozone: float, expected: float
) -> None:
    assert sky.clear_sky_uv_index(zenith, ozone) == pytest.approx(expected, abs=0.002)


def test_less_ozone_lets_more_uv_through() -> None:
    values = [sky.clear_sky_uv_index(30.0, ozone) for ozone in (250, 300, 350, 400)]
    assert values == sorted(values, reverse=True)


@pytest.mark.parametrize("ozone", [50, 900])
def test_an_impossible_ozone_column_is_refused(ozone: float) -> None:
    with pytest.raises(ValueError, match="ozone"):
        sky.clear_sky_uv_index(30.0, ozone)


@pytest.mark.parametrize(
    ("when", "location", "expected"),
    [
        (SOLSTICE_NOON, sky.Location(23.44, 0.0), 12.5),
        (SOLSTICE_NOON, LONDON, 9.2357),
        (EQUINOX_NOON, sky.Location(45.0, 0.0), 5.4033),
    ],
)
def test_the_uv_index_at_solar_noon_is_hand_derived(
    when: datetime, location: sky.Location, expected: float
) -> None:
    # 0.1° of zenith at 28° moves the index by 0.04; at 45° by 0.05.
    assert sky.uv_index_from_sky(when, location) == pytest.approx(expected, abs=0.06)


def test_the_uv_index_is_zero_at_night() -> None:
    midnight = datetime(2025, 6, 21, 0, 0, tzinfo=UTC)
    assert sky.uv_index_from_sky(midnight, LONDON) == 0.0
    # Midsummer midnight sun above the Arctic circle: still daylight, a little UV.
    assert sky.uv_index_from_sky(midnight, sky.Location(78.2, 15.6)) > 0.0


@pytest.mark.parametrize(
    ("cloud", "factor"),
    [("clear", 1.0), ("partly_cloudy", 0.8), ("mostly_cloudy", 0.6), ("overcast", 0.35)],
)
def test_clouds_scale_the_clear_sky_index(cloud: sky.Sky, factor: float) -> None:
    clear = sky.uv_index_from_sky(SOLSTICE_NOON, LONDON)
    assert sky.uv_index_from_sky(SOLSTICE_NOON, LONDON, cloud) == pytest.approx(clear * factor)


def test_an_unknown_sky_is_refused() -> None:
    with pytest.raises(ValueError, match="sky"):
        sky.uv_index_from_sky(SOLSTICE_NOON, LONDON, "foggy")  # type: ignore[arg-type]


# --- An exposure window's dose -------------------------------------------------------------------


def test_two_hours_around_noon_are_about_two_noon_hours() -> None:
    start = SOLSTICE_NOON - timedelta(hours=1)
    dose = sky.ambient_sed_from_sky(start, start + timedelta(hours=2), LONDON)
    # 2 h x 0.9 x 9.2357 = 16.62 SED at the noon index; the index an hour either side of noon
    # is lower (hour angle 15°: cos Z = 0.8634, UVI 8.39), so the window holds a little less.
    assert dose == pytest.approx(2 * 0.9 * 9.2357, rel=0.03)
    assert dose < 2 * 0.9 * 9.2357


def test_the_window_is_integrated_in_steps_of_ten_minutes_at_most() -> None:
    # Fine steps (1 minute, 120 midpoints) agree with the 10-minute midpoint rule to 0.1 %.
    start = SOLSTICE_NOON - timedelta(hours=1)
    fine = sum(
        0.9 * sky.uv_index_from_sky(start + timedelta(minutes=i + 0.5), LONDON) / 60
        for i in range(120)
    )
    assert sky.ambient_sed_from_sky(start, start + timedelta(hours=2), LONDON) == pytest.approx(
        fine, rel=0.001
    )
    # A 7-minute window is one step, priced at its middle instant.
    short_end = start + timedelta(minutes=7)
    middle = start + timedelta(minutes=3.5)
    assert sky.ambient_sed_from_sky(start, short_end, LONDON) == pytest.approx(
        0.9 * sky.uv_index_from_sky(middle, LONDON) * 7 / 60
    )


def test_a_window_crossing_sunset_counts_only_its_daylight_part() -> None:
    # Sunset at 51.5° N on 21 June: cos H0 = -tan 51.5° tan 23.44° = -0.545, H0 = 123.0° = 8.2 h
    # after solar noon, about 20:14 UTC at longitude 0. 19:00-21:00 and 19:00-22:00 share their
    # first twelve 10-minute steps; the 21:00-22:00 steps are in the dark.
    day = date(2025, 6, 21)
    at = lambda hour: datetime.combine(day, time(hour), tzinfo=UTC)  # noqa: E731
    to_sunset = sky.ambient_sed_from_sky(at(19), at(21), LONDON)
    across = sky.ambient_sed_from_sky(at(19), at(22), LONDON)
    assert across == pytest.approx(to_sunset)
    assert 0 < to_sunset < 0.9 * 1.0 * 2  # low sun: well under UVI 1 on average
    assert sky.ambient_sed_from_sky(at(21), at(23), LONDON) == 0.0


def test_the_average_index_gives_back_the_dose_through_an_exposure() -> None:
    # The average is what uv.Exposure takes; uv.ambient_sed turns it back into the same SED.
    start = datetime(2025, 6, 21, 12, 2, tzinfo=ZoneInfo("Europe/London"))  # 11:02 UTC
    end = start + timedelta(hours=2)
    average = sky.uv_index_average_from_sky(start, end, LONDON, "partly_cloudy")
    exposure = uv.Exposure(
        day=start.date(), start=start.time(), duration_minutes=120, uv_index=average
    )
    assert uv.ambient_sed(exposure) == pytest.approx(
        sky.ambient_sed_from_sky(start, end, LONDON, "partly_cloudy")
    )
    assert average == pytest.approx(0.8 * 9.2357, rel=0.03)


def test_a_window_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="end after"):
        sky.ambient_sed_from_sky(SOLSTICE_NOON, SOLSTICE_NOON, LONDON)


# --- Default location from the tz database -------------------------------------------------------

ZONE1970_EXCERPT = """\
# tzdb timezone descriptions
#country-
#codes\tcoordinates\tTZ\tcomments
GB,GG,IM,JE\t+513030-0000731\tEurope/London
AU\t-3352+15113\tAustralia/Sydney\tNew South Wales (most areas)
US\t+404251-0740023\tAmerica/New_York\tEastern (most areas)
"""


def test_zone1970_rows_parse_to_decimal_degrees() -> None:
    table = sky.parse_zone_table(ZONE1970_EXCERPT)
    # +51°30'30" = 51.5083; -0°07'31" = -0.1253
    assert table["Europe/London"].latitude == pytest.approx(51 + 30 / 60 + 30 / 3600)
    assert table["Europe/London"].longitude == pytest.approx(-(7 / 60 + 31 / 3600))
    # -33°52' = -33.8667; +151°13' = 151.2167 (the ±DDMM±DDDMM form)
    assert table["Australia/Sydney"] == sky.Location(-(33 + 52 / 60), 151 + 13 / 60)
    assert table["America/New_York"].longitude == pytest.approx(-(74 + 0 / 60 + 23 / 3600))


@pytest.mark.parametrize("coordinates", ["+5130-00007X", "5130-00007", "+51-000", "+5170+00000"])
def test_a_malformed_coordinate_is_refused(coordinates: str) -> None:
    with pytest.raises(ValueError):
        sky.parse_iso6709(coordinates)


def test_links_in_tzdata_zi_name_their_target() -> None:
    text = "# version 2026f\nZ Europe/London -0:1:15 - LMT 1847 D\nL Europe/London GB\n"
    assert sky.parse_links(text) == {"GB": "Europe/London"}


@pytest.mark.parametrize(
    ("zone", "latitude", "longitude"),
    [
        ("Europe/London", 51.51, -0.12),
        ("Australia/Sydney", -33.87, 151.22),
        ("America/New_York", 40.71, -74.01),
        ("US/Eastern", 40.71, -74.01),  # a backward link to America/New_York
    ],
)
def test_the_default_location_of_a_time_zone_comes_from_the_tz_database(
    zone: str, latitude: float, longitude: float
) -> None:
    # tzdata is a dependency and ships zone1970.tab, so a tz database is always there.
    location = sky.default_location(zone)
    assert location is not None
    assert location.latitude == pytest.approx(latitude, abs=0.01)
    assert location.longitude == pytest.approx(longitude, abs=0.01)


@pytest.mark.parametrize("zone", ["UTC", "Etc/GMT+5", "Mars/Olympus_Mons"])
def test_a_time_zone_without_a_place_has_no_default_location(zone: str) -> None:
    assert sky.default_location(zone) is None
