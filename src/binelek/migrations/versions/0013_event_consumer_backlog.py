"""event consumer backlog

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import binelek.kit.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_consumer_backlog",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", binelek.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_consumer_backlog_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_event_consumer_backlog")),
    )
    # The cascade from a deleted event (its tenant deleted) looks rows up by event id.
    op.create_index(
        "ix_event_consumer_backlog_event_id", "event_consumer_backlog", ["event_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_event_consumer_backlog_event_id", table_name="event_consumer_backlog")
    op.drop_table("event_consumer_backlog")
