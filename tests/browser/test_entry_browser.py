"""Faster entry in a real browser at a phone's and a desk's width (issue 13 item 4): a new
practitioner reaches a first projection in at most five page loads; a session starts from the
last one across three zones; one form rates several zones."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from smptrack.extensions import db
from smptrack.models import FadeAssessment, Placement, TreatmentSession
from smptrack.services import catalogue
from tests.browser.conftest import WIDTHS, keep_screenshot, log_in_as
from tests.browser.test_foundation_pages import sign_up_practitioner
from tests.conftest import PASSWORD, Personas

THREE_ZONES = ("frontal_hairline", "left_temple", "right_temple")


def _committed(statement: sa.Executable) -> list[sa.Row]:
    with db.engine.connect() as connection:
        return list(connection.execute(statement))


def _seed_last_session(personas: Personas) -> int:
    """P's lot, and a session of client A across three zones 20 days ago; the lot's id."""
    p = personas.practitioner_p
    now = datetime.now(UTC)
    pigment = catalogue.create_pigment(
        p, catalogue.PigmentInput("Nordic Scalp", "", "Dark Ash", "carbon"), now=now
    )
    lot = catalogue.add_lot(
        p, pigment.id, catalogue.LotInput("DA-7781", date.today() + timedelta(days=500)), now=now
    )
    db.session.add(
        TreatmentSession(
            client_id=personas.record_a.id,
            performed_on=date.today() - timedelta(days=20),
            kind="initial",
            performed_by_id=p.id,
            logged_by_id=p.id,
            logged_at=now,
            needle="1RL 0.25",
            notes="first pass",
            placements=[
                Placement(zone=zone, pigment_lot_id=lot.id, dilution="light", dilution_ratio="1:3")
                for zone in THREE_ZONES
            ],
        )
    )
    db.session.commit()
    return lot.id


@pytest.mark.parametrize("width", WIDTHS)
def test_a_new_practitioner_reaches_a_first_projection_in_five_page_loads(
    live_server: str, page: Page, artifacts: Path, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    loads: list[str] = []
    page.on("load", lambda: loads.append(page.url))

    sign_up_practitioner(page, live_server, f"new{width}@studio.test")  # loads 1 and 2
    checklist = page.locator(".first-run")
    expect(checklist).to_be_visible()
    expect(checklist).to_contain_text("4 steps to your first projection")
    keep_screenshot(page, artifacts, "first-run-checklist")

    page.get_by_role("link", name="Set up on one page").click()  # 3
    page.get_by_label("Name of your practice").fill("Ink & Follicle")
    page.get_by_label("Brand").fill("Nordic Scalp")
    page.get_by_label("Shade").fill("Dark Ash")
    page.get_by_label("Lot number").fill("DA-7781")
    page.get_by_label("Lot expires on").fill((date.today() + timedelta(days=400)).isoformat())
    page.get_by_label("Client's name").fill("Casey Client")
    keep_screenshot(page, artifacts, "first-run-welcome")
    page.get_by_role("button", name="Save and record the first session").click()  # 4

    expect(page.get_by_role("heading", name="Record a session")).to_be_visible()
    expect(page.locator("#kind")).to_have_value("initial")
    expect(page.locator("#shared-pigment_lot_id option:checked")).to_contain_text(
        "Lot DA-7781 · expires"
    )
    for zone in ("crown", "mid_scalp"):
        page.locator(f"input[name='shared-zones'][value='{zone}']").check()
    page.get_by_role("button", name="Save session").click()  # 5

    expect(page).to_have_url(re.compile(r"/clients/\d+$"))
    expect(page.get_by_role("heading", name="Projected fade and touch-up window")).to_be_visible()
    expect(page.get_by_text("No projection yet")).to_have_count(0)
    expect(
        page.locator(".window-text", has_text=re.compile(r"Crown: most likely \w+ \d{4}"))
    ).to_be_visible()
    keep_screenshot(page, artifacts, "first-run-projection")
    assert len(loads) <= 5, loads


@pytest.mark.parametrize("width", WIDTHS)
def test_a_session_starts_from_the_last_one_across_three_zones(
    app: Flask, live_server: str, page: Page, artifacts: Path, personas: Personas, width: int
) -> None:
    lot_id = _seed_last_session(personas)
    page.set_viewport_size({"width": width, "height": 900})
    log_in_as(page, live_server, personas.practitioner_p.email, PASSWORD)
    page.goto(f"{live_server}/clients/{personas.record_a.id}/sessions/new")
    expect(page.locator("#kind")).to_have_value("build_up")  # the series' second session
    page.get_by_role("link", name="Start from last session").click()

    for index, zone in enumerate(THREE_ZONES):
        expect(page.locator(f"#placements-{index}-zone")).to_have_value(zone)
        expect(page.locator(f"#placements-{index}-pigment_lot_id")).to_have_value(str(lot_id))
        expect(page.locator(f"#placements-{index}-dilution_ratio")).to_have_value("1:3")
    expect(page.locator("#needle")).to_have_value("1RL 0.25")
    expect(page.locator("#notes")).to_have_value("")
    expect(page.locator("#performed_on")).to_have_value(date.today().isoformat())
    keep_screenshot(page, artifacts, "start-from-last")
    page.get_by_role("button", name="Save session").click()

    expect(page.get_by_text("is recorded")).to_be_visible()
    newest = _committed(
        sa.select(TreatmentSession.id, TreatmentSession.kind, TreatmentSession.notes)
        .order_by(TreatmentSession.id.desc())
        .limit(1)
    )[0]
    assert (newest.kind, newest.notes) == ("build_up", "")
    assert _committed(
        sa.select(Placement.zone, Placement.pigment_lot_id, Placement.dilution_ratio)
        .where(Placement.session_id == newest.id)
        .order_by(Placement.id)
    ) == [(zone, lot_id, "1:3") for zone in THREE_ZONES]


@pytest.mark.parametrize("width", WIDTHS)
def test_one_form_rates_several_zones_and_keeps_every_row_on_a_mistake(
    app: Flask, live_server: str, page: Page, artifacts: Path, personas: Personas, width: int
) -> None:
    _seed_last_session(personas)
    page.set_viewport_size({"width": width, "height": 900})
    log_in_as(page, live_server, personas.practitioner_p.email, PASSWORD)
    page.goto(f"{live_server}/clients/{personas.record_a.id}/assessments")
    page.get_by_role("link", name="Rate several zones at once").click()

    page.locator("#rows-0-density_pct").fill("92")
    page.locator("#rows-0-note").fill("even and crisp")
    page.locator("#rows-1-density_pct").fill("140")  # a slip: refused, nothing saved
    page.get_by_role("button", name="Record the ratings").click()
    expect(page.locator("#rows-1-density_pct-error")).to_be_visible()
    expect(page.locator("#rows-0-density_pct")).to_have_value("92")
    expect(page.locator("#rows-0-note")).to_have_value("even and crisp")
    assert _committed(sa.select(sa.func.count()).select_from(FadeAssessment))[0][0] == 0
    keep_screenshot(page, artifacts, "zones-refused")

    page.locator("#rows-1-density_pct").fill("84")
    page.get_by_role("button", name="Record the ratings").click()
    expect(page.get_by_text("2 ratings recorded.")).to_be_visible()
    keep_screenshot(page, artifacts, "zones-recorded")
    assert _committed(
        sa.select(FadeAssessment.zone, FadeAssessment.density_pct).order_by(FadeAssessment.id)
    ) == [("frontal_hairline", 92.0), ("left_temple", 84.0)]
