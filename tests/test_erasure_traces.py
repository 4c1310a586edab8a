"""A practitioner's erasure leaves nothing of the client behind: not in any table, not in the
mail folder (the .eml copies of their reminders and invitation), and on SQLite not in the
database file or its WAL either (``secure_delete`` zeroes the freed pages, and the erasure
checkpoints the WAL). Files go only after the erasure's commit.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from smptrack.extensions import db
from smptrack.models import Client, Reminder, User
from smptrack.sending.sender import Sender
from smptrack.services import accounts, exports
from tests.conftest import OwnContextClient, log_in, make_client, make_user, sent_messages
from tests.outbox import send_account_mail

NAME = "Zebedee Erasable"
EMAIL = "zebedee.erasable@clients.test"
KEEPER_EMAIL = "kept.client@clients.test"


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient
    app.config["REMINDER_RESPECT_WAKING_HOURS"] = False


def a_client_with_mail(app: Flask) -> tuple[User, int]:
    """P's client, mailed a reminder (as an .eml file) and an invitation; and another client of
    P's, also mailed, whose mail must stay."""
    p = make_user("practitioner", "pat@practice.test", "Pat Practitioner")
    zed = make_client(p, NAME, email=EMAIL, notes="allergic to nothing")
    keeper = make_client(p, "Kept Client", email=KEEPER_EMAIL)
    due = datetime(2026, 3, 2, 10, tzinfo=UTC)
    for record in (zed, keeper):
        db.session.add(
            Reminder(
                client_id=record.id,
                recipient_email=record.email,
                kind="self_check",
                due_at=due,
                dedupe_key=f"test:{record.id}:self_check",
                payload={"details": {}},
            )
        )
    db.session.commit()
    Sender(app).send_due(lambda: due)
    invited = log_in(app.test_client(), p).post(f"/clients/{zed.id}/invite", data={"email": EMAIL})
    assert invited.status_code == 302
    send_account_mail(app)
    recipients = sorted(str(m["To"]) for m in sent_messages(app))
    assert recipients == [f"Kept Client <{KEEPER_EMAIL}>", f"{NAME} <{EMAIL}>", EMAIL]
    return p, zed.id


def rows_naming(words: tuple[str, ...]) -> list[str]:
    found = []
    db.session.expire_all()
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()).mappings():
            for column, value in row.items():
                text = (
                    json.dumps(value, default=str) if isinstance(value, dict | list) else str(value)
                )
                if any(word.lower() in text.lower() for word in words):
                    found.append(f"{table.name}.{column}: {text[:60]}")
    return found


def files_naming(folder: Path, words: tuple[str, ...]) -> list[str]:
    return [
        path.name
        for path in folder.rglob("*")
        if path.is_file() and any(w.lower().encode() in path.read_bytes().lower() for w in words)
    ]


def folders(app: Flask) -> exports.Folders:
    uploads = Path(app.config.get("UPLOAD_FOLDER") or Path(app.instance_path) / "uploads")
    return exports.Folders(uploads=uploads, mail=Path(app.config["MAIL_FOLDER"]))


def sqlite_files(app: Flask) -> list[Path]:
    database = Path(db.engine.url.database)
    return [p for p in (database, Path(f"{database}-wal")) if p.exists()]


def erase(app: Flask, p: User, client_id: int):
    browser = log_in(app.test_client(), p)
    db.session.commit()
    db.session.close()  # no read transaction of the test's own may hold back the checkpoint
    return browser.post(f"/clients/{client_id}/erase", data={"confirm_name": NAME})


def test_after_an_erasure_no_table_and_no_mail_copy_holds_the_clients_name_or_email(
    app: Flask,
) -> None:
    p, client_id = a_client_with_mail(app)
    words = (NAME, EMAIL)
    assert rows_naming(words), "the setup put the client in the database"
    folder = Path(app.config["MAIL_FOLDER"])
    assert len(files_naming(folder, words)) == 2

    response = erase(app, p, client_id)

    assert response.status_code == 302
    assert db.session.get(Client, client_id) is None
    assert rows_naming(words) == []
    assert files_naming(folder, words) == []
    [kept] = sent_messages(app)
    assert str(kept["To"]) == f"Kept Client <{KEEPER_EMAIL}>", "other clients' mail stays"


def test_on_sqlite_neither_the_database_file_nor_its_wal_holds_the_erased_values(
    app: Flask,
) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("a search of the database file is for SQLite")
    p, client_id = a_client_with_mail(app)
    needles = (NAME.encode(), EMAIL.encode())
    db.session.commit()
    assert any(n in f.read_bytes() for f in sqlite_files(app) for n in needles), "setup"

    assert erase(app, p, client_id).status_code == 302

    for path in sqlite_files(app):
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, f"{needle!r} still in {path.name}"


def test_files_are_deleted_only_after_the_commit(app: Flask) -> None:
    p, client_id = a_client_with_mail(app)
    folder = Path(app.config["MAIL_FOLDER"])
    before = sorted(folder.glob("*.eml"))

    erasure = exports.erase_client(
        p, db.session.get(Client, client_id), now=datetime.now(UTC), folders=folders(app)
    )
    assert sorted(folder.glob("*.eml")) == before, "nothing is touched inside the transaction"
    db.session.rollback()  # the erasure does not happen after all

    assert db.session.get(Client, client_id) is not None
    assert sorted(folder.glob("*.eml")) == before
    assert erasure.addresses == {EMAIL}
    assert len(erasure.message_ids) == 2  # the reminder and the invitation


def test_the_api_erasure_removes_the_mail_copies_after_its_commit(app: Flask) -> None:
    p, client_id = a_client_with_mail(app)
    issued = accounts.issue_api_token(p, "script", datetime.now(UTC), timedelta(days=1))
    db.session.commit()

    response = app.test_client().delete(
        f"/api/v1/clients/{client_id}", headers={"Authorization": f"Bearer {issued.secret}"}
    )

    assert response.status_code == 200
    assert files_naming(Path(app.config["MAIL_FOLDER"]), (NAME, EMAIL)) == []
    assert rows_naming((NAME, EMAIL)) == []


def test_a_person_with_a_record_at_another_practice_keeps_that_practices_mail(
    app: Flask,
) -> None:
    p, client_id = a_client_with_mail(app)
    q = make_user("practitioner", "quinn@practice.test", "Quinn Practitioner")
    make_client(q, "Zeb at Quinn's", email=EMAIL)
    db.session.commit()

    erasure = exports.erase_client(
        p, db.session.get(Client, client_id), now=datetime.now(UTC), folders=folders(app)
    )

    assert erasure.addresses == set(), "the address is still another record's"
    assert len(erasure.message_ids) == 2, "this record's own mail still goes, by Message-ID"
    db.session.rollback()
