"""The read-audit lines of many requests, written together.

Every page view and API read of a client record adds a ``read`` line to the audit. Written one
transaction per request (after the response, ``smptrack/denials.py``), that write was a fifth of
the CPU of a small API read: an app context, an INSERT and a commit for one row. So the lines
wait here, per app and per process, and go to the database in one INSERT of many rows when

- ``AUDIT_READ_BATCH`` lines are waiting (the request that adds the last one writes them, after
  its response), or
- the oldest has waited ``AUDIT_READ_FLUSH_SECONDS`` (a timer thread of this process writes
  them, so a quiet worker does not sit on its lines), or
- the process exits normally (``atexit``; gunicorn's ``worker_exit`` in ``gunicorn.conf.py``).

Loss bound: a process that is killed (SIGKILL, a power cut) loses the lines it holds: at most
``AUDIT_READ_BATCH`` lines, none older than ``AUDIT_READ_FLUSH_SECONDS``. A write that fails (the
database gone or locked beyond its busy timeout) is logged with the number of lines and they are
dropped: an audit line must never fail or hold up a read. ``AUDIT_READ_BATCH = 1`` writes each
request's lines at once, as before.

The timer thread starts on the first line a process holds, never at import or in gunicorn's
master (a thread does not survive the fork into the workers); the pid check starts a new one in
a forked child.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from dataclasses import dataclass, field

from flask import Flask

from smptrack.extensions import db
from smptrack.services import audit

log = logging.getLogger(__name__)

EXTENSION = "smptrack.read_batch"


@dataclass
class _Waiting:
    reads: list[tuple[audit.Read, str | None]] = field(default_factory=list)
    since: float = 0.0  # monotonic time of the oldest waiting line


class ReadBatch:
    """The read lines one app holds in this process, and the writing of them."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.size = max(1, int(app.config.get("AUDIT_READ_BATCH") or 1))
        self.max_wait = float(app.config.get("AUDIT_READ_FLUSH_SECONDS") or 1.0)
        self._lock = threading.Lock()
        self._waiting = _Waiting()
        self._timer_pid: int | None = None

    def add(self, reads: list[audit.Read], remote_addr: str | None) -> None:
        """Hold ``reads`` (after a response); write the batch if it is full or old enough."""
        if not reads:
            return
        with self._lock:
            if not self._waiting.reads:
                self._waiting.since = time.monotonic()
            self._waiting.reads.extend((read, remote_addr) for read in reads)
            due = (
                len(self._waiting.reads) >= self.size
                or time.monotonic() - self._waiting.since >= self.max_wait
            )
            taken = self._take() if due else []
            if not due:
                self._start_timer()
        self._write(taken)

    def flush(self) -> int:
        """Write whatever is waiting now; the number of lines written."""
        with self._lock:
            taken = self._take()
        return self._write(taken)

    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting.reads)

    def _take(self) -> list[tuple[audit.Read, str | None]]:
        taken, self._waiting = self._waiting.reads, _Waiting()
        return taken

    def _write(self, taken: list[tuple[audit.Read, str | None]]) -> int:
        if not taken:
            return 0
        by_address: dict[str | None, list[audit.Read]] = {}
        for read, address in taken:
            by_address.setdefault(address, []).append(read)
        with self.app.app_context():
            try:
                for address, reads in by_address.items():
                    audit.record_reads(reads, remote_addr=address)
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("could not record %s read line(s); they are dropped", len(taken))
                return 0
        return len(taken)

    def _start_timer(self) -> None:
        # Called with the lock held. One thread per process, started on first need.
        if self._timer_pid == os.getpid():
            return
        self._timer_pid = os.getpid()
        thread = threading.Thread(target=self._tick, name="smptrack-read-batch", daemon=True)
        thread.start()

    def _tick(self) -> None:
        while True:
            time.sleep(self.max_wait / 2)
            with self._lock:
                old = (
                    self._waiting.reads and time.monotonic() - self._waiting.since >= self.max_wait
                )
                taken = self._take() if old else []
            self._write(taken)


def init_app(app: Flask) -> None:
    batch = ReadBatch(app)
    app.extensions[EXTENSION] = batch
    if batch.size > 1:
        atexit.register(batch.flush)


def of(app: Flask) -> ReadBatch:
    return app.extensions[EXTENSION]


def flush_all(app: Flask) -> int:
    """Write the app's waiting read lines (gunicorn's ``worker_exit``, tests)."""
    batch = app.extensions.get(EXTENSION)
    return batch.flush() if batch is not None else 0
