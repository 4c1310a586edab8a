"""account mail outbox and audited denials (issue 8 items 7-8)

Revision ID: c8a2f0e2d3b5
Revises: c8a1f0e2d3b4
Create Date: 2026-12-01 20:00:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "c8a2f0e2d3b5"
down_revision = "c8a1f0e2d3b4"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
