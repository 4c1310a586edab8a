"""the practice as tenant: practices, members, appointments, calendar feeds (issue 11)

Every practitioner becomes the owner of a practice of one, named after them, in their time
zone; their clients, pigments, settings, model versions and the audit lines of their clients
move to it. Nothing is deleted: a downgrade puts each practice's rows back on its owner.

Revision ID: f1a0b1c2d3e4
Revises: e1b0c1d2e3f4
Create Date: 2026-12-02 07:02:51

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f1a0b1c2d3e4"
down_revision = "e1b0c1d2e3f4"
branch_labels = None
depends_on = None

OLD_ROLES = "role IN ('client', 'practitioner', 'admin')"
NEW_ROLES = "role IN ('client', 'practitioner', 'front_desk', 'admin')"
OLD_KINDS = (
    "kind IN ('aftercare', 'next_session', 'healed_check', 'self_check', 'assessment', 'touch_up')"
)
NEW_KINDS = (
    "kind IN ('aftercare', 'next_session', 'healed_check', 'self_check', 'assessment', "
    "'touch_up', 'appointment', 'appointment_cancelled')"
)
REMINDER_HOURS = (
    "appointment_reminder_hours IS NULL OR "
    "(appointment_reminder_hours >= 24 AND appointment_reminder_hours <= 48)"
)
# The tables whose rows belong to a practitioner today and to their practice from now on.
OWNED = ("pigments", "practice_model_versions", "practice_settings")


def _found_practices() -> None:
    """One practice per practitioner, its owner. A practice's id is its owner's user id, so
    the step is one INSERT ... SELECT on both databases and each owned row moves with one
    UPDATE; a practice of one is named after its owner."""
    op.execute(
        """
        INSERT INTO practices
            (id, name, address, phone, booking_url, time_zone, mail_from_name, reply_to,
             created_at)
        SELECT id, substr(display_name || '''s practice', 1, 120), '', '', '', time_zone,
               substr(display_name || '''s practice', 1, 120), email, created_at
        FROM users WHERE role = 'practitioner'
        """
    )
    op.execute(
        """
        INSERT INTO practice_members (practice_id, user_id, role, created_at)
        SELECT id, id, 'owner', created_at FROM users WHERE role = 'practitioner'
        """
    )
    if op.get_bind().dialect.name == "postgresql":
        # Explicit ids leave the sequence behind: the next practice must not collide.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('practices', 'id'), "
            "COALESCE((SELECT max(id) FROM practices), 0) + 1, false)"
        )


def _defer_foreign_keys() -> None:
    """SQLite rebuilds ``users`` (its role CHECK) by copying it and dropping the old table; with
    foreign keys on, that DROP fails on any database with clients. Inside a transaction the
    checks are deferred to its commit, when the rebuilt table holds every row again; outside
    one (the driver opens none for DDL) they are off until ``_check_foreign_keys``."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA defer_foreign_keys = ON")
        op.execute("PRAGMA foreign_keys = OFF")


def _check_foreign_keys() -> None:
    """Back on, and proof that the rebuilt tables left no reference dangling."""
    if op.get_bind().dialect.name != "sqlite":
        return
    dangling = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if dangling:
        raise RuntimeError(f"foreign keys left dangling by the migration: {dangling[:5]}")
    op.execute("PRAGMA foreign_keys = ON")


def upgrade():
    _defer_foreign_keys()
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_users_role_valid"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_users_role_valid"), NEW_ROLES)
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        # "appointment_cancelled" is 21 characters.
        batch_op.alter_column(
            "kind", existing_type=sa.String(length=20), type_=sa.String(length=24)
        )
        batch_op.drop_constraint(batch_op.f("ck_reminders_kind_valid"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_reminders_kind_valid"), NEW_KINDS)

    op.create_table(
        "practices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("booking_url", sa.String(length=500), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("mail_from_name", sa.String(length=120), nullable=False),
        sa.Column("reply_to", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practices")),
    )
    op.create_table(
        "member_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "role IN ('owner', 'practitioner', 'front_desk')",
            name=op.f("ck_member_invitations_role_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["users.id"],
            name=op.f("fk_member_invitations_invited_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_member_invitations_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_invitations")),
    )
    with op.batch_alter_table("member_invitations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_member_invitations_practice", ["practice_id", "created_at"], unique=False
        )

    op.create_table(
        "practice_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "role IN ('owner', 'practitioner', 'front_desk')",
            name=op.f("ck_practice_members_role_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_practice_members_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_practice_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_members")),
        sa.UniqueConstraint("user_id", name=op.f("uq_practice_members_user_id")),
    )
    with op.batch_alter_table("practice_members", schema=None) as batch_op:
        batch_op.create_index(
            "ix_practice_members_practice_role", ["practice_id", "role"], unique=False
        )

    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=12), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "scope IN ('practitioner', 'practice', 'client')",
            name=op.f("ck_calendar_feeds_scope_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_calendar_feeds_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_calendar_feeds_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_calendar_feeds_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_calendar_feeds_key_hash")),
    )
    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_feeds_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index("ix_calendar_feeds_practice", ["practice_id", "scope"], unique=False)
        batch_op.create_index(batch_op.f("ix_calendar_feeds_user_id"), ["user_id"], unique=False)

    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=64), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("booked_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('initial', 'build_up', 'touch_up', 'correction', 'scar')",
            name=op.f("ck_appointments_kind_valid"),
        ),
        sa.CheckConstraint(
            "status IN ('booked', 'cancelled', 'done', 'no_show')",
            name=op.f("ck_appointments_status_valid"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_appointments_ends_after_start")),
        sa.CheckConstraint("sequence >= 0", name=op.f("ck_appointments_sequence_non_negative")),
        sa.ForeignKeyConstraint(
            ["booked_by_id"],
            ["users.id"],
            name=op.f("fk_appointments_booked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_appointments_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_appointments_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["users.id"],
            name=op.f("fk_appointments_practitioner_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_sessions.id"],
            name=op.f("fk_appointments_session_id_treatment_sessions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
        sa.UniqueConstraint("uid", name=op.f("uq_appointments_uid")),
    )
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_appointments_client_start", ["client_id", "starts_at"], unique=False
        )
        batch_op.create_index(
            "ix_appointments_practice_start", ["practice_id", "starts_at"], unique=False
        )
        batch_op.create_index(
            "ix_appointments_practitioner_start", ["practitioner_id", "starts_at"], unique=False
        )

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("practice_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_audit_events_practice_time", ["practice_id", "occurred_at"])
        batch_op.create_foreign_key(
            batch_op.f("fk_audit_events_practice_id_practices"),
            "practices",
            ["practice_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("practice_id", sa.Integer(), nullable=True))
        batch_op.drop_index(batch_op.f("ix_clients_practitioner_name"))
        batch_op.drop_index(batch_op.f("ix_clients_practitioner_touch_up"))
        batch_op.drop_index(batch_op.f("ix_clients_practitioner_window"))
        batch_op.create_index("ix_clients_practice_name", ["practice_id", "display_name"])
        batch_op.create_index("ix_clients_practice_touch_up", ["practice_id", "next_touch_up_on"])
        batch_op.create_index("ix_clients_practice_window", ["practice_id", "touch_up_earliest_on"])
        batch_op.create_index("ix_clients_practitioner_id", ["practitioner_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_clients_practice_id_practices"),
            "practices",
            ["practice_id"],
            ["id"],
            ondelete="RESTRICT",
        )
    for table in OWNED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("practice_id", sa.Integer(), nullable=True))

    _found_practices()
    op.execute("UPDATE clients SET practice_id = practitioner_id")
    for table in OWNED:
        op.execute(f"UPDATE {table} SET practice_id = practitioner_id")  # noqa: S608 - fixed names
    op.execute(
        "UPDATE audit_events SET practice_id = "
        "(SELECT practice_id FROM clients WHERE clients.id = audit_events.client_id)"
    )

    with op.batch_alter_table("pigments", schema=None) as batch_op:
        batch_op.alter_column("practice_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index(batch_op.f("ix_pigments_practitioner_id"))
        batch_op.drop_constraint(batch_op.f("uq_pigments_name"), type_="unique")
        batch_op.create_unique_constraint(
            "uq_pigments_name", ["practice_id", "brand", "line", "shade"]
        )
        batch_op.create_index(batch_op.f("ix_pigments_practice_id"), ["practice_id"])
        batch_op.drop_constraint(
            batch_op.f("fk_pigments_practitioner_id_users"), type_="foreignkey"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_pigments_practice_id_practices"),
            "practices",
            ["practice_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.drop_column("practitioner_id")
    with op.batch_alter_table("practice_model_versions", schema=None) as batch_op:
        batch_op.alter_column("practice_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index(batch_op.f("ix_practice_model_versions_practice"))
        batch_op.create_index("ix_practice_model_versions_practice", ["practice_id", "adopted_at"])
        batch_op.drop_constraint(
            batch_op.f("fk_practice_model_versions_practitioner_id_users"), type_="foreignkey"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_practice_model_versions_practice_id_practices"),
            "practices",
            ["practice_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.drop_column("practitioner_id")
    with op.batch_alter_table("practice_settings", schema=None) as batch_op:
        batch_op.alter_column("practice_id", existing_type=sa.Integer(), nullable=False)
        batch_op.add_column(
            sa.Column(
                "appointment_reminder_hours", sa.Integer(), server_default="24", nullable=False
            )
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_practice_settings_appointment_reminder_hours_range"), REMINDER_HOURS
        )
        batch_op.drop_constraint(batch_op.f("uq_practice_settings_practitioner_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_practice_settings_practice_id"), ["practice_id"]
        )
        batch_op.drop_constraint(
            batch_op.f("fk_practice_settings_practitioner_id_users"), type_="foreignkey"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_practice_settings_practice_id_practices"),
            "practices",
            ["practice_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.drop_column("practitioner_id")

    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("appointment_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_reminders_appointment_id"), ["appointment_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_reminders_appointment_id_appointments"),
            "appointments",
            ["appointment_id"],
            ["id"],
            ondelete="SET NULL",
        )
    _check_foreign_keys()


def downgrade():
    _defer_foreign_keys()
    # Appointment mail and front-desk logins have no place in the old schema: they go first.
    op.execute("DELETE FROM reminders WHERE kind IN ('appointment', 'appointment_cancelled')")
    op.execute("DELETE FROM users WHERE role = 'front_desk'")
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_reminders_appointment_id_appointments"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_reminders_appointment_id"))
        batch_op.drop_column("appointment_id")
        batch_op.drop_constraint(batch_op.f("ck_reminders_kind_valid"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_reminders_kind_valid"), OLD_KINDS)
        batch_op.alter_column(
            "kind", existing_type=sa.String(length=24), type_=sa.String(length=20)
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_users_role_valid"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_users_role_valid"), OLD_ROLES)

    for table in OWNED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("practitioner_id", sa.Integer(), nullable=True))
    # Each practice's rows go back to its (first) owner.
    owner = (
        "(SELECT min(user_id) FROM practice_members m "
        "WHERE m.practice_id = {t}.practice_id AND m.role = 'owner')"
    )
    for table in OWNED:
        op.execute(f"UPDATE {table} SET practitioner_id = {owner.format(t=table)}")  # noqa: S608

    with op.batch_alter_table("practice_settings", schema=None) as batch_op:
        batch_op.alter_column("practitioner_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(
            batch_op.f("fk_practice_settings_practice_id_practices"), type_="foreignkey"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_practice_settings_practitioner_id_users"),
            "users",
            ["practitioner_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.drop_constraint(batch_op.f("uq_practice_settings_practice_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_practice_settings_practitioner_id"), ["practitioner_id"]
        )
        batch_op.drop_constraint(
            batch_op.f("ck_practice_settings_appointment_reminder_hours_range"), type_="check"
        )
        batch_op.drop_column("appointment_reminder_hours")
        batch_op.drop_column("practice_id")
    with op.batch_alter_table("practice_model_versions", schema=None) as batch_op:
        batch_op.alter_column("practitioner_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(
            batch_op.f("fk_practice_model_versions_practice_id_practices"), type_="foreignkey"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_practice_model_versions_practitioner_id_users"),
            "users",
            ["practitioner_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.drop_index("ix_practice_model_versions_practice")
        batch_op.create_index(
            batch_op.f("ix_practice_model_versions_practice"), ["practitioner_id", "adopted_at"]
        )
        batch_op.drop_column("practice_id")
    with op.batch_alter_table("pigments", schema=None) as batch_op:
        batch_op.alter_column("practitioner_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(
            batch_op.f("fk_pigments_practice_id_practices"), type_="foreignkey"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_pigments_practitioner_id_users"),
            "users",
            ["practitioner_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.drop_index(batch_op.f("ix_pigments_practice_id"))
        batch_op.drop_constraint("uq_pigments_name", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_pigments_name"), ["practitioner_id", "brand", "line", "shade"]
        )
        batch_op.create_index(batch_op.f("ix_pigments_practitioner_id"), ["practitioner_id"])
        batch_op.drop_column("practice_id")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_clients_practice_id_practices"), type_="foreignkey")
        batch_op.drop_index("ix_clients_practitioner_id")
        batch_op.drop_index("ix_clients_practice_window")
        batch_op.drop_index("ix_clients_practice_touch_up")
        batch_op.drop_index("ix_clients_practice_name")
        batch_op.create_index(
            batch_op.f("ix_clients_practitioner_window"),
            ["practitioner_id", "touch_up_earliest_on"],
        )
        batch_op.create_index(
            batch_op.f("ix_clients_practitioner_touch_up"), ["practitioner_id", "next_touch_up_on"]
        )
        batch_op.create_index(
            batch_op.f("ix_clients_practitioner_name"), ["practitioner_id", "display_name"]
        )
        batch_op.drop_column("practice_id")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_audit_events_practice_id_practices"), type_="foreignkey"
        )
        batch_op.drop_index("ix_audit_events_practice_time")
        batch_op.drop_column("practice_id")

    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index("ix_appointments_practitioner_start")
        batch_op.drop_index("ix_appointments_practice_start")
        batch_op.drop_index("ix_appointments_client_start")

    op.drop_table("appointments")
    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_feeds_user_id"))
        batch_op.drop_index("ix_calendar_feeds_practice")
        batch_op.drop_index(batch_op.f("ix_calendar_feeds_client_id"))

    op.drop_table("calendar_feeds")
    with op.batch_alter_table("practice_members", schema=None) as batch_op:
        batch_op.drop_index("ix_practice_members_practice_role")

    op.drop_table("practice_members")
    with op.batch_alter_table("member_invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_member_invitations_practice")

    op.drop_table("member_invitations")
    op.drop_table("practices")
    _check_foreign_keys()
