"""Links built from a pattern kept per application and mount point (``links.url_by_id``,
``practice_links``, ``own_links``, ``session_links``) are the URLs ``url_for`` builds."""

from __future__ import annotations

import pytest
from flask import Flask, url_for

from smptrack.links import (
    assessment_links,
    own_links,
    practice_links,
    session_links,
    url_by_id,
)
from smptrack.models import Client


@pytest.mark.parametrize("row_id", [1, 7, 42, 2**31 - 2])
@pytest.mark.parametrize(
    ("endpoint", "argument"),
    [
        ("clients.show", "client_id"),
        ("treatments.edit", "session_id"),
        ("assessments.delete", "assessment_id"),
    ],
)
def test_a_row_link_is_the_url_url_for_builds(
    app: Flask, endpoint: str, argument: str, row_id: int
) -> None:
    with app.test_request_context("/"):
        assert url_by_id(endpoint, argument)(row_id) == url_for(endpoint, **{argument: row_id})


def test_a_page_this_build_lacks_has_no_link(app: Flask) -> None:
    with app.test_request_context("/"):
        assert url_by_id("no.such", "client_id")(3) is None
        assert url_by_id("clients.show", "client_id")(3) == url_for("clients.show", client_id=3)


@pytest.mark.parametrize("mount", ["", "/studio", "/other/place"])
def test_each_mount_point_has_its_own_links(app: Flask, mount: str) -> None:
    # The first mount point's pattern is kept; a page under another one still links under it.
    for root in ("", "/studio", "/other/place", mount):
        with app.test_request_context("/", base_url=f"http://localhost{root}/"):
            client = Client(id=17)
            expected = {
                "record_session": url_for("treatments.new", client_id=17),
                "sun_log": url_for("exposure.index", client_id=17),
                "log_sun": url_for("exposure.new", client_id=17),
                "profile": url_for("exposure.profile", client_id=17),
                "assess": url_for("assessments.new", client_id=17),
                "assessments": url_for("assessments.index", client_id=17),
                "export": url_for("privacy.export_client", client_id=17),
                "erase": url_for("privacy.erase_client", client_id=17),
                "reminders": url_for("reminders.client_index", client_id=17),
            }
            assert practice_links(client) == expected
            assert all(url.startswith(f"{root}/") for url in expected.values())
            assert session_links(5) == {
                "show": url_for("treatments.show", session_id=5),
                "edit": url_for("treatments.edit", session_id=5),
                "delete": url_for("treatments.delete", session_id=5),
            }
            assert assessment_links(9) == {"delete": url_for("assessments.delete", assessment_id=9)}


def test_a_client_page_without_a_record_has_no_record_links(app: Flask) -> None:
    with app.test_request_context("/"):
        own = {
            "sun_log": url_for("exposure.my_sun_log"),
            "profile": url_for("exposure.my_profile"),
            "assessments": url_for("assessments.my_assessments"),
            "export": url_for("privacy.export_own"),
            "erase": url_for("privacy.erase_own"),
            "reminders": url_for("reminders.mine"),
        }
        assert own_links(None) == {**own, "record_session": None, "log_sun": None, "assess": None}
        assert own_links(Client(id=4)) == {
            **own,
            "record_session": url_for("treatments.new", client_id=4),
            "log_sun": url_for("exposure.new", client_id=4),
            "assess": url_for("assessments.new", client_id=4),
        }
