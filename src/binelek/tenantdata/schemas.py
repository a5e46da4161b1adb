"""Request and response shapes of the organization's export and deletion."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ExportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    status: Literal["queued", "running", "done", "failed", "expired"]
    progress: int = Field(description="Percent of the tables written.")
    size_bytes: int | None
    counts: dict[str, Any] = Field(description="Rows exported per table.")
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None


class DeleteOrganizationIn(BaseModel):
    confirm: str = Field(max_length=200, description="The organization's name, typed again.")
    code: str | None = Field(
        default=None, max_length=32, description="A current authenticator (or backup) code, if you use MFA."
    )


class DeletionAccepted(BaseModel):
    status: Literal["deletion_started"] = "deletion_started"
    tenant_id: uuid.UUID
