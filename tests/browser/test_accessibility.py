"""Accessibility (issue 13 item 10): axe-core, run in Chromium on every page each role reaches,
reports no serious or critical violation; the everyday forms work from the keyboard alone.

Every page: for each role the test crawls the app from its start page, following same-origin
GET links (one browser context per role), plus the pages only an email leads to. The crawl must
reach every GET route the access matrix lets the role use (tests/access_cases), or the route is
listed below as not reached, with the reason, so a new page nobody links to is noticed.

axe-core is vendored (tests/browser/vendor/, see its README): CI has no node."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Page
from werkzeug.exceptions import HTTPException

from tests.browser.conftest import log_in_as
from tests.browser.demo_practice import (
    LOGINS,
    Demo,
    api_token_of,
    emailed_links,
    questionnaire_answers,
    seed_demo,
)
from tests.test_access_matrix import CASES

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PAGES_PER_ROLE = 80
# /clients/1 and /clients/2?page=2 are one page: a pattern is the path with its numbers as N,
# and two of each guard against a lucky first (a client with no sessions, say).
URLS_PER_PATTERN = 2
FAILING_IMPACTS = ("serious", "critical")

# The access matrix's persona for each role.
PERSONA = {
    "logged out": "anonymous",
    "client": "client_a",
    "owner": "practitioner_p",
    "practitioner": "colleague_p",
    "front desk": "front_desk_p",
}
STAFF = ("owner", "practitioner", "front desk")

# Not pages: a crawl does not follow these (downloads, the photo bytes, logging out).
NOT_PAGES = re.compile(
    r"^/(auth/logout|api/|static/)|\.(csv|ics|zip|json|jpe?g|png|webp)$|/(image|thumbnail)$"
    r"|/export$|^/healthz$"
)

# GET routes a role may open (the access matrix answers it 200) that its crawl does not reach,
# and why.
NO_DEMO_ROWS = "the demo practice has none of its rows (no photo, model version or feed)"
EMAILED_ONLY = "a public page only an email's link leads to: checked logged out"
NOT_REACHED: dict[str, dict[str, str]] = {
    "client": {
        "/follow-up/<token>": EMAILED_ONLY,
        "/reminders/unsubscribe/<token>": EMAILED_ONLY,
        "/sessions/<int:session_id>/edit": "a client edits only a session they logged "
        "themselves; the demo's sessions are the practitioner's",
        "/auth/reset": "logged in, a password is changed on the account page (the reset "
        "request is checked logged out)",
    },
    "staff": {
        "/follow-up/<token>": EMAILED_ONLY,
        "/reminders/unsubscribe/<token>": EMAILED_ONLY,
        "/photos/<int:photo_id>/delete": NO_DEMO_ROWS,
        "/practice/model/versions/<int:version_id>": NO_DEMO_ROWS,
        "/practice/model/versions/<int:version_id>/adopt": NO_DEMO_ROWS,
        "/calendar/<any(practitioner, practice, client):scope>/regenerate": NO_DEMO_ROWS,
        "/calendar/clients/<int:client_id>/regenerate": NO_DEMO_ROWS,
        "/auth/reset": "logged in, a password is changed on the account page (the reset "
        "request is checked logged out)",
    },
}


@dataclass
class Crawl:
    visited: list[str] = field(default_factory=list)
    rules: set[str] = field(default_factory=set)
    checked: set[str] = field(default_factory=set)
    violations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def pattern_of(url: str) -> str:
    return re.sub(r"\d+", "N", urlsplit(url).path)


def rule_of(app: Flask, path: str) -> str | None:
    try:
        rule, _ = app.url_map.bind("localhost").match(path, method="GET", return_rule=True)
    except HTTPException:
        return None
    return rule.rule


def axe_violations(page: Page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async () => {
          const result = await axe.run(document, {resultTypes: ['violations']});
          return result.violations.map(v => ({
            id: v.id, impact: v.impact,
            targets: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
          }));
        }"""
    )


def check(page: Page, app: Flask, base: str, url: str, crawl: Crawl) -> list[str]:
    """Open ``url``, run axe, note what it reached; the same-origin links it offers."""
    response = page.goto(url)
    status = response.status if response is not None else 0
    path = urlsplit(page.url).path
    crawl.visited.append(path)
    for reached in (urlsplit(url).path, path):
        rule = rule_of(app, reached)
        if rule is not None:
            crawl.rules.add(rule)
    if status >= 500:
        crawl.errors.append(f"{url} answered {status}")
        return []
    if page.url in crawl.checked:  # a redirect to a page already checked (/ to /home)
        return []
    crawl.checked.add(page.url)
    if "text/html" not in (response.headers.get("content-type", "") if response else ""):
        return []
    for violation in axe_violations(page):
        if violation["impact"] in FAILING_IMPACTS:
            crawl.violations.append(
                f"{path}: {violation['id']} ({violation['impact']}) at {violation['targets']}"
            )
    links = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    return [link.split("#", 1)[0] for link in links if link.startswith(base + "/")]


def crawl_from(page: Page, app: Flask, base: str, starts: list[str]) -> Crawl:
    crawl = Crawl()
    queue = [base + start for start in starts]
    queued = set(queue)
    per_pattern = Counter(pattern_of(url) for url in queue)
    while queue and len(crawl.visited) < PAGES_PER_ROLE:
        for link in check(page, app, base, queue.pop(0), crawl):
            path = urlsplit(link).path
            if link in queued or NOT_PAGES.search(path):
                continue
            if per_pattern[pattern_of(link)] >= URLS_PER_PATTERN:
                continue
            per_pattern[pattern_of(link)] += 1
            queued.add(link)
            queue.append(link)
    return crawl


def may_use(persona: str) -> set[str]:
    """The HTML GET routes the access matrix lets ``persona`` open."""
    return {
        case.rule
        for case in CASES
        if case.method == "GET"
        and case.media_type is None
        and not NOT_PAGES.search(case.rule)
        and case.expect.get(persona) == 200
    }


@pytest.fixture
def demo_practice(app: Flask) -> Demo:
    return seed_demo()


def crawl_as(role: str, app: Flask, base: str, page: Page, d: Demo) -> Crawl:
    """Crawl from the role's start page and the pages no link of the demo leads to: a form's
    answer, an email's link, a link shown only in a state the demo is not in."""
    starts = ["/"]
    if role == "logged out":
        # Each emailed link sets its token aside and shows its form (/auth/reset/new, …).
        starts += list(emailed_links().values())
        starts += ["/auth/login", "/auth/signup", "/auth/reset"]
    else:
        answers_id = questionnaire_answers(d.client_id)
        api_token_of(LOGINS[role][0])  # the account page then links its revoke confirmation
        # Linked only while another browser is logged in too.
        starts.append("/account/sessions/end-others")
        if role != "front desk":
            # Shown after the questionnaire is posted.
            starts.append(f"/clients/{d.client_id}/questionnaire/{answers_id}/profile")
        if role in ("owner", "practitioner"):
            # A client's own feed page: no page links to it yet. The first-run checklist:
            # linked only while the practice is new.
            starts += [f"/calendar/clients/{d.client_id}", "/welcome"]
        if role == "client":
            # The signing form (the demo client has signed) and the record's reminders page
            # (the client's menu leads to /me/reminders).
            starts += [f"/clients/{d.client_id}/consent/sign", f"/clients/{d.client_id}/reminders"]
        log_in_as(page, base, *LOGINS[role])
    return crawl_from(page, app, base, starts)


@pytest.mark.parametrize("role", list(PERSONA))
def test_no_page_a_role_reaches_has_a_serious_accessibility_violation(
    role: str, app: Flask, demo_practice: Demo, live_server: str, browser
) -> None:
    # The app's Content-Security-Policy refuses inline scripts, as it should; axe is injected
    # as one, so this context alone bypasses the policy.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    try:
        crawl = crawl_as(role, app, live_server, context.new_page(), demo_practice)
    finally:
        context.close()

    assert crawl.errors == []
    assert crawl.violations == [], (
        f"serious or critical accessibility violations ({role}, "
        f"{len(crawl.visited)} pages):\n" + "\n".join(crawl.violations)
    )
    excused = NOT_REACHED.get("staff" if role in STAFF else role, {})
    unreached = sorted(may_use(PERSONA[role]) - crawl.rules - set(excused))
    assert unreached == [], f"{role}: routes the crawl never reached: {unreached}"


def test_the_check_reports_a_serious_violation_it_is_shown(
    app: Flask, live_server: str, browser
) -> None:
    # The crawl can fail: a page with an unlabelled field and an unnamed button is reported
    # with its rule, impact and element.
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(f"{live_server}/auth/login")
        page.evaluate(
            """() => document.querySelector('main').insertAdjacentHTML('beforeend',
                 '<input id="unlabelled-field" type="text"><button id="no-name"></button>')"""
        )
        found = {(v["id"], v["impact"], *v["targets"]) for v in axe_violations(page)}
    finally:
        context.close()
    assert ("label", "critical", "#unlabelled-field") in found
    assert ("button-name", "critical", "#no-name") in found
