from __future__ import annotations

from smptrack.assessments import bp  # noqa: F401
