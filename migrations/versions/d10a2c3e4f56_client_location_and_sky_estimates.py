"""client location and sky-estimated UV on exposures (issue 10 item 7)

Revision ID: d10a2c3e4f56
Revises: d9a2b3c4d5e6
Create Date: 2026-12-01 21:05:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "d10a2c3e4f56"
down_revision = "d9a2b3c4d5e6"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
