"""reserved for issue 13 (a client's erasure request and the practice's retention period): no schema change unless a later commit fills it in

Revision ID: i2a0b1c2d3e4
Revises: i1a0b1c2d3e4
Create Date: 2026-12-02 17:05:00

"""

# revision identifiers, used by Alembic.
revision = "i2a0b1c2d3e4"
down_revision = "i1a0b1c2d3e4"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
