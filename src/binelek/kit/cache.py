"""A small JSON cache: in process when embedded, in Redis when REDIS_URL is set (shared by every
process, so an invalidation is seen everywhere).

`invalidate()` leaves a short-lived tombstone that refuses writes to the key, so a request that
read the database just before a change committed cannot put the old value back.
"""

from __future__ import annotations

import json
import time
from typing import Any

from redis.asyncio import Redis

TOMBSTONE = "\x00tombstone"
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
        self._local: dict[str, tuple[float, str]] = {}

    async def get(self, key: str) -> Any | None:
        raw = await self._get_raw(self._prefix + key)
        if raw is None or raw == TOMBSTONE:
            return None
        return json.loads(raw)

    async def set(self, key: str, value: Any) -> None:
        """Store unless a recent invalidation left a tombstone."""
        full_key, raw = self._prefix + key, json.dumps(value, separators=(",", ":"))
        if self._redis is not None:
            await self._redis.eval(_SET_UNLESS_TOMBSTONE, 1, full_key, raw, TOMBSTONE, self._ttl)
            return
        current = self._local.get(full_key)
        if current and current[1] == TOMBSTONE and current[0] > time.monotonic():
            return
        self._local[full_key] = (time.monotonic() + self._ttl, raw)
        if len(self._local) > 50_000:
            self._prune()

    async def invalidate(self, *keys: str) -> None:
        for key in keys:
            full_key = self._prefix + key
            if self._redis is not None:
                await self._redis.set(full_key, TOMBSTONE, ex=self._tombstone_ttl)
            else:
                self._local[full_key] = (time.monotonic() + self._tombstone_ttl, TOMBSTONE)

    async def _get_raw(self, full_key: str) -> str | None:
        if self._redis is not None:
            value = await self._redis.get(full_key)
            return value.decode() if isinstance(value, bytes) else value
        entry = self._local.get(full_key)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del self._local[full_key]
            return None
        return entry[1]

    def _prune(self) -> None:
        now = time.monotonic()
        for key in [key for key, (expiry, _) in self._local.items() if expiry <= now]:
            del self._local[key]
