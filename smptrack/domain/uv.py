"""UV dose at the pigment: from a logged outdoor exposure to effective SED per zone.

Implements FADE-MODEL.md §3; its numbers come from the model's one table, ``constants.CONSTANTS``.
Standard library only; nothing here reads the clock.

    SED_amb(e)   = 0.9 * UVI_avg(e) * hours(e)
    SED_eff_z(e) = SED_amb(e) * ER_z * T_hair * T_hat_z * T_ss * T_mel

Choices, as strings: zones ``ZONES``; hats ``"none" | "cap" | "wide_brim"``; hair lengths
``"shaved"`` (or bald), ``"stubble"`` (<= 3 mm), ``"thinning"`` (> 1 cm, see-through),
``"dense"`` (>= 5 cm); latitude bands ``"55_plus" | "45_55" | "35_45" | "25_35" | "under_25"``;
lifestyles ``"indoor" | "average" | "outdoor_leisure" | "outdoor_worker"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from smptrack.domain import vocabulary
from smptrack.domain.constants import constant

# The vocabularies this model prices, from the one place they are written (re-exported here).
Zone = vocabulary.Zone
Hat = vocabulary.Hat
HairLength = vocabulary.HairLength
UvIndexKind = vocabulary.UvIndexKind
LatitudeBand = vocabulary.LatitudeBand
Lifestyle = vocabulary.Lifestyle

ZONES = vocabulary.ZONES
HATS = vocabulary.HATS
HAIR_LENGTHS = vocabulary.HAIR_LENGTHS
UV_INDEX_KINDS = vocabulary.UV_INDEX_KINDS
LATITUDE_BANDS = vocabulary.LATITUDE_BANDS
LIFESTYLES = vocabulary.LIFESTYLES

# Lookups derived from the table once, so the hot path of a projection is a dict access.
_EXPOSURE_RATIO = {zone: constant(f"exposure_ratio.{zone}") for zone in ZONES}
_HAT_TRANSMISSION = {
    zone: {
        "none": 1.0,
        "cap": constant(f"hat_cap.{zone}"),
        "wide_brim": constant(f"hat_wide_brim.{zone}"),
    }
    for zone in ZONES
}
_HAIR_TRANSMISSION = {hair: constant(f"hair.{hair}") for hair in HAIR_LENGTHS}
_MELANIN_TRANSMISSION = {
    fitzpatrick: constant(f"melanin.{fitzpatrick}") for fitzpatrick in range(1, 7)
}
_AMBIENT_SED_PER_YEAR = {band: constant(f"ambient_sed_per_year.{band}") for band in LATITUDE_BANDS}
_OUTDOOR_FRACTION = {
    lifestyle: constant(f"outdoor_fraction.{lifestyle}") for lifestyle in LIFESTYLES
}
_SED_PER_UVI_HOUR = constant("sed_per_uvi_hour")
_UVI_AVERAGE_PER_MAX_MIDDAY = constant("uvi_average_per_max_midday")
_UVI_AVERAGE_PER_MAX_OTHER = constant("uvi_average_per_max_other")
_MIDDAY_START_MINUTES = constant("midday_start_minutes")
_MIDDAY_END_MINUTES = constant("midday_end_minutes")
_PROTECTION_MINUTES = constant("sunscreen_protection_minutes")
_MINUTES_PER_DAY = 24 * 60


def require_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    """Raise ValueError unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")


def require_range(name: str, value: float, low: float, high: float) -> None:
    """Raise ValueError unless ``low <= value <= high`` (NaN is refused too)."""
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}; got {value!r}")


def require_fitzpatrick(fitzpatrick: int) -> None:
    """Raise ValueError unless ``fitzpatrick`` is a skin type 1..6."""
    if fitzpatrick not in _MELANIN_TRANSMISSION:
        raise ValueError(f"fitzpatrick must be a skin type 1 to 6; got {fitzpatrick!r}")


@dataclass(frozen=True)
class Exposure:
    """One logged stretch of time outdoors, validated on construction (ValueError).

    ``uv_index`` is the period's average (``uv_index_kind="average"``) or the day's maximum
    (``"daily_max"``), 0..20. Clock times are local and on ``day``; the whole dose counts on
    ``day`` even if the window runs past midnight. ``spf`` without ``sunscreen_applied_at`` means
    applied at the start of the window. ``swimming`` without ``swam_at`` ends the sunscreen's
    protection at once (see ``protected_minutes``).
    """

    day: date
    start: time
    duration_minutes: float
    uv_index: float
    uv_index_kind: UvIndexKind = "average"
    hat: Hat = "none"
    spf: float | None = None
    sunscreen_applied_at: time | None = None
    generous_sunscreen: bool = False
    swimming: bool = False
    swam_at: time | None = None
    hair_length: HairLength = "shaved"

    def __post_init__(self) -> None:
        require_range("duration_minutes", self.duration_minutes, 1, _MINUTES_PER_DAY)
        require_range("uv_index", self.uv_index, 0, 20)
        require_choice("uv_index_kind", self.uv_index_kind, UV_INDEX_KINDS)
        require_choice("hat", self.hat, HATS)
        require_choice("hair_length", self.hair_length, HAIR_LENGTHS)
        if self.spf is not None:
            require_range("spf", self.spf, 1, 100)
        elif self.sunscreen_applied_at is not None:
            raise ValueError("sunscreen_applied_at needs the sunscreen's spf")
        if self.swam_at is not None and not self.swimming:
            raise ValueError("swam_at is set but swimming is False")


@dataclass(frozen=True)
class Habits:
    """A client's usual protection, as fractions of their outdoor time (each 0..1).

    ``cap_fraction + wide_brim_fraction <= 1``; ``sunscreen_spf`` (1..100) is required when
    ``sunscreen_fraction > 0``. Raises ValueError otherwise.
    """

    cap_fraction: float = 0.0
    wide_brim_fraction: float = 0.0
    sunscreen_fraction: float = 0.0
    sunscreen_spf: float | None = None
    generous_sunscreen: bool = False

    def __post_init__(self) -> None:
        require_range("cap_fraction", self.cap_fraction, 0, 1)
        require_range("wide_brim_fraction", self.wide_brim_fraction, 0, 1)
        require_range("cap_fraction + wide_brim_fraction", self.hat_fraction, 0, 1)
        require_range("sunscreen_fraction", self.sunscreen_fraction, 0, 1)
        if self.sunscreen_spf is not None:
            require_range("sunscreen_spf", self.sunscreen_spf, 1, 100)
        elif self.sunscreen_fraction > 0:
            raise ValueError("sunscreen_fraction > 0 needs sunscreen_spf")

    @property
    def hat_fraction(self) -> float:
        return self.cap_fraction + self.wide_brim_fraction


def latitude_band_for(latitude_degrees: float) -> str:
    """The latitude band of a place, north or south: e.g. 51.5 -> "45_55". Boundaries go up."""
    require_range("latitude_degrees", latitude_degrees, -90, 90)
    distance = abs(latitude_degrees)
    for lower_degrees, band in ((55, "55_plus"), (45, "45_55"), (35, "35_45"), (25, "25_35")):
        if distance >= lower_degrees:
            return band
    return "under_25"


def uv_index_average(exposure: Exposure) -> float:
    """The mean UV index over the exposure window (FADE-MODEL §3)."""
    if exposure.uv_index_kind == "average":
        return exposure.uv_index
    if _overlaps_midday(exposure):
        return _UVI_AVERAGE_PER_MAX_MIDDAY * exposure.uv_index
    return _UVI_AVERAGE_PER_MAX_OTHER * exposure.uv_index


def _overlaps_midday(exposure: Exposure) -> bool:
    start = _minutes(exposure.start)
    end = start + exposure.duration_minutes
    # A window that runs past midnight may reach the next day's midday (a 24 h window can).
    return any(
        start < _MIDDAY_END_MINUTES + day_offset and end > _MIDDAY_START_MINUTES + day_offset
        for day_offset in (0, _MINUTES_PER_DAY)
    )


def ambient_sed(exposure: Exposure) -> float:
    """Ambient erythemal dose in SED: 0.9 * UVI_avg * hours."""
    hours = exposure.duration_minutes / 60
    return _SED_PER_UVI_HOUR * uv_index_average(exposure) * hours


def spf_effective(spf: float, generous: bool = False) -> float:
    """The SPF a person actually gets: max(1, SPF/4), or max(1, SPF/2) if generous and reapplied."""
    require_range("spf", spf, 1, 100)
    divisor = constant("spf_divisor_generous" if generous else "spf_divisor_default")
    return max(1.0, spf / divisor)


def protected_minutes(exposure: Exposure) -> float:
    """Minutes of the exposure window inside the sunscreen's 2-hour protection.

    Protection runs from the application (the window's start if not given) for 2 hours and ends at
    a swim taken after the application. ``swimming`` with no swim time counts as no protection:
    the order of swim and sun is unknown, and overstating the dose errs towards an early check
    rather than a missed touch-up.
    """
    if exposure.spf is None:
        return 0.0
    start = _minutes(exposure.start)
    end = start + exposure.duration_minutes
    applied = (
        start if exposure.sunscreen_applied_at is None else _minutes(exposure.sunscreen_applied_at)
    )
    protected_until = applied + _PROTECTION_MINUTES
    if exposure.swimming:
        if exposure.swam_at is None:
            return 0.0
        swam = _minutes(exposure.swam_at)
        if swam >= applied:
            protected_until = min(protected_until, swam)
    return max(0.0, min(end, protected_until) - max(start, applied))


def sunscreen_transmission(exposure: Exposure) -> float:
    """Mean T_ss over the window: 1/SPF_eff for the protected share, 1 for the rest."""
    if exposure.spf is None:
        return 1.0
    protected_share = protected_minutes(exposure) / exposure.duration_minutes
    transmitted = 1.0 / spf_effective(exposure.spf, exposure.generous_sunscreen)
    return (1.0 - protected_share) + protected_share * transmitted


def zone_transmission(zone: str, hat: str) -> float:
    """ER_z * T_hat_z: the zone-dependent part of the dose. Raises ValueError on unknown input."""
    require_choice("zone", zone, ZONES)
    require_choice("hat", hat, HATS)
    return _EXPOSURE_RATIO[zone] * _HAT_TRANSMISSION[zone][hat]


def skin_sed(exposure: Exposure, fitzpatrick: int) -> float:
    """SED_amb * T_hair * T_ss * T_mel: the dose before zone geometry and hat.

    ``effective_sed(e, z, f) == skin_sed(e, f) * zone_transmission(z, e.hat)``; the split lets a
    projection price each exposure once and every zone by one multiplication.
    """
    require_fitzpatrick(fitzpatrick)
    return (
        ambient_sed(exposure)
        * _HAIR_TRANSMISSION[exposure.hair_length]
        * sunscreen_transmission(exposure)
        * _MELANIN_TRANSMISSION[fitzpatrick]
    )


def effective_sed(exposure: Exposure, zone: str, fitzpatrick: int) -> float:
    """Effective SED at the pigment of ``zone`` for one exposure (FADE-MODEL §3).

    Raises ValueError for an unknown zone or a Fitzpatrick type outside 1..6.
    """
    return skin_sed(exposure, fitzpatrick) * zone_transmission(zone, exposure.hat)


def habit_hat_transmission(zone: str, habits: Habits) -> float:
    """T_hat mixed by habit, e.g. cap on 25 % of outdoor time: 0.75 * 1 + 0.25 * T_cap."""
    require_choice("zone", zone, ZONES)
    by_hat = _HAT_TRANSMISSION[zone]
    bare = 1.0 - habits.hat_fraction
    return (
        bare + habits.cap_fraction * by_hat["cap"] + habits.wide_brim_fraction * by_hat["wide_brim"]
    )


def habit_sunscreen_transmission(habits: Habits) -> float:
    """T_ss mixed by habit: the protected fraction of outdoor time gets 1/SPF_eff."""
    if habits.sunscreen_spf is None:
        return 1.0
    transmitted = 1.0 / spf_effective(habits.sunscreen_spf, habits.generous_sunscreen)
    return (1.0 - habits.sunscreen_fraction) + habits.sunscreen_fraction * transmitted


def annual_imputed_effective_sed(
    zone: str,
    fitzpatrick: int,
    latitude_band: str,
    lifestyle: str,
    habits: Habits,
    hair_length: str,
) -> float:
    """Effective SED per year at ``zone`` for a client whose days are not logged (FADE-MODEL §3).

    ambient(latitude band) * f_out(lifestyle) through ER_z, T_hair, the habit-mixed T_hat and
    T_ss, and T_mel. Raises ValueError on any unknown choice.
    """
    require_choice("latitude_band", latitude_band, LATITUDE_BANDS)
    require_choice("lifestyle", lifestyle, LIFESTYLES)
    require_choice("hair_length", hair_length, HAIR_LENGTHS)
    require_fitzpatrick(fitzpatrick)
    outdoor_sed = _AMBIENT_SED_PER_YEAR[latitude_band] * _OUTDOOR_FRACTION[lifestyle]
    return (
        outdoor_sed
        * _EXPOSURE_RATIO[zone]
        * _HAIR_TRANSMISSION[hair_length]
        * habit_hat_transmission(zone, habits)
        * habit_sunscreen_transmission(habits)
        * _MELANIN_TRANSMISSION[fitzpatrick]
    )


def daily_imputed_effective_sed(
    zone: str,
    fitzpatrick: int,
    latitude_band: str,
    lifestyle: str,
    habits: Habits,
    hair_length: str,
) -> float:
    """Effective SED for one unlogged day: the annual imputation / 365.25."""
    annual = annual_imputed_effective_sed(
        zone, fitzpatrick, latitude_band, lifestyle, habits, hair_length
    )
    return annual / constant("days_per_year")


def _minutes(clock: time) -> float:
    return clock.hour * 60 + clock.minute + clock.second / 60
