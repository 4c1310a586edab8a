"""The model's one table of constants (smptrack/domain/constants.py): each row tagged, sourced."""

from __future__ import annotations

import re

import pytest

from smptrack.domain import constants


def test_every_constant_carries_a_tag_and_a_source() -> None:
    for name, entry in constants.CONSTANTS.items():
        words = set(re.findall(r"[A-Za-z]+", entry.tag))
        assert words and words <= {"S", "D", "C", "G", "from"}, name
        assert entry.source.strip(), name


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("k_bio_per_year", 0.052),
        ("k_uv_per_effective_sed", 1.4e-4),
        ("touch_up_threshold_density", 0.70),
        ("prior_sigma", 0.30),
        ("prior_sigma_no_sun_log", 0.35),
        ("ambient_sed_per_year.45_55", 4500),
        ("outdoor_fraction.average", 0.08),
    ],
)
def test_the_headline_constants_are_the_specs(name: str, value: float) -> None:
    assert constants.CONSTANTS[name].value == value
    assert constants.constant(name) == value


def test_the_table_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        constants.CONSTANTS["k_bio_per_year"] = constants.Constant(1.0, "C", "edited")  # type: ignore[index]


def test_an_unknown_name_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        constants.constant("k_bio_per_century")
