"""``smptrack model refit``: a practice's constants estimated from its own ratings (FADE-MODEL §10,
issue 10 item 8), on practices seeded into the database from the model with known constants.

The seeded practice's truth is the model itself: each client has a crown course of three sessions
and no sun log, so its dose is the §3 imputation from its latitude band, lifestyle and skin type
(varied across clients, which is what lets the two rates separate); its ratings are the model's
density at the true constants plus the rating method's noise.
"""

from __future__ import annotations

import math
import random
import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask

from smptrack.domain import fade
from smptrack.extensions import db
from smptrack.models import FadeAssessment, TreatmentSession, User
from smptrack.models.treatments import Placement
from smptrack.services import projections
from tests.conftest import make_client, make_user

NOW = datetime.now(UTC)
TRUE_K_BIO, TRUE_K_UV, TRUE_SIGMA = 0.065, 2.0e-4, 0.30
BANDS = ("55_plus", "45_55", "35_45", "25_35", "under_25")
LIFESTYLES = ("indoor", "average", "outdoor_leisure", "outdoor_worker")
SDS = {"practitioner_in_person": 0.07, "practitioner_photo": 0.10, "client_self": 0.12}


def seed_practice(
    practitioner: User,
    clients: int,
    *,
    seed: int,
    same_dose: bool = False,
    k_bio: float = TRUE_K_BIO,
    k_uv: float = TRUE_K_UV,
    sigma: float = TRUE_SIGMA,
) -> None:
    """``clients`` clients of ``practitioner`` with 2-4 healed-phase crown ratings each, drawn
    from the model at the given constants. ``same_dose``: every client gets the same sun."""
    rng = random.Random(seed)
    today = NOW.date()
    for index in range(clients):
        factors = (
            {"latitude_band": "45_55", "lifestyle": "average", "fitzpatrick": 3}
            if same_dose
            else {
                "latitude_band": rng.choice(BANDS),
                "lifestyle": rng.choice(LIFESTYLES),
                "fitzpatrick": rng.randint(1, 6),
            }
        )
        record = make_client(
            practitioner, f"Synthetic {index}", usual_hat="none", usual_hat_pct=0, **factors
        )
        last = today - timedelta(days=rng.randint(5 * 365 + 60, 6 * 365))
        for offset, kind in ((-42, "initial"), (-21, "build_up"), (0, "build_up")):
            treatment = TreatmentSession(
                client_id=record.id, performed_on=last + timedelta(days=offset), kind=kind
            )
            treatment.placements.append(Placement(zone="crown", pigment_free_text="carbon"))
            db.session.add(treatment)
        baseline = last + timedelta(days=28)
        days = sorted(
            baseline + timedelta(days=round(rng.uniform(0.5, 5.0) * 365.25))
            for _ in range(rng.randint(2, 4))
        )
        assessors = [rng.choice(list(SDS)) for _ in days]
        # The inputs at each rating date as the app reads them (F_bio, t, H), placeholder density.
        inputs = projections.load_inputs(record)
        placeholders = [
            fade.FadeAssessment(d, "crown", 0.5, a) for d, a in zip(days, assessors, strict=True)
        ]
        read = fade.healed_ratings(inputs.factors, inputs.sessions, [], placeholders, as_of=today)
        assert len(read) == len(days)
        m = math.exp(rng.gauss(0.0, sigma))
        for day, assessor, r in zip(days, assessors, read, strict=True):
            expected = math.exp(-m * (k_bio * r.f_bio * r.years + k_uv * r.effective_sed))
            density = min(1.0, max(0.0, expected + rng.gauss(0.0, SDS[assessor])))
            db.session.add(
                FadeAssessment(
                    client_id=record.id,
                    assessed_on=day,
                    zone="crown",
                    density_pct=100 * density,
                    assessor_kind=assessor,
                )
            )
    db.session.flush()
    projections.refresh_stale(NOW)
    db.session.commit()


def estimate(output: str, name: str) -> tuple[float, float, float]:
    """The value and the 90 % interval printed for constant ``name``."""
    match = re.search(
        rf"^\s+{name}\s+(\S+)\s.*90 % interval (\S+) to (\S+)", output, flags=re.MULTILINE
    )
    assert match, output
    return tuple(float(v) for v in match.groups())  # type: ignore[return-value]


def test_refit_of_a_seeded_practice_recovers_its_constants_and_offers_adoption(
    app: Flask,
) -> None:
    practitioner = make_user("practitioner", "fit@practice.test", "Fit Practice")
    seed_practice(practitioner, 200, seed=11)
    result = app.test_cli_runner().invoke(
        args=["model", "refit", "--practice", str(practitioner.practice_id)]
    )
    assert result.exit_code == 0, result.output
    assert "200 clients" in result.output
    assert "200 clients with two or more" in result.output
    for name, truth, tolerance in (
        ("k_bio", TRUE_K_BIO, 0.25),
        ("k_uv", TRUE_K_UV, 0.25),
        ("sigma", TRUE_SIGMA, 0.35),
    ):
        value, low, high = estimate(result.output, name)
        assert abs(value - truth) <= tolerance * truth, (name, value)
        assert low < value < high
    assert "Adoption: offered." in result.output
    # Refitting is a read: no version was stored, the practice still uses the defaults.
    assert "current model: " + fade.MODEL_VERSION in result.output
    assert db.session.scalar(sa.text("SELECT count(*) FROM practice_model_versions")) == 0


def test_every_client_at_the_same_sun_dose_declines_adoption_and_says_why(app: Flask) -> None:
    practitioner = make_user("practitioner", "same@practice.test", "Same Sun")
    seed_practice(practitioner, 80, seed=5, same_dose=True)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["model", "refit", "--practice", str(practitioner.practice_id)])
    assert result.exit_code == 0, result.output
    assert "Adoption: not offered, because:" in result.output
    assert "cannot be told apart" in result.output or "undetermined" in result.output
    adopted = runner.invoke(
        args=["model", "refit", "--practice", str(practitioner.practice_id), "--adopt"]
    )
    assert adopted.exit_code == 1
    assert "nothing was changed" in adopted.output
    assert db.session.scalar(sa.text("SELECT count(*) FROM practice_model_versions")) == 0


def test_a_bad_practice_id_fails_in_one_line_with_a_non_zero_exit(app: Flask) -> None:
    client_login = make_user("client", "c@clients.test")
    db.session.commit()
    runner = app.test_cli_runner()
    for practice in ("999999", str(client_login.id)):
        result = runner.invoke(args=["model", "refit", "--practice", practice])
        assert result.exit_code == 1
        assert result.output.strip().count("\n") == 0, result.output
        assert result.output.startswith("Error: No practice with id")
    not_a_number = runner.invoke(args=["model", "refit", "--practice", "abc"])
    assert not_a_number.exit_code == 2


def test_a_practice_without_ratings_has_nothing_to_refit(app: Flask) -> None:
    practitioner = make_user("practitioner", "new@practice.test")
    make_client(practitioner, "Unrated")
    db.session.commit()
    result = app.test_cli_runner().invoke(
        args=["model", "refit", "--practice", str(practitioner.practice_id)]
    )
    assert result.exit_code == 1
    assert "no healed-phase ratings" in result.output
    everyone = app.test_cli_runner().invoke(args=["model", "refit"])
    assert everyone.exit_code == 0, everyone.output
    assert f"Practice {practitioner.id}" in everyone.output
