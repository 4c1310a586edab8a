"""smptrack: records, fade projections and reminders for scalp micropigmentation practices."""

from __future__ import annotations

__version__ = "0.1.0"


def create_app(test_config=None):
    """WSGI entry: ``gunicorn "smptrack:create_app()"``."""
    from smptrack.app import create_app as _create_app

    return _create_app(test_config)


__all__ = ["__version__", "create_app"]
