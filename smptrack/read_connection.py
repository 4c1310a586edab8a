"""The connection a hot API read runs its row statements on.

``GET /api/v1/clients/{id}`` and its projection are three Core statements returning rows (the
bearer token with its login, the record, the stored answer). Run on the ORM session's
connection, the session's bookkeeping around them (creating the session, its transaction, the
connection for the bind, closing and removing it) cost about as much as one of the statements:
a tenth of the read's CPU. So a read's unit of work (``web.begin_read``) checks a plain
connection out of the engine's pool for them and ``web.end_read`` gives it back; the session is
then never created unless the read needs an ORM object after all (a projection not stored for
today), which it then loads on the session's own connection as any other request does.

Outside such a read (a page, a write, a CLI command, a test calling a service) ``connection()``
is the session's connection, so the same service functions run unchanged there.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import g

from smptrack.extensions import db

_KEY = "smptrack_read_connection"


def open_for_read() -> None:
    """Check a connection out for this request's row reads. On PostgreSQL it runs in
    autocommit: at READ COMMITTED (ours) each statement has its own snapshot inside a
    transaction as well, so the reads see the same without the BEGIN and ROLLBACK round trips.
    The pool resets the isolation level when the connection goes back."""
    connection = db.engine.connect()
    if connection.dialect.name == "postgresql":
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
    setattr(g, _KEY, connection)


def close_for_read() -> None:
    """Give the read's connection back to the pool (its reset ends whatever SQLite began)."""
    connection = g.pop(_KEY, None)
    if connection is not None:
        connection.close()


def connection() -> sa.Connection:
    """The read's own connection inside ``open_for_read``, else the session's."""
    found = g.get(_KEY)
    return found if found is not None else db.session.connection()
