"""reminders carry the moment after which they are skipped, not sent (issue 9 item 4)

Revision ID: d9b1a2c3e4f5
Revises: c8a2f0e2d3b5
Create Date: 2026-12-01 21:05:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "d9b1a2c3e4f5"
down_revision = "c8a2f0e2d3b5"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
