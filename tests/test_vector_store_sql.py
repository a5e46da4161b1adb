"""The database vector store (search/sql_vectors.py): several processes share it through the database
and see each other's writes at once, and it answers like the Qdrant store — the conformance cases
below run against both (Qdrant local mode, and the database of this run: SQLite or PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from binelek.kit.db import Database
from binelek.kit.settings import ConfigurationError, Settings
from binelek.search.sql_vectors import SqlVectorStore
from binelek.search.vectors import DIMENSIONS, VectorIndex, VectorStore, open_vector_store, vector_store_kind
from tests.conftest import register

KINDS = ("document", "task", "customer")


def unit(rng: np.random.Generator, count: int) -> NDArray[np.float32]:
    vectors = rng.standard_normal((count, DIMENSIONS)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


async def new_tenant(client) -> uuid.UUID:
    return uuid.UUID((await register(client, company="Vector Co")).tenant_id)


async def write(
    store: VectorIndex,
    tenant: uuid.UUID,
    kind: str,
    entity: str,
    vectors: NDArray[np.float32],
    version: int = 1,
) -> None:
    await store.upsert_record(
        tenant,
        kind,
        entity,
        version=version,
        title=f"{entity} v{version}",
        url=f"/{kind}/{entity}",
        chunks=[f"{entity} chunk {index}" for index in range(len(vectors))],
        vectors=vectors,
    )


@pytest.fixture(params=["local", "database"])
async def store(request, state, tmp_path: Path) -> AsyncIterator[VectorIndex]:
    implementation: VectorIndex
    if request.param == "local":
        implementation = VectorStore(path=tmp_path / "qdrant")
    else:
        implementation = SqlVectorStore(state.db)
    try:
        yield implementation
    finally:
        await implementation.close()


# -- several processes on one database -------------------------------------------------------------


async def test_a_write_in_one_process_is_searched_in_another_at_once(client, state, settings):
    """Two stores with their own engines and caches: the "worker" writes, the "API process" (whose
    cache already holds the tenant) finds every change on its very next query."""
    worker_db, api_db = Database(settings.sqlalchemy_url), Database(settings.sqlalchemy_url)
    worker, api = SqlVectorStore(worker_db), SqlVectorStore(api_db)
    tenant = await new_tenant(client)
    rng = np.random.default_rng(7)
    first, second = unit(rng, 1), unit(rng, 2)
    try:
        await write(worker, tenant, "document", "first", first)
        assert [hit.entity_id for hit in await api.query(tenant, first[0], kinds=None, limit=5)] == ["first"]

        await write(worker, tenant, "document", "second", second)
        hits = await api.query(tenant, second[1], kinds=None, limit=5)
        assert (hits[0].entity_id, hits[0].chunk) == ("second", 1)
        assert hits[0].score == pytest.approx(1.0, abs=1e-5)
        assert await api.count(tenant) == 3

        # A newer version that moves the record elsewhere: the old vector no longer leads.
        moved = unit(rng, 1)
        await write(worker, tenant, "document", "first", moved, version=2)
        [best] = await api.query(tenant, moved[0], kinds=None, limit=1)
        assert (best.entity_id, best.title) == ("first", "first v2")
        assert all(hit.score < 0.5 for hit in await api.query(tenant, first[0], kinds=["document"], limit=5))

        await worker.delete_record(tenant, "document", "second", below_version=2)
        assert {hit.entity_id for hit in await api.query(tenant, second[1], kinds=None, limit=5)} == {"first"}
        await worker.delete_tenant(tenant)
        assert await api.query(tenant, moved[0], kinds=None, limit=5) == []
        assert await api.count(tenant) == 0
    finally:
        await worker.close()
        await api.close()
        await worker_db.dispose()
        await api_db.dispose()


async def test_the_cache_is_reused_until_a_write(client, state):
    store = SqlVectorStore(state.db)
    tenant = await new_tenant(client)
    vectors = unit(np.random.default_rng(3), 4)
    await write(store, tenant, "task", "cached", vectors)
    await store.query(tenant, vectors[0], kinds=None, limit=1)
    cached = store._cache[tenant]
    await store.query(tenant, vectors[1], kinds=None, limit=1)
    assert store._cache[tenant] is cached  # same generation: no reload
    await write(store, tenant, "task", "other", vectors[:1])
    await store.query(tenant, vectors[1], kinds=None, limit=1)
    assert store._cache[tenant] is not cached and len(store._cache[tenant].ids) == 5


async def test_the_cache_stays_within_its_budget(client, state):
    store = SqlVectorStore(state.db, cache_bytes=1)  # room for the last tenant searched only
    rng = np.random.default_rng(5)
    tenants = [await new_tenant(client), await new_tenant(client)]
    for tenant in tenants:
        await write(store, tenant, "task", "t", unit(rng, 2))
        assert len(await store.query(tenant, unit(rng, 1)[0], kinds=None, limit=5)) == 2
    assert list(store._cache) == [tenants[1]]


async def test_a_write_for_a_deleted_tenant_is_dropped(state):
    store = SqlVectorStore(state.db)
    ghost = uuid.uuid4()
    await write(store, ghost, "task", "late", unit(np.random.default_rng(1), 1))
    assert await store.count(ghost) == 0


# -- conformance: the same answers from Qdrant and from the database -------------------------------


async def test_tenants_never_see_each_other(client, store):
    alice, bob = await new_tenant(client), await new_tenant(client)
    vectors = unit(np.random.default_rng(11), 3)
    await write(store, alice, "document", "shared-id", vectors)
    await write(store, bob, "document", "bobs", vectors[:1])
    assert {hit.entity_id for hit in await store.query(alice, vectors[0], kinds=None, limit=10)} == {
        "shared-id"
    }
    assert [hit.entity_id for hit in await store.query(bob, vectors[0], kinds=None, limit=10)] == ["bobs"]
    assert (await store.count(alice), await store.count(bob)) == (3, 1)
    await store.delete_tenant(alice)
    assert (await store.count(alice), await store.count(bob)) == (0, 1)
    assert await store.query(alice, vectors[0], kinds=None, limit=10) == []


async def test_versions_and_removals(client, store):
    tenant = await new_tenant(client)
    rng = np.random.default_rng(13)
    await write(store, tenant, "task", "rec", unit(rng, 1), version=5)
    await write(store, tenant, "task", "rec", unit(rng, 6), version=4)  # late and older
    hits = await store.query(tenant, unit(rng, 1)[0], kinds=None, limit=10)
    assert {hit.title for hit in hits if hit.chunk == 0} == {"rec v5"}
    assert await store.count(tenant) == 6
    await store.delete_record(tenant, "task", "rec", below_version=5)  # the older one's windows
    assert await store.count(tenant) == 1
    # A newer, shorter version drops the older version's extra windows.
    await write(store, tenant, "task", "long", unit(rng, 4), version=1)
    await write(store, tenant, "task", "long", unit(rng, 2), version=2)
    assert await store.count(tenant) == 3
    await store.delete_record(tenant, "task", "long", below_version=2)  # nothing older is left
    assert await store.count(tenant) == 3
    await store.delete_record(tenant, "task", "long", below_version=3)
    await store.delete_record(tenant, "task", "missing", below_version=3)
    assert await store.count(tenant) == 1
    await store.delete_tenant(tenant)
    await store.delete_tenant(tenant)  # again: nothing to do
    assert await store.count(tenant) == 0


# (kinds, min_score, limit): every kind, one, two with a threshold, none, a threshold nothing meets.
FILTER_CASES = [
    (None, None, 10),
    (["task"], None, 7),
    (["document", "customer"], 0.05, 25),
    ([], None, 5),
    (None, 0.9, 5),
]


async def test_ranking_and_filters_match_brute_force(client, store):
    tenant = await new_tenant(client)
    rng = np.random.default_rng(17)
    records = [(KINDS[index % 3], f"rec-{index}", unit(rng, 1 + index % 3)) for index in range(40)]
    for kind, entity, vectors in records:
        await write(store, tenant, kind, entity, vectors)
    query = unit(rng, 1)[0]

    for kinds, min_score, limit in FILTER_CASES:
        reference = sorted(
            (
                (float(vector @ query), kind, entity, chunk)
                for kind, entity, vectors in records
                for chunk, vector in enumerate(vectors)
                if (kinds is None or kind in kinds)
                and (min_score is None or float(vector @ query) >= min_score)
            ),
            reverse=True,
        )[:limit]
        # A query of any length: cosine similarity does not care.
        hits = await store.query(tenant, query * 3.0, kinds=kinds, limit=limit, min_score=min_score)
        case = (kinds, min_score, limit)
        assert [(hit.kind, hit.entity_id, hit.chunk) for hit in hits] == [row[1:] for row in reference], case
        assert [hit.score for hit in hits] == pytest.approx([row[0] for row in reference], abs=1e-5), case
        for hit in hits:
            assert (hit.title, hit.url, hit.text) == (
                f"{hit.entity_id} v1",
                f"/{hit.kind}/{hit.entity_id}",
                f"{hit.entity_id} chunk {hit.chunk}",
            )
        if min_score == 0.9 or kinds == []:
            assert hits == []


async def test_an_empty_tenant_has_nothing(client, store):
    tenant = await new_tenant(client)
    assert await store.query(tenant, unit(np.random.default_rng(1), 1)[0], kinds=None, limit=5) == []
    assert await store.count(tenant) == 0
    await store.delete_record(tenant, "task", "nothing", below_version=1)


# -- choosing the store ----------------------------------------------------------------------------


def test_the_store_follows_the_settings(tmp_path: Path):
    def kind(**values: object) -> str:
        return vector_store_kind(Settings(binelek_data_dir=tmp_path, **values))  # type: ignore[arg-type]

    assert kind() == "local"
    assert kind(database_url="postgresql://db/app") == "database"
    assert kind(database_url="postgresql://db/app", qdrant_url="http://qdrant:6333") == "qdrant"
    assert kind(qdrant_url="http://qdrant:6333") == "qdrant"
    assert kind(database_url="postgresql://db/app", vector_store="local") == "local"
    assert kind(vector_store="database") == "database"
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite'}")
    assert isinstance(open_vector_store(Settings(vector_store="database"), database), SqlVectorStore)
    assert isinstance(open_vector_store(Settings(binelek_data_dir=tmp_path), database), VectorStore)
    with pytest.raises(ConfigurationError):
        open_vector_store(Settings(vector_store="qdrant"), database)
