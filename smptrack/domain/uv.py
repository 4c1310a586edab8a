"""UV dose at the pigment: from a logged outdoor exposure to effective SED per zone.

Implements FADE-MODEL.md §3 and holds the model's single table of constants (``CONSTANTS``), which
fade.py reads too. Standard library only; nothing here reads the clock.

    SED_amb(e)   = 0.9 * UVI_avg(e) * hours(e)
    SED_eff_z(e) = SED_amb(e) * ER_z * T_hair * T_hat_z * T_ss * T_mel

Choices, as strings: zones ``ZONES``; hats ``"none" | "cap" | "wide_brim"``; hair lengths
``"shaved"`` (or bald), ``"stubble"`` (<= 3 mm), ``"thinning"`` (> 1 cm, see-through),
``"dense"`` (>= 5 cm); latitude bands ``"55_plus" | "45_55" | "35_45" | "25_35" | "under_25"``;
lifestyles ``"indoor" | "average" | "outdoor_leisure" | "outdoor_worker"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from types import MappingProxyType
from typing import Literal, get_args


@dataclass(frozen=True)
class Constant:
    """One model constant: its value, its FADE-MODEL.md tag and where it comes from.

    Tags: S stated by a source; D arithmetic from sourced facts; C calibration choice;
    G practitioner opinion or a guess (combinations such as "C from S" or "C/G" as in the spec).
    """

    value: float
    tag: str
    source: str


_GEOMETRY = "geometric estimate of the zone's share of overhead sun, FADE-MODEL §3"
_HAT = "FADE-MODEL §3 zone table"
_OTHER = (
    "unknown site: the upper bound of every known zone (crown's ER, the back of the head's hat "
    "factors) so an unplaced zone is never assumed better protected than a known one"
)
_SPF_AMOUNT = (
    "people apply 1/4 to 1/2 of the label amount: Stenberg & Larko 1985, Faurschou & Wulf 2007, "
    "Ou-Yang 2012 [S]"
)
_MELANIN = "about 5x more UV reaches the upper dermis in white than in black skin, Kaidbey 1979 [S]"
_AMBIENT = "Denmark ~3,750 SED/yr (Thieden 2005); Australian cities 9,500-16,800 [S]"
_F_OUT = "indoor workers get ~3 %, outdoor workers ~10 % of ambient, Godar 2005 [S]"
_SEDS = "FADE-MODEL §6: measurement SD of a density rating"
_SIGMA = "FADE-MODEL §6: prior on theta = ln m"
_F_BIO = "FADE-MODEL §4: F_bio multiplier"

# Every constant of the fade model, FADE-MODEL.md section by section. Nothing else in
# smptrack.domain may hold a number of the model; the named lookups below are views of this table.
CONSTANTS: Mapping[str, Constant] = MappingProxyType(
    {
        # §1 clock and threshold
        "days_per_year": Constant(365.25, "C", "t in years of 365.25 days, FADE-MODEL §1"),
        "healed_baseline_days": Constant(
            28, "C", "t = 0 at last session + 28 days; early loss absorbed (Baumler 2015 [S])"
        ),
        "touch_up_threshold_density": Constant(0.70, "C", "D*, default of a practice setting"),
        # §2 rates
        "k_bio_per_year": Constant(0.052, "C", "biological clearance at reference conditions"),
        "k_uv_per_effective_sed": Constant(1.4e-4, "C", "UV photodegradation of the pigment"),
        "f_bio_min": Constant(0.5, "C", "clamp on the product of §4 multipliers"),
        "f_bio_max": Constant(2.5, "C", "clamp on the product of §4 multipliers"),
        # §3 ambient dose
        "sed_per_uvi_hour": Constant(
            0.9, "D", "1 UVI = 25 mW/m2 erythemally weighted; 1 SED = 100 J/m2 [S]"
        ),
        "uvi_average_per_max_midday": Constant(
            0.7, "G", "half the daily dose falls 12:00-15:00, Thieden 2004 [S]"
        ),
        "uvi_average_per_max_other": Constant(0.4, "G", "as above, outside 11:00-15:00"),
        "midday_start_minutes": Constant(11 * 60, "G", "11:00 local, start of the midday window"),
        "midday_end_minutes": Constant(15 * 60, "G", "15:00 local, end of the midday window"),
        # §3 zone exposure ratio ER_z
        "exposure_ratio.crown": Constant(1.00, "C", _GEOMETRY),
        "exposure_ratio.mid_scalp": Constant(0.95, "C", _GEOMETRY),
        "exposure_ratio.frontal_hairline": Constant(0.75, "C", _GEOMETRY),
        "exposure_ratio.left_temple": Constant(0.50, "C", _GEOMETRY),
        "exposure_ratio.right_temple": Constant(0.50, "C", _GEOMETRY),
        "exposure_ratio.left_parietal": Constant(0.50, "C", _GEOMETRY),
        "exposure_ratio.right_parietal": Constant(0.50, "C", _GEOMETRY),
        "exposure_ratio.occipital": Constant(0.45, "C", _GEOMETRY),
        "exposure_ratio.scar_strip": Constant(0.45, "C", _GEOMETRY + " (back of head)"),
        "exposure_ratio.fue_scars": Constant(0.45, "C", _GEOMETRY + " (back of head)"),
        "exposure_ratio.other": Constant(1.00, "C", _OTHER),
        # §3 hat transmission T_hat, cap or beanie
        "hat_cap.crown": Constant(0.05, "C", _HAT),
        "hat_cap.mid_scalp": Constant(0.05, "C", _HAT),
        "hat_cap.frontal_hairline": Constant(0.05, "C", _HAT),
        "hat_cap.left_temple": Constant(0.5, "C", _HAT),
        "hat_cap.right_temple": Constant(0.5, "C", _HAT),
        "hat_cap.left_parietal": Constant(0.5, "C", _HAT),
        "hat_cap.right_parietal": Constant(0.5, "C", _HAT),
        "hat_cap.occipital": Constant(0.9, "C", _HAT),
        "hat_cap.scar_strip": Constant(0.9, "C", _HAT),
        "hat_cap.fue_scars": Constant(0.9, "C", _HAT),
        "hat_cap.other": Constant(0.9, "C", _OTHER),
        # §3 hat transmission T_hat, wide brim >= 7.5 cm
        "hat_wide_brim.crown": Constant(0.05, "C", _HAT),
        "hat_wide_brim.mid_scalp": Constant(0.05, "C", _HAT),
        "hat_wide_brim.frontal_hairline": Constant(0.05, "C", _HAT),
        "hat_wide_brim.left_temple": Constant(0.3, "C", _HAT),
        "hat_wide_brim.right_temple": Constant(0.3, "C", _HAT),
        "hat_wide_brim.left_parietal": Constant(0.3, "C", _HAT),
        "hat_wide_brim.right_parietal": Constant(0.3, "C", _HAT),
        "hat_wide_brim.occipital": Constant(0.4, "C", _HAT),
        "hat_wide_brim.scar_strip": Constant(0.4, "C", _HAT),
        "hat_wide_brim.fue_scars": Constant(0.4, "C", _HAT),
        "hat_wide_brim.other": Constant(0.4, "C", _OTHER),
        # §3 hair transmission T_hair
        "hair.shaved": Constant(1.0, "C/G", "shaved or bald: nothing shades the scalp"),
        "hair.stubble": Constant(0.9, "C/G", "stubble <= 3 mm"),
        "hair.thinning": Constant(0.5, "C/G", "thinning hair > 1 cm"),
        "hair.dense": Constant(0.12, "C/G", "dense hair >= 5 cm; hair UPF 5-17, Parisi 2009 [S]"),
        # §3 sunscreen T_ss = 1 / SPF_eff while protected
        "sunscreen_protection_minutes": Constant(120, "G", "protection lasts 2 h per application"),
        "spf_divisor_default": Constant(4, "C", "SPF_eff = max(1, SPF/4); " + _SPF_AMOUNT),
        "spf_divisor_generous": Constant(2, "C", "generous and reapplied; " + _SPF_AMOUNT),
        # §3 melanin T_mel by Fitzpatrick type
        "melanin.1": Constant(1.0, "C", _MELANIN),
        "melanin.2": Constant(1.0, "C", _MELANIN),
        "melanin.3": Constant(0.7, "C", _MELANIN),
        "melanin.4": Constant(0.5, "C", _MELANIN),
        "melanin.5": Constant(0.3, "C", _MELANIN),
        "melanin.6": Constant(0.2, "C", _MELANIN),
        # §3 imputation of unlogged days: annual ambient SED by latitude band, outdoor fraction
        "ambient_sed_per_year.55_plus": Constant(3500, "C from S", _AMBIENT),
        "ambient_sed_per_year.45_55": Constant(4500, "C from S", _AMBIENT),
        "ambient_sed_per_year.35_45": Constant(7000, "C from S", _AMBIENT),
        "ambient_sed_per_year.25_35": Constant(10000, "C from S", _AMBIENT),
        "ambient_sed_per_year.under_25": Constant(14000, "C from S", _AMBIENT),
        "outdoor_fraction.indoor": Constant(0.05, "C", "indoor, few holidays; " + _F_OUT),
        "outdoor_fraction.average": Constant(0.08, "C", _F_OUT),
        "outdoor_fraction.outdoor_leisure": Constant(0.12, "C", _F_OUT),
        "outdoor_fraction.outdoor_worker": Constant(0.20, "C", _F_OUT),
        # §4 multipliers of F_bio
        "depth.shallow": Constant(1.5, "C/G", _F_BIO),
        "depth.correct": Constant(1.0, "C/G", _F_BIO),
        "depth.too_deep": Constant(0.7, "C/G", _F_BIO + "; also raises the blur/colour flag"),
        "scar_tissue": Constant(
            1.5, "C/G", "scarred sites lost ~2x the density in 6 months, Liu 2025 (n = 10)"
        ),
        "course_sessions.1": Constant(1.3, "C/G", _F_BIO),
        "course_sessions.2": Constant(1.15, "C/G", _F_BIO),
        "course_sessions.3": Constant(1.0, "C/G", _F_BIO),
        "course_sessions.4_or_more": Constant(0.9, "C/G", _F_BIO),
        "dilution.standard": Constant(1.0, "C/G", _F_BIO),
        "dilution.light": Constant(1.15, "C/G", _F_BIO),
        "sebum.normal": Constant(1.0, "C/G", _F_BIO),
        "sebum.oily": Constant(1.2, "C/G", _F_BIO),
        "sebum.dry": Constant(1.1, "C/G", _F_BIO + " (dry or flaky)"),
        "retinoids": Constant(1.3, "C/G", "retinoids, acids or peels used regularly on the area"),
        "swimming": Constant(1.1, "C/G", "swimming twice a week or more"),
        "pigment.carbon": Constant(1.0, "C/G", "carbon SMP pigment; also used when not recorded"),
        "pigment.iron_oxide": Constant(1.3, "C/G", "iron-oxide or organic (PMU) pigment"),
        "pigment.mixed": Constant(
            1.3, "G", "not in the spec: the iron-oxide share fades first and sets the look"
        ),
        "future_dose_trailing_days": Constant(
            365, "C", "future annual dose from the trailing 12 months of log, FADE-MODEL §6"
        ),
        # §6 learning from fade assessments
        "rating_sd.practitioner_in_person": Constant(0.07, "C", _SEDS),
        "rating_sd.practitioner_photo": Constant(0.10, "C", _SEDS),
        "rating_sd.client_self": Constant(0.12, "C", _SEDS),
        "prior_sigma": Constant(0.30, "C", _SIGMA + "; 80 % window covers 3-6 years (§5)"),
        "prior_sigma_no_sun_log": Constant(0.35, "C", _SIGMA + " when there is no sun log"),
        "prior_sigma_scar_extra": Constant(0.15, "C", _SIGMA + ": sqrt(sigma^2 + 0.15^2), scar"),
        "theta_grid_min": Constant(-3.0, "C", "posterior grid, FADE-MODEL §6"),
        "theta_grid_max": Constant(3.0, "C", "posterior grid, FADE-MODEL §6"),
        "theta_grid_step": Constant(0.001, "C", "posterior grid, FADE-MODEL §6"),
        "healing_phase_days": Constant(28, "C", "ratings this soon after a session are ignored"),
        "review_density_first_year": Constant(0.85, "C", "review a rating below this in year 1"),
        "review_first_period_years": Constant(1.0, "C", "the first 12 months since the baseline"),
        "review_sd_multiple": Constant(2.5, "C", "review a rating this many SD from m = 1"),
        # §7 reminder policy
        "self_check_from_months": Constant(12, "C", "yearly self-check from 12 months"),
        "book_touch_up_lead_days": Constant(60, "C", "book at the most likely date minus 60 d"),
        "due_now_probability": Constant(0.5, "C", "book at once when P(due now) >= 0.5"),
    }
)


def constant(name: str) -> float:
    """The value of ``CONSTANTS[name]``; raises KeyError for an unknown name."""
    return CONSTANTS[name].value


Zone = Literal[
    "frontal_hairline",
    "left_temple",
    "right_temple",
    "mid_scalp",
    "crown",
    "left_parietal",
    "right_parietal",
    "occipital",
    "scar_strip",
    "fue_scars",
    "other",
]
Hat = Literal["none", "cap", "wide_brim"]
HairLength = Literal["shaved", "stubble", "thinning", "dense"]
UvIndexKind = Literal["average", "daily_max"]
LatitudeBand = Literal["55_plus", "45_55", "35_45", "25_35", "under_25"]
Lifestyle = Literal["indoor", "average", "outdoor_leisure", "outdoor_worker"]

ZONES: tuple[str, ...] = get_args(Zone)
HATS: tuple[str, ...] = get_args(Hat)
HAIR_LENGTHS: tuple[str, ...] = get_args(HairLength)
UV_INDEX_KINDS: tuple[str, ...] = get_args(UvIndexKind)
LATITUDE_BANDS: tuple[str, ...] = get_args(LatitudeBand)
LIFESTYLES: tuple[str, ...] = get_args(Lifestyle)

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
