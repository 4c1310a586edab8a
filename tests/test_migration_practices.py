"""Issue 11's migration: every practitioner becomes the owner of a practice of one, and nothing
of theirs is lost. A database is built at the revision before it, filled the way the app of
that time wrote it (two practitioners, their clients, sessions, placements, lots, reminders,
settings, a model version, audit lines, and a client on their own), then upgraded; every row is
still there with the same values, now tied to its practice, and ``db check`` stays clean. The
downgrade puts each practice's rows back on its owner."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from alembic import command
from flask import Flask

from smptrack.extensions import db
from tests import test_migrations
from tests.test_migrations import _alembic_check

# The fixtures of the schema tests: an empty database of the kind under test, an app on it.
empty_database_url = test_migrations.empty_database_url
fresh_app = test_migrations.fresh_app

BEFORE = "e1b0c1d2e3f4"
NOW = datetime(2026, 11, 1, 9, 0)  # naive UTC, as the UTCDateTime columns store it
# Every table the migration touches or must leave alone, compared before and after.
KEPT = (
    "users",
    "clients",
    "treatment_sessions",
    "placements",
    "pigment_lots",
    "reminders",
    "audit_events",
    "fade_assessments",
)

# Columns the migration adds to kept tables (compared separately below).
ADDED = frozenset({"practice_id", "appointment_id"})
# Columns later migrations add or drop (issue 12): a consent override on a session; the
# assessments' photo_path, which nothing ever wrote, goes when photos get a table of their own.
LATER = frozenset(
    {
        "consent_override_reason",
        "consent_override_by_id",
        "consent_override_at",
        "photo_path",
        "notes_shared",  # issue 13 item 5 (i1a0b1c2d3e4)
        "erasure_requested_at",  # issue 13 item 9 (i2a0b1c2d3e4)
    }
)

CLIENT_DEFAULTS = {
    "time_zone": "Europe/London",
    "fitzpatrick": 3,
    "sebum": "normal",
    "retinoid_or_peel_use": False,
    "swimming": "never",
    "goal": "shaved_look",
    "hair_length": "shaved",
    "latitude_band": "45_55",
    "lifestyle": "average",
    "usual_hat": "cap",
    "usual_hat_pct": 25,
    "usual_sunscreen_pct": 0,
    "sun_log_complete": False,
    "notes": "",
    "created_at": NOW,
    "updated_at": NOW,
    "usual_sunscreen_generous": False,
    "touch_up_due_now": False,
    "projection_review_flag": False,
    "projection_blur_advisory": False,
}


def _migrate(app: Flask, revision: str, *, down: bool = False) -> None:
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        (command.downgrade if down else command.upgrade)(config, revision)
        db.engine.dispose()


def _insert(conn: sa.Connection, table: str, **values) -> int:
    columns = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    conn.execute(sa.text(f"INSERT INTO {table} ({columns}) VALUES ({marks})"), values)  # noqa: S608
    return conn.execute(sa.text(f"SELECT max(id) FROM {table}")).scalar_one()  # noqa: S608


def _user(conn: sa.Connection, role: str, email: str, name: str) -> int:
    return _insert(
        conn,
        "users",
        email=email,
        password_hash="x",
        role=role,
        display_name=name,
        time_zone="Europe/Paris" if email.startswith("b") else "Europe/London",
        active=True,
        created_at=NOW,
    )


def _seed(conn: sa.Connection) -> dict[str, int]:
    """The old app's data: practitioners own rows by ``practitioner_id``."""
    ids: dict[str, int] = {}
    ids["admin"] = _user(conn, "admin", "admin@old.test", "Ari Admin")
    for tag, email, name in (("a", "a@old.test", "Alex Artist"), ("b", "b@old.test", "Bo Inker")):
        practitioner = _user(conn, "practitioner", email, name)
        ids[f"practitioner_{tag}"] = practitioner
        login = _user(conn, "client", f"client-{tag}@old.test", f"Client {tag.upper()}")
        client = _insert(
            conn,
            "clients",
            practitioner_id=practitioner,
            user_id=login,
            display_name=f"Client {tag.upper()}",
            email=f"client-{tag}@old.test",
            next_touch_up_on=date(2030, 5, 1),
            **CLIENT_DEFAULTS,
        )
        ids[f"client_{tag}"] = client
        pigment = _insert(
            conn,
            "pigments",
            practitioner_id=practitioner,
            brand="Perma",
            line="",
            shade="Jet",
            base="carbon",
            created_at=NOW,
        )
        ids[f"pigment_{tag}"] = pigment
        lot = _insert(
            conn,
            "pigment_lots",
            pigment_id=pigment,
            lot_number=f"L-{tag}",
            expires_on=date(2030, 1, 1),
            created_at=NOW,
        )
        session = _insert(
            conn,
            "treatment_sessions",
            client_id=client,
            performed_on=date(2026, 3, 1),
            kind="initial",
            performed_by_id=practitioner,
            logged_by_id=practitioner,
            logged_at=NOW,
            needle="3RL",
            machine_settings="",
            notes=f"first session {tag}",
            expired_lot_confirmed=False,
        )
        _insert(
            conn,
            "placements",
            session_id=session,
            zone="crown",
            pigment_lot_id=lot,
            dilution="standard",
            dilution_ratio="",
            needle="",
            dot_size="",
            depth="correct",
            depth_note="",
            scar_tissue=False,
        )
        _insert(
            conn,
            "fade_assessments",
            client_id=client,
            assessed_on=date(2026, 6, 1),
            zone="crown",
            density_pct=90,
            assessor_kind="practitioner_in_person",
            note="",
            created_at=NOW,
            blur_or_colour_shift=False,
        )
        _insert(
            conn,
            "reminders",
            client_id=client,
            recipient_email=f"client-{tag}@old.test",
            kind="touch_up",
            due_at=datetime(2030, 3, 1, 9),
            dedupe_key=f"touch_up:{client}:2030-03-01",
            status="pending",
            attempts=0,
            payload="{}",
            created_at=NOW,
        )
        _insert(
            conn,
            "audit_events",
            occurred_at=NOW,
            actor_id=practitioner,
            client_id=client,
            action="read",
            object_type="client",
            object_id=client,
            repeats=0,
        )
    _insert(
        conn,
        "practice_settings",
        practitioner_id=ids["practitioner_a"],
        touch_up_threshold_pct=65,
        waking_hours_start=8,
        waking_hours_end=21,
        reminder_offsets="{}",
        aftercare_instructions="Keep it dry for four days.",
    )
    _insert(
        conn,
        "practice_model_versions",
        practitioner_id=ids["practitioner_b"],
        k_bio=0.07,
        k_uv=1.6e-4,
        sigma=0.3,
        source="refit",
        fit_summary="{}",
        created_at=NOW,
        adopted_at=NOW,
    )
    # A client who signed up alone: no practitioner, so no practice.
    alone = _user(conn, "client", "alone@old.test", "Al One")
    ids["client_alone"] = _insert(
        conn, "clients", user_id=alone, display_name="Al One", **CLIENT_DEFAULTS
    )
    return ids


def _rows(conn: sa.Connection, table: str) -> list[tuple]:
    rows = conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY id")).mappings()  # noqa: S608
    # Compare the columns the old schema had, whatever the migration added beside them.
    return [tuple(sorted((k, v) for k, v in row.items() if k not in ADDED | LATER)) for row in rows]


def test_every_practitioner_becomes_the_owner_of_a_practice_of_one_and_nothing_is_lost(
    fresh_app: Flask,
) -> None:
    _migrate(fresh_app, BEFORE)
    with fresh_app.app_context():
        with db.engine.begin() as conn:
            ids = _seed(conn)
        with db.engine.connect() as conn:
            before = {table: _rows(conn, table) for table in KEPT}
        db.engine.dispose()

    _migrate(fresh_app, "head")
    _alembic_check(fresh_app)  # the models and the migrated schema agree

    with fresh_app.app_context(), db.engine.connect() as conn:
        assert {table: _rows(conn, table) for table in KEPT} == before
        practices = conn.execute(
            sa.text(
                "SELECT p.id, p.name, p.time_zone, p.reply_to, m.user_id, m.role "
                "FROM practices p JOIN practice_members m ON m.practice_id = p.id ORDER BY p.id"
            )
        ).all()
        owner_of = {row.user_id: row.id for row in practices}
        assert [(r.name, r.time_zone, r.reply_to, r.role) for r in practices] == [
            ("Alex Artist's practice", "Europe/London", "a@old.test", "owner"),
            ("Bo Inker's practice", "Europe/Paris", "b@old.test", "owner"),
        ]
        assert set(owner_of) == {ids["practitioner_a"], ids["practitioner_b"]}

        def practice_of(table: str, row_id: int) -> int | None:
            return conn.execute(
                sa.text(f"SELECT practice_id FROM {table} WHERE id = :id"),  # noqa: S608
                {"id": row_id},
            ).scalar_one()

        for tag in ("a", "b"):
            practice = owner_of[ids[f"practitioner_{tag}"]]
            assert practice_of("clients", ids[f"client_{tag}"]) == practice
            assert practice_of("pigments", ids[f"pigment_{tag}"]) == practice
            audit = conn.execute(
                sa.text("SELECT practice_id FROM audit_events WHERE client_id = :c"),
                {"c": ids[f"client_{tag}"]},
            ).scalar_one()
            assert audit == practice
        assert practice_of("clients", ids["client_alone"]) is None
        settings = conn.execute(
            sa.text(
                "SELECT practice_id, touch_up_threshold_pct, aftercare_instructions, "
                "appointment_reminder_hours FROM practice_settings"
            )
        ).one()
        assert tuple(settings) == (
            owner_of[ids["practitioner_a"]],
            65,
            "Keep it dry for four days.",
            24,
        )
        version = conn.execute(sa.text("SELECT practice_id, k_bio FROM practice_model_versions"))
        assert tuple(version.one()) == (owner_of[ids["practitioner_b"]], 0.07)

    # The app of today reads the migrated data: the owner sees their client, not the other's.
    with fresh_app.app_context():
        from smptrack.models import User
        from smptrack.services import access

        owner = db.session.get(User, ids["practitioner_a"])
        assert owner.member_role == "owner"
        visible = db.session.scalars(access.visible_clients(owner)).all()
        assert [c.id for c in visible] == [ids["client_a"]]
        db.session.remove()
        db.engine.dispose()


def test_the_downgrade_puts_each_practices_rows_back_on_its_owner(fresh_app: Flask) -> None:
    _migrate(fresh_app, BEFORE)
    with fresh_app.app_context():
        with db.engine.begin() as conn:
            ids = _seed(conn)
        with db.engine.connect() as conn:
            before = {
                table: _rows(conn, table)
                for table in (*KEPT, "pigments", "practice_settings", "practice_model_versions")
            }
        db.engine.dispose()
    _migrate(fresh_app, "head")
    _migrate(fresh_app, BEFORE, down=True)
    with fresh_app.app_context():
        with db.engine.connect() as conn:
            after = {table: _rows(conn, table) for table in before}
            pigment_owner = conn.execute(
                sa.text("SELECT practitioner_id FROM pigments WHERE id = :id"),
                {"id": ids["pigment_a"]},
            ).scalar_one()
        db.engine.dispose()
    assert after == before
    assert pigment_owner == ids["practitioner_a"]


def test_a_practice_made_after_the_migration_gets_a_new_id(fresh_app: Flask) -> None:
    """The migration writes practices with explicit ids (their owners'): on PostgreSQL the id
    sequence must be moved past them, or the next sign-up collides."""
    _migrate(fresh_app, BEFORE)
    with fresh_app.app_context():
        with db.engine.begin() as conn:
            _seed(conn)
        db.engine.dispose()
    _migrate(fresh_app, "head")
    with fresh_app.app_context():
        from smptrack.services import accounts

        user = accounts.create_user(
            email="new@studio.test",
            password="a long enough password",
            role="practitioner",
            display_name="New Artist",
            time_zone="Europe/London",
        )
        db.session.commit()
        assert user.practice_id is not None and user.member_role == "owner"
        practices = db.session.scalar(sa.select(sa.func.count()).select_from(sa.text("practices")))
        assert practices == 3
        db.session.close()
        db.session.remove()
        db.engine.dispose()
