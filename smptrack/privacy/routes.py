from __future__ import annotations

from smptrack.privacy import bp  # noqa: F401
