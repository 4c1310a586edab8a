from __future__ import annotations

from smptrack.treatments import bp  # noqa: F401
