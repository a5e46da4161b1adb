"""notification preferences and digest delivery

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 05:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import binelek.kit.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_preferences",
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("in_app", sa.Boolean(), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("updated_at", binelek.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_notification_preferences_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preferences")),
        sa.UniqueConstraint("tenant_id", "user_id", "kind", name="uq_notification_preferences_tenant_id"),
    )
    op.create_index(
        op.f("ix_notification_preferences_tenant_id"), "notification_preferences", ["tenant_id"], unique=False
    )
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("in_app", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch.add_column(sa.Column("digest", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("digested_at", binelek.kit.db.UTCDateTime(timezone=True), nullable=True))
    op.create_index("ix_notifications_digest_due", "notifications", ["digest", "digested_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_notifications_digest_due", table_name="notifications")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("digested_at")
        batch.drop_column("digest")
        batch.drop_column("in_app")
    op.drop_index(op.f("ix_notification_preferences_tenant_id"), table_name="notification_preferences")
    op.drop_table("notification_preferences")
