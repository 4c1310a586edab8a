"""reserved for issue 12's photos

Revision ID: g1a0b1c2d3e4
Revises: f3a0b1c2d3e4
Create Date: 2026-12-02 13:40:00

"""

# revision identifiers, used by Alembic.
revision = "g1a0b1c2d3e4"
down_revision = "f3a0b1c2d3e4"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
