from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditLogOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    action: str
    user_id: uuid.UUID | None
    user_email: str | None = Field(default=None, validation_alias="actor_email")
    api_key_id: uuid.UUID | None
    ip: str | None
    user_agent: str | None
    request_id: str | None
    details: dict[str, Any]
    created_at: datetime
