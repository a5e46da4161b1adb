"""Durable background work on DBOS Transact.

Domains declare workflows with `@DBOS.workflow()` / `@DBOS.step()` in their `jobs.py`, and their
queues and cron schedules with `queue()` and `schedule()` here. `JobEngine.start()` launches DBOS
from inside the running event loop, so async workflows run on the same loop as the web app (and can
use its database engine), then registers queues and schedules — DBOS wants both after launch.
"""

from __future__ import annotations

import asyncio
import contextvars
import importlib
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import structlog
from dbos import (
    DBOS,
    DBOSClient,
    DBOSConfig,
    EnqueueOptions,
    Queue,
    ScheduleInput,
    WorkflowHandleAsync,
)

from binelek.kit.settings import Settings

log = structlog.get_logger(__name__)
APP_NAME = "binelek"
APP_VERSION = "binelek-1"  # workers dequeue only work enqueued for their application version

# Modules whose import registers workflows, queues and schedules.
JOB_MODULES = (
    "binelek.kit.outbox",
    "binelek.audit.jobs",
    "binelek.identity.jobs",
    "binelek.search.jobs",
    "binelek.connectors.jobs",
    "binelek.foundry.jobs",
    "binelek.foundry.reports",
    "binelek.ops.automation.jobs",
    "binelek.ops.automation.triggers",
    "binelek.security.jobs",
    "binelek.marketplace.jobs",
    "binelek.tenantdata.jobs",
    "binelek.notifications.jobs",
    "binelek.webhooks.jobs",
)


@dataclass(frozen=True)
class QueueSpec:
    name: str
    worker_concurrency: int | None = None
    global_concurrency: int | None = None
    limit_per_period: tuple[int, float] | None = None  # (max runs, period in seconds)
    # With a value, every enqueue names a partition key and each partition runs at most this many.
    partition_concurrency: int | None = None
    polling_interval_sec: float = 0.5


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    cron: str
    workflow: Callable[[datetime, Any], Coroutine[Any, Any, None]]


@dataclass
class _Registry:
    queues: dict[str, QueueSpec] = field(default_factory=dict)
    schedules: dict[str, ScheduleSpec] = field(default_factory=dict)
    registered: dict[str, Queue] = field(default_factory=dict)


_registry = _Registry()
_T = TypeVar("_T")
# What workflows need from the process (database, settings); set by the app before jobs start.
_process_state: dict[str, Any] = {}


def bind_process_state(**objects: Any) -> None:
    _process_state.update(objects)


def process_object(name: str) -> Any:
    try:
        return _process_state[name]
    except KeyError:
        raise RuntimeError(f"{name!r} is not bound for background work") from None


async def detached(work: Coroutine[Any, Any, _T]) -> _T:
    """Await `work` outside the enclosing DBOS step: DBOS refuses to start workflows from inside a
    step, and a scheduled step that starts work (due automations) would otherwise fail at its first
    enqueue. The work runs in a fresh context, so what it enqueues is top-level and idempotent by id."""
    return await asyncio.get_running_loop().create_task(work, context=contextvars.Context())


def declare_queue(spec: QueueSpec) -> QueueSpec:
    _registry.queues[spec.name] = spec
    return spec


def declare_schedule(spec: ScheduleSpec) -> ScheduleSpec:
    _registry.schedules[spec.name] = spec
    return spec


def get_queue(name: str) -> Queue | ClientQueue:
    """The queue to enqueue on: DBOS's own in a process that runs jobs; in one that does not (an
    API-only `serve` with JOBS_ENABLED=false), the same queue reached through a DBOS client, so the
    work lands in the shared queue tables and a worker runs it."""
    queue = _registry.registered.get(name)
    if queue is not None:
        return queue
    settings = _process_state.get("settings")
    if name in _registry.queues and settings is not None and not settings.jobs_enabled:
        return ClientQueue(name, _enqueue_client(settings))
    raise RuntimeError(f"queue {name!r} is not registered; is the job engine running?")


def _client_if_api_only() -> DBOSClient | None:
    settings = _process_state.get("settings")
    if settings is not None and not settings.jobs_enabled:
        return _enqueue_client(settings)
    return None


async def send_message(workflow_id: str, message: Any, topic: str) -> None:
    """DBOS.send from any process: an API-only one goes through the client (as `get_queue` does)."""
    client = _client_if_api_only()
    if client is None:
        await DBOS.send_async(workflow_id, message, topic=topic)
    else:
        await client.send_async(workflow_id, message, topic)


async def cancel_workflow(workflow_id: str) -> None:
    """Cancel a workflow if it exists, from any process."""
    client = _client_if_api_only()
    if client is None:
        if await DBOS.get_workflow_status_async(workflow_id) is not None:
            await DBOS.cancel_workflow_async(workflow_id)
        return
    if await client.retrieve_workflow_async(workflow_id) is not None:
        await client.cancel_workflow_async(workflow_id)


def can_enqueue(engine: JobEngine | None, settings: Settings) -> bool:
    """Whether this process can hand work to the job engine (its own, or the workers' through a client)."""
    return not settings.jobs_enabled or (engine is not None and engine.running)


@dataclass
class ClientQueue:
    """Enqueues like `Queue.enqueue_async`, honouring an enclosing SetWorkflowID / SetEnqueueOptions."""

    name: str
    client: DBOSClient

    async def enqueue_async(self, workflow: Callable[..., Any], *args: Any) -> str:
        from dbos._context import _workflow_start_options_var
        from dbos._registrations import get_dbos_func_name

        block = _workflow_start_options_var.get()
        options: EnqueueOptions = {
            "queue_name": self.name,
            "workflow_name": get_dbos_func_name(workflow),
            "app_version": APP_VERSION,
            "application_name": APP_NAME,
        }
        if block.assigned_id is not None:
            options["workflow_id"] = block.assigned_id.workflow_id
        if block.queue_partition_key is not None:
            options["queue_partition_key"] = block.queue_partition_key
        if block.deduplication_id is not None:
            options["deduplication_id"] = block.deduplication_id
        handle: WorkflowHandleAsync[Any] = await self.client.enqueue_async(options, *args)
        return handle.get_workflow_id()


_clients: dict[str, DBOSClient] = {}


def _enqueue_client(settings: Settings) -> DBOSClient:
    url = settings.jobs_database_url
    if url not in _clients:
        # lazy: connects on first use; no retry loop: with the database down a request fails at once
        # (a 503) instead of waiting for it to come back.
        _clients[url] = DBOSClient(
            system_database_url=url, application_name=APP_NAME, lazy=True, retry_connection_errors=False
        )
    return _clients[url]


def import_job_modules() -> None:
    for module in JOB_MODULES:
        importlib.import_module(module)


def _keep_work_on_this_loop(loop: asyncio.AbstractEventLoop) -> None:
    """DBOS hands coroutines started by its own threads (schedules, queues) to the loop that
    launched it while that loop is running, and otherwise to a loop of its own. Our steps use the
    app's database pool, whose connections belong to the launching loop: run on DBOS's loop they
    would share a connection across threads (a crash under asyncpg). So the launching loop is
    always the target; DBOS's thread waits until it runs the work (always, in `binelek serve`; in
    tests, at the next awaited step)."""
    from dbos._dbos import _get_dbos_instance

    background = _get_dbos_instance()._background_event_loop
    original = background.target_loop
    loop_thread = threading.get_ident()

    def target_loop() -> asyncio.AbstractEventLoop | None:
        if loop.is_closed():
            return original()
        if threading.get_ident() == loop_thread and not loop.is_running():
            return original()  # waiting here for this very loop would never end
        return loop

    background.target_loop = target_loop  # type: ignore[method-assign]


class JobEngine:
    """Owns the DBOS instance of this process (DBOS is a process-wide singleton)."""

    def __init__(self, settings: Settings, *, executor_id: str | None = None) -> None:
        self.settings = settings
        self.executor_id = executor_id
        self.running = False

    def _config(self) -> DBOSConfig:
        config: DBOSConfig = {
            "name": APP_NAME,
            "system_database_url": self.settings.jobs_database_url,
            "log_level": "WARNING",
            "application_version": APP_VERSION,
            "notification_listener_polling_interval_sec": 0.2,
            "scheduler_polling_interval_sec": 5.0,
        }
        if self.executor_id:
            config["executor_id"] = self.executor_id
        return config

    async def start(self) -> None:
        import_job_modules()
        DBOS(config=self._config())
        DBOS.launch()
        _keep_work_on_this_loop(asyncio.get_running_loop())
        for spec in _registry.queues.values():
            limiter = (
                {"limit": spec.limit_per_period[0], "period": spec.limit_per_period[1]}
                if spec.limit_per_period
                else None
            )
            _registry.registered[spec.name] = await DBOS.register_queue_async(
                spec.name,
                worker_concurrency=spec.worker_concurrency,
                global_concurrency=spec.global_concurrency,
                limiter=limiter,  # type: ignore[arg-type]
                partition_concurrency=spec.partition_concurrency,
                polling_interval_sec=spec.polling_interval_sec,
            )
        schedules: list[ScheduleInput] = [
            {"schedule_name": spec.name, "workflow_fn": spec.workflow, "schedule": spec.cron}
            for spec in _registry.schedules.values()
        ]
        if schedules:
            await DBOS.apply_schedules_async(schedules)
        self.running = True
        log.info("jobs_started", queues=sorted(_registry.queues), schedules=sorted(_registry.schedules))

    async def stop(self) -> None:
        if not self.running:
            return
        self.running = False
        _registry.registered.clear()
        await asyncio.to_thread(DBOS.destroy, workflow_completion_timeout_sec=0)

    async def healthy(self) -> bool:
        if not self.running:
            return False
        try:
            await DBOS.list_workflows_async(limit=1)
        except Exception:
            return False
        return True
