"""Automation engine throughput and latency, through the product's own path: outbox event → batch
trigger matching → run → steps, with DBOS and the outbox dispatcher running as in `binelek serve`.

    .venv/bin/python bench/workflows.py [--events 3000] [--paced 600] [--rate 100]
    BENCH_DB=postgres .venv/bin/python bench/workflows.py     # a scratch PostgreSQL database

The workflow: `order.created` with `total > 100` → condition (a VIP order?) → create a task →
notify the owner. Three steps, all in our database, so each run is one transaction.
1. Throughput: `--events` events written in import-sized transactions (100 per commit, as a file
   import writes them); runs/s from the first commit to the last run finished (target ≥ 300).
2. Latency: `--paced` events, one per transaction, at `--rate`/s; event commit → the run's first
   step, p50/p95.
3. Reference, same process and database: the naive design — one DBOS workflow per run, one DBOS
   step per workflow step (three no-op steps) — runs/s.
4. A run with an external effect (an HTTP call to a local server): runs/s through DBOS.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
from dbos import DBOS
from sqlalchemy import func, select

from binelek.app import build_state, start_background, stop_background
from binelek.identity.models import Membership, Tenant, User
from binelek.kit import outbox
from binelek.kit.auth import Principal
from binelek.kit.migrate import migrate
from binelek.kit.outbox_models import Event
from binelek.kit.settings import load_settings
from binelek.ops.automation import service
from binelek.ops.automation.schemas import WorkflowIn
from binelek.ops.models import WorkflowRun

PG_ADMIN = os.environ.get("BINELEK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")

WORKFLOW = {
    "name": "Thank big customers",
    "is_active": True,
    "trigger": {
        "type": "event",
        "event": "order.created",
        "conditions": [{"field": "trigger.total", "op": "gt", "value": 100}],
    },
    "steps": [
        {
            "id": "vip",
            "type": "condition",
            "config": {"conditions": [{"field": "trigger.total", "op": "gt", "value": 500}]},
        },
        {
            "id": "thank",
            "type": "create_task",
            "config": {
                "title": "Thank the buyer of {{ trigger.order_number }}",
                "priority": "{{ 'high' if steps.vip.result else 'medium' }}",
            },
        },
        {
            "id": "tell",
            "type": "notify",
            "config": {"to": "owner", "title": "Order {{ trigger.order_number }}: {{ trigger.total }}"},
        },
    ],
}


@DBOS.step()
async def _noop_step(value: int) -> int:
    return value + 1


@DBOS.workflow()
async def _naive_run(value: int) -> int:
    for _ in range(3):
        value = await _noop_step(value)
    return value


class _Ok(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


async def _tenant(state: Any) -> Principal:
    async with state.db.session() as session:
        tenant = Tenant(name=f"Bench {uuid.uuid4().hex[:6]}", plan="business")
        user = User(email=f"owner-{uuid.uuid4().hex[:8]}@example.com", full_name="Bench Owner")
        session.add_all([tenant, user])
        await session.flush()
        session.add(Membership(tenant_id=tenant.id, user_id=user.id, role="admin"))
        return Principal(
            tenant_id=tenant.id,
            tenant_name=tenant.name,
            role="admin",
            plan="business",
            modules=("ops-copilot",),
            user_id=user.id,
        )


async def _workflow(state: Any, principal: Principal, body: dict[str, Any]) -> uuid.UUID:
    async with state.db.session(tenant_id=principal.tenant_id) as session:
        out = await service.create_workflow(session, state, principal, WorkflowIn.model_validate(body))
    return out.id


async def _finished(state: Any, workflow_id: uuid.UUID) -> int:
    async with state.db.session() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(WorkflowRun)
                .where(
                    WorkflowRun.workflow_id == workflow_id, WorkflowRun.status.in_(("succeeded", "failed"))
                )
            )
            or 0
        )


async def _wait_finished(state: Any, workflow_id: uuid.UUID, count: int, limit: float = 600) -> float:
    deadline = time.perf_counter() + limit
    while (done := await _finished(state, workflow_id)) < count:
        if time.perf_counter() > deadline:
            raise SystemExit(f"only {done}/{count} runs finished")
        await asyncio.sleep(0.05)
    return time.perf_counter()


async def _wait_drained(state: Any, limit: float = 120) -> None:
    """Let the outbox hand over every event (the runs' own task.created and automation.completed
    included) so one phase's tail does not count against the next."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        async with state.db.session() as session:
            pending = await session.scalar(
                select(func.count()).select_from(Event).where(Event.dispatched_at.is_(None))
            )
        if not pending:
            return
        await asyncio.sleep(0.05)


def _payload(number: int, total: float) -> dict[str, Any]:
    return {
        "order_id": str(uuid.uuid4()),
        "order_number": f"#{number}",
        "total": f"{total:.2f}",
        "currency": "USD",
        "status": "paid",
        "customer_id": None,
    }


async def throughput(state: Any, principal: Principal, events: int) -> float:
    workflow_id = await _workflow(state, principal, WORKFLOW)
    started = time.perf_counter()
    for first in range(0, events, 100):
        async with state.db.session(tenant_id=principal.tenant_id) as session:
            for number in range(first, min(first + 100, events)):
                outbox.emit(
                    session, "order.created", _payload(number, 150 + number % 900), principal.tenant_id
                )
    ended = await _wait_finished(state, workflow_id, events)
    return events / (ended - started)


async def latency(state: Any, principal: Principal, count: int, rate: float) -> list[float]:
    workflow_id = await _workflow(state, principal, {**WORKFLOW, "name": "Latency"})
    committed: dict[str, float] = {}
    for number in range(count):
        async with state.db.session(tenant_id=principal.tenant_id) as session:
            outbox.emit(session, "order.created", _payload(number, 600), principal.tenant_id)
        committed[f"#{number}"] = time.time()
        await asyncio.sleep(1 / rate)
    await _wait_finished(state, workflow_id, count)
    async with state.db.session() as session:
        rows = await session.execute(
            select(WorkflowRun.trigger_data, WorkflowRun.started_at).where(
                WorkflowRun.workflow_id == workflow_id
            )
        )
        return [
            (started_at.timestamp() - committed[data["order_number"]]) * 1000 for data, started_at in rows
        ]


async def naive_reference(runs: int) -> float:
    semaphore = asyncio.Semaphore(32)

    async def one(value: int) -> None:
        async with semaphore:
            handle = await DBOS.start_workflow_async(_naive_run, value)
            await handle.get_result()

    started = time.perf_counter()
    await asyncio.gather(*(one(value) for value in range(runs)))
    return runs / (time.perf_counter() - started)


async def external(state: Any, principal: Principal, events: int) -> float:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.settings.automation_http_allowlist = ["127.0.0.1"]
    body = {
        **WORKFLOW,
        "name": "With a webhook call",
        "steps": [
            *WORKFLOW["steps"],
            {
                "id": "call",
                "type": "http_request",
                "config": {
                    "url": f"http://127.0.0.1:{server.server_address[1]}/hook",
                    "body": {"order": "{{ trigger.order_number }}"},
                },
            },
        ],
    }
    workflow_id = await _workflow(state, principal, body)
    started = time.perf_counter()
    for first in range(0, events, 100):
        async with state.db.session(tenant_id=principal.tenant_id) as session:
            for number in range(first, min(first + 100, events)):
                outbox.emit(session, "order.created", _payload(number, 700), principal.tenant_id)
    ended = await _wait_finished(state, workflow_id, events)
    server.shutdown()
    return events / (ended - started)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--paced", type=int, default=600)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--naive", type=int, default=500)
    parser.add_argument("--external", type=int, default=500)
    args = parser.parse_args()
    mode = os.environ.get("BENCH_DB", "sqlite")
    with tempfile.TemporaryDirectory(prefix="binelek-bench-") as directory:
        database_url = None
        name = f"binelek_bench_{uuid.uuid4().hex[:8]}"
        if mode == "postgres":
            with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{name}"')
            database_url = (
                PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + "/" + name
            )
        settings = load_settings(
            binelek_env="test",
            binelek_data_dir=Path(directory),
            database_url=database_url,
            outbox_poll_seconds=0.2,
            log_level="WARNING",
        )
        await migrate(settings)
        state = build_state(settings)
        await start_background(state)
        try:
            principal = await _tenant(state)
            print(
                f"# bench/workflows.py — {mode}, {platform.machine()}, {os.cpu_count()} CPUs, "
                f"{platform.python_version()}"
            )
            rate = await throughput(state, principal, args.events)
            print(
                f"three-step event-triggered runs: {args.events} in batches of 100 → "
                f"{rate:,.0f} runs/s (target ≥ 300)"
            )
            await _wait_drained(state)
            samples = await latency(state, principal, args.paced, args.rate)
            p50 = statistics.median(samples)
            p95 = statistics.quantiles(samples, n=20)[18]
            print(
                f"event commit → first step, {args.paced} events at {args.rate:g}/s: "
                f"p50 {p50:.1f} ms, p95 {p95:.1f} ms"
            )
            naive = await naive_reference(args.naive)
            print(
                f"reference, one DBOS step per workflow step (3 no-op steps): {naive:,.0f} runs/s — "
                f"engine/naive ratio {rate / naive:.1f}x"
            )
            effect = await external(state, principal, args.external)
            print(f"four steps with an HTTP call (durable workflow per run): {effect:,.0f} runs/s")
        finally:
            await stop_background(state)
            await state.db.dispose()
            if mode == "postgres":
                with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
                    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
