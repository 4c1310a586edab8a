"""The factory: instance folder, configuration order, the generated secret key, SQLite pragmas."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from smptrack.app import create_app
from smptrack.extensions import db


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "inst"
    monkeypatch.setenv("SMPTRACK_INSTANCE_PATH", str(path))
    for name in list(os.environ):
        if name.startswith("SMPTRACK_") and name not in ("SMPTRACK_INSTANCE_PATH",):
            monkeypatch.delenv(name)
    return path


def test_the_instance_folder_is_created_on_first_run(instance: Path) -> None:
    assert not instance.exists()
    app = create_app()
    assert Path(app.instance_path) == instance.resolve()
    assert instance.is_dir()


def test_without_a_setting_the_database_is_sqlite_in_the_instance_folder(instance: Path) -> None:
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance.resolve()}/smptrack.db"


def test_the_secret_key_is_generated_once_owner_only_and_kept(instance: Path) -> None:
    first = create_app().config["SECRET_KEY"]
    key_file = instance / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) >= 64
    assert create_app().config["SECRET_KEY"] == first


def test_config_layers_defaults_then_instance_file_then_environment_then_test_mapping(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance.mkdir(parents=True)
    (instance / "config.py").write_text(
        "PAGE_SIZE = 11\nMAIL_FROM = 'file@example.test'\nBASE_URL = 'https://file.example'\n"
    )
    monkeypatch.setenv("SMPTRACK_MAIL_FROM", "env@example.test")
    monkeypatch.setenv("SMPTRACK_BASE_URL", "https://env.example")
    app = create_app({"BASE_URL": "https://test.example"})
    assert app.config["INVITE_MAX_AGE_HOURS"] == 72  # default untouched
    assert app.config["PAGE_SIZE"] == 11  # instance file over default
    assert app.config["MAIL_FROM"] == "env@example.test"  # environment over file
    assert app.config["BASE_URL"] == "https://test.example"  # test mapping over all


def test_environment_numbers_arrive_as_numbers(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMPTRACK_SMTP_PORT", "2525")
    assert create_app().config["SMTP_PORT"] == 2525


@pytest.mark.parametrize(
    ("given", "driven"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_postgresql_urls_are_driven_by_psycopg_3(
    instance: Path, monkeypatch: pytest.MonkeyPatch, given: str, driven: str
) -> None:
    monkeypatch.setenv("SMPTRACK_DATABASE_URL", given)
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == driven


def test_sqlite_runs_with_foreign_keys_wal_and_a_busy_timeout(instance: Path) -> None:
    app = create_app({"SQLITE_BUSY_TIMEOUT_MS": 4321})
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() == 4321
        db.engine.dispose()


def test_importing_the_package_starts_nothing() -> None:
    # The scheduler and the app are built by commands, never at import time.
    import subprocess
    import sys

    code = (
        "import threading, smptrack, smptrack.cli, smptrack.models, smptrack.services.access;"
        "print(threading.active_count())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"


def test_an_unknown_page_is_a_friendly_404_and_an_unknown_api_path_is_json(app) -> None:
    client = app.test_client()
    page = client.get("/no/such/page")
    assert page.status_code == 404
    assert "Not found" in page.get_data(as_text=True)
    assert "<nav" in page.get_data(as_text=True)
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.get_json()["error"]["code"] == "not_found"


def test_an_unexpected_error_rolls_back_and_shows_the_500_page(app) -> None:
    from smptrack.models import User

    @app.route("/boom")
    def boom():
        db.session.add(
            User(email="half@written.test", password_hash="x", role="client", display_name="H")
        )
        db.session.flush()
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


@pytest.mark.parametrize(
    "path", ["/clients/99999999999999999999", "/clients/0", "/sessions/2147483648"]
)
def test_an_id_too_large_for_the_database_is_a_plain_404(app, path: str) -> None:
    from tests.conftest import log_in, make_user

    practitioner = make_user("practitioner", "big@ids.test")
    db.session.commit()
    response = log_in(app.test_client(), practitioner).get(path)
    assert response.status_code == 404
