"""A session form's draft, kept while the practitioner adds a pigment lot (issue 13 item 4).

"Add a new lot…" on the session form posts the form as typed; the fields are kept in the
signed session cookie (not the database: an unsaved draft is no record, and a GET that restores
it writes nothing), the catalogue opens with a ``next`` link back, and the lot added there
comes back as ``?lot=<id>`` into the restored form. One draft at a time, for one client.
"""

from __future__ import annotations

import json

from flask import session
from werkzeug.datastructures import MultiDict

DRAFT_KEY = "session_form_draft"
# The cookie holds about 4 KB, shared with the login; itsdangerous compresses the payload, so
# this much typed text still fits. A longer draft is refused with a message, never cut.
MAX_DRAFT_CHARS = 6_000
# Never kept: the CSRF token (a fresh one comes with the restored form) and the button itself.
NOT_KEPT = frozenset({"csrf_token", "add_lot"})


def keep(client_id: int, formdata: MultiDict) -> bool:
    """Keep ``formdata`` as ``client_id``'s session draft; False (nothing kept) if too long."""
    pairs = [[name, value] for name, value in formdata.items(multi=True) if name not in NOT_KEPT]
    # Empty values are dropped: the restored form gives them their defaults back.
    pairs = [pair for pair in pairs if pair[1] != ""]
    if len(json.dumps(pairs)) > MAX_DRAFT_CHARS:
        return False
    session[DRAFT_KEY] = {"client_id": client_id, "fields": pairs}
    return True


def restore(client_id: int) -> MultiDict | None:
    """The draft kept for ``client_id`` as form data, or None (none, or another client's)."""
    draft = session.get(DRAFT_KEY)
    if not isinstance(draft, dict) or draft.get("client_id") != client_id:
        return None
    fields = draft.get("fields")
    if not isinstance(fields, list):
        return None
    return MultiDict(
        (str(pair[0]), str(pair[1])) for pair in fields if isinstance(pair, list) and len(pair) == 2
    )


def forget() -> None:
    """Drop the draft (its session is saved)."""
    session.pop(DRAFT_KEY, None)
