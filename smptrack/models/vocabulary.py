"""Moved: the vocabularies live in ``smptrack.domain.vocabulary``. This name stays so that an
import written before the move still works; new code imports the domain module."""

from __future__ import annotations

from smptrack.domain.vocabulary import *  # noqa: F403
from smptrack.domain.vocabulary import __all__  # noqa: F401
