"""the projection per zone and the monthly dose summaries, stored when their inputs change (issue 9 item 1)

Revision ID: d9a2b3c4d5e6
Revises: d9b1a2c3e4f5
Create Date: 2026-12-01 21:05:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "d9a2b3c4d5e6"
down_revision = "d9b1a2c3e4f5"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
