"""Outgoing webhooks: the tenant's endpoints (URL, subscribed event types, signing secret encrypted
at rest, health counters) and one delivery row per message sent to an endpoint, with its attempts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from binelek.kit.crypto import encrypted_column
from binelek.kit.db import Base, IdMixin, TenantMixin, TimestampMixin

DELIVERY_STATUSES = ("pending", "retrying", "succeeded", "failed")
RESPONSE_BODY_LIMIT = 2048  # bytes of the receiver's answer kept with a delivery


class WebhookEndpoint(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "webhook_endpoints"

    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(500))
    events: Mapped[list[str]] = mapped_column(default=list)  # "order.created", "ops.*", "*"
    enabled: Mapped[bool] = mapped_column(Boolean(), default=True)
    secret_encrypted: Mapped[str] = mapped_column(String(2000))
    secret_last4: Mapped[str] = mapped_column(String(4))
    # After a rotation the old secret also signs until it expires, so receivers can switch over.
    previous_secret_encrypted: Mapped[str | None] = mapped_column(String(2000))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column()
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    disabled_at: Mapped[datetime | None] = mapped_column()
    # Health: messages whose every attempt failed, in a row, and since when attempts keep failing.
    failed_messages_in_row: Mapped[int] = mapped_column(Integer(), default=0)
    failing_since: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


encrypted_column(WebhookEndpoint.secret_encrypted)
encrypted_column(WebhookEndpoint.previous_secret_encrypted)


class WebhookDelivery(IdMixin, TimestampMixin, TenantMixin, Base):
    """One message to one endpoint: the exact body sent, and how each attempt went. A redelivery is
    a new row with the same `message_id`, so receivers deduplicate it like a retry."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # The outbox may hand an event over twice; the key makes the second hand-over create nothing.
        UniqueConstraint("endpoint_id", "dedupe_key", name="uq_webhook_deliveries_endpoint_dedupe"),
        Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at"),
    )

    message_id: Mapped[str] = mapped_column(String(100))  # the webhook-id header: "msg_<event id>"
    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    dedupe_key: Mapped[str] = mapped_column(String(100))  # "event:<id>" | "test:<uuid>" | "redeliver:<uuid>"
    event_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    event_type: Mapped[str] = mapped_column(String(100))
    request_body: Mapped[str] = mapped_column(Text())
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer(), default=0)
    response_status: Mapped[int | None] = mapped_column(Integer())
    response_body: Mapped[str | None] = mapped_column(Text())
    duration_ms: Mapped[int | None] = mapped_column(Integer())
    error: Mapped[str | None] = mapped_column(String(1000))
    attempt_log: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    redelivery_of: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="SET NULL")
    )
