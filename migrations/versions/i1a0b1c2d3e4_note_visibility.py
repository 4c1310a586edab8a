"""practitioner notes marked internal or shared (issue 13 item 5): notes_shared on sessions and assessments

A session's flag covers its own notes and its placements' depth notes (one choice per sitting,
made on the one form that writes them). Existing rows become internal: until now nothing said a
note was meant for the client, so the safe reading is that none was.

Revision ID: i1a0b1c2d3e4
Revises: h1a0b1c2d3e4
Create Date: 2026-12-02 17:05:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "i1a0b1c2d3e4"
down_revision = "h1a0b1c2d3e4"
branch_labels = None
depends_on = None

_TABLES = ("treatment_sessions", "fade_assessments")


def _defer_foreign_keys() -> None:
    """SQLite rebuilds a table to drop a column; with foreign keys on, dropping the old copy
    would cascade to its children (a session's placements, a client's whole record). Off until
    ``_check_foreign_keys``, as in f3a0b1c2d3e4."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA defer_foreign_keys = ON")
        op.execute("PRAGMA foreign_keys = OFF")


def _check_foreign_keys() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    dangling = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if dangling:
        raise RuntimeError(f"foreign keys left dangling by the migration: {dangling[:5]}")
    op.execute("PRAGMA foreign_keys = ON")


def upgrade():
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("notes_shared", sa.Boolean(), server_default=sa.false(), nullable=False)
            )


def downgrade():
    _defer_foreign_keys()
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("notes_shared")
    _check_foreign_keys()
