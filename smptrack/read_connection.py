"""The connection a hot API read runs its row statements on.

``GET /api/v1/clients/{id}`` and its projection are one or two Core statements returning rows
(the bearer token with its login and the record it asks for; the stored answer). Run on the ORM
session's connection, the session's bookkeeping around them (creating the session, its
transaction, the connection for the bind, closing and removing it) cost about as much as one of
the statements: a fifth of the read's CPU. So a read's unit of work (``web.begin_read``) checks
a plain connection out of the engine's pool for them and ``web.end_read`` gives it back; the
session is then never created unless the read needs an ORM object after all (a projection not
stored for today), which it then loads on the session's own connection as any other request
does.

Outside such a read (a page, a write, a CLI command, a test calling a service) ``connection()``
is the session's connection, so the same service functions run unchanged there.

On PostgreSQL every other checkout is pinged first (``install_checkout_ping``, what
``pool_pre_ping`` does), so a connection the server dropped (a restart, an idle timeout) is
replaced before a write meets it. A hot read skips that round trip, a tenth of its throughput:
a read is safe to run again, so the API handler runs it once more on a fresh connection when
its connection turns out dead (``registry``, ``connection_invalidated``).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from flask import g

from smptrack.extensions import db

_KEY = "smptrack_read_connection"
# Set while a hot read checks its connection out: the checkout's ping leaves it alone.
_UNPINGED = ContextVar("smptrack_unpinged_checkout", default=False)


def install_checkout_ping(engine: sa.Engine) -> None:
    """Ping each connection the pool hands out, except to a hot read (``open_for_read``).

    SQLAlchemy's ``pool_pre_ping`` pings every checkout and cannot be told otherwise; this is
    its documented pessimistic recipe instead: a ``checkout`` listener raising
    ``DisconnectionError`` makes the pool drop that connection and hand out a fresh one.
    """
    dialect = engine.dialect

    @sa.event.listens_for(engine, "checkout")
    def ping(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if _UNPINGED.get():
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_connection, None):
                raise sa.exc.DisconnectionError(str(exc)) from exc
            raise


def open_for_read() -> None:
    """Check a connection out for this request's row reads. On PostgreSQL it runs in
    autocommit: at READ COMMITTED (ours) each statement has its own snapshot inside a
    transaction as well, so the reads see the same without the BEGIN and ROLLBACK round trips.
    The pool resets the isolation level when the connection goes back."""
    unpinged = _UNPINGED.set(True)
    try:
        connection = db.engine.connect()
    finally:
        _UNPINGED.reset(unpinged)
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
