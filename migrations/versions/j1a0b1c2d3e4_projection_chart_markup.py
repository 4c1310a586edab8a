"""the client page's fade chart, rendered when the projection is stored

``chart_html`` is the chart section's markup (``charts.section_markup``) for the stored
projection and the sessions and ratings it was drawn from; ``chart_key`` is the SHA-256 of what
else it shows (the sessions' days and zones, the ratings and who made them, the chart code's
version: ``charts.chart_key``), so the page uses the markup only while the key it computes from
the history it loads is the same, and otherwise draws the chart itself, writing nothing. Both
NULL for the bulk recompute after a model change (``materialised.store_documents``) and for rows
stored before this column existed.

Revision ID: j1a0b1c2d3e4
Revises: i4a0b1c2d3e4
Create Date: 2026-12-03 09:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "j1a0b1c2d3e4"
down_revision = "i4a0b1c2d3e4"
branch_labels = None
depends_on = None


def upgrade():
    # Adding nullable columns: SQLite's batch mode adds them in place (ALTER TABLE ADD
    # COLUMN), no table rebuild.
    with op.batch_alter_table("client_projections") as batch_op:
        batch_op.add_column(sa.Column("chart_html", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("chart_key", sa.String(length=64), nullable=True))


def downgrade():
    # On SQLite this rebuilds client_projections; no table refers to it, so dropping the old
    # copy cascades to nothing (its own foreign key to clients is copied as it is).
    with op.batch_alter_table("client_projections") as batch_op:
        batch_op.drop_column("chart_key")
        batch_op.drop_column("chart_html")
