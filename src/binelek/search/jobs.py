"""Search's background work: the outbox subscribers that embed records into the vector store and
take them out again. Each is idempotent per event (deterministic point ids, versioned writes)."""

from __future__ import annotations

import structlog

from binelek.kit.db import Database
from binelek.kit.jobs import process_object
from binelek.kit.outbox import EventMessage, subscribe
from binelek.search import service
from binelek.search.vectors import VectorIndex

log = structlog.get_logger(__name__)


def _store() -> VectorIndex:
    store: VectorIndex | None = process_object("vectors")
    if store is None:
        raise RuntimeError("this process has no vector store")
    return store


@subscribe(service.INDEX_REQUESTED, "search.index")
async def index_record(event: EventMessage) -> None:
    request = service.IndexRequest.from_event(event.tenant_id, event.payload)
    db: Database = process_object("db")
    applied = await service.apply_index(db, _store(), request)
    log.info(
        "search_indexed" if applied else "search_index_superseded",
        kind=request.kind,
        entity_id=request.entity_id,
        version=request.version,
    )


@subscribe(service.REMOVAL_REQUESTED, "search.remove")
async def remove_record(event: EventMessage) -> None:
    request = service.IndexRequest.from_event(event.tenant_id, event.payload)
    db: Database = process_object("db")
    await service.apply_removal(db, _store(), request)
    log.info("search_removed", kind=request.kind, entity_id=request.entity_id, version=request.version)
