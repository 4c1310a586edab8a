"""The production WSGI entry point: ``gunicorn -c gunicorn.conf.py wsgi:app``.

It builds the app once and then freezes the garbage collector's view of everything that exists
at that moment. With ``preload_app`` (``gunicorn.conf.py``) this import runs in gunicorn's
master, before it forks the workers, so:

- the workers' collections no longer walk the tens of thousands of long-lived objects of the
  loaded app (modules, SQLAlchemy mappers, pydantic schemas, Jinja environments): full
  collections of those were the tail latency of database pages in ../shared/bench
  (``gc.freeze()`` there: +31-34 % req/s, p99 from about 45 ms to 15 ms);
- the collector no longer writes to those objects' headers, so the memory pages the workers
  share with the master stay shared instead of being copied on write.

``gc.collect()`` first, so that startup garbage is freed rather than frozen for good.

It lives at the repository root, beside ``gunicorn.conf.py``, rather than in the package:
importing it has side effects (it builds an app from the environment and freezes the
collector), which must never happen because a tool or a test imported ``smptrack``.
"""

from __future__ import annotations

import gc

from smptrack.app import create_app

app = create_app()

gc.collect()
gc.freeze()
