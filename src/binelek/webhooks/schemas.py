"""Outgoing webhooks' API shapes. A secret appears in full only in `EndpointCreated` and
`SecretRotated`; everywhere else only its last four characters."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DeliveryStatus = Literal["pending", "retrying", "succeeded", "failed"]


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000, description="http(s) URL; https in production.")
    events: list[str] = Field(
        min_length=1,
        max_length=100,
        description='Event types from /api/webhooks/event-types, "*" for all, or a prefix like "task.*".',
    )
    secret: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="whsec_ + base64 of 24-64 random bytes; generated when omitted.",
    )
    description: str | None = Field(default=None, max_length=500)


class EndpointPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, min_length=1, max_length=2000)
    events: list[str] | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    enabled: bool | None = Field(default=None, description="Enabling again resets the failure counters.")


class EndpointOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    description: str | None
    events: list[str]
    enabled: bool
    secret_last4: str
    disabled_reason: str | None
    disabled_at: datetime | None
    failed_messages_in_row: int
    failing_since: datetime | None
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class EndpointCreated(EndpointOut):
    secret: str = Field(description="Shown once: store it now.")


class SecretRotated(BaseModel):
    secret: str = Field(description="Shown once: store it now.")
    secret_last4: str
    previous_secret_expires_at: datetime = Field(description="Until then messages carry both signatures.")


class EventTypeOut(BaseModel):
    type: str
    description: str
    module: str


class AttemptOut(BaseModel):
    attempt: int
    at: datetime
    response_status: int | None = None
    duration_ms: int | None = None
    error: str | None = None


class DeliverySummaryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    endpoint_id: uuid.UUID
    message_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    response_status: int | None
    duration_ms: int | None
    error: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    redelivery_of: uuid.UUID | None
    created_at: datetime


class DeliveryOut(DeliverySummaryOut):
    request_body: str
    response_body: str | None = Field(description="The first 2 KB of the receiver's answer.")
    attempt_log: list[AttemptOut]
