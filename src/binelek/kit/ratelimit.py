"""Rate limits with the `limits` library: in memory when embedded, in Redis when REDIS_URL is set,
so every process of a large install counts against the same windows."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import (
    MovingWindowRateLimiter,
    SlidingWindowCounterRateLimiter,
)
from limits.aio.strategies import (
    RateLimiter as Strategy,
)

from binelek.kit.errors import RateLimited
from binelek.kit.settings import Settings


def _redis_uri(url: str) -> str:
    return url if url.startswith("async+") else "async+" + url


class RateLimiter:
    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limits_enabled
        storage: Storage
        if settings.redis_url:
            storage = RedisStorage(
                _redis_uri(settings.redis_url),
                implementation="redispy",
                key_prefix=settings.redis_prefix + "ratelimit",
            )
        else:
            storage = MemoryStorage()
        self.storage = storage
        # Exact moving windows for the small auth limits; O(1) sliding-window counters for the
        # high-volume API limits (a moving window keeps one timestamp per request).
        exact, counting = MovingWindowRateLimiter(storage), SlidingWindowCounterRateLimiter(storage)
        self._strategies: dict[str, Strategy] = {"auth": exact, "api": counting, "ai": counting}
        self.limits: dict[str, RateLimitItem] = {
            "auth": parse(settings.rate_limit_auth),
            "api": parse(settings.rate_limit_api),
            "ai": parse(settings.rate_limit_ai),
        }

    async def check(self, kind: str, *identifiers: str) -> None:
        """Count one hit; raise RATE_LIMIT_EXCEEDED with Retry-After when over the limit."""
        if not self.enabled:
            return
        item, strategy = self.limits[kind], self._strategies[kind]
        if await strategy.hit(item, kind, *identifiers):
            return
        stats = await strategy.get_window_stats(item, kind, *identifiers)
        raise RateLimited(max(1, math.ceil(stats.reset_time - time.time())))

    async def reset(self) -> None:
        await self.storage.reset()
