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
    configured: bool = Field(
        description="OAuth sources: whether this install has an OAuth app for it. Key sources: always."
    )
    key_fields: list[str] = Field(description="The credentials a key connection takes; empty: OAuth only.")
    account_fields: list[str] = Field(
        description="What the authorize call needs about the account (shop, accounts_domain, tenant)."
    )


class ConnectionOut(BaseModel):
    id: uuid.UUID
    type: str
    name: str
    status: ConnectionStatus
    created_at: datetime
    last_sync_at: datetime | None = Field(description="When data last arrived (for files: the last import).")
    record_counts: dict[str, int] = Field(description="Rows per common-schema table from this connection.")
    last_error: str | None = Field(default=None, description="Why the last sync or token refresh failed.")
    last_run: SyncRunOut | None = Field(default=None, description="The newest sync run.")


class ConnectorsOverview(BaseModel):
    catalogue: list[CatalogueEntry]
    connections: list[ConnectionOut]


SyncRunStatus = Literal["queued", "running", "completed", "failed"]


class StreamCounts(BaseModel):
    pages: int = 0
    fetched: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    failed: int = 0


class SyncRunError(BaseModel):
    stream: str
    message: str


class SyncRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    connection_id: uuid.UUID
    trigger: Literal["initial", "manual", "schedule", "webhook"]
    status: SyncRunStatus
    streams: list[str] = Field(description="The streams it syncs; empty: all of them.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None
    records: dict[str, StreamCounts] = Field(description="Per stream: pages and records written.")
    errors: list[SyncRunError]
    requests: int = Field(description="Requests sent to the provider.")
    throttled: int = Field(description="Times the provider answered 429.")
    detail: str | None


class SyncRequested(BaseModel):
    run_id: uuid.UUID
    status: SyncRunStatus


class SyncIn(BaseModel):
    streams: list[str] | None = Field(default=None, description="Only these streams; default all.")


class AuthorizationOut(BaseModel):
    authorization_url: str = Field(description="Open it (a popup) for the user to grant access.")
    state: str = Field(description="One-time, bound to this user and tenant; valid for expires_in seconds.")
    expires_in: int


class OAuthCallbackIn(BaseModel):
    """What the provider put on the redirect: code and state, plus its extras (shop, hmac, timestamp,
    host for Shopify; realmId for QuickBooks; accounts-server for Zoho)."""

    model_config = ConfigDict(extra="allow")

    code: str = Field(min_length=1, max_length=4096)
    state: str = Field(min_length=1, max_length=512)


class ConnectionCreated(BaseModel):
    connection: ConnectionOut
    run_id: uuid.UUID = Field(description="The first full sync, queued.")


class KeyConnectionIn(BaseModel):
    type: str = Field(description="stripe (api_key) or shopify (shop, access_token of a custom app).")
    name: str | None = Field(default=None, max_length=200)
    credentials: dict[str, str] = Field(description="The fields the catalogue lists as key_fields.")
    webhook_secret: str | None = Field(
        default=None, max_length=500, description="The signing secret of the webhook endpoint you created."
    )


class WebhookAccepted(BaseModel):
    accepted: int = Field(description="New deliveries (repeats of an event id are dropped).")
    duplicates: int


ConnectionOut.model_rebuild()
