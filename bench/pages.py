"""In-process companion of ``bench/web.json``: CPU per request and SQL statements of each route.

``../shared/bench`` measures throughput over loopback, and on a shared machine its req/s drift
with whatever else runs. This runs the same routes through Flask's test client in one process
on the same database (``bench/seed.py``), reads the process's own CPU time around each batch and
counts the statements with SQLAlchemy's ``before_cursor_execute``, so a change to one page can be
judged without a quiet machine. The responses are closed, so the after-response writes (read
audit lines) are included. ``history-no-chart`` is the client page with the fade chart left out
(``materialised.fade_section`` answering None, so neither the stored section nor one drawn on
the spot): the difference is the chart's share.

Run (from the repository root, after ``SMPTRACK_INSTANCE_PATH=instance/bench python
bench/seed.py``)::

    python bench/pages.py [--instance instance/bench] [--requests 200] [--profile history]

It prints a Markdown table; ``--profile ROUTE`` adds cProfile's top functions for that route.
The numbers are the test client's, without gunicorn and HTTP: compare them with each other,
not with ``bench/web.json``'s.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN_HEADER = {"Authorization": "Bearer smp_bench-token-for-loopback-only"}
ROUTES: dict[str, tuple[str, dict[str, str], int | None]] = {
    # name: (path, headers, page size or None for the default 25)
    "history": ("/clients/1", {}, None),
    "history-no-chart": ("/clients/1", {}, None),
    "list25": ("/clients/", {}, None),
    "list500": ("/clients/", {}, 500),
    "due": ("/due?before=2100-01-01", {}, None),
    "api-client": ("/api/v1/clients/2", TOKEN_HEADER, None),
    "api-projection": ("/api/v1/clients/2/projection", TOKEN_HEADER, None),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instance", default=str(ROOT / "instance" / "bench"))
    parser.add_argument("--requests", type=int, default=200, help="per route, in 10 batches")
    parser.add_argument("--profile", choices=sorted(ROUTES), action="append", default=[])
    args = parser.parse_args()
    instance = Path(args.instance).resolve()
    database = instance / "smptrack.db"
    if not database.exists():
        parser.error(f"no {database}: run bench/seed.py with SMPTRACK_INSTANCE_PATH={instance}")
    os.environ.update(
        SMPTRACK_INSTANCE_PATH=str(instance),
        SMPTRACK_DATABASE_URL=f"sqlite:///{database}",
        SMPTRACK_SECRET_KEY="bench-only-not-secret",
        SMPTRACK_SESSION_COOKIE_SECURE="false",
    )
    sys.path.insert(0, str(ROOT))
    from smptrack.app import create_app
    from smptrack.services import materialised

    app = create_app()
    # As wsgi.py does in production: the loaded app's objects out of the collector's way.
    gc.collect()
    gc.freeze()
    browser = logged_in(app)
    rows = []
    profiles = []
    for name, (path, headers, page_size) in ROUTES.items():
        app.config["PAGE_SIZE"] = page_size or 25
        section = materialised.fade_section
        if name == "history-no-chart":
            materialised.fade_section = lambda *args, **kwargs: None
        try:

            def get(path: str = path, headers: dict[str, str] = headers) -> None:
                response = browser.get(path, headers=headers)
                if response.status_code != 200:
                    raise SystemExit(f"{path} answered {response.status_code}")
                response.close()  # runs the after-response writes

            for _ in range(5):
                get()
            with counted(app) as statements:
                get()
            per_batch = max(1, args.requests // 10)
            cpu = [cpu_ms(get, per_batch) for _ in range(10)]
            rows.append((name, path, len(statements), min(cpu), statistics.median(cpu)))
            if name in args.profile:
                profiles.append((name, profile(get, per_batch)))
        finally:
            materialised.fade_section = section
    # The least batch: other processes on a shared machine only ever add to a batch's time.
    print("| route | path | SQL statements | CPU ms/request (least of 10 batches) | median |")
    print("|---|---|---:|---:|---:|")
    for name, path, count, low, median in rows:
        print(f"| {name} | `{path}` | {count} | {low:.2f} | {median:.2f} |")
    for name, text in profiles:
        print(f"\n### {name}\n\n```\n{text}```")
    return 0


def logged_in(app):
    browser = app.test_client()
    form = browser.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    if token is None:
        raise SystemExit("no CSRF token on the login form")
    answer = browser.post(
        "/auth/login",
        data={
            "csrf_token": token.group(1),
            "email": "practitioner@bench.smptrack.test",
            "password": "bench-practitioner",
        },
    )
    if answer.status_code not in (302, 303):
        raise SystemExit(f"login answered {answer.status_code}: was bench/seed.py run?")
    return browser


@contextmanager
def counted(app) -> Iterator[list[str]]:
    import sqlalchemy as sa

    from smptrack.extensions import db

    statements: list[str] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", before_cursor_execute)


def cpu_ms(get: Callable[[], None], n: int) -> float:
    started = time.process_time()
    for _ in range(n):
        get()
    return (time.process_time() - started) / n * 1000


def profile(get: Callable[[], None], n: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        get()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
    return out.getvalue()


if __name__ == "__main__":
    sys.exit(main())
