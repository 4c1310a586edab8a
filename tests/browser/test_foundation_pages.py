"""Foundation pages in a real browser: sign up, log out and in, keyboard use, a phone screen."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

PASSWORD = "a long enough password"


def sign_up_practitioner(page: Page, base: str, email: str = "pat@practice.test") -> None:
    page.goto(f"{base}/auth/signup")
    page.get_by_label("A practitioner").check()
    page.get_by_label("Your name").fill("Pat Practitioner")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()


def test_a_practitioner_signs_up_and_sees_what_to_do_next(page: Page, live_server: str) -> None:
    sign_up_practitioner(page, live_server)
    # A new practitioner lands on their home, which opens on the first-run checklist (issue 13).
    expect(page).to_have_url(re.compile(r"/home$"))
    checklist = page.get_by_role("heading", name=re.compile(r"^Getting started: 4 steps"))
    expect(checklist).to_be_visible()
    expect(page.get_by_role("link", name="Set up on one page")).to_be_visible()


def test_logging_out_and_in_again_lands_on_the_home_page(page: Page, live_server: str) -> None:
    sign_up_practitioner(page, live_server)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    page.get_by_label("Email").fill("PAT@practice.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.get_by_role("heading", name=re.compile(r"^Today, "))).to_be_visible()


def test_a_wrong_password_says_so_and_keeps_the_visitor_on_the_form(
    page: Page, live_server: str
) -> None:
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("Email").fill("nobody@practice.test")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("do not match an account")).to_be_visible()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_the_login_form_works_from_the_keyboard(page: Page, live_server: str) -> None:
    sign_up_practitioner(page, live_server)
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("Email").focus()
    page.keyboard.type("pat@practice.test")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile(r"^Today, "))).to_be_visible()


def test_the_pages_fit_a_phone_screen(browser, live_server: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    phone = context.new_page()
    try:
        phone.goto(f"{live_server}/auth/signup")
        overflow = phone.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the sign-up page scrolls sideways by {overflow}px on a phone"
        expect(phone.get_by_role("button", name="Create account")).to_be_visible()
    finally:
        context.close()
