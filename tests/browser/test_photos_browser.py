"""Photos in Chromium at 390 and 1280 px: the practitioner uploads the latest photo of the crown
through the form, sees it beside the healed baseline on the client's page (the same size, the
compare slider working under the CSP: no inline script), opens "Rate the latest photo" and
records a rating, stored as one from the client's photo.

Screenshots are kept in ``test-artifacts/test_photos_browser/`` (ignored by git).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from smptrack.extensions import db
from smptrack.models import FadeAssessment, Photo
from smptrack.services import photos
from tests import photo_corpus as corpus
from tests.browser.conftest import log_in_as
from tests.conftest import PASSWORD, Personas
from tests.test_history import add_session

NO_SIDEWAYS_SCROLL = (
    "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
)


@pytest.mark.parametrize("width", [390, 1280])
def test_upload_compare_with_the_baseline_and_rate_from_the_photo(
    app: Flask,
    personas: Personas,
    live_server: str,
    page: Page,
    artifacts: Path,
    tmp_path: Path,
    width: int,
) -> None:
    today = date.today()
    record_id = personas.record_a.id
    add_session(personas.record_a, personas.practitioner_p, today - timedelta(days=200))
    photos.store_photo(
        personas.record_a,
        zone="crown",
        taken_on=today - timedelta(days=170),  # after the crown healed (+28 days)
        data=corpus.jpeg(900, 700, colour=(120, 90, 70)),
        uploaded_by=personas.practitioner_p,
        now=datetime.now(UTC),
    )
    db.session.commit()
    latest = tmp_path / "latest crown.jpg"
    latest.write_bytes(corpus.jpeg_with_gps())

    page.set_viewport_size({"width": width, "height": 900})
    log_in_as(page, live_server, personas.practitioner_p.email, PASSWORD)
    page.goto(f"{live_server}/clients/{record_id}/photos")
    page.get_by_label("Photo", exact=True).set_input_files(str(latest))
    page.get_by_label("Zone").select_option("crown")
    page.get_by_role("button", name="Upload the photo").click()
    expect(page.get_by_text("The photo is stored.")).to_be_visible()
    page.screenshot(path=str(artifacts / f"photos-list-{width}.png"), full_page=True)

    page.goto(f"{live_server}/clients/{record_id}")
    crown = page.locator("section.photo-row", has=page.locator("#photos-crown"))
    baseline = crown.get_by_role("img", name="Healed baseline", exact=False).first
    newest = crown.get_by_role("img", name="Latest", exact=False).first
    expect(baseline).to_be_visible()
    expect(newest).to_be_visible()
    first, second = baseline.bounding_box(), newest.bounding_box()
    assert (round(first["width"]), round(first["height"])) == (
        round(second["width"]),
        round(second["height"]),
    ), "side by side, the same size"
    assert first["width"] == pytest.approx(first["height"], abs=1)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)

    compare = crown.locator("[data-photo-compare]")
    expect(compare).to_be_visible()  # the local script un-hid it: it ran under the CSP
    slider = compare.locator("input[type=range]")
    slider.fill("20")
    clip = compare.locator(".photo-compare-top").evaluate("e => e.style.clipPath")
    assert clip == "inset(0px 80% 0px 0px)" or clip == "inset(0 80% 0 0)"
    crown.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"client-timeline-{width}.png"), full_page=True)

    crown.get_by_role("link", name="Rate the latest photo").click()
    expect(page.get_by_role("img", name="Being rated", exact=False)).to_be_visible()
    expect(page.get_by_role("img", name="Healed baseline", exact=False)).to_be_visible()
    page.screenshot(path=str(artifacts / f"rate-from-photo-{width}.png"), full_page=True)
    page.get_by_label("Density (% of the healed result)").fill("83")
    page.get_by_role("button", name="Record the assessment").click()
    expect(page.get_by_text("The assessment is recorded.")).to_be_visible()

    db.session.expire_all()
    rating = db.session.scalars(sa.select(FadeAssessment)).one()
    assert (rating.assessor_kind, rating.density_pct, rating.zone) == (
        "practitioner_photo",
        83.0,
        "crown",
    )
    rated = db.session.scalars(sa.select(Photo).order_by(Photo.id.desc())).first()
    assert rated.assessment_id == rating.id
