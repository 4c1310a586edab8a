"""account mail outbox and audited denials (issue 8 items 7-8)

Revision ID: c8a2f0e2d3b5
Revises: c8a1f0e2d3b4
Create Date: 2026-12-01 20:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c8a2f0e2d3b5"
down_revision = "c8a1f0e2d3b4"
branch_labels = None
depends_on = None

OLD_ACTIONS = "action IN ('read', 'create', 'update', 'delete', 'export', 'erase', 'invite')"
NEW_ACTIONS = (
    "action IN ('read', 'create', 'update', 'delete', 'export', 'erase', 'invite', 'denied')"
)


def upgrade():
    op.create_table(
        "account_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("template", sa.String(length=60), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=True),
        sa.Column("leased_by", sa.String(length=80), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_account_mail_attempts_non_negative")),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed')",
            name=op.f("ck_account_mail_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_account_mail_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_mail")),
    )
    with op.batch_alter_table("account_mail", schema=None) as batch_op:
        batch_op.create_index(
            "ix_account_mail_status_next", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_account_mail_client_id"), ["client_id"], unique=False)

    # Denials: a new audit action, and a counter for the denials folded into the last row of
    # an actor's hour once the per-hour bound is reached (services/audit.py).
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("repeats", sa.Integer(), server_default="0", nullable=False))
        batch_op.drop_constraint(batch_op.f("ck_audit_events_action_valid"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_audit_events_action_valid"), NEW_ACTIONS)
        batch_op.create_index(
            "ix_audit_events_action_actor_time", ["action", "actor_id", "occurred_at"], unique=False
        )


def downgrade():
    op.execute("DELETE FROM audit_events WHERE action = 'denied'")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_action_actor_time")
        batch_op.drop_constraint(batch_op.f("ck_audit_events_action_valid"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_audit_events_action_valid"), OLD_ACTIONS)
        batch_op.drop_column("repeats")

    with op.batch_alter_table("account_mail", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_mail_client_id"))
        batch_op.drop_index("ix_account_mail_status_next")

    op.drop_table("account_mail")
