"""Dates that make sense on a client's record (issue 13 item 6): not before the first session.

The rule, decided for issue 13:

- A **session the practice records** may be dated any past day while the client has none (it
  becomes the first). After that, it may not be dated before the first one: back-dating one
  (2016 typed for 2026) would silently make it the first and shift every projection and
  reminder that counts from there. Changing the first session's own date stays free (it is
  the first, whichever day it was). A practice entering a client's older history records it
  oldest first.
- A **session the client logs themself** may be dated before the first: clients log the
  sessions they had elsewhere after the fact, in whatever order they find the dates.
- An **assessment** rates the fade of a treatment, so it may not be dated before the first
  session. A client with no session yet (one treated elsewhere, not logged) may still rate
  any past day: there is nothing to be before.
- "Not in the future" is checked by each service against the client's own today (their time
  zone), as before.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.models import TreatmentSession


def first_session_on(client_id: int, *, excluding_id: int | None = None) -> date | None:
    """The date of ``client_id``'s earliest session (leaving out session ``excluding_id``), or
    None when there is none. One indexed read (``ix_treatment_sessions_client_date``)."""
    query = sa.select(sa.func.min(TreatmentSession.performed_on)).where(
        TreatmentSession.client_id == client_id
    )
    if excluding_id is not None:
        query = query.where(TreatmentSession.id != excluding_id)
    return db.session.scalar(query)


def session_date_problem(
    client_id: int,
    performed_on: date,
    *,
    by_practice: bool,
    editing: TreatmentSession | None = None,
) -> str | None:
    """Why ``performed_on`` cannot be the date of a (new, or ``editing``) session of
    ``client_id`` recorded by the practice (``by_practice``) or the client, or None. Flushes
    nothing; reads the committed and flushed sessions."""
    if not by_practice:
        return None
    others_first = first_session_on(client_id, excluding_id=editing.id if editing else None)
    if others_first is None or performed_on >= others_first:
        return None
    if editing is not None and editing.performed_on <= others_first:
        return None  # changing the first session's own date: it stays the first
    return (
        f"The first session on this record is of {_words(others_first)}: a session cannot be "
        "dated before it. If an earlier one took place, change the first session's date."
    )


def assessment_date_problem(client_id: int, assessed_on: date) -> str | None:
    """Why ``assessed_on`` cannot be the date of an assessment of ``client_id``, or None."""
    first = first_session_on(client_id)
    if first is None or assessed_on >= first:
        return None
    return (
        f"The first session on this record is of {_words(first)}: an assessment rates its "
        "fade, so it cannot be dated before it."
    )


def _words(day: date) -> str:
    return f"{day.day} {day.strftime('%B %Y')}"
