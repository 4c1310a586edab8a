from __future__ import annotations

from smptrack.catalogue import bp  # noqa: F401
