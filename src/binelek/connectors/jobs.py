"""Connectors' background work: file imports and provider syncs as durable DBOS workflows.

A sync is one workflow of steps — start, one step per stream, finish. DBOS records each finished
step, so a process killed mid-sync resumes the workflow on restart: finished streams are skipped
and the interrupted one continues from the checkpoint its last written page stored.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import structlog
from dbos import DBOS, SetEnqueueOptions, SetWorkflowID

from binelek.connectors import runs, service, sync
from binelek.kit.crypto import Encryptor
from binelek.kit.db import Database
from binelek.kit.jobs import (
    QueueSpec,
    ScheduleSpec,
    declare_queue,
    declare_schedule,
    get_queue,
    process_object,
)
from binelek.kit.settings import Settings

log = structlog.get_logger(__name__)

# Imports are heavy writers: two at a time per process keeps the API responsive.
IMPORT_QUEUE = declare_queue(QueueSpec(name="connectors.import", worker_concurrency=2))
# Partitioned by connection: one sync per connection at a time, several connections in parallel.
SYNC_QUEUE = declare_queue(
    QueueSpec(name="connectors.sync", worker_concurrency=4, partition_concurrency=1, polling_interval_sec=0.5)
)


@DBOS.step()
async def process_file_import(tenant_id: str, import_id: str) -> str:
    db: Database = process_object("db")
    return await service.process_file_import(db, uuid.UUID(tenant_id), uuid.UUID(import_id))


@DBOS.workflow()
async def run_file_import(tenant_id: str, import_id: str) -> str:
    status = await process_file_import(tenant_id, import_id)
    log.info("file_import_finished", import_id=import_id, status=status)
    return status


async def enqueue_file_import(tenant_id: uuid.UUID, import_id: uuid.UUID) -> None:
    """Start the import once its record has committed; the workflow id makes a second start a no-op."""
    with SetWorkflowID(f"file-import-{import_id}"):
        await get_queue(IMPORT_QUEUE.name).enqueue_async(run_file_import, str(tenant_id), str(import_id))


def _env() -> sync.SyncEnv:
    db: Database = process_object("db")
    settings: Settings = process_object("settings")
    encryptor: Encryptor = process_object("encryptor")
    return sync.SyncEnv(db=db, settings=settings, encryptor=encryptor)


@DBOS.step()
async def start_sync(tenant_id: str, run_id: str) -> list[str]:
    return await sync.start_run(_env(), uuid.UUID(tenant_id), uuid.UUID(run_id))


@DBOS.step()
async def sync_stream(tenant_id: str, connection_id: str, run_id: str, stream: str) -> dict[str, Any]:
    outcome = await sync.sync_stream(
        _env(), uuid.UUID(tenant_id), uuid.UUID(connection_id), uuid.UUID(run_id), stream
    )
    return {
        "stream": outcome.stream,
        "counts": outcome.counts,
        "error": outcome.error,
        "fatal": outcome.fatal,
    }


@DBOS.step()
async def finish_sync(tenant_id: str, run_id: str, outcomes: list[dict[str, Any]]) -> str:
    return await sync.finish_run(
        _env(), uuid.UUID(tenant_id), uuid.UUID(run_id), [sync.StreamOutcome(**data) for data in outcomes]
    )


@DBOS.workflow()
async def run_sync(tenant_id: str, connection_id: str, run_id: str) -> str:
    streams = await start_sync(tenant_id, run_id)
    outcomes = []
    for stream in streams:
        outcomes.append(await sync_stream(tenant_id, connection_id, run_id, stream))
        if outcomes[-1]["fatal"]:
            break  # the credentials are gone or refused: the other streams would fail the same way
    return await finish_sync(tenant_id, run_id, outcomes)


async def enqueue_sync(tenant_id: uuid.UUID, connection_id: uuid.UUID, run_id: uuid.UUID) -> None:
    with SetWorkflowID(f"sync-{run_id}"), SetEnqueueOptions(queue_partition_key=str(connection_id)):
        await get_queue(SYNC_QUEUE.name).enqueue_async(
            run_sync, str(tenant_id), str(connection_id), str(run_id)
        )


@DBOS.step()
async def queue_due_syncs() -> list[list[str]]:
    due = await runs.queue_due_syncs(process_object("db"))
    return [[str(item.tenant_id), str(item.connection_id), str(item.run_id)] for item in due]


@DBOS.step()
async def overdue_invoices() -> int:
    db: Database = process_object("db")
    return await service.emit_overdue_invoices_everywhere(db)


@DBOS.workflow()
async def scheduled_syncs(scheduled_at: datetime, _context: Any) -> None:
    for tenant_id, connection_id, run_id in await queue_due_syncs():
        await enqueue_sync(uuid.UUID(tenant_id), uuid.UUID(connection_id), uuid.UUID(run_id))
    await overdue_invoices()


declare_schedule(
    ScheduleSpec(name="connectors-scheduled-syncs", cron="0 */10 * * * *", workflow=scheduled_syncs)
)
