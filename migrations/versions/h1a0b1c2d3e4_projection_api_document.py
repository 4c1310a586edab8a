"""the projection's API answer, serialised when the projection is stored

``GET /api/v1/clients/{id}/projection`` for the client's today answers these bytes as they are,
after the access check and its audit line: no decode of the stored projection, no validation
and no encoding per request (issue 9: the projection API at the speed of a one-row read).
NULL for a row stored before this column existed; the API then builds the answer from the
document as before.

Revision ID: h1a0b1c2d3e4
Revises: g2a0b1c2d3e4
Create Date: 2026-12-02 13:55:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "h1a0b1c2d3e4"
down_revision = "g2a0b1c2d3e4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("client_projections") as batch_op:
        batch_op.add_column(sa.Column("api_document", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("client_projections") as batch_op:
        batch_op.drop_column("api_document")
