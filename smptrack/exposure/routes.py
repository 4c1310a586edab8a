from __future__ import annotations

from smptrack.exposure import bp  # noqa: F401
