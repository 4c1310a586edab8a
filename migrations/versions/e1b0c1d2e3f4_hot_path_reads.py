"""no schema change: reserved for issue 9's hot-path reads, which needed no new column

Kept so that databases already at this revision stay on the chain.

Revision ID: e1b0c1d2e3f4
Revises: e1a0b1c2d3e4
Create Date: 2026-12-02 03:05:30

"""

# revision identifiers, used by Alembic.
revision = "e1b0c1d2e3f4"
down_revision = "e1a0b1c2d3e4"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
