from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ImportStatus = Literal["queued", "running", "completed", "failed"]


class FileImportAccepted(BaseModel):
    import_id: uuid.UUID


class ImportRowError(BaseModel):
    row: int = Field(description="The row in the file; the header is row 1.")
    column: str | None
    message: str


class FileImportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    status: ImportStatus
    entity: str
    filename: str
    rows_total: int
    rows_imported: int
    rows_failed: int
    errors: list[ImportRowError] = Field(description="The first 1,000 bad rows.")
    errors_omitted: int = Field(description="Bad rows beyond those listed.")
    detail: str | None = Field(description="Why the whole file failed, when it did.")
    created_at: datetime
    finished_at: datetime | None


class EntityColumnsOut(BaseModel):
    entity: str
    required: list[str] = Field(description="Columns every row must have.")
    optional: list[str]


class EntityList(BaseModel):
    items: list[EntityColumnsOut]


ConnectionStatus = Literal["active", "error", "disconnected"]


class CatalogueEntry(BaseModel):
    type: str
    name: str
    category: str
    auth: Literal["oauth2", "api_key", "none"]
    streams: list[str] = Field(description="The common-schema tables this source fills.")
    available: bool = Field(description="Whether a connection of this type can bring data in today.")


class ConnectionOut(BaseModel):
    id: uuid.UUID
    type: str
    name: str
    status: ConnectionStatus
    created_at: datetime
    last_sync_at: datetime | None = Field(description="When data last arrived (for files: the last import).")
    record_counts: dict[str, int] = Field(description="Rows per common-schema table from this connection.")


class ConnectorsOverview(BaseModel):
    catalogue: list[CatalogueEntry]
    connections: list[ConnectionOut]
