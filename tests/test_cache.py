"""The shared cache behind the gateway's access lookups, in process and in Redis."""

from __future__ import annotations

import uuid

import pytest
from redis.asyncio import Redis

from binelek.kit.cache import JsonCache
from tests.conftest import REDIS_URL


@pytest.fixture(params=["memory", "redis"])
async def cache(request):
    if request.param == "memory":
        yield JsonCache(None, "t:", ttl_seconds=60, tombstone_seconds=1)
        return
    redis = Redis.from_url(REDIS_URL)
    yield JsonCache(redis, f"binelek-test-{uuid.uuid4().hex[:8]}:", ttl_seconds=60, tombstone_seconds=1)
    await redis.aclose()


async def test_set_get_and_invalidate(cache):
    assert await cache.get("k") is None
    await cache.set("k", {"role": "admin"})
    assert await cache.get("k") == {"role": "admin"}
    await cache.invalidate("k")
    assert await cache.get("k") is None


async def test_tombstone_refuses_stale_writes_then_expires(cache):
    import asyncio

    await cache.invalidate("k")
    await cache.set("k", {"role": "stale"})  # a request that read before the change committed
    assert await cache.get("k") is None
    await asyncio.sleep(1.1)
    await cache.set("k", {"role": "fresh"})
    assert await cache.get("k") == {"role": "fresh"}
