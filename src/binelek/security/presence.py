"""When devices were last seen, written behind: an unchanged check-in marks its device in memory and a
task writes every marked device in one transaction each second.

Presence is the one thing a steady fleet changes at every check-in; a write (and on SQLite a write
lock) per check-in would make it the most expensive part of the hottest endpoint. A crash loses at
most the last second of "last seen" times, never a finding, issue or package.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import datetime

import structlog
from sqlalchemy import bindparam, update

from binelek.kit.db import Database
from binelek.kit.state import AppState
from binelek.security.models import SecurityDevice

log = structlog.get_logger(__name__)
FLUSH_SECONDS = 1.0
EXTRAS_KEY = "security.presence"


class PresenceBuffer:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._pending: dict[tuple[uuid.UUID, uuid.UUID], datetime] = {}
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def of(cls, state: AppState) -> PresenceBuffer:
        buffer = state.extras.get(EXTRAS_KEY)
        if buffer is None:
            buffer = state.extras[EXTRAS_KEY] = cls(state.db)
        return buffer

    def mark(self, tenant_id: uuid.UUID, device_id: uuid.UUID, seen_at: datetime) -> None:
        self._pending[(tenant_id, device_id)] = seen_at
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="security-presence")

    async def _run(self) -> None:
        while self._pending:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                await self.flush()
            except Exception:  # the database is away for a moment: keep the marks, try again
                log.warning("security_presence_flush_failed", exc_info=True)

    async def flush(self) -> int:
        batch, self._pending = self._pending, {}
        if not batch:
            return 0
        rows = [
            {"t": tenant_id, "d": device_id, "seen": seen_at}
            for (tenant_id, device_id), seen_at in batch.items()
        ]
        try:
            async with self._db.engine.begin() as connection:
                await connection.execute(
                    update(SecurityDevice)
                    .where(SecurityDevice.tenant_id == bindparam("t"), SecurityDevice.id == bindparam("d"))
                    .values(last_seen_at=bindparam("seen"))
                    .execution_options(synchronize_session=False),
                    rows,
                )
        except Exception:
            for key, seen_at in batch.items():  # newer marks made meanwhile win
                self._pending.setdefault(key, seen_at)
            raise
        return len(rows)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self.flush()
