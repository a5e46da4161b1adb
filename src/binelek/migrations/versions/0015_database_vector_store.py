"""the database vector store: chunks and per-tenant generations (for installs without Qdrant)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import binelek.kit.db
from binelek.kit import rls

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TABLES = ("vector_chunks", "vector_generations")


def upgrade() -> None:
    op.create_table(
        "vector_chunks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", binelek.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", binelek.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_vector_chunks_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vector_chunks")),
    )
    op.create_index(op.f("ix_vector_chunks_tenant_id"), "vector_chunks", ["tenant_id"], unique=False)
    op.create_index(
        "ix_vector_chunks_record", "vector_chunks", ["tenant_id", "kind", "entity_id"], unique=False
    )
    op.create_table(
        "vector_generations",
        sa.Column("token", sa.Uuid(), nullable=False),
        sa.Column("updated_at", binelek.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_vector_generations_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vector_generations")),
        sa.UniqueConstraint("tenant_id", name="uq_vector_generations_tenant"),
    )
    op.create_index(
        op.f("ix_vector_generations_tenant_id"), "vector_generations", ["tenant_id"], unique=False
    )
    # Tenant-owned tables: under the row-level security policy like every other (kit/rls.py, 0014).
    rls.apply(op.get_bind(), TABLES)


def downgrade() -> None:
    rls.remove(op.get_bind(), TABLES)
    op.drop_index(op.f("ix_vector_generations_tenant_id"), table_name="vector_generations")
    op.drop_table("vector_generations")
    op.drop_index("ix_vector_chunks_record", table_name="vector_chunks")
    op.drop_index(op.f("ix_vector_chunks_tenant_id"), table_name="vector_chunks")
    op.drop_table("vector_chunks")
