"""Durable background work: the outbox round trip, the audit-retention schedule, crash recovery."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from dbos import DBOS
from sqlalchemy import select

from binelek.audit.jobs import audit_retention
from binelek.audit.models import AuditLog
from binelek.identity.models import Tenant
from binelek.kit import outbox
from binelek.kit.outbox_models import Event
from tests.conftest import PG_ADMIN_URL, RUN_ID, TEST_DB, _pg_url

received: list[outbox.EventMessage] = []


@outbox.subscribe("test.ping", "test-recorder")
async def _record(message: outbox.EventMessage) -> None:
    received.append(message)


async def _wait_for(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_outbox_event_round_trip(state):
    marker = uuid.uuid4().hex
    async with state.db.session() as session:
        tenant = Tenant(name="Outbox Co")
        session.add(tenant)
        await session.flush()
        event = outbox.emit(session, "test.ping", {"marker": marker}, tenant.id)
        await session.flush()
        event_id = event.id
    state.dispatcher.notify()
    await _wait_for(lambda: any(m.payload.get("marker") == marker for m in received))

    mine = [m for m in received if m.payload.get("marker") == marker]
    assert len(mine) == 1 and mine[0].id == event_id and mine[0].tenant_id == tenant.id
    async with state.db.session() as session:
        stored = await session.get(Event, event_id)
        assert stored.dispatched_at is not None
    status = await DBOS.get_workflow_status_async(outbox.workflow_id_for(event_id))
    assert status is not None and status.status == "SUCCESS"

    # Dispatching the same event again (a crashed dispatcher retrying) starts nothing new.
    queue = outbox.get_queue(outbox.OUTBOX_QUEUE.name)
    from dbos import SetWorkflowID

    with SetWorkflowID(outbox.workflow_id_for(event_id)):
        handle = await queue.enqueue_async(
            outbox.dispatch_event, {"id": event_id, "type": "test.ping", "tenant_id": None, "payload": {}}
        )
    await handle.get_result()
    await asyncio.sleep(0.3)
    assert len([m for m in received if m.payload.get("marker") == marker]) == 1


async def test_event_nobody_listens_to_is_marked_without_a_workflow(state):
    async with state.db.session() as session:
        event = outbox.emit(session, "test.unheard", {"n": 1}, None)
        await session.flush()
        event_id = event.id
    state.dispatcher.notify()

    async def dispatched() -> bool:
        async with state.db.session() as session:
            return (await session.get(Event, event_id)).dispatched_at is not None

    for _ in range(100):
        if await dispatched():
            break
        await asyncio.sleep(0.05)
    assert await dispatched()
    assert await DBOS.get_workflow_status_async(outbox.workflow_id_for(event_id)) is None


async def test_rolled_back_change_emits_nothing(state):
    marker = uuid.uuid4().hex
    try:
        async with state.db.session() as session:
            outbox.emit(session, "test.ping", {"marker": marker}, None)
            await session.flush()
            raise RuntimeError("the change fails")
    except RuntimeError:
        pass
    async with state.db.session() as session:
        events = (await session.execute(select(Event).where(Event.type == "test.ping"))).scalars().all()
    assert all(e.payload.get("marker") != marker for e in events)


async def test_audit_retention_schedule_purges_old_entries(state):
    schedules = await DBOS.list_schedules_async()
    assert any(s["schedule_name"] == "audit-retention" for s in schedules)
    now = datetime.now(UTC)
    async with state.db.session() as session:
        tenant = Tenant(name="Retention Co")
        session.add(tenant)
        await session.flush()
        old = AuditLog(
            tenant_id=tenant.id, action="test.old", created_at=now - timedelta(days=91), details={}
        )
        fresh = AuditLog(
            tenant_id=tenant.id, action="test.fresh", created_at=now - timedelta(days=89), details={}
        )
        session.add_all([old, fresh])
    handle = await DBOS.start_workflow_async(audit_retention, now, None)
    await handle.get_result()
    async with state.db.session() as session:
        assert await session.get(AuditLog, old.id) is None
        assert await session.get(AuditLog, fresh.id) is not None


def _crash_env(tmp_path: Path) -> tuple[dict[str, str], str | None]:
    env = {
        **os.environ,
        "CRASH_JOURNAL": str(tmp_path / "journal.txt"),
        "BINELEK_DATA_DIR": str(tmp_path / "var"),
    }
    env.pop("DATABASE_URL", None)
    database = None
    if TEST_DB == "postgres":
        database = f"binelek_test_{RUN_ID}_crash"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database}"')
        env["DATABASE_URL"] = _pg_url(database)
    return env, database


def test_workflow_killed_mid_way_resumes_and_completes_once(tmp_path):
    env, database = _crash_env(tmp_path)
    journal = tmp_path / "journal.txt"
    command = [sys.executable, "-m", "tests.crash_worker"]
    cwd = Path(__file__).resolve().parent.parent
    try:
        first = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while "step2-waiting-for-kill" not in (journal.read_text() if journal.exists() else ""):
            assert first.poll() is None, first.stdout.read().decode()
            assert time.monotonic() < deadline, "the worker never reached the slow step"
            time.sleep(0.1)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)

        second = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "RESULT one-two-three" in second.stdout
    finally:
        if database:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    lines = journal.read_text().split()
    assert lines.count("step1") == 1  # a completed step is never run again
    assert lines.count("step2-start") == 2  # the interrupted step runs again
    assert lines.count("step3") == 1
    assert lines.count("workflow-complete") == 1
