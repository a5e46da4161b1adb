"""A small cache of JSON-shaped values: in process when embedded, in Redis when REDIS_URL is set
(shared by every process, so an invalidation is seen everywhere).

`invalidate()` leaves a short-lived tombstone that refuses writes to the key, so a request that
read the database just before a change committed cannot put the old value back.
"""

from __future__ import annotations

import json
import time
from typing import Any

from redis.asyncio import Redis

TOMBSTONE = "\x00tombstone"
_TOMBSTONE_ENTRY = object()
# Atomic in Redis: an invalidation between the check and the write cannot be overwritten.
_SET_UNLESS_TOMBSTONE = """
if redis.call('GET', KEYS[1]) == ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
return 1
"""


class JsonCache:
    def __init__(
        self, redis: Redis | None, prefix: str, *, ttl_seconds: int, tombstone_seconds: int = 5
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl = ttl_seconds
        self._tombstone_ttl = tombstone_seconds
        # In-process entries keep the decoded value: no JSON round trip per read.
        self._local: dict[str, tuple[float, Any]] = {}

    async def get(self, key: str) -> Any | None:
        full_key = self._prefix + key
        if self._redis is not None:
            raw = await self._redis.get(full_key)
            if raw is None or raw == TOMBSTONE.encode():
                return None
            return json.loads(raw)
        entry = self._local.get(full_key)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del self._local[full_key]
            return None
        return None if entry[1] is _TOMBSTONE_ENTRY else entry[1]

    async def set(self, key: str, value: Any) -> None:
        """Store unless a recent invalidation left a tombstone."""
        full_key = self._prefix + key
        if self._redis is not None:
            raw = json.dumps(value, separators=(",", ":"))
            await self._redis.eval(_SET_UNLESS_TOMBSTONE, 1, full_key, raw, TOMBSTONE, self._ttl)
            return
        current = self._local.get(full_key)
        if current and current[1] is _TOMBSTONE_ENTRY and current[0] > time.monotonic():
            return
        self._local[full_key] = (time.monotonic() + self._ttl, value)
        if len(self._local) > 50_000:
            self._prune()

    async def invalidate(self, *keys: str) -> None:
        for key in keys:
            full_key = self._prefix + key
            if self._redis is not None:
                await self._redis.set(full_key, TOMBSTONE, ex=self._tombstone_ttl)
            else:
                self._local[full_key] = (time.monotonic() + self._tombstone_ttl, _TOMBSTONE_ENTRY)

    async def invalidate_matching(self, fragment: str) -> int:
        """Drop every entry whose key contains `fragment` (a deleted tenant's id); answers how many.
        No tombstones: nothing may legitimately write these keys again."""
        if self._redis is not None:
            match = f"{self._prefix}*{fragment}*"
            keys = [key async for key in self._redis.scan_iter(match=match, count=500)]
            return int(await self._redis.delete(*keys)) if keys else 0
        doomed = [key for key in self._local if fragment in key]
        for key in doomed:
            del self._local[key]
        return len(doomed)

    def _prune(self) -> None:
        now = time.monotonic()
        for key in [key for key, (expiry, _) in self._local.items() if expiry <= now]:
            del self._local[key]
