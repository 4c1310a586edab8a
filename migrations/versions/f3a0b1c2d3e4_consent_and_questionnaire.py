"""reserved for issue 12's consent templates, consents and the health questionnaire

Revision ID: f3a0b1c2d3e4
Revises: f2a0b1c2d3e4
Create Date: 2026-12-02 07:50:00

"""

# revision identifiers, used by Alembic.
revision = "f3a0b1c2d3e4"
down_revision = "f2a0b1c2d3e4"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
