"""reserved for issue 13 (placement and session notes marked internal or shared): no schema change unless a later commit fills it in

Revision ID: i1a0b1c2d3e4
Revises: h1a0b1c2d3e4
Create Date: 2026-12-02 17:05:00

"""

# revision identifiers, used by Alembic.
revision = "i1a0b1c2d3e4"
down_revision = "h1a0b1c2d3e4"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
