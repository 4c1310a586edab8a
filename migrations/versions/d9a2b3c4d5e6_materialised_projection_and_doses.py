"""the projection per zone and the monthly dose summaries, stored when their inputs change (issue 9 item 1)

Revision ID: d9a2b3c4d5e6
Revises: d9b1a2c3e4f5
Create Date: 2026-12-01 21:05:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d9a2b3c4d5e6"
down_revision = "d9b1a2c3e4f5"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sun_dose_months",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("ambient_sed", sa.Double(), nullable=False),
        sa.Column("effective_sed_by_zone", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_sun_dose_months_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("client_id", "month", name=op.f("pk_sun_dose_months")),
    )
    op.create_table(
        "client_projections",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("model_version", sa.String(length=40), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_client_projections_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_client_projections")),
    )


def downgrade():
    op.drop_table("client_projections")
    op.drop_table("sun_dose_months")
