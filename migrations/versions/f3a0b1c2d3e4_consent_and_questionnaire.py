"""consent templates (versioned), signed consents, signing links, the health questionnaire, and
who overrode a missing consent on a treatment session (issue 12 items 1 and 2)

Revision ID: f3a0b1c2d3e4
Revises: f2a0b1c2d3e4
Create Date: 2026-12-02 07:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f3a0b1c2d3e4"
down_revision = "f2a0b1c2d3e4"
branch_labels = None
depends_on = None


def _defer_foreign_keys() -> None:
    """SQLite rebuilds ``treatment_sessions`` to add its foreign key; with foreign keys on,
    dropping the old copy would cascade to the placements. Off until ``_check_foreign_keys``."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA defer_foreign_keys = ON")
        op.execute("PRAGMA foreign_keys = OFF")


def _check_foreign_keys() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    dangling = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if dangling:
        raise RuntimeError(f"foreign keys left dangling by the migration: {dangling[:5]}")
    op.execute("PRAGMA foreign_keys = ON")


def upgrade():
    op.create_table(
        "consent_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("version >= 1", name=op.f("ck_consent_templates_version_positive")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_consent_templates_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_consent_templates_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_templates")),
        sa.UniqueConstraint("practice_id", "version", name="uq_consent_templates_practice_version"),
    )
    op.create_table(
        "consent_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_consent_links_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"],
            ["users.id"],
            name=op.f("fk_consent_links_sent_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_links")),
    )
    with op.batch_alter_table("consent_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_links_client_id"), ["client_id"], unique=False)

    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("typed_name", sa.String(length=120), nullable=False),
        sa.Column("agreed", sa.Boolean(), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.Column("remote_addr", sa.String(length=45), nullable=True),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("signed_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("method IN ('account', 'link')", name=op.f("ck_consents_method_valid")),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_consents_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signed_by_id"],
            ["users.id"],
            name=op.f("fk_consents_signed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["consent_templates.id"],
            name=op.f("fk_consents_template_id_consent_templates"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index("ix_consents_client_signed", ["client_id", "signed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_consents_template_id"), ["template_id"], unique=False)

    op.create_table(
        "health_questionnaires",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_by_role", sa.String(length=12), nullable=False),
        sa.Column("keloid_or_scarring", sa.Boolean(), nullable=False),
        sa.Column("blood_thinners", sa.Boolean(), nullable=False),
        sa.Column("scalp_skin_condition", sa.Boolean(), nullable=False),
        sa.Column("pigment_allergy", sa.Boolean(), nullable=False),
        sa.Column("allergies", sa.String(length=500), nullable=False),
        sa.Column("photosensitising_medication", sa.Boolean(), nullable=False),
        sa.Column("retinoid_use", sa.Boolean(), nullable=False),
        sa.Column("fitzpatrick", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "answered_by_role IN ('client', 'practitioner')",
            name=op.f("ck_health_questionnaires_answered_by_role_valid"),
        ),
        sa.CheckConstraint(
            "fitzpatrick IS NULL OR (fitzpatrick >= 1 AND fitzpatrick <= 6)",
            name=op.f("ck_health_questionnaires_fitzpatrick_range"),
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["users.id"],
            name=op.f("fk_health_questionnaires_answered_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_health_questionnaires_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_questionnaires")),
    )
    with op.batch_alter_table("health_questionnaires", schema=None) as batch_op:
        batch_op.create_index(
            "ix_health_questionnaires_client_answered",
            ["client_id", "answered_at"],
            unique=False,
        )

    _defer_foreign_keys()
    with op.batch_alter_table("treatment_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_override_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("consent_override_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("consent_override_at", sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_treatment_sessions_consent_override_by_id_users"),
            "users",
            ["consent_override_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    _check_foreign_keys()


def downgrade():
    _defer_foreign_keys()
    with op.batch_alter_table("treatment_sessions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_treatment_sessions_consent_override_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("consent_override_at")
        batch_op.drop_column("consent_override_by_id")
        batch_op.drop_column("consent_override_reason")
    _check_foreign_keys()

    with op.batch_alter_table("health_questionnaires", schema=None) as batch_op:
        batch_op.drop_index("ix_health_questionnaires_client_answered")
    op.drop_table("health_questionnaires")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consents_template_id"))
        batch_op.drop_index("ix_consents_client_signed")
    op.drop_table("consents")
    with op.batch_alter_table("consent_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_links_client_id"))
    op.drop_table("consent_links")
    op.drop_table("consent_templates")
