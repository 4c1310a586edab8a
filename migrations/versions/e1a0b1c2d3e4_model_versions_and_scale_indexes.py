"""model versions per practice and the indexes of the scale benchmark (issues 10 item 8, 9 item 8)

``practice_model_versions``: a practice's constants (k_bio, k_uv, sigma) over time, proposals
from a refit and the adopted ones (FADE-MODEL §10). ``ix_clients_touch_up_earliest_on``: the due
sweep's cohort across every practice is an equality on that materialised date. On PostgreSQL
with lz4, the stored projection documents are compressed with it.

Revision ID: e1a0b1c2d3e4
Revises: d10a2c3e4f56
Create Date: 2026-12-02 03:05:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e1a0b1c2d3e4"
down_revision = "d10a2c3e4f56"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "practice_model_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("k_bio", sa.Double(), nullable=False),
        sa.Column("k_uv", sa.Double(), nullable=False),
        sa.Column("sigma", sa.Double(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("fit_summary", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("adopted_at", sa.DateTime(), nullable=True),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.Column("reverted_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "k_bio > 0 AND k_uv > 0 AND sigma > 0",
            name=op.f("ck_practice_model_versions_constants_positive"),
        ),
        sa.CheckConstraint(
            "source IN ('default', 'refit')", name=op.f("ck_practice_model_versions_source_valid")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_practice_model_versions_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["users.id"],
            name=op.f("fk_practice_model_versions_practitioner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_model_versions")),
    )
    with op.batch_alter_table("practice_model_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_practice_model_versions_practice", ["practitioner_id", "adopted_at"], unique=False
        )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.create_index(
            "ix_clients_touch_up_earliest_on", ["touch_up_earliest_on"], unique=False
        )
    if _has_lz4():
        # A recompute writes every document again; lz4 compresses them at a fraction of the
        # CPU of the default pglz (PostgreSQL 14+, when built with lz4). Storage only.
        op.execute("ALTER TABLE client_projections ALTER COLUMN document SET COMPRESSION lz4")


def _has_lz4() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or bind.dialect.server_version_info < (14,):
        return False
    return bool(
        bind.execute(
            sa.text(
                "SELECT 'lz4' = ANY(enumvals) FROM pg_settings"
                " WHERE name = 'default_toast_compression'"
            )
        ).scalar()
    )


def downgrade():
    if _has_lz4():
        op.execute("ALTER TABLE client_projections ALTER COLUMN document SET COMPRESSION pglz")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_index("ix_clients_touch_up_earliest_on")
    with op.batch_alter_table("practice_model_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_practice_model_versions_practice")
    op.drop_table("practice_model_versions")
