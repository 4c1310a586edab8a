"""The retention sweep: erase the treatment records whose client asked for erasure once the
practice's retention period has ended (issue 13; services/erasure.py has the rules).

Run by the scheduler (``scheduler.add_sweeps``) and by ``smptrack privacy erase-due``. Each
record is erased in its own transaction by the practitioner's erasure path, so one failure
leaves the others done, and two sweeps at once erase each record once (``erase_one_due``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from flask import Flask

from smptrack.extensions import db
from smptrack.services import erasure
from smptrack.services.exports import Folders

log = logging.getLogger(__name__)


def folders_of(app: Flask) -> Folders:
    """The folders an erasure removes files from, from the configuration (as the pages do)."""
    uploads = app.config.get("UPLOAD_FOLDER")
    return Folders(
        uploads=Path(uploads) if uploads else Path(app.instance_path) / "uploads",
        mail=Path(app.config["MAIL_FOLDER"]),
    )


def erase_due_records(app: Flask, now: datetime) -> int:
    """Erase every record whose retention ended by ``now`` (UTC); returns how many this sweep
    erased. Inside an app context; commits once per record. Idempotent: a second run finds
    nothing to do."""
    ids = erasure.due_record_ids(now.date())
    db.session.rollback()  # end the read: each claim starts its own transaction
    erased = 0
    folders = folders_of(app)
    for client_id in ids:
        try:
            if erasure.erase_one_due(client_id, now=now, folders=folders):
                erased += 1
        except Exception:
            # One record that cannot be erased (a database error) must not hold back the rest;
            # it stays marked and the next sweep tries again.
            db.session.rollback()
            log.exception("retention sweep: could not erase record %s", client_id)
    if erased:
        log.info("retention sweep: %s record%s erased", erased, "" if erased == 1 else "s")
    return erased
