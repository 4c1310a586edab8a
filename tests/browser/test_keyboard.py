"""Every form usable by keyboard alone (issue 13 item 10): the login, the sun exposure and the
session forms are filled and sent with Tab, typing, arrow keys and Enter, never a click, and the
field with the focus always shows it (the :focus-visible outline)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page

from smptrack.extensions import db
from smptrack.models import SunExposure, TreatmentSession
from tests.browser.demo_practice import LOGINS, Demo, seed_demo

MAX_TABS = 120

FOCUS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    id: el.id, tag: el.tagName.toLowerCase(), type: el.type || '', value: el.value || '',
    // A date or time input's last stop is the browser's own picker button, which draws its
    // own ring; the input itself then no longer matches :focus.
    shown: !el.matches(':focus')
           || (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2),
  };
}"""


def tab_to(page: Page, wanted) -> dict:
    """Press Tab until the focused element satisfies ``wanted`` (a function of the focus
    description); every element passed on the way must show its focus."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        assert focus["shown"], f"the focus on {focus} is not visible"
        if wanted(focus):
            return focus
    raise AssertionError("Tab never reached the element")


def by_id(element_id: str):
    return lambda focus: focus["id"] == element_id


def submit(label: str):
    return lambda focus: focus["type"] == "submit" and focus["value"] == label


def log_in_by_keyboard(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/auth/login")
    tab_to(page, by_id("email"))
    page.keyboard.type(email)
    tab_to(page, by_id("password"))
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/auth/login" not in url)


def test_a_client_logs_in_and_logs_the_sun_by_keyboard_alone(
    app: Flask, live_server: str, page: Page
) -> None:
    d: Demo = seed_demo()
    log_in_by_keyboard(page, live_server, *LOGINS["client"])
    assert page.get_by_role("button", name="Log out").count() == 1

    page.goto(f"{live_server}/clients/{d.client_id}/sun/new")
    day = date.fromisoformat(page.locator("#exposed_on").input_value())
    minutes = sa.select(sa.func.coalesce(sa.func.sum(SunExposure.duration_minutes), 0)).where(
        SunExposure.client_id == d.client_id, SunExposure.exposed_on == day
    )
    before = db.session.scalar(minutes)
    tab_to(page, by_id("duration_minutes"))
    page.keyboard.type("47")
    tab_to(page, by_id("uv_index"))
    page.keyboard.type("6")
    focus = tab_to(page, by_id("hat"))
    assert focus["tag"] == "select"
    page.keyboard.press("ArrowDown")  # a closed select changes with the arrow keys
    assert page.locator("#hat").input_value() != "none"
    tab_to(page, submit("Log it"))
    with page.expect_navigation():
        page.keyboard.press("Enter")

    db.session.expire_all()
    assert db.session.scalar(minutes) == before + 47, page.locator(".error").all_inner_texts()


def test_a_practitioner_records_a_session_by_keyboard_alone(
    app: Flask, live_server: str, page: Page
) -> None:
    d: Demo = seed_demo()
    before = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(TreatmentSession)
        .where(TreatmentSession.client_id == d.client_id)
    )
    log_in_by_keyboard(page, live_server, *LOGINS["owner"])
    page.goto(f"{live_server}/clients/{d.client_id}/sessions/new")
    tab_to(page, by_id("duration_minutes"))
    page.keyboard.press("Control+A")
    page.keyboard.type("151")
    # The first zone of the "same settings for several zones" block, ticked with Space, and
    # the first placement panel opened with Enter on its summary: whichever the form shows.
    focus = tab_to(
        page,
        lambda f: (f["type"] == "checkbox" and "zones" in f["id"]) or f["tag"] == "summary",
    )
    if focus["tag"] == "summary":
        page.keyboard.press("Enter")
        tab_to(page, by_id("placements-0-zone"))
        page.keyboard.press("ArrowDown")
    else:
        page.keyboard.press("Space")
    # The lot: arrow down to the first one that has not expired.
    lot = tab_to(page, lambda f: f["id"].endswith("pigment_lot_id"))
    chosen = page.locator(f"#{lot['id']} option:checked")
    for _ in range(10):
        page.keyboard.press("ArrowDown")
        if chosen.get_attribute("value") and "expired" not in chosen.inner_text().lower():
            break
    tab_to(page, submit("Save session"))
    with page.expect_navigation():
        page.keyboard.press("Enter")

    db.session.expire_all()
    sessions = db.session.scalars(
        sa.select(TreatmentSession)
        .where(TreatmentSession.client_id == d.client_id)
        .order_by(TreatmentSession.id.desc())
    ).all()
    errors = page.locator(".error").all_inner_texts()
    assert len(sessions) == before + 1, errors
    assert sessions[0].duration_minutes == 151
    assert len(sessions[0].placements) >= 1
