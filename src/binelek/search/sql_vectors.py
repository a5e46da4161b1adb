"""The vector store in the application database, for installs of several processes without Qdrant.

Qdrant's local mode is a directory one process may open; a production install (API processes that
search, workers that index, one PostgreSQL) has no such directory to share, and PostgreSQL here has
no pgvector. So chunks live in `vector_chunks` (the vector as unit-length float32 bytes) and a search
is exact cosine similarity in numpy over the tenant's vectors — a few milliseconds for the tens of
thousands of chunks an SMB tenant holds (docs/decisions.md).

Each process caches a tenant's matrix (point ids, kinds, vectors) keyed by the tenant's generation
token (`vector_generations`), which every write replaces in the same transaction as its chunks. A
search reads the token first, then reuses the matrix only if the token is unchanged, so a write
committed by any process is seen by the next search of every process; only the top hits' payloads
(title, url, text) are read, by id, after scoring.

Same contract as the Qdrant store (`vectors.VectorStore`): deterministic point ids, and a write at
version v never replaces a chunk of a newer version; removals only take older versions.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import structlog
from numpy.typing import NDArray
from sqlalchemy import Delete, Table, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.kit.db import Database, utcnow
from binelek.search.models import VectorChunk, VectorGeneration
from binelek.search.vectors import DIMENSIONS, ChunkHit, check_chunks, point_id

log = structlog.get_logger(__name__)

TABLE = "vector_chunks"
DEFAULT_CACHE_BYTES = 256 * 2**20
# Below this many vectors scoring takes microseconds: a thread hop would cost more than it saves.
THREAD_MIN_VECTORS = 4096


def _table(model: type[VectorChunk] | type[VectorGeneration]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


@dataclass(frozen=True, slots=True)
class TenantMatrix:
    """One tenant's vectors as of generation `token`."""

    token: uuid.UUID
    ids: list[uuid.UUID]
    kinds: NDArray[np.str_]
    vectors: NDArray[np.float32]  # (n, DIMENSIONS), rows of unit length

    @property
    def nbytes(self) -> int:
        return int(self.vectors.nbytes + self.kinds.nbytes + 64 * len(self.ids))


def unit_rows(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    """Rows scaled to unit length (cosine similarity becomes a dot product); zero rows stay zero."""
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    scaled: NDArray[np.float32] = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    return scaled


def top_matches(
    matrix: TenantMatrix,
    query: NDArray[np.float32],
    kinds: Sequence[str] | None,
    limit: int,
    min_score: float | None,
) -> list[tuple[int, float]]:
    """(row, score) of the best `limit` rows, best first; ties keep row order (stable)."""
    scores = matrix.vectors @ unit_rows(query.reshape(1, -1))[0]
    candidates = np.arange(len(scores))
    if kinds is not None:
        candidates = candidates[np.isin(matrix.kinds, list(kinds))]
    if min_score is not None:
        candidates = candidates[scores[candidates] >= min_score]
    if len(candidates) > limit:
        # Partition first: sorting all n scores costs O(n log n) for the few that are shown.
        chosen = np.argpartition(-scores[candidates], limit - 1)[:limit]
        candidates = candidates[chosen]
    order = candidates[np.argsort(-scores[candidates], kind="stable")]
    return [(int(row), float(scores[row])) for row in order]


class SqlVectorStore:
    """Thread-free and process-safe: everything it shares with other processes is in the database;
    what it keeps in memory is a cache validated against the database on every search."""

    local = False

    def __init__(self, db: Database, *, cache_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.db = db
        self.cache_bytes = cache_bytes
        self._cache: OrderedDict[uuid.UUID, TenantMatrix] = OrderedDict()
        self._cached_bytes = 0

    def collection_for(self, tenant_id: uuid.UUID) -> str:
        return TABLE

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
        """Write a record's chunks at `version`, never over a newer version's, then drop the chunks
        an older version had beyond the new count."""
        check_chunks(chunks, vectors)
        matrix = unit_rows(vectors)
        if len(chunks) and matrix.shape[1] != DIMENSIONS:
            raise ValueError(f"vectors have {DIMENSIONS} dimensions")
        now = utcnow()
        rows = [
            {
                "id": uuid.UUID(point_id(tenant_id, kind, entity_id, index)),
                "tenant_id": tenant_id,
                "kind": kind,
                "entity_id": entity_id,
                "chunk": index,
                "version": version,
                "title": title,
                "url": url,
                "text": text,
                "vector": matrix[index].tobytes(),
                "created_at": now,
                "updated_at": now,
            }
            for index, text in enumerate(chunks)
        ]
        chunks_table = _table(VectorChunk)
        try:
            async with self.db.session(tenant_id=tenant_id) as session:
                # First, so one tenant's writers queue on its generation row instead of deadlocking
                # over each other's chunk rows.
                await self._renew_generation(session, tenant_id, create=True)
                if rows:
                    insert = _insert(session)(chunks_table).values(rows)
                    await session.execute(
                        insert.on_conflict_do_update(
                            index_elements=[chunks_table.c.id],
                            set_={
                                name: insert.excluded[name]
                                for name in ("version", "title", "url", "text", "vector", "updated_at")
                            },
                            where=chunks_table.c.version < insert.excluded.version,
                        )
                    )
                await session.execute(
                    self._record_chunks(tenant_id, kind, entity_id, below_version=version).where(
                        chunks_table.c.chunk >= len(rows)
                    )
                )
        except IntegrityError:
            # The only foreign key is the tenant's: it was deleted while this record was embedded,
            # and its data with it. Nothing is left to index into.
            log.warning("vector_write_for_missing_tenant", tenant_id=str(tenant_id), kind=kind)

    async def delete_record(
        self, tenant_id: uuid.UUID, kind: str, entity_id: str, *, below_version: int
    ) -> None:
        """Remove a record's chunks written before `below_version`."""
        async with self.db.session(tenant_id=tenant_id) as session:
            await self._renew_generation(session, tenant_id, create=False)
            await session.execute(
                self._record_chunks(tenant_id, kind, entity_id, below_version=below_version)
            )

    async def delete_tenant(self, tenant_id: uuid.UUID) -> None:
        async with self.db.session(tenant_id=tenant_id) as session:
            await self._renew_generation(session, tenant_id, create=False)
            await session.execute(delete(_table(VectorChunk)).where(VectorChunk.tenant_id == tenant_id))
        self._forget(tenant_id)

    @staticmethod
    def _record_chunks(tenant_id: uuid.UUID, kind: str, entity_id: str, *, below_version: int) -> Delete:
        chunks = _table(VectorChunk)
        return delete(chunks).where(
            chunks.c.tenant_id == tenant_id,
            chunks.c.kind == kind,
            chunks.c.entity_id == entity_id,
            chunks.c.version < below_version,
        )

    @staticmethod
    async def _renew_generation(session: AsyncSession, tenant_id: uuid.UUID, *, create: bool) -> None:
        """A new generation token for the tenant, committed with the write. Removals only update an
        existing row: without one the tenant has no chunks, so nothing cached can be stale (and a
        deleted tenant's row cannot be inserted)."""
        generations = _table(VectorGeneration)
        token, now = uuid.uuid4(), utcnow()
        if not create:
            await session.execute(
                update(generations)
                .where(generations.c.tenant_id == tenant_id)
                .values(token=token, updated_at=now)
            )
            return
        insert = _insert(session)(generations).values(
            id=uuid.uuid4(), tenant_id=tenant_id, token=token, updated_at=now
        )
        await session.execute(
            insert.on_conflict_do_update(
                index_elements=[generations.c.tenant_id], set_={"token": token, "updated_at": now}
            )
        )

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
        if limit <= 0 or (kinds is not None and not kinds):
            return []
        async with self.db.session(tenant_id=tenant_id) as session:
            matrix = await self._matrix(session, tenant_id)
            if matrix is None or not matrix.ids:
                return []
            if len(matrix.ids) >= THREAD_MIN_VECTORS:
                best = await asyncio.to_thread(top_matches, matrix, vector, kinds, limit, min_score)
            else:
                best = top_matches(matrix, vector, kinds, limit, min_score)
            if not best:
                return []
            ids = [matrix.ids[row] for row, _ in best]
            chunks = _table(VectorChunk)
            result = await session.execute(
                select(
                    chunks.c.id,
                    chunks.c.kind,
                    chunks.c.entity_id,
                    chunks.c.title,
                    chunks.c.url,
                    chunks.c.text,
                    chunks.c.chunk,
                ).where(chunks.c.tenant_id == tenant_id, chunks.c.id.in_(ids))
            )
            payloads = {row.id: row for row in result}
        hits = []
        for (_row, score), chunk_id in zip(best, ids, strict=True):
            payload = payloads.get(chunk_id)
            if payload is None:  # removed by a write that committed after this search began
                continue
            hits.append(
                ChunkHit(
                    kind=payload.kind,
                    entity_id=payload.entity_id,
                    title=payload.title,
                    url=payload.url,
                    text=payload.text,
                    chunk=payload.chunk,
                    score=score,
                )
            )
        return hits

    async def count(self, tenant_id: uuid.UUID) -> int:
        async with self.db.session(tenant_id=tenant_id) as session:
            total = await session.scalar(
                select(func.count())
                .select_from(_table(VectorChunk))
                .where(VectorChunk.tenant_id == tenant_id)
            )
        return int(total or 0)

    async def close(self) -> None:
        """The database belongs to the app; only the cache is this store's."""
        self._cache.clear()
        self._cached_bytes = 0

    # -- the per-process cache ----------------------------------------------------------------

    async def _matrix(self, session: AsyncSession, tenant_id: uuid.UUID) -> TenantMatrix | None:
        """The tenant's matrix, current as of this call: the token is read before the vectors, so a
        matrix is never labelled with a token newer than its contents (a write landing in between
        only costs one extra reload)."""
        generations = _table(VectorGeneration)
        token = await session.scalar(select(generations.c.token).where(generations.c.tenant_id == tenant_id))
        cached = self._cache.get(tenant_id)
        if token is not None and cached is not None and cached.token == token:
            self._cache.move_to_end(tenant_id)
            return cached
        chunks = _table(VectorChunk)
        result = await session.execute(
            select(chunks.c.id, chunks.c.kind, chunks.c.vector).where(chunks.c.tenant_id == tenant_id)
        )
        rows = result.all()
        if not rows:
            self._forget(tenant_id)
            return None
        matrix = TenantMatrix(
            token=token or uuid.UUID(int=0),
            ids=[row.id for row in rows],
            kinds=np.array([row.kind for row in rows], dtype=np.str_),
            vectors=np.frombuffer(b"".join(row.vector for row in rows), dtype=np.float32).reshape(
                len(rows), DIMENSIONS
            ),
        )
        # Without a generation row (its tenant's rows being deleted) there is nothing to validate a
        # cached copy against: use this one once, keep none.
        if token is not None:
            self._remember(tenant_id, matrix)
        return matrix

    def _remember(self, tenant_id: uuid.UUID, matrix: TenantMatrix) -> None:
        self._forget(tenant_id)
        self._cache[tenant_id] = matrix
        self._cached_bytes += matrix.nbytes
        while self._cached_bytes > self.cache_bytes and len(self._cache) > 1:
            _, evicted = self._cache.popitem(last=False)
            self._cached_bytes -= evicted.nbytes

    def _forget(self, tenant_id: uuid.UUID) -> None:
        old = self._cache.pop(tenant_id, None)
        if old is not None:
            self._cached_bytes -= old.nbytes


def _insert(session: AsyncSession) -> Callable[[Table], postgresql.Insert | sqlite.Insert]:
    """The dialect's INSERT, for ON CONFLICT (PostgreSQL and SQLite share the clause)."""
    return postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
