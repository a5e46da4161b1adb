"""The vector store: Qdrant, in local mode (embedded, a directory under the data dir) or a server;
or the application database (`sql_vectors.SqlVectorStore`). `open_vector_store` picks one.

Both modes run the same calls through the synchronous `QdrantClient` on a dedicated thread pool, so
neither a local-mode search (numpy over the stored vectors) nor an HTTP call blocks the event loop.
Every query and every delete carries a `tenant_id` payload filter. The layout differs by mode (see
docs/decisions.md): local mode keeps one collection per tenant — its searches compute the payload
filter in Python over every point of the collection, so they cost what the tenant holds, not what
the install holds — while a server keeps one shared collection with a tenant payload index
(`is_tenant`) and per-tenant HNSW graphs, Qdrant's own multitenancy layout.

A point is one chunk of one record; its id is derived from (tenant, kind, record id, chunk), so
re-indexing a record overwrites its points. Each point carries the version of the request that wrote
it: writes never overwrite a newer version, and removals only take older ones (see `service`).
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np
import structlog
from numpy.typing import NDArray
from qdrant_client import QdrantClient
from qdrant_client.http import models

from binelek.kit.settings import ConfigurationError, Settings

if TYPE_CHECKING:
    from binelek.kit.db import Database

log = structlog.get_logger(__name__)

DIMENSIONS = 384
SHARED_COLLECTION = "binelek_records"
TENANT_COLLECTION_PREFIX = "binelek_tenant_"
POINT_NAMESPACE = uuid.UUID("6f1c2a9e-5d4b-4c1e-9a57-3e0f8b2d7c41")
# Payload fields a search answers with (the chunk text is the snippet's source).
HIT_FIELDS = ["kind", "entity_id", "title", "url", "text", "chunk"]
SERVER_WORKERS = 4
MAX_CHUNKS = 128  # a record's chunk ids are 0..127, so its points can be found without a filter


def check_chunks(chunks: Sequence[str], vectors: NDArray[np.float32]) -> None:
    """What every store requires of an upsert: one vector per chunk, within the chunk ids a record has."""
    if len(chunks) != len(vectors) or len(chunks) > MAX_CHUNKS:
        raise ValueError(f"one vector per chunk, at most {MAX_CHUNKS} chunks")


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ChunkHit:
    kind: str
    entity_id: str
    title: str
    url: str
    text: str
    chunk: int
    score: float


def point_id(tenant_id: uuid.UUID, kind: str, entity_id: str, chunk: int) -> str:
    return str(uuid.uuid5(POINT_NAMESPACE, f"{tenant_id}/{kind}/{entity_id}/{chunk}"))


def tenant_filter(tenant_id: uuid.UUID, *conditions: models.Condition) -> models.Filter:
    """`conditions` and tenant_id = `tenant_id`. The tenant condition goes last: local mode checks
    conditions in order per point and stops at the first miss, and in its per-tenant collections the
    tenant condition always holds, so a narrower condition first saves a check on most points."""
    tenant = models.FieldCondition(key="tenant_id", match=models.MatchValue(value=str(tenant_id)))
    return models.Filter(must=[*conditions, tenant])


class VectorIndex(Protocol):
    """What search, its jobs and tenant deletion need of a vector store (Qdrant or the database)."""

    def collection_for(self, tenant_id: uuid.UUID) -> str: ...

    async def upsert_record(
        self,
        tenant_id: uuid.UUID,
        kind: str,
        entity_id: str,
        *,
        version: int,
        title: str,
        url: str,
        chunks: Sequence[str],
        vectors: NDArray[np.float32],
    ) -> None: ...

    async def delete_record(
        self, tenant_id: uuid.UUID, kind: str, entity_id: str, *, below_version: int
    ) -> None: ...

    async def delete_tenant(self, tenant_id: uuid.UUID) -> None: ...

    async def query(
        self,
        tenant_id: uuid.UUID,
        vector: NDArray[np.float32],
        *,
        kinds: Sequence[str] | None,
        limit: int,
        min_score: float | None = None,
    ) -> list[ChunkHit]: ...

    async def count(self, tenant_id: uuid.UUID) -> int: ...

    async def close(self) -> None: ...


def vector_store_kind(settings: Settings) -> str:
    """VECTOR_STORE if set; else a Qdrant server if QDRANT_URL is set, else the database in
    production (several processes share it), else Qdrant's local mode (embedded, one process)."""
    if settings.vector_store is not None:
        return settings.vector_store
    if settings.qdrant_url:
        return "qdrant"
    return "database" if settings.database_url else "local"


def open_vector_store(settings: Settings, db: Database) -> VectorIndex:
    kind = vector_store_kind(settings)
    if kind == "qdrant" and not settings.qdrant_url:
        raise ConfigurationError("VECTOR_STORE=qdrant needs QDRANT_URL")
    if kind == "database":
        from binelek.search.sql_vectors import SqlVectorStore

        return SqlVectorStore(db, cache_bytes=settings.vector_cache_mb * 2**20)
    if kind == "local":
        return VectorStore(path=settings.binelek_data_dir / "qdrant")
    return VectorStore.from_settings(settings)


class VectorStore:
    """One per process (local mode allows one client per directory); opened on first use, so a
    process that never searches or indexes never takes the directory's lock."""

    def __init__(self, *, path: Path | None = None, url: str | None = None, api_key: str | None = None):
        if (path is None) == (url is None):
            raise ValueError("give the vector store either a local path or a server url")
        self.path = path
        self.url = url
        self._api_key = api_key
        self.local = path is not None
        # Local mode is not thread-safe (in-memory arrays plus a SQLite file): one thread serialises it.
        self._executor = ThreadPoolExecutor(
            max_workers=1 if self.local else SERVER_WORKERS, thread_name_prefix="qdrant"
        )
        self._open_lock = threading.Lock()
        self._client: QdrantClient | None = None
        self._collections: set[str] = set()
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Settings) -> VectorStore:
        if settings.qdrant_url:
            api_key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
            return cls(url=settings.qdrant_url, api_key=api_key)
        return cls(path=settings.binelek_data_dir / "qdrant")

    # -- layout -------------------------------------------------------------------------------

    def collection_for(self, tenant_id: uuid.UUID) -> str:
        return f"{TENANT_COLLECTION_PREFIX}{tenant_id.hex}" if self.local else SHARED_COLLECTION

    # -- plumbing -----------------------------------------------------------------------------

    async def _run(self, call: Callable[[QdrantClient], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: call(self._open()))

    def _open(self) -> QdrantClient:
        with self._open_lock:
            if self._client is None:
                if self.path is not None:
                    self.path.mkdir(parents=True, exist_ok=True)
                    self._client = QdrantClient(path=str(self.path))
                else:
                    self._client = QdrantClient(url=self.url, api_key=self._api_key)
            return self._client

    def _exists(self, client: QdrantClient, collection: str) -> bool:
        if collection in self._collections:
            return True
        if client.collection_exists(collection):
            self._collections.add(collection)
            return True
        return False

    def _ensure_collection(self, client: QdrantClient, collection: str) -> None:
        if self._exists(client, collection):
            return
        if self.local:
            client.create_collection(
                collection,
                vectors_config=models.VectorParams(size=DIMENSIONS, distance=models.Distance.COSINE),
            )
        else:
            self._create_shared_collection(client, collection)
        self._collections.add(collection)

    @staticmethod
    def _create_shared_collection(client: QdrantClient, collection: str) -> None:
        """Qdrant's multitenancy layout: a tenant index, and HNSW graphs built per tenant (payload_m)
        instead of one global graph (m=0), since every search is filtered to one tenant."""
        try:
            client.create_collection(
                collection,
                vectors_config=models.VectorParams(size=DIMENSIONS, distance=models.Distance.COSINE),
                hnsw_config=models.HnswConfigDiff(payload_m=16, m=0),
            )
        except Exception:
            # Another process created it first; anything else shows up on the next call.
            if not client.collection_exists(collection):
                raise
        client.create_payload_index(
            collection,
            "tenant_id",
            field_schema=models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, is_tenant=True),
        )
        for field in ("kind", "entity_id"):
            client.create_payload_index(collection, field, field_schema=models.PayloadSchemaType.KEYWORD)
        client.create_payload_index(collection, "version", field_schema=models.PayloadSchemaType.INTEGER)

    # -- writes -------------------------------------------------------------------------------

    async def upsert_record(
        self,
        tenant_id: uuid.UUID,
        kind: str,
        entity_id: str,
        *,
        version: int,
        title: str,
        url: str,
        chunks: Sequence[str],
        vectors: NDArray[np.float32],
    ) -> None:
        """Write a record's chunks at `version`, never over a newer version's points, then drop the
        chunks an older version had beyond the new count."""
        check_chunks(chunks, vectors)
        collection = self.collection_for(tenant_id)
        points = [
            models.PointStruct(
                id=point_id(tenant_id, kind, entity_id, index),
                vector=vector.tolist(),
                payload={
                    "tenant_id": str(tenant_id),
                    "kind": kind,
                    "entity_id": entity_id,
                    "chunk": index,
                    "version": version,
                    "title": title,
                    "url": url,
                    "text": text,
                },
            )
            for index, (text, vector) in enumerate(zip(chunks, vectors, strict=True))
        ]
        older = models.Filter(must=[models.FieldCondition(key="version", range=models.Range(lt=version))])
        tail = [point_id(tenant_id, kind, entity_id, index) for index in range(len(points), MAX_CHUNKS)]

        def write(client: QdrantClient) -> None:
            self._ensure_collection(client, collection)
            if points:
                client.upsert(collection, points, update_filter=older)
            if tail:
                self._delete_older(client, collection, tenant_id, tail, version)

        await self._run(write)

    async def delete_record(
        self, tenant_id: uuid.UUID, kind: str, entity_id: str, *, below_version: int
    ) -> None:
        """Remove a record's points written before `below_version`."""
        collection = self.collection_for(tenant_id)
        ids = [point_id(tenant_id, kind, entity_id, index) for index in range(MAX_CHUNKS)]

        def delete(client: QdrantClient) -> None:
            if self._exists(client, collection):
                self._delete_older(client, collection, tenant_id, ids, below_version)

        await self._run(delete)

    def _delete_older(
        self, client: QdrantClient, collection: str, tenant_id: uuid.UUID, ids: list[str], below_version: int
    ) -> None:
        """Delete those of `ids` (one record's chunk ids) written before `below_version`."""
        if not self.local:
            older = models.FieldCondition(key="version", range=models.Range(lt=below_version))
            selector = models.FilterSelector(
                filter=tenant_filter(tenant_id, models.HasIdCondition(has_id=ids), older)
            )
            client.delete(collection, selector)
            return
        # Local mode evaluates any filter in Python over every point of the collection (~10 µs a
        # point). The record's ids are known, and this store's one thread is the only writer, so
        # reading then deleting by id is as atomic as the server's filtered delete, at O(chunks).
        records = client.retrieve(collection, ids, with_payload=["tenant_id", "version"])
        stale = [
            record.id
            for record in records
            if (record.payload or {}).get("tenant_id") == str(tenant_id)
            and int((record.payload or {}).get("version", 0)) < below_version
        ]
        if stale:
            client.delete(collection, models.PointIdsList(points=stale))

    async def delete_tenant(self, tenant_id: uuid.UUID) -> None:
        collection = self.collection_for(tenant_id)

        def delete(client: QdrantClient) -> None:
            if not self._exists(client, collection):
                return
            if self.local:
                client.delete_collection(collection)
                self._collections.discard(collection)
            else:
                client.delete(collection, models.FilterSelector(filter=tenant_filter(tenant_id)))

        await self._run(delete)

    # -- reads --------------------------------------------------------------------------------

    async def query(
        self,
        tenant_id: uuid.UUID,
        vector: NDArray[np.float32],
        *,
        kinds: Sequence[str] | None,
        limit: int,
        min_score: float | None = None,
    ) -> list[ChunkHit]:
        """The best chunks of this tenant's records, best first."""
        collection = self.collection_for(tenant_id)
        conditions: list[models.Condition] = []
        if kinds is not None:
            conditions.append(models.FieldCondition(key="kind", match=models.MatchAny(any=list(kinds))))
        query_filter = tenant_filter(tenant_id, *conditions)

        def search(client: QdrantClient) -> list[models.ScoredPoint]:
            if not self._exists(client, collection):
                return []
            response = client.query_points(
                collection,
                query=vector.tolist(),
                query_filter=query_filter,
                limit=limit,
                with_payload=HIT_FIELDS,
                score_threshold=min_score,
            )
            return response.points

        return [_hit(point) for point in await self._run(search)]

    async def count(self, tenant_id: uuid.UUID) -> int:
        collection = self.collection_for(tenant_id)

        def count(client: QdrantClient) -> int:
            if not self._exists(client, collection):
                return 0
            return client.count(collection, count_filter=tenant_filter(tenant_id), exact=True).count

        return await self._run(count)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True

        def close() -> None:
            with self._open_lock:
                if self._client is not None:
                    self._client.close()
                    self._client = None
                self._collections.clear()

        await asyncio.get_running_loop().run_in_executor(self._executor, close)
        self._executor.shutdown(wait=True)


def _hit(point: models.ScoredPoint) -> ChunkHit:
    payload: dict[str, Any] = point.payload or {}
    return ChunkHit(
        kind=str(payload.get("kind", "")),
        entity_id=str(payload.get("entity_id", "")),
        title=str(payload.get("title", "")),
        url=str(payload.get("url", "")),
        text=str(payload.get("text", "")),
        chunk=int(payload.get("chunk", 0)),
        score=float(point.score),
    )
