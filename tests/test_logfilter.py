"""The access-log filter blanks reset and invitation tokens in Werkzeug's and gunicorn's lines,
and leaves every other line, and the token-less pages, as they were."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from smptrack import logfilter

TOKEN = "eyJ1IjoxLCJmIjoiYWJjIn0.aw8n5A.3STCJlr3LEChVywNrYsQnhRT08o"


def filtered(logger_name: str, message: str, *args: object) -> str:
    record = logging.LogRecord(logger_name, logging.INFO, __file__, 1, message, args, None)
    assert logfilter.RedactTokens().filter(record) is True
    return record.getMessage()


@pytest.mark.parametrize("prefix", ["/auth/reset/", "/auth/invite/", "/practice/join/"])
def test_it_blanks_the_token_of_a_werkzeug_access_line(prefix: str) -> None:
    line = filtered(
        "werkzeug",
        '127.0.0.1 - - [01/Dec/2026 20:00:00] "%s" %s %s',
        f"GET {prefix}{TOKEN} HTTP/1.1",
        "303",
        "-",
    )
    assert TOKEN not in line
    assert f"GET {prefix}[redacted] HTTP/1.1" in line


def test_it_blanks_the_token_of_a_gunicorn_access_line_and_its_referer() -> None:
    atoms = {
        "r": f"POST /auth/reset/{TOKEN}?x=1 HTTP/1.1",
        "f": f"https://smp.example/auth/invite/{TOKEN}",
    }
    line = filtered("gunicorn.access", '"%(r)s" "%(f)s"', atoms)
    assert TOKEN not in line
    assert (
        line
        == '"POST /auth/reset/[redacted]?x=1 HTTP/1.1" "https://smp.example/auth/invite/[redacted]"'
    )


@pytest.mark.parametrize(
    "path",
    ["/auth/reset/new", "/auth/invite/accept", "/auth/reset", "/clients/12", "/practice/join"],
)
def test_it_leaves_other_lines_alone(path: str) -> None:
    assert filtered("werkzeug", '"GET %s HTTP/1.1" 200 -', path) == f'"GET {path} HTTP/1.1" 200 -'


def test_it_blanks_a_calendar_feeds_key_but_not_the_feed_pages() -> None:
    key = "q3V9xY_b-Lk2mN8pR4sT6uW0zA1cE5gH7jK9oQ3"  # as secrets.token_urlsafe makes them
    line = filtered("werkzeug", '"GET %s HTTP/1.1" 200 -', f"/calendar/{key}.ics")
    assert line == '"GET /calendar/[redacted].ics HTTP/1.1" 200 -'
    for page in ("/calendar", "/calendar/clients/12", "/calendar/practice/regenerate"):
        assert (
            filtered("werkzeug", '"GET %s HTTP/1.1" 200 -', page) == f'"GET {page} HTTP/1.1" 200 -'
        )


def test_the_app_factory_installs_it_once_on_both_access_loggers(app: Flask) -> None:
    from smptrack.app import create_app

    create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "x"})
    for name in logfilter.ACCESS_LOGGERS:
        installed = [
            f for f in logging.getLogger(name).filters if isinstance(f, logfilter.RedactTokens)
        ]
        assert len(installed) == 1, name
