"""tenant exports, and row-level security on every tenant-owned table (PostgreSQL)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 05:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import binelek.kit.db
from binelek.kit import rls
from binelek.kit.db import JSONType

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant_exports",
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("file_path", sa.String(length=500), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("counts", JSONType, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("finished_at", binelek.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", binelek.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", binelek.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", binelek.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["users.id"],
            name=op.f("fk_tenant_exports_requested_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tenant_exports_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_exports")),
    )
    op.create_index(op.f("ix_tenant_exports_tenant_id"), "tenant_exports", ["tenant_id"], unique=False)
    op.create_index(
        "ix_tenant_exports_tenant_created", "tenant_exports", ["tenant_id", "created_at"], unique=False
    )
    # Every table with a tenant_id column as of this revision (kit/rls.py); a later migration that
    # creates a tenant-owned table calls rls.apply for it (tests/test_rls.py checks none is missed).
    connection = op.get_bind()
    rls.apply(connection, rls.tables_with_tenant_column(connection))


def downgrade() -> None:
    connection = op.get_bind()
    rls.remove(connection, rls.tables_with_tenant_column(connection))
    op.drop_index("ix_tenant_exports_tenant_created", table_name="tenant_exports")
    op.drop_index(op.f("ix_tenant_exports_tenant_id"), table_name="tenant_exports")
    op.drop_table("tenant_exports")
