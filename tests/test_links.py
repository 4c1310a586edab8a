"""Row links built once per page (``links.url_by_id``) are the URLs ``url_for`` builds."""

from __future__ import annotations

import pytest
from flask import Flask, url_for

from smptrack.links import links_by_id, url_by_id


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
        links = links_by_id(show=("clients.show", "client_id"), gone=("no.such", "client_id"))
        assert links(3) == {"show": url_for("clients.show", client_id=3), "gone": None}
