"""The fade model's one table of constants: every number of FADE-MODEL.md, with its tag and source.

fade.py, uv.py and protocol.py (and any later model module) read their numbers from here, so a
number is written once and a refit or a practice setting has one place to start from. Standard
library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


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
_MADRONICH = "Madronich 2007, Photochem. Photobiol. 83:1537: analytic fit to radiative transfer"
_CLOUD = "FADE-MODEL §11: light cloud transmits most UV, heavy overcast a third or less"

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
        "course_sessions_assumed_when_built_elsewhere": Constant(
            3,
            "G",
            "not in the spec: a zone first recorded at a touch-up was built elsewhere, and a "
            "touch-up keeps the count of the course that built it (§4, §6); assume the reference "
            "client's three sessions (§5, multiplier 1.0) rather than a course of one",
        ),
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
        # §7 reminder policy: defaults of practice settings, applied only by protocol.py
        "healed_check_days": Constant(28, "C", "healed check at 4 weeks, FADE-MODEL §7"),
        "self_check_from_months": Constant(12, "C", "yearly self-check from 12 months"),
        "book_touch_up_lead_days": Constant(60, "C", "book at the most likely date minus 60 d"),
        "due_now_probability": Constant(0.5, "C", "book at once when P(due now) >= 0.5"),
        # §11 the UV index from the sky (sky.py)
        "clear_sky_uvi_overhead": Constant(12.5, "S", _MADRONICH + ": UVI with the sun overhead"),
        "clear_sky_uvi_zenith_exponent": Constant(2.42, "S", _MADRONICH + ": power of cos Z"),
        "clear_sky_uvi_ozone_exponent": Constant(-1.23, "S", _MADRONICH + ": power of ozone/300"),
        "ozone_reference_du": Constant(300, "S", _MADRONICH + ": the fit's reference column, DU"),
        "ozone_default_du": Constant(300, "C", "FADE-MODEL §11: total ozone when none is known"),
        "cloud_factor.clear": Constant(1.0, "G", _CLOUD),
        "cloud_factor.partly_cloudy": Constant(0.8, "G", _CLOUD),
        "cloud_factor.mostly_cloudy": Constant(0.6, "G", _CLOUD),
        "cloud_factor.overcast": Constant(0.35, "G", _CLOUD),
        "sky_dose_max_step_minutes": Constant(10, "D", "FADE-MODEL §11: integrate in steps <= 10"),
        # §10 refit from the practice's own ratings (refit.py)
        "refit_theta_grid_step": Constant(0.01, "C", "FADE-MODEL §10: a step of 0.01 is enough"),
        "refit_interval_level": Constant(0.90, "C", "FADE-MODEL §10: 90 % interval per estimate"),
        "refit_max_abs_correlation": Constant(
            0.95, "G", "FADE-MODEL §10: rates this correlated cannot be told apart; no adoption"
        ),
        "refit_min_clients_with_two_ratings": Constant(
            50, "C", "FADE-MODEL §9-§10: about 50 clients with two healed-phase ratings each"
        ),
    }
)


def constant(name: str) -> float:
    """The value of ``CONSTANTS[name]``; raises KeyError for an unknown name."""
    return CONSTANTS[name].value
