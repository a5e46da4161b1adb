from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    title: str
    body: str | None
    link: str | None
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class NotificationList(BaseModel):
    items: list[NotificationOut]
    unread: int


class MarkRead(BaseModel):
    ids: list[uuid.UUID] | None = Field(default=None, max_length=500, description="Leave out to mark all.")


class MarkedRead(BaseModel):
    marked: int


class PreferenceOut(BaseModel):
    kind: str
    label: str
    description: str
    in_app: bool = Field(description="Shown in the bell (and pushed live).")
    email: bool = Field(description="E-mailed at once.")
    digest: bool = Field(description="Gathered into one e-mail a day.")
    customized: bool = Field(description="False while the kind's defaults apply.")


class PreferenceList(BaseModel):
    items: list[PreferenceOut]


class PreferenceIn(BaseModel):
    kind: str = Field(max_length=50)
    in_app: bool
    email: bool
    digest: bool


class PreferencesUpdate(BaseModel):
    items: list[PreferenceIn] = Field(min_length=1, max_length=50)
