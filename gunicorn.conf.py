"""gunicorn settings for smptrack: ``gunicorn -c gunicorn.conf.py wsgi:app`` (from the repository
root). Options given on the command line win over these.

- ``bind``: ``GUNICORN_BIND``, else 127.0.0.1:8000 (behind a TLS-terminating proxy).
- ``workers``: ``WEB_CONCURRENCY`` (the variable gunicorn itself reads), else 2 per CPU + 1.
- ``preload_app``: the app is built once in the master and the workers are forked from it, so
  ``wsgi.py``'s ``gc.freeze()`` runs once and the frozen pages stay shared.

Reminder email is never sent from here: run one ``smptrack scheduler`` beside it.
"""

from __future__ import annotations

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)
worker_class = "sync"
preload_app = True
wsgi_app = "wsgi:app"


def post_fork(server, worker) -> None:
    """Give each worker its own database connections.

    The master built the engine and may have connected (a migration check, a first query); a
    pooled connection copied into several processes would be one socket (or SQLite file handle)
    used by all of them at once. ``dispose(close=False)`` drops the inherited pool without
    closing those connections, which still belong to the master, and the worker opens new ones
    on first use (SQLAlchemy, "Using Connection Pools with Multiprocessing").
    """
    from smptrack.extensions import db

    app = worker.app.wsgi()  # the preloaded application, not a new one
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)


def worker_exit(server, worker) -> None:
    """Write the read-audit lines the worker still holds (``smptrack/read_batch.py``) before it
    goes: a restart or a scale-down loses none. A killed worker cannot: that is the stated
    loss bound."""
    from smptrack import read_batch

    read_batch.flush_all(worker.app.wsgi())
