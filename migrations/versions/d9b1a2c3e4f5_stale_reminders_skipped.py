"""reminders carry the moment after which they are skipped, not sent (issue 9 item 4)

Revision ID: d9b1a2c3e4f5
Revises: c8a2f0e2d3b5
Create Date: 2026-12-01 21:05:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d9b1a2c3e4f5"
down_revision = "c8a2f0e2d3b5"
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')"
NEW_STATUSES = "status IN ('pending', 'sending', 'sent', 'failed', 'cancelled', 'skipped')"


def upgrade():
    # batch: SQLite cannot alter a CHECK constraint in place, the table is copied.
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stale_after", sa.DateTime(), nullable=True))
        batch_op.drop_constraint(batch_op.f("ck_reminders_status_valid"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_reminders_status_valid"), NEW_STATUSES)


def downgrade():
    # A skipped reminder was never sent: it reads as cancelled, with its reason kept.
    op.execute("UPDATE reminders SET status = 'cancelled' WHERE status = 'skipped'")
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_reminders_status_valid"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_reminders_status_valid"), OLD_STATUSES)
        batch_op.drop_column("stale_after")
