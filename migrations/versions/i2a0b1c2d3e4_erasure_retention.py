"""a client's erasure request and the practice's retention period (issue 13 item 9)

``clients.erasure_requested_at``: when the client asked for erasure (their login, own data and
contact details went then; the practice's treatment record waits for the retention period).
``practice_settings.treatment_record_retention_years``: that period, in years after the last
treatment, 1 to 25; existing practices get the default of 3 (domain/retention.py).

Revision ID: i2a0b1c2d3e4
Revises: i1a0b1c2d3e4
Create Date: 2026-12-02 17:05:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "i2a0b1c2d3e4"
down_revision = "i1a0b1c2d3e4"
branch_labels = None
depends_on = None

RETENTION_RANGE = (
    "treatment_record_retention_years IS NULL OR "
    "(treatment_record_retention_years >= 1 AND treatment_record_retention_years <= 25)"
)


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
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erasure_requested_at", sa.DateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_clients_erasure_requested_at"), ["erasure_requested_at"], unique=False
        )
    with op.batch_alter_table("practice_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "treatment_record_retention_years",
                sa.Integer(),
                server_default="3",
                nullable=False,
            )
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_practice_settings_treatment_record_retention_years_range"),
            RETENTION_RANGE,
        )


def downgrade():
    _defer_foreign_keys()
    with op.batch_alter_table("practice_settings", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_practice_settings_treatment_record_retention_years_range"),
            type_="check",
        )
        batch_op.drop_column("treatment_record_retention_years")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clients_erasure_requested_at"))
        batch_op.drop_column("erasure_requested_at")
    _check_foreign_keys()
