"""photos of a client's scalp, per zone or whole scalp (issue 12)

Revision ID: g1a0b1c2d3e4
Revises: f3a0b1c2d3e4
Create Date: 2026-12-02 13:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "g1a0b1c2d3e4"
down_revision = "f3a0b1c2d3e4"
branch_labels = None
depends_on = None

# The zone vocabulary as it stands at this revision (a migration never imports the models).
ZONES = (
    "zone IN ('frontal_hairline', 'left_temple', 'right_temple', 'mid_scalp', 'crown', "
    "'left_parietal', 'right_parietal', 'occipital', 'scar_strip', 'fue_scars', 'other')"
)


def upgrade():
    # Nothing ever wrote it: photos are rows of their own now. Dropped before the photos table
    # exists, so SQLite's rebuild of fade_assessments meets no foreign key pointing at it.
    with op.batch_alter_table("fade_assessments", schema=None) as batch_op:
        batch_op.drop_column("photo_path")
    op.create_table(
        "photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(length=20), nullable=True),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("stored_name", sa.String(length=120), nullable=False),
        sa.Column("thumb_name", sa.String(length=120), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(ZONES, name=op.f("ck_photos_zone_valid")),
        sa.CheckConstraint(
            "width > 0 AND height > 0 AND size_bytes > 0", name=op.f("ck_photos_size_positive")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_photos_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["treatment_sessions.id"],
            name=op.f("fk_photos_session_id_treatment_sessions"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["fade_assessments.id"],
            name=op.f("fk_photos_assessment_id_fade_assessments"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_photos_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photos")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_photos_stored_name")),
        sa.UniqueConstraint("thumb_name", name=op.f("uq_photos_thumb_name")),
    )
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.create_index(
            "ix_photos_client_zone_date", ["client_id", "zone", "taken_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_photos_session_id"), ["session_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_photos_assessment_id"), ["assessment_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_photos_assessment_id"))
        batch_op.drop_index(batch_op.f("ix_photos_session_id"))
        batch_op.drop_index("ix_photos_client_zone_date")
    op.drop_table("photos")
    with op.batch_alter_table("fade_assessments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("photo_path", sa.String(length=255), nullable=True))
