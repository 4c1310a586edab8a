"""Issue 13 item 5: a page shows nobody a control they may not use.

Each persona crawls the pages it can reach from its start pages and follows every link: a
link that answers 403 (or worse) is a control the page should not have shown. Before, a client
met Edit and Delete on the practitioner's sessions, and the pages behind them refused.
"""

from __future__ import annotations

import re
from collections import deque
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask

from smptrack.extensions import db
from smptrack.services import assessments, treatments
from tests.conftest import OwnContextClient, Personas, log_in
from tests.test_treatments import lot_of, placement, session_input

NOW = datetime.now(UTC)
# Links a crawl must not follow: they end the login, or lead to files and other sites.
SKIP = re.compile(r"^/(auth/|static/|logout)|/(export|calendar)\b|\.ics$|/image|/thumb")
MAX_PAGES = 80


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


@pytest.fixture
def practice_record(personas: Personas) -> int:
    p = personas.practitioner_p
    day = (NOW - timedelta(days=60)).date()
    recorded = treatments.record_session(
        p,
        personas.record_a,
        session_input(placement("crown", lot_of(p)), performed_on=day, notes="internal"),
        now=NOW,
    )
    assessments.record_assessment(
        p,
        personas.record_a,
        assessments.AssessmentInput(day + timedelta(days=30), "crown", 92.0, "practitioner_photo"),
        now=NOW,
    )
    db.session.commit()
    return recorded.id


def crawl(app: Flask, user, starts: list[str]) -> dict[str, int]:
    """Status of every same-site page reachable by GET links from ``starts`` (bounded)."""
    browser = log_in(app.test_client(), user)
    seen: dict[str, int] = {}
    queue = deque(starts)
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        response = browser.get(path)
        seen[path] = response.status_code
        if response.status_code in (301, 302, 303) and "Location" in response.headers:
            queue.append(urlsplit(response.headers["Location"]).path)
            continue
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        for href in re.findall(r'href="([^"#]+)"', response.get_data(as_text=True)):
            target = urlsplit(href.replace("&amp;", "&"))
            if target.netloc or not target.path.startswith("/") or SKIP.search(target.path):
                continue
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return seen


@pytest.mark.parametrize("who", ["client_a", "front_desk_p"])
def test_no_link_on_a_page_leads_to_a_refusal(
    app: Flask, personas: Personas, practice_record: int, who: str
) -> None:
    starts = ["/", "/me", f"/sessions/{practice_record}"] if who == "client_a" else ["/"]
    seen = crawl(app, personas.by_name(who), starts)
    assert len(seen) > 3, seen
    refused = {path: status for path, status in seen.items() if status >= 400}
    assert refused == {}
