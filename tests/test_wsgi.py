"""The production entry point: ``wsgi.py`` builds the app and freezes the collector;
``gunicorn.conf.py`` preloads it and gives every forked worker its own database connections.
(gunicorn itself is not a dependency: the settings file is read as the plain Python it is.)"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import gc, json
import wsgi
client = wsgi.app.test_client()
response = client.get("/api/v1/openapi.json")
print(json.dumps({
    "frozen": gc.get_freeze_count(),
    "status": response.status_code,
    "title": response.get_json()["info"]["title"],
}))
"""


def test_importing_the_entry_point_builds_the_app_and_freezes_the_collector(
    tmp_path: Path,
) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SMPTRACK_") and key != "PYTHONPATH"
    }
    env["SMPTRACK_INSTANCE_PATH"] = str(tmp_path / "instance")
    env["SMPTRACK_SECRET_KEY"] = "wsgi-test-secret"

    finished = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert finished.returncode == 0, finished.stderr[-2000:]
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    assert result["frozen"] > 0
    assert (result["status"], result["title"]) == (200, "smptrack API")


def settings(monkeypatch, **env: str) -> dict:
    for key in ("GUNICORN_BIND", "WEB_CONCURRENCY"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_preloads_the_app_on_loopback_with_workers_from_the_environment(
    monkeypatch,
) -> None:
    default = settings(monkeypatch)
    chosen = settings(monkeypatch, WEB_CONCURRENCY="3", GUNICORN_BIND="127.0.0.1:8123")

    assert default["preload_app"] is True
    assert default["wsgi_app"] == "wsgi:app"
    assert default["bind"] == "127.0.0.1:8000"
    assert default["workers"] >= 2
    assert (chosen["workers"], chosen["bind"]) == (3, "127.0.0.1:8123")


def test_a_forked_worker_drops_the_masters_pool_without_closing_its_connections(
    app: Flask, monkeypatch
) -> None:
    post_fork = settings(monkeypatch)["post_fork"]
    inherited_pool = db.engine.pool
    pooled = db.engine.raw_connection()  # the master connected once...
    master_connection = pooled.dbapi_connection
    pooled.close()  # ...and returned the connection to its pool

    worker = SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app))
    post_fork(server=None, worker=worker)

    assert db.engine.pool is not inherited_pool
    with db.engine.connect() as fresh:
        assert fresh.connection.dbapi_connection is not master_connection
        assert fresh.scalar(sa.text("SELECT 1")) == 1
    # Still open: it belongs to the master, which may go on using it.
    cursor = master_connection.cursor()
    cursor.execute("SELECT 1")
    assert cursor.fetchone()[0] == 1
    cursor.close()
    master_connection.close()
