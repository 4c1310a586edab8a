"""login throttle counters and server-side login sessions (issue 8 items 2-3)

Revision ID: c8a1f0e2d3b4
Revises: a3b399550cc5
Create Date: 2026-12-01 20:00:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "c8a1f0e2d3b4"
down_revision = "a3b399550cc5"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
