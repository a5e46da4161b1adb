"""The automation engine end to end: saving and validating workflows, event triggers, the inline path
for pure steps, durable effects with retries, delays, approvals, retry from the failed step, versions,
cancel, webhooks, dry runs and the plan limit."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import func, select

from binelek.kit import outbox
from binelek.kit.db import utcnow
from binelek.ops.models import Task, Workflow, WorkflowRun
from tests.conftest import add_member, assert_problem, register

BASE = "/api/modules/ops-copilot"


class _Recorder(BaseHTTPRequestHandler):
    calls: list[dict[str, Any]] = []
    plan: list[int] = []  # statuses to answer, in order; then 200

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode()
        type(self).calls.append({"path": self.path, "body": body, "headers": dict(self.headers)})
        status = type(self).plan.pop(0) if type(self).plan else 200
        payload = json.dumps({"ok": status < 400, "n": len(type(self).calls)}).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def http_target() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(autouse=True)
def _allow_loopback(state: Any) -> Iterator[None]:
    before = list(state.settings.automation_http_allowlist)
    state.settings.automation_http_allowlist = ["127.0.0.1"]
    _Recorder.calls.clear()
    _Recorder.plan.clear()
    yield
    state.settings.automation_http_allowlist = before


async def _wait_run(
    client: Any, headers: dict[str, str], run_id: str, statuses: set[str], timeout: float = 20
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = await client.get(f"{BASE}/runs/{run_id}", headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"] in statuses:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"run stayed {body['status']}: {body}")
        await asyncio.sleep(0.1)


async def _create(client: Any, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"{BASE}/workflows", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def _emit(state: Any, tenant_id: str, event_type: str, payload: dict[str, Any]) -> int:
    async with state.db.session(tenant_id=uuid.UUID(tenant_id)) as session:
        event = outbox.emit(session, event_type, payload, uuid.UUID(tenant_id))
        await session.flush()
        return int(event.id)


async def _runs_of(state: Any, workflow_id: str) -> list[WorkflowRun]:
    async with state.db.session() as session:
        rows = await session.execute(
            select(WorkflowRun).where(WorkflowRun.workflow_id == uuid.UUID(workflow_id))
        )
        return list(rows.scalars())


async def _wait_for_runs(state: Any, workflow_id: str, count: int, timeout: float = 15) -> list[WorkflowRun]:
    deadline = time.monotonic() + timeout
    while True:
        runs = await _runs_of(state, workflow_id)
        if len(runs) >= count and all(r.status in ("succeeded", "failed") for r in runs):
            return runs
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(runs)} runs: {[r.status for r in runs]}")
        await asyncio.sleep(0.1)


THANK_BIG_CUSTOMERS = {
    "name": "Thank big customers",
    "is_active": True,
    "trigger": {
        "type": "event",
        "event": "order.created",
        "conditions": [{"field": "trigger.total", "op": "gt", "value": 500}],
    },
    "steps": [
        {
            "id": "thank",
            "type": "create_task",
            "config": {"title": "Thank {{ customer }}", "priority": "high", "due_at": "+2d"},
        },
        {
            "id": "tell",
            "type": "notify",
            "config": {"to": "owner", "title": "Big order {{ trigger.order_number }}"},
        },
    ],
}


async def test_event_triggered_pure_run_finishes_in_one_transaction(client, state):
    owner = await register(client)
    workflow = await _create(client, owner.headers, THANK_BIG_CUSTOMERS)
    customer = {"id": str(uuid.uuid4()), "name": "Ada Lovelace", "email": "ada@example.com"}
    base = {"order_number": "#1001", "currency": "USD", "status": "paid", "customer_id": None}
    big = await _emit(
        state, owner.tenant_id, "order.created", {**base, "total": "612.50", "customer": customer}
    )
    await _emit(state, owner.tenant_id, "order.created", {**base, "order_number": "#1002", "total": "80.00"})
    runs = await _wait_for_runs(state, workflow["id"], 1)
    await asyncio.sleep(0.5)  # the small order must not have started a run
    runs = await _runs_of(state, workflow["id"])
    assert len(runs) == 1 and runs[0].status == "succeeded", [(r.status, r.error) for r in runs]
    assert runs[0].idempotency_key == f"event:{big}"

    detail = (await client.get(f"{BASE}/runs/{runs[0].id}", headers=owner.headers)).json()
    assert [s["step_id"] for s in detail["steps"]] == ["thank", "tell"]
    assert all(s["status"] == "succeeded" for s in detail["steps"])
    task_id = detail["steps"][0]["output"]["id"]
    async with state.db.session() as session:
        task = await session.get(Task, uuid.UUID(task_id))
        assert task is not None and task.priority == "high" and task.source == "automation"
    notes = (await client.get("/api/notifications", headers=owner.headers)).json()
    assert any(n["title"] == "Big order #1001" for n in notes["items"])

    # The same event offered again (a retried batch) starts nothing new.
    from binelek.ops.automation import triggers

    await triggers.on_events(
        [outbox.EventMessage(big, "order.created", uuid.UUID(owner.tenant_id), {**base, "total": "612.50"})]
    )
    assert len(await _runs_of(state, workflow["id"])) == 1


async def test_saving_checks_templates_steps_and_triggers(client):
    owner = await register(client)
    cases = [
        ({"type": "create_task", "config": {"title": "{{ steps.later.id }}"}}, "not a step that runs before"),
        ({"type": "create_task", "config": {"title": "{{ secret }}"}}, "unknown name 'secret'"),
        ({"type": "create_task", "config": {"title": "{{ oops"}}, "template syntax error"),
        ({"type": "send_email", "config": {"to": "a@example.com"}}, "subject"),
        ({"type": "delay", "config": {"days": 45}}, "at most 30 days"),
        (
            {"type": "update_record", "config": {"entity": "order", "id": "x", "fields": {"total": 1}}},
            "cannot be set",
        ),
    ]
    for step, expected in cases:
        body = {"name": "Bad", "trigger": {"type": "manual"}, "steps": [{"id": "first", **step}]}
        response = await client.post(f"{BASE}/workflows", json=body, headers=owner.headers)
        problem = assert_problem(response, 422, "VALIDATION_ERROR")
        assert expected in json.dumps(problem), (expected, problem)
    bad_cron = {
        "name": "Bad",
        "trigger": {"type": "schedule", "cron": "every monday"},
        "steps": [{"id": "a", "type": "notify", "config": {"title": "x"}}],
    }
    assert_problem(
        await client.post(f"{BASE}/workflows", json=bad_cron, headers=owner.headers), 422, "VALIDATION_ERROR"
    )
    duplicate = {"name": "Dup", "steps": [{"id": "a", "type": "notify", "config": {"title": "x"}}] * 2}
    assert_problem(
        await client.post(f"{BASE}/workflows", json=duplicate, headers=owner.headers), 422, "VALIDATION_ERROR"
    )


async def test_dry_run_shows_each_step_without_side_effects(client, state):
    owner = await register(client)
    workflow = await _create(
        client,
        owner.headers,
        {
            "name": "Dry",
            "trigger": {
                "type": "event",
                "event": "order.created",
                "conditions": [{"field": "trigger.total", "op": "gte", "value": 100}],
            },
            "steps": [
                {"id": "thank", "type": "create_task", "config": {"title": "Thank {{ customer }}"}},
                {
                    "id": "big",
                    "type": "condition",
                    "config": {"conditions": [{"field": "trigger.total", "op": "gt", "value": 1000}]},
                    "then": [
                        {
                            "id": "call",
                            "type": "http_request",
                            "config": {
                                "url": "https://example.com/hook",
                                "body": {"task": "{{ steps.thank.id }}"},
                            },
                        }
                    ],
                    "else": [
                        {
                            "id": "mail",
                            "type": "send_email",
                            "config": {
                                "to": "{{ owner.email }}",
                                "subject": "Order {{ trigger.total }}",
                                "body": "Hi",
                            },
                        }
                    ],
                },
            ],
        },
    )
    response = await client.post(
        f"{BASE}/workflows/{workflow['id']}/test",
        json={"input": {"total": "250", "customer": {"name": "Ada"}}},
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok" and body["trigger_matches"] is True
    paths = [step["path"] for step in body["steps"]]
    assert paths == ["thank", "big", "big.else.mail"], paths
    assert "Thank Ada" in body["steps"][0]["would"]["text"]
    assert body["steps"][2]["input"]["to"] == owner.email
    async with state.db.session() as session:
        assert (
            await session.scalar(
                select(func.count()).select_from(Task).where(Task.tenant_id == uuid.UUID(owner.tenant_id))
            )
            == 0
        )
        assert (
            await session.scalar(
                select(func.count())
                .select_from(WorkflowRun)
                .where(WorkflowRun.workflow_id == uuid.UUID(workflow["id"]))
            )
            == 0
        )


async def test_http_step_retries_with_backoff_then_succeeds(client, state, http_target):
    owner = await register(client)
    _Recorder.plan.extend([503, 503])
    workflow = await _create(
        client,
        owner.headers,
        {
            "name": "Call out",
            "steps": [
                {"id": "note", "type": "create_task", "config": {"title": "Call {{ trigger.who }}"}},
                {
                    "id": "call",
                    "type": "http_request",
                    "config": {"url": f"{http_target}/hook", "body": {"task": "{{ steps.note.id }}"}},
                    "retry": {"max_attempts": 4, "backoff_seconds": 0.1, "max_backoff_seconds": 0.2},
                },
                {"id": "done", "type": "notify", "config": {"title": "Answered {{ steps.call.status }}"}},
            ],
        },
    )
    started = await client.post(
        f"{BASE}/workflows/{workflow['id']}/run", json={"input": {"who": "Bob"}}, headers=owner.headers
    )
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "running"
    run = await _wait_run(client, owner.headers, started.json()["id"], {"succeeded", "failed"})
    assert run["status"] == "succeeded", run
    call = next(s for s in run["steps"] if s["step_id"] == "call")
    assert call["attempts"] == 3 and call["output"]["status"] == 200
    assert len(_Recorder.calls) == 3
    assert len({c["headers"]["Idempotency-Key"] for c in _Recorder.calls}) == 1
    assert json.loads(_Recorder.calls[0]["body"])["task"] == run["steps"][0]["output"]["id"]


async def test_private_targets_are_refused_unless_allow_listed(client, state, http_target):
    owner = await register(client)
    state.settings.automation_http_allowlist = []
    workflow = await _create(
        client,
        owner.headers,
        {
            "name": "SSRF",
            "steps": [{"id": "call", "type": "http_request", "config": {"url": f"{http_target}/x"}}],
        },
    )
    started = await client.post(f"{BASE}/workflows/{workflow['id']}/run", json={}, headers=owner.headers)
    run = await _wait_run(client, owner.headers, started.json()["id"], {"succeeded", "failed"})
    assert run["status"] == "failed" and run["error"]["code"] == "TARGET_NOT_ALLOWED"
    assert _Recorder.calls == []


async def test_retry_continues_from_the_failed_step(client, state, http_target):
    owner = await register(client)
    _Recorder.plan.append(400)  # not retryable: the run fails at once
    workflow = await _create(
        client,
        owner.headers,
        {
            "name": "Retry me",
            "steps": [
                {"id": "task", "type": "create_task", "config": {"title": "Prepare"}},
                {"id": "call", "type": "http_request", "config": {"url": f"{http_target}/y"}},
            ],
        },
    )
    started = await client.post(f"{BASE}/workflows/{workflow['id']}/run", json={}, headers=owner.headers)
    failed = await _wait_run(client, owner.headers, started.json()["id"], {"succeeded", "failed"})
    assert failed["status"] == "failed" and failed["error"]["step"] == "call"
    retried = await client.post(f"{BASE}/runs/{failed['id']}/retry", headers=owner.headers)
    assert retried.status_code == 200, retried.text
    done = await _wait_run(client, owner.headers, failed["id"], {"succeeded", "failed"})
    assert done["status"] == "succeeded" and done["attempt"] == 2
    async with state.db.session() as session:
        tasks = await session.scalar(
            select(func.count()).select_from(Task).where(Task.tenant_id == uuid.UUID(owner.tenant_id))
        )
    assert tasks == 1  # the step that had succeeded did not run again
    assert_problem(
        await client.post(f"{BASE}/runs/{failed['id']}/retry", headers=owner.headers), 409, "CONFLICT"
    )


async def test_delay_then_continue_with_the_version_it_started_with(client, state):
    owner = await register(client)
    body = {
        "name": "Later",
        "steps": [
            {"id": "wait", "type": "delay", "config": {"minutes": 0.02}},
            {"id": "task", "type": "create_task", "config": {"title": "Version one"}},
        ],
    }
    workflow = await _create(client, owner.headers, body)
    started = await client.post(f"{BASE}/workflows/{workflow['id']}/run", json={}, headers=owner.headers)
    assert started.json()["status"] == "waiting" and started.json()["waiting_for"] == "delay"
    body["steps"][1]["config"]["title"] = "Version two"
    updated = await client.put(f"{BASE}/workflows/{workflow['id']}", json=body, headers=owner.headers)
    assert updated.json()["version"] == 2
    run = await _wait_run(client, owner.headers, started.json()["id"], {"succeeded", "failed"})
    assert run["status"] == "succeeded" and run["version"] == 1
    assert run["steps"][1]["output"]["title"] == "Version one"


async def test_approval_needs_someone_else(client, state):
    owner = await register(client)
    second_admin = await add_member(client, owner, "admin")
    workflow = await _create(
        client,
        owner.headers,
        {
            "name": "Refund",
            "steps": [
                {
                    "id": "ok",
                    "type": "approval",
                    "config": {"message": "Refund {{ trigger.amount }}?", "required": 1},
                },
                {
                    "id": "task",
                    "type": "create_task",
                    "config": {"title": "Refund approved by {{ steps.ok.decisions[0].user_id }}"},
                },
            ],
        },
    )
    started = await client.post(
        f"{BASE}/workflows/{workflow['id']}/run", json={"input": {"amount": 40}}, headers=owner.headers
    )
    run_id = started.json()["id"]
    assert started.json()["status"] == "waiting" and started.json()["approvals"][0]["message"] == "Refund 40?"
    assert_problem(
        await client.post(f"{BASE}/runs/{run_id}/approve", json={}, headers=owner.headers),
        403,
        "PERMISSION_DENIED",
    )
    approved = await client.post(
        f"{BASE}/runs/{run_id}/approve", json={"comment": "fine"}, headers=second_admin.headers
    )
    assert approved.status_code == 200, approved.text
    run = await _wait_run(client, owner.headers, run_id, {"succeeded", "failed", "rejected"})
    assert run["status"] == "succeeded"
    assert second_admin.user_id in run["steps"][1]["output"]["title"]


async def test_rejection_ends_the_run(client, state):
    owner = await register(client)
    second_admin = await add_member(client, owner, "admin")
    workflow = await _create(
        client,
        owner.headers,
        {
            "name": "Risky",
            "steps": [
                {"id": "ok", "type": "approval", "config": {}},
                {"id": "task", "type": "create_task", "config": {"title": "Never"}},
            ],
        },
    )
    started = await client.post(f"{BASE}/workflows/{workflow['id']}/run", json={}, headers=owner.headers)
    await client.post(
        f"{BASE}/runs/{started.json()['id']}/reject", json={"comment": "no"}, headers=second_admin.headers
    )
    run = await _wait_run(client, owner.headers, started.json()["id"], {"succeeded", "failed", "rejected"})
    assert run["status"] == "rejected" and len(run["steps"]) == 1


async def test_cancel_a_waiting_run(client, state):
    owner = await register(client)
    workflow = await _create(
        client,
        owner.headers,
        {
            "name": "Slow",
            "steps": [
                {"id": "wait", "type": "delay", "config": {"hours": 5}},
                {"id": "task", "type": "create_task", "config": {"title": "Never"}},
            ],
        },
    )
    started = await client.post(f"{BASE}/workflows/{workflow['id']}/run", json={}, headers=owner.headers)
    await asyncio.sleep(0.3)
    cancelled = await client.post(f"{BASE}/runs/{started.json()['id']}/cancel", headers=owner.headers)
    assert cancelled.json()["status"] == "cancelled"
    assert_problem(
        await client.post(f"{BASE}/runs/{started.json()['id']}/cancel", headers=owner.headers),
        409,
        "CONFLICT",
    )


async def test_loop_and_branches(client, state):
    owner = await register(client)
    workflow = await _create(
        client,
        owner.headers,
        {
            "name": "Each line",
            "steps": [
                {
                    "id": "each",
                    "type": "loop",
                    "config": {"items": "{{ trigger.lines }}"},
                    "steps": [
                        {
                            "id": "big",
                            "type": "condition",
                            "config": {"conditions": [{"field": "item.qty", "op": "gte", "value": 10}]},
                            "then": [
                                {
                                    "id": "restock",
                                    "type": "create_task",
                                    "config": {"title": "Restock {{ item.sku }} ({{ index }})"},
                                }
                            ],
                        },
                    ],
                },
            ],
        },
    )
    lines = [{"sku": "A", "qty": 12}, {"sku": "B", "qty": 1}, {"sku": "C", "qty": 30}]
    started = await client.post(
        f"{BASE}/workflows/{workflow['id']}/run", json={"input": {"lines": lines}}, headers=owner.headers
    )
    run = started.json()
    assert run["status"] == "succeeded", run
    titles = [s["output"]["title"] for s in run["steps"] if s["type"] == "create_task"]
    assert titles == ["Restock A (0)", "Restock C (2)"]


async def test_webhook_trigger_with_hmac(client, state):
    owner = await register(client)
    created = await _create(
        client,
        owner.headers,
        {
            "name": "Hook",
            "is_active": True,
            "trigger": {"type": "webhook"},
            "steps": [{"id": "task", "type": "create_task", "config": {"title": "Lead {{ trigger.email }}"}}],
        },
    )
    url, secret = created["webhook_url"], created["webhook_secret"]
    assert url and secret
    path = url.removeprefix("http://testserver")
    body = json.dumps({"email": "lead@example.com"}).encode()
    assert_problem(
        await client.post(path, content=body, headers={"X-Binelek-Signature": "sha256=00"}),
        401,
        "WEBHOOK_SIGNATURE_INVALID",
    )
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "X-Binelek-Signature": signature,
        "Idempotency-Key": "delivery-1",
        "content-type": "application/json",
    }
    first = await client.post(path, content=body, headers=headers)
    assert first.status_code == 202, first.text
    again = await client.post(path, content=body, headers=headers)
    assert again.json()["id"] == first.json()["id"]
    again_detail = (await client.get(f"{BASE}/workflows/{created['id']}", headers=owner.headers)).json()
    assert again_detail["webhook_secret"] is None  # shown once


async def test_short_form_and_free_plan_limit(client):
    owner = await register(client)
    short = {
        "name": "Weekly",
        "trigger": {"type": "schedule", "cron": "0 9 * * 1"},
        "actions": [
            {"type": "send_email", "to": "{{ owner.email }}", "subject": "Monday", "body": "Plan the week"}
        ],
    }
    created = await client.post(f"{BASE}/automations", json=short, headers=owner.headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["steps"][0]["id"] == "action_1" and body["is_active"] and body["next_fire_at"]
    for number in range(4):
        await client.post(f"{BASE}/automations", json={**short, "name": f"W{number}"}, headers=owner.headers)
    sixth = await client.post(f"{BASE}/automations", json={**short, "name": "Sixth"}, headers=owner.headers)
    assert_problem(sixth, 402, "PLAN_LIMIT_REACHED")


async def test_tenants_and_roles(client):
    owner = await register(client)
    other = await register(client, company="Other Co")
    viewer = await add_member(client, owner, "viewer")
    workflow = await _create(
        client,
        owner.headers,
        {"name": "Mine", "steps": [{"id": "a", "type": "notify", "config": {"title": "x"}}]},
    )
    assert_problem(
        await client.get(f"{BASE}/workflows/{workflow['id']}", headers=other.headers),
        404,
        "RESOURCE_NOT_FOUND",
    )
    assert_problem(
        await client.post(f"{BASE}/workflows/{workflow['id']}/run", json={}, headers=other.headers),
        404,
        "RESOURCE_NOT_FOUND",
    )
    assert (await client.get(f"{BASE}/workflows", headers=viewer.headers)).status_code == 200
    assert_problem(
        await client.post(f"{BASE}/workflows/{workflow['id']}/run", json={}, headers=viewer.headers),
        403,
        "PERMISSION_DENIED",
    )


async def test_order_over_500_creates_a_task_and_emails_the_owner(client, state):
    """The issue's example, without a browser: the e-mail step runs durably and the message arrives."""
    from tests.support import smtp_server

    owner = await register(client)
    body = {
        **THANK_BIG_CUSTOMERS,
        "steps": [
            THANK_BIG_CUSTOMERS["steps"][0],
            {
                "id": "mail",
                "type": "send_email",
                "config": {
                    "to": "{{ owner.email }}",
                    "subject": "Big order from {{ customer }}",
                    "body": "{{ customer }} spent {{ trigger.total | money(trigger.currency) }}. "
                    "Task: {{ steps.thank.title }}",
                },
            },
        ],
    }
    original = (state.settings.smtp_host, state.settings.smtp_port)
    with smtp_server() as inbox:
        state.settings.smtp_host, state.settings.smtp_port = "127.0.0.1", inbox.port
        try:
            workflow = await _create(client, owner.headers, body)
            customer = {"id": str(uuid.uuid4()), "name": "Grace Hopper", "email": "grace@example.com"}
            await _emit(
                state,
                owner.tenant_id,
                "order.created",
                {"order_number": "#7", "total": "1250.00", "currency": "USD", "customer": customer},
            )
            (run,) = await _wait_for_runs(state, workflow["id"], 1, timeout=30)
            assert run.status == "succeeded", run.error
            deadline = time.monotonic() + 10
            while not inbox.to(owner.email) and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            (raw,) = inbox.to(owner.email)
        finally:
            state.settings.smtp_host, state.settings.smtp_port = original
    text = raw
    assert "Big order from Grace Hopper" in text and "1,250.00 USD" in text and "Thank Grace Hopper" in text


async def test_agent_tools_run_a_workflow_and_show_failed_runs(client, state):
    from binelek.kit.request_meta import RequestMeta
    from binelek.kit.tools import ToolContext
    from binelek.ops.automation import tools
    from tests.conftest import principal_of

    owner = await register(client)
    await _create(
        client,
        owner.headers,
        {"name": "Weekly report", "steps": [{"id": "a", "type": "notify", "config": {"title": "Report"}}]},
    )
    await _create(
        client,
        owner.headers,
        {
            "name": "Broken call",
            "steps": [
                {"id": "a", "type": "update_task", "config": {"task_id": "not-an-id", "status": "done"}}
            ],
        },
    )
    principal = await principal_of(state, owner)
    async with state.db.session(tenant_id=principal.tenant_id) as session:
        context = ToolContext(principal=principal, session=session, state=state, meta=RequestMeta())
        ran = await tools.run_workflow(context, tools.RunWorkflowArgs(workflow="weekly report"))
        assert ran.data["status"] == "succeeded" and "Weekly report" in ran.summary
        broken = await tools.run_workflow(context, tools.RunWorkflowArgs(workflow="broken"))
        assert broken.data["status"] == "failed"
    async with state.db.session(tenant_id=principal.tenant_id) as session:
        context = ToolContext(principal=principal, session=session, state=state, meta=RequestMeta())
        failed = await tools.failed_runs(context, tools.FailedRunsArgs())
        assert len(failed.data) == 1 and "Broken call" in failed.summary and "not a task id" in failed.summary
        with pytest.raises(Exception, match="No automation"):
            await tools.run_workflow(context, tools.RunWorkflowArgs(workflow="nothing like this"))


async def test_a_due_schedule_runs_its_effects_from_the_minute_tick(client, state, http_target):
    """The tick is a DBOS step; the runs it starts (and the lost hand-overs it recovers) must still
    reach the automation queue and run to the end."""
    from binelek.ops.automation import jobs as automation_jobs

    owner = await register(client)
    workflow = await _create(
        client,
        owner.headers,
        {
            "name": "Every morning",
            "is_active": True,
            "trigger": {"type": "schedule", "cron": "0 7 * * *"},
            "steps": [{"id": "call", "type": "http_request", "config": {"url": f"{http_target}/tick"}}],
        },
    )
    async with state.db.session() as session:
        stored = await session.get(Workflow, uuid.UUID(workflow["id"]))
        stored.next_fire_at = utcnow() - timedelta(minutes=1)
    await automation_jobs.automation_tick(utcnow(), None)
    runs = await _wait_for_runs(state, workflow["id"], 1)
    assert [run.status for run in runs] == ["succeeded"]
    assert [call["path"] for call in _Recorder.calls] == ["/tick"]
