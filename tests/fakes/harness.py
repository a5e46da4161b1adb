"""Driving one adapter against its fake server without the sync engine: page after page, the way
the engine does, collecting what each page returned."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from binelek.connectors.adapters.base import Adapter, Checkpoint, ConnectionContext, Record
from binelek.connectors.api_client import ApiClient, RateLimiter
from binelek.connectors.sync import ENTITY_TABLES


@dataclass
class Drained:
    records: dict[str, list[Record]] = field(default_factory=dict)
    deleted: dict[str, list[str]] = field(default_factory=dict)
    checkpoint: Checkpoint | None = None
    pages: int = 0


def api_for(
    origin: str, adapter: Adapter, context: ConnectionContext, *, limiter: RateLimiter | None = None
) -> ApiClient:
    http = httpx.AsyncClient(timeout=30)
    return ApiClient(http, origin=origin, headers=lambda: adapter.auth_headers(context), limiter=limiter)


async def drain(
    adapter: Adapter,
    api: ApiClient,
    context: ConnectionContext,
    stream: str,
    checkpoint: Checkpoint | None = None,
    *,
    max_pages: int = 10_000,
) -> Drained:
    """Fetch pages until the pass is done; the result's checkpoint starts the next (incremental) pass."""
    drained = Drained(checkpoint=checkpoint)
    for _ in range(max_pages):
        page = await adapter.fetch(api, context, stream, drained.checkpoint)
        drained.pages += 1
        for entity, records in page.records.items():
            drained.records.setdefault(entity, []).extend(records)
        for entity, ids in page.deleted.items():
            drained.deleted.setdefault(entity, []).extend(ids)
        drained.checkpoint = page.checkpoint
        if page.done:
            return drained
    raise AssertionError(f"{stream} did not finish in {max_pages} pages")


def context(config: Mapping[str, Any], token: str) -> ConnectionContext:
    return ConnectionContext(config=dict(config), access_token=token)


# What the engine sets, not the adapter: ids, tenancy, provenance, timestamps, resolved foreign keys.
_ENGINE_COLUMNS = {"id", "tenant_id", "connection_id", "source_id", "source_updated_at", "content_hash"}
_ENGINE_COLUMNS |= {"created_at", "updated_at", "overdue_notified_at"}


def business_columns(entity: str) -> set[str]:
    """The columns an adapter's record of `entity` carries (besides source_id, source_updated_at and
    "_" references), from the common-schema table itself."""
    table = ENTITY_TABLES[entity]
    return {
        column.name
        for column in table.columns
        if column.name not in _ENGINE_COLUMNS and not column.foreign_keys
    }
