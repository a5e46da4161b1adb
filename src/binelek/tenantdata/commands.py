"""What `binelek tenant export|delete` run: the same functions as the jobs, in the foreground, with
a progress bar."""

from __future__ import annotations

import uuid
from pathlib import Path

from redis.asyncio import Redis
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from binelek.kit.cache import JsonCache
from binelek.kit.db import Database
from binelek.kit.errors import ResourceNotFound
from binelek.kit.settings import Settings
from binelek.search.vectors import VectorStore
from binelek.tenantdata import archive, service

COLUMNS = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())


async def export(settings: Settings, reference: str, out: Path, console: Console) -> archive.ArchiveResult:
    db = Database(settings.sqlalchemy_url)
    try:
        tenant_id, name = await service.find_tenant(db, reference)
        with Progress(*COLUMNS, console=console, transient=True) as progress:
            task = progress.add_task(f"Exporting {name}", total=None)

            async def show(table: str, done: int, total: int) -> None:
                progress.update(task, description=f"Exporting {name}: {table}", completed=done, total=total)

            return await archive.write_archive(db, tenant_id, out, progress=show)
    finally:
        await db.dispose()


async def delete(settings: Settings, reference: str, console: Console) -> tuple[str, service.DeletionReport]:
    db = Database(settings.sqlalchemy_url)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    vectors = VectorStore.from_settings(settings)
    env = service.DeletionEnv(
        db=db,
        data_dir=settings.binelek_data_dir,
        vectors=vectors,
        cache=JsonCache(redis, settings.redis_prefix + "cache:", ttl_seconds=60),
        redis=redis,
        redis_prefix=settings.redis_prefix,
    )
    try:
        try:
            tenant_id, name = await service.find_tenant(db, reference)
        except ResourceNotFound:
            # A deletion that stopped after the tenant row went: given its id, finish the rest.
            if not _is_uuid(reference):
                raise
            tenant_id, name = uuid.UUID(reference), reference
        with Progress(*COLUMNS, console=console, transient=True) as progress:
            task = progress.add_task(f"Deleting {name}", total=None)

            async def show(table: str, done: int, total: int) -> None:
                progress.update(task, description=f"Deleting {name}: {table}", completed=done, total=total)

            return name, await service.delete_tenant(env, tenant_id, progress=show)
    finally:
        await vectors.close()
        await db.dispose()
        if redis is not None:
            await redis.aclose()


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
