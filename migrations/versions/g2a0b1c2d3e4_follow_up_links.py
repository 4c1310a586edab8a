"""follow-up links of the healed and yearly check: the table that makes each link single use

The link itself is a signed token that names the reminder; composing the email writes nothing.
Answering it inserts one row here, unique per reminder, so a second answer (or two racing each
other) is refused by the database.

Revision ID: g2a0b1c2d3e4
Revises: g1a0b1c2d3e4
Create Date: 2026-12-02 13:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "g2a0b1c2d3e4"
down_revision = "g1a0b1c2d3e4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "follow_up_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reminder_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("responded_at", sa.DateTime(), nullable=False),
        sa.Column("ratings", sa.Integer(), nullable=False),
        sa.Column("photos", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_follow_up_responses_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reminder_id"],
            ["reminders.id"],
            name=op.f("fk_follow_up_responses_reminder_id_reminders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_responses")),
        sa.UniqueConstraint("reminder_id", name=op.f("uq_follow_up_responses_reminder_id")),
    )
    with op.batch_alter_table("follow_up_responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_follow_up_responses_client_id"), ["client_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("follow_up_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_up_responses_client_id"))
    op.drop_table("follow_up_responses")
