"""The process-wide objects every request and job shares, hung on `app.state.binelek`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import Request
from redis.asyncio import Redis

from binelek.kit.cache import JsonCache
from binelek.kit.crypto import Encryptor
from binelek.kit.db import Database
from binelek.kit.ratelimit import RateLimiter
from binelek.kit.settings import Settings
from binelek.kit.tokens import TokenDenyList, TokenService

if TYPE_CHECKING:
    from binelek.kit.auth import PrincipalResolver
    from binelek.kit.jobs import JobEngine
    from binelek.kit.outbox import OutboxDispatcher
    from binelek.kit.streaming import EventStreamer
    from binelek.search.vectors import VectorIndex


@dataclass
class AppState:
    settings: Settings
    db: Database
    tokens: TokenService
    deny_list: TokenDenyList
    encryptor: Encryptor
    rate_limiter: RateLimiter
    cache: JsonCache
    redis: Redis | None = None
    jobs: JobEngine | None = None
    dispatcher: OutboxDispatcher | None = None
    event_stream: EventStreamer | None = None  # EVENT_STREAM_URL's broker, fed by the dispatcher
    principal_resolver: PrincipalResolver | None = None
    vectors: VectorIndex | None = None  # the search domain's vector store (Qdrant or the database)
    extras: dict[str, Any] = field(default_factory=dict)


def app_state(request: Request) -> AppState:
    return request.app.state.binelek  # type: ignore[no-any-return]


async def get_state(request: Request) -> AppState:
    """Dependency form. Async on purpose: FastAPI runs sync dependencies in a thread pool."""
    return app_state(request)
