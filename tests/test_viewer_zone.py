"""Times on a page are in the viewer's zone (``templating.local_datetime``), which is looked up
once per request and looked up again when the viewer or their zone changes within it."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask_login import login_user, logout_user

from smptrack.templating import local_datetime
from tests.conftest import make_user

MOMENT = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def test_the_zone_follows_the_viewer_within_one_request(app: Flask) -> None:
    london = make_user("practitioner", "london@example.test", time_zone="Europe/London")
    tokyo = make_user("practitioner", "tokyo@example.test", time_zone="Asia/Tokyo")
    app.config["DEFAULT_TIME_ZONE"] = "UTC"
    for user in (london, tokyo):
        user.login_session_key = "a-key-for-login_user"  # login_user asks for get_id()
    with app.test_request_context("/"):
        # Signed out: the site's default zone.
        assert local_datetime(MOMENT) == "01 Jul 2026, 12:00 UTC"
        login_user(london)
        assert local_datetime(MOMENT) == "01 Jul 2026, 13:00 BST"
        assert local_datetime(MOMENT) == "01 Jul 2026, 13:00 BST"
        london.time_zone = "America/New_York"
        assert local_datetime(MOMENT) == "01 Jul 2026, 08:00 EDT"
        login_user(tokyo)
        assert local_datetime(MOMENT) == "01 Jul 2026, 21:00 JST"
        logout_user()
        assert local_datetime(MOMENT) == "01 Jul 2026, 12:00 UTC"


def test_an_unknown_zone_shows_utc(app: Flask) -> None:
    user = make_user("practitioner", "nowhere@example.test", time_zone="Mars/Olympus_Mons")
    user.login_session_key = "a-key-for-login_user"
    with app.test_request_context("/"):
        login_user(user)
        assert local_datetime(MOMENT) == "01 Jul 2026, 12:00 UTC"
        assert local_datetime(None) == ""
