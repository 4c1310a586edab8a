"""The note-visibility migration (issue 13 item 5) makes every existing note internal: until then
nothing said a note was meant for the client, so none is taken to be."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from tests import test_migrations
from tests.test_migration_practices import _migrate
from tests.test_migrations import _alembic_check

empty_database_url = test_migrations.empty_database_url
fresh_app = test_migrations.fresh_app
BEFORE = "h1a0b1c2d3e4"
_FILLER = {
    sa.Boolean: False,
    sa.Integer: 0,
    sa.Float: 0.0,
    sa.Numeric: 0,
    sa.DateTime: datetime(2025, 1, 1, 10, 0),
    sa.Date: date(2025, 1, 1),
}


def _insert(conn: sa.Connection, table: str, **values: object) -> int:
    """A row of ``table`` as it stands at this revision: ``values``, and a plain filler for
    every other required column (this test is about two columns, not the rest of the schema)."""
    reflected = sa.Table(table, sa.MetaData(), autoload_with=conn)
    row = dict(values)
    for column in reflected.columns:
        if column.name in row or column.nullable or column.primary_key:
            continue
        if column.server_default is not None:
            continue
        model_column = db.metadata.tables[table].columns.get(column.name)
        default = getattr(model_column, "default", None)
        if default is not None and default.is_scalar:
            row[column.name] = default.arg  # the model's own default: within its CHECKs
            continue
        filler = next((v for kind, v in _FILLER.items() if isinstance(column.type, kind)), "x")
        row[column.name] = filler
    return conn.execute(reflected.insert().values(**row)).inserted_primary_key[0]


def test_existing_session_and_assessment_notes_become_internal(fresh_app: Flask) -> None:
    _migrate(fresh_app, BEFORE)
    with fresh_app.app_context():
        with db.engine.begin() as conn:
            practice = _insert(conn, "practices", name="Old studio", time_zone="Europe/London")
            client = _insert(
                conn,
                "clients",
                practice_id=practice,
                display_name="Old Client",
                time_zone="Europe/London",
            )
            _insert(
                conn,
                "treatment_sessions",
                client_id=client,
                performed_on=date(2025, 1, 10),
                kind="initial",
                logged_at=datetime(2025, 1, 10, 10, 0),
                notes="crown softer than expected, check depth",
            )
            _insert(
                conn,
                "fade_assessments",
                client_id=client,
                assessed_on=date(2025, 6, 1),
                zone="crown",
                density_pct=90.0,
                assessor_kind="practitioner_in_person",
                note="fading at the crown",
                created_at=datetime(2025, 6, 1, 10, 0),
            )
        db.engine.dispose()

    _migrate(fresh_app, "head")
    _alembic_check(fresh_app)

    with fresh_app.app_context(), db.engine.connect() as conn:
        for table in ("treatment_sessions", "fade_assessments"):
            reflected = sa.Table(table, sa.MetaData(), autoload_with=conn)
            shared = conn.execute(sa.select(reflected.c.notes_shared)).scalars().all()
            assert shared == [False], table
        db.engine.dispose()
