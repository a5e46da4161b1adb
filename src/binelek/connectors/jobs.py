"""Connectors' background work: running an uploaded file's import as a durable workflow."""

from __future__ import annotations

import uuid

import structlog
from dbos import DBOS, SetWorkflowID

from binelek.connectors import service
from binelek.kit.db import Database
from binelek.kit.jobs import QueueSpec, declare_queue, get_queue, process_object

log = structlog.get_logger(__name__)

# Imports are heavy writers: two at a time per process keeps the API responsive.
IMPORT_QUEUE = declare_queue(QueueSpec(name="connectors.import", worker_concurrency=2))


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
