"""UV dose at the pigment (FADE-MODEL.md §3).

Expected figures are the spec's check cases (§8) or hand arithmetic written out from the spec's
tables, never values read back from the code.
"""

from __future__ import annotations

from datetime import date, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smptrack.domain import uv

DAY = date(2025, 7, 1)
CROWN_TYPE_III = {"zone": "crown", "fitzpatrick": 3}


def two_hours_at_uvi_6(**overrides: object) -> uv.Exposure:
    fields: dict[str, object] = {
        "day": DAY,
        "start": time(12, 0),
        "duration_minutes": 120,
        "uv_index": 6,
    }
    fields.update(overrides)
    return uv.Exposure(**fields)  # type: ignore[arg-type]


def four_hours_at_uvi_5(**overrides: object) -> uv.Exposure:
    """10:00-14:00 at UVI 5: 0.9 * 5 * 4 = 18 SED ambient."""
    fields: dict[str, object] = {
        "day": DAY,
        "start": time(10, 0),
        "duration_minutes": 240,
        "uv_index": 5,
    }
    fields.update(overrides)
    return uv.Exposure(**fields)  # type: ignore[arg-type]


# --- §8 check cases -----------------------------------------------------------------------------


def test_two_hours_at_uv_index_6_is_10_8_sed_ambient() -> None:
    assert uv.ambient_sed(two_hours_at_uvi_6()) == pytest.approx(10.8)


@pytest.mark.parametrize(
    ("protection", "expected_sed"),
    [
        ({}, 7.56),
        ({"hat": "cap"}, 0.378),
        ({"spf": 30, "sunscreen_applied_at": time(12, 0)}, 1.008),
        ({"spf": 30}, 1.008),  # no application time: applied at the start
    ],
    ids=["no-protection", "cap", "spf-30-at-start", "spf-30-time-not-given"],
)
def test_the_check_cases_on_a_shaved_type_iii_crown(
    protection: dict[str, object], expected_sed: float
) -> None:
    exposure = two_hours_at_uvi_6(**protection)
    assert uv.effective_sed(exposure, **CROWN_TYPE_III) == pytest.approx(expected_sed)


# --- UV index from the day's maximum ------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "minutes", "share_of_max"),
    [
        (time(12, 0), 60, 0.7),
        (time(10, 0), 90, 0.7),  # 10:00-11:30 reaches into midday
        (time(14, 59), 60, 0.7),
        (time(9, 0), 120, 0.4),  # ends exactly at 11:00
        (time(15, 0), 60, 0.4),
        (time(6, 30), 60, 0.4),
        (time(23, 0), 720, 0.4),  # runs to 11:00 the next morning, not into it
        (time(23, 0), 721, 0.7),
    ],
)
def test_a_daily_maximum_is_scaled_by_whether_the_window_touches_11_to_15(
    start: time, minutes: int, share_of_max: float
) -> None:
    exposure = uv.Exposure(DAY, start, minutes, uv_index=8, uv_index_kind="daily_max")
    assert uv.uv_index_average(exposure) == pytest.approx(share_of_max * 8)
    assert uv.ambient_sed(exposure) == pytest.approx(0.9 * share_of_max * 8 * minutes / 60)


def test_an_average_uv_index_is_used_as_it_is() -> None:
    exposure = uv.Exposure(DAY, time(7, 0), 60, uv_index=3.5)
    assert uv.uv_index_average(exposure) == 3.5


# --- The factors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hair_length", "expected_sed"),
    [("shaved", 7.56), ("stubble", 7.56 * 0.9), ("thinning", 7.56 * 0.5), ("dense", 7.56 * 0.12)],
)
def test_hair_shades_the_scalp(hair_length: str, expected_sed: float) -> None:
    exposure = two_hours_at_uvi_6(hair_length=hair_length)
    assert uv.effective_sed(exposure, **CROWN_TYPE_III) == pytest.approx(expected_sed)


@pytest.mark.parametrize(
    ("fitzpatrick", "expected_sed"),
    [(1, 10.8), (2, 10.8), (3, 7.56), (4, 5.4), (5, 3.24), (6, 2.16)],
)
def test_melanin_screens_the_dermis_by_skin_type(fitzpatrick: int, expected_sed: float) -> None:
    exposure = two_hours_at_uvi_6()
    assert uv.effective_sed(exposure, "crown", fitzpatrick) == pytest.approx(expected_sed)


@pytest.mark.parametrize(
    ("zone", "hat", "exposure_ratio_times_hat"),
    [
        ("crown", "wide_brim", 1.00 * 0.05),
        ("mid_scalp", "cap", 0.95 * 0.05),
        ("frontal_hairline", "none", 0.75),
        ("frontal_hairline", "wide_brim", 0.75 * 0.05),
        ("left_temple", "cap", 0.50 * 0.5),
        ("right_temple", "wide_brim", 0.50 * 0.3),
        ("left_parietal", "none", 0.50),
        ("right_parietal", "cap", 0.50 * 0.5),
        ("occipital", "cap", 0.45 * 0.9),
        ("scar_strip", "wide_brim", 0.45 * 0.4),
        ("fue_scars", "none", 0.45),
        ("other", "none", 1.00),
        ("other", "cap", 1.00 * 0.9),
        ("other", "wide_brim", 1.00 * 0.4),
    ],
)
def test_each_zone_gets_its_share_of_the_sun_under_each_hat(
    zone: str, hat: str, exposure_ratio_times_hat: float
) -> None:
    exposure = two_hours_at_uvi_6(hat=hat)
    expected_sed = 10.8 * exposure_ratio_times_hat * 0.7
    assert uv.effective_sed(exposure, zone, 3) == pytest.approx(expected_sed)


def test_an_unplaced_zone_is_never_assumed_better_protected_than_a_known_one() -> None:
    for hat in uv.HATS:
        other = uv.zone_transmission("other", hat)
        assert all(other >= uv.zone_transmission(zone, hat) for zone in uv.ZONES)


# --- Sunscreen over part of the window ----------------------------------------------------------


@pytest.mark.parametrize(
    ("sunscreen", "expected_sed"),
    [
        ({"spf": 40, "sunscreen_applied_at": time(11, 0)}, 18 * (0.5 + 0.5 / 10)),
        ({"spf": 40, "sunscreen_applied_at": time(9, 0)}, 18 * (0.75 + 0.25 / 10)),
        ({"spf": 40, "sunscreen_applied_at": time(13, 30)}, 18 * (0.875 + 0.125 / 10)),
        ({"spf": 40, "sunscreen_applied_at": time(8, 0)}, 18),  # worn off at 10:00
        ({"spf": 40, "sunscreen_applied_at": time(15, 0)}, 18),  # after going in
        (
            {"spf": 40, "sunscreen_applied_at": time(10, 0), "generous_sunscreen": True},
            18 * (0.5 + 0.5 / 20),
        ),
        (
            {"spf": 40, "sunscreen_applied_at": time(10, 0), "swimming": True, "swam_at": time(11)},
            18 * (0.75 + 0.25 / 10),
        ),
        (  # a swim before the application does not wash it off
            {"spf": 40, "sunscreen_applied_at": time(11, 0), "swimming": True, "swam_at": time(10)},
            18 * (0.5 + 0.5 / 10),
        ),
        ({"spf": 40, "sunscreen_applied_at": time(10, 0), "swimming": True}, 18),
        ({"spf": 2, "sunscreen_applied_at": time(10, 0)}, 18),  # SPF_eff = max(1, 2/4)
    ],
    ids=[
        "middle-half",
        "first-quarter",
        "last-eighth",
        "worn-off",
        "too-late",
        "generous",
        "swim-ends-it",
        "swim-before",
        "swim-time-unknown",
        "spf-2",
    ],
)
def test_sunscreen_protects_only_the_part_of_the_window_within_two_hours_of_applying(
    sunscreen: dict[str, object], expected_sed: float
) -> None:
    exposure = four_hours_at_uvi_5(**sunscreen)
    assert uv.effective_sed(exposure, "crown", 1) == pytest.approx(expected_sed)


@pytest.mark.parametrize(
    ("spf", "generous", "expected"),
    [(30, False, 7.5), (50, False, 12.5), (30, True, 15), (3, False, 1), (1, True, 1)],
)
def test_people_get_a_quarter_of_the_label_spf_or_half_when_generous(
    spf: float, generous: bool, expected: float
) -> None:
    assert uv.spf_effective(spf, generous) == pytest.approx(expected)


# --- Imputation of unlogged days ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "expected_sed_per_year"),
    [
        (  # the reference client R of FADE-MODEL §5
            ("crown", 3, "45_55", "average", uv.Habits(cap_fraction=0.25), "shaved"),
            192.15,
        ),
        (
            ("occipital", 6, "55_plus", "indoor", uv.Habits(wide_brim_fraction=0.5), "dense"),
            3500 * 0.05 * 0.45 * 0.12 * (0.5 + 0.5 * 0.4) * 0.2,
        ),
        (
            (
                "left_temple",
                2,
                "under_25",
                "outdoor_worker",
                uv.Habits(cap_fraction=0.5, sunscreen_fraction=0.5, sunscreen_spf=30),
                "stubble",
            ),
            14000 * 0.20 * 0.50 * 0.9 * (0.5 + 0.5 * 0.5) * (0.5 + 0.5 / 7.5) * 1.0,
        ),
        (
            ("frontal_hairline", 4, "35_45", "outdoor_leisure", uv.Habits(), "thinning"),
            7000 * 0.12 * 0.75 * 0.5 * 0.5,
        ),
        (
            (
                "mid_scalp",
                5,
                "25_35",
                "average",
                uv.Habits(sunscreen_fraction=1, sunscreen_spf=50, generous_sunscreen=True),
                "shaved",
            ),
            10000 * 0.08 * 0.95 * (1 / 25) * 0.3,
        ),
    ],
    ids=["reference-client", "indoor-north", "outdoor-worker-tropics", "thinning", "generous"],
)
def test_an_unlogged_day_gets_a_365_25th_of_the_lifestyles_annual_dose_through_the_habits(
    case: tuple, expected_sed_per_year: float
) -> None:
    assert uv.annual_imputed_effective_sed(*case) == pytest.approx(expected_sed_per_year)
    assert uv.daily_imputed_effective_sed(*case) == pytest.approx(expected_sed_per_year / 365.25)


@pytest.mark.parametrize(
    ("latitude_degrees", "band"),
    [
        (60, "55_plus"),
        (55, "55_plus"),
        (51.5, "45_55"),
        (-45, "45_55"),
        (40, "35_45"),
        (-33.9, "25_35"),
        (25, "25_35"),
        (1.3, "under_25"),
        (0, "under_25"),
    ],
)
def test_a_latitude_falls_in_its_band_north_or_south(latitude_degrees: float, band: str) -> None:
    assert uv.latitude_band_for(latitude_degrees) == band


# --- Validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"uv_index": -0.1}, "uv_index"),
        ({"uv_index": 20.5}, "uv_index"),
        ({"uv_index": float("nan")}, "uv_index"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 1441}, "duration_minutes"),
        ({"spf": 0.5}, "spf"),
        ({"spf": 101}, "spf"),
        ({"sunscreen_applied_at": time(9)}, "sunscreen_applied_at"),
        ({"swam_at": time(9)}, "swam_at"),
        ({"hat": "helmet"}, "hat"),
        ({"hair_length": "long"}, "hair_length"),
        ({"uv_index_kind": "peak"}, "uv_index_kind"),
    ],
)
def test_an_impossible_exposure_is_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        two_hours_at_uvi_6(**overrides)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: uv.effective_sed(two_hours_at_uvi_6(), "nape", 3), "zone"),
        (lambda: uv.effective_sed(two_hours_at_uvi_6(), "crown", 0), "fitzpatrick"),
        (lambda: uv.effective_sed(two_hours_at_uvi_6(), "crown", 7), "fitzpatrick"),
        (lambda: uv.spf_effective(150), "spf"),
        (lambda: uv.Habits(cap_fraction=0.7, wide_brim_fraction=0.5), "wide_brim_fraction"),
        (lambda: uv.Habits(sunscreen_fraction=0.5), "sunscreen_spf"),
        (lambda: uv.Habits(cap_fraction=-0.1), "cap_fraction"),
        (lambda: uv.latitude_band_for(91), "latitude"),
        (
            lambda: uv.daily_imputed_effective_sed(
                "crown", 3, "arctic", "average", uv.Habits(), "shaved"
            ),
            "latitude_band",
        ),
        (
            lambda: uv.daily_imputed_effective_sed(
                "crown", 3, "45_55", "lazy", uv.Habits(), "shaved"
            ),
            "lifestyle",
        ),
    ],
)
def test_unknown_or_out_of_range_inputs_raise_a_clear_value_error(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# --- Properties ---------------------------------------------------------------------------------

exposures = st.builds(
    uv.Exposure,
    day=st.just(DAY),
    start=st.times(),
    duration_minutes=st.integers(1, 1440),
    uv_index=st.floats(0, 20),
    uv_index_kind=st.sampled_from(uv.UV_INDEX_KINDS),
    hat=st.sampled_from(uv.HATS),
    hair_length=st.sampled_from(uv.HAIR_LENGTHS),
)


@settings(max_examples=50, deadline=None)
@given(
    exposure=exposures,
    zone=st.sampled_from(uv.ZONES),
    fitzpatrick=st.integers(1, 6),
    spf=st.floats(1, 100),
    applied_at=st.times(),
)
def test_sunscreen_never_raises_the_dose_and_never_removes_more_than_its_spf(
    exposure: uv.Exposure, zone: str, fitzpatrick: int, spf: float, applied_at: time
) -> None:
    bare = uv.effective_sed(exposure, zone, fitzpatrick)
    protected = uv.effective_sed(
        uv.Exposure(**{**vars(exposure), "spf": spf, "sunscreen_applied_at": applied_at}),
        zone,
        fitzpatrick,
    )
    assert bare / uv.spf_effective(spf) - 1e-12 <= protected <= bare + 1e-12
