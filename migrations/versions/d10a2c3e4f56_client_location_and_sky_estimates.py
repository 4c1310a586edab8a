"""model settings per practice, client location and sky-estimated UV (issue 10 items 3, 7)

Item 3 needs no column: the threshold (``practice_settings.touch_up_threshold_pct``), the
touch-up lead and the healed-check day (``practice_settings.reminder_offsets``) already exist.
Item 7: a client's location (latitude and longitude in degrees, NULL meaning the coordinates of
their time zone in the tz database), and on each sun log entry the sky the client chose and
whether its UV index was estimated from the sky rather than given.

Revision ID: d10a2c3e4f56
Revises: d9a2b3c4d5e6
Create Date: 2026-12-01 21:05:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d10a2c3e4f56"
down_revision = "d9a2b3c4d5e6"
branch_labels = None
depends_on = None

SKIES = "sky IS NULL OR sky IN ('clear', 'partly_cloudy', 'mostly_cloudy', 'overcast')"


def upgrade():
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("latitude", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Double(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f("ck_clients_latitude_range"),
            "latitude IS NULL OR (latitude >= -90 AND latitude <= 90)",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_clients_longitude_range"),
            "longitude IS NULL OR (longitude >= -180 AND longitude <= 180)",
        )

    with op.batch_alter_table("sun_exposures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sky", sa.String(length=14), nullable=True))
        batch_op.add_column(
            sa.Column("uv_index_estimated", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_check_constraint(batch_op.f("ck_sun_exposures_sky_valid"), SKIES)


def downgrade():
    with op.batch_alter_table("sun_exposures", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_sun_exposures_sky_valid"), type_="check")
        batch_op.drop_column("uv_index_estimated")
        batch_op.drop_column("sky")

    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_clients_longitude_range"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_clients_latitude_range"), type_="check")
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
