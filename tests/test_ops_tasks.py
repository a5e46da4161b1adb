"""Ops Copilot's tasks: the API (validation, roles, isolation, filters, sorting, paging, cycles, bulk,
events), the service the automation engine calls, and natural-language creation (a table of phrasings
read at a fixed moment)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from binelek.identity.models import Tenant
from binelek.kit.outbox_models import Event
from binelek.kit.state import AppState
from binelek.ops import nlp, service
from binelek.ops.repository import Member
from binelek.ops.schemas import TaskCreate, TaskUpdate
from tests.conftest import Account, add_member, assert_problem, register

BASE = "/api/modules/ops-copilot"


async def _create(client: httpx.AsyncClient, account: Account, **fields: Any) -> dict[str, Any]:
    response = await client.post(f"{BASE}/tasks", json={"title": "A task", **fields}, headers=account.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _patch(client: httpx.AsyncClient, account: Account, task_id: str, **fields: Any) -> httpx.Response:
    return await client.patch(f"{BASE}/tasks/{task_id}", json=fields, headers=account.headers)


async def _list(client: httpx.AsyncClient, account: Account, **params: Any) -> dict[str, Any]:
    response = await client.get(f"{BASE}/tasks", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _titles(page: dict[str, Any]) -> list[str]:
    return [item["title"] for item in page["items"]]


async def _events(state: AppState, tenant_id: str, kind: str) -> list[dict[str, Any]]:
    async with state.db.session() as session:
        rows = await session.execute(
            select(Event.payload)
            .where(Event.tenant_id == uuid.UUID(tenant_id), Event.type == kind)
            .order_by(Event.id)
        )
        return [dict(row[0]) for row in rows]


# -- create, read, update, delete ---------------------------------------------------------------------


async def test_a_task_is_created_with_its_fields_and_read_back(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    member = await add_member(client, owner, "member")
    # A week ahead, so the task is not overdue whenever the suite runs.
    due_day = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
    due = f"{due_day}T15:00:00+00:00"
    created = await _create(
        client,
        owner,
        title="  Send the wholesale quote  ",
        description="For the café on Quay Road",
        priority="high",
        due_at=due,
        estimate_minutes=45,
        assignee_id=member.user_id,
        tags=["#sales", "Sales", "wholesale"],
        category="Sales",
        related={"customer_id": str(uuid.uuid4())},
    )
    assert created["title"] == "Send the wholesale quote"
    assert created["status"] == "todo" and created["priority"] == "high" and created["source"] == "manual"
    assert created["due_at"].startswith(f"{due_day}T15:00:00")
    assert created["tags"] == ["sales", "wholesale"]  # the '#' dropped, each tag once
    assert created["created_by"] == owner.user_id and created["assignee_id"] == member.user_id
    assert created["subtasks"] == {"total": 0, "done": 0}
    assert created["blocked_by"] == [] and created["is_blocked"] is False and created["overdue"] is False
    second = await _create(client, owner, title="Second")
    assert second["position"] > created["position"]  # new tasks go to the end of the board

    fetched = await client.get(f"{BASE}/tasks/{created['id']}", headers=owner.headers)
    assert fetched.status_code == 200 and fetched.json() == created


async def test_updates_change_only_what_is_sent_and_null_clears(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    task = await _create(
        client, owner, title="Renew insurance", due_at="2026-12-01T10:00:00Z", category="Admin"
    )
    changed = await _patch(client, owner, task["id"], priority="urgent", due_at=None)
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["priority"] == "urgent" and body["due_at"] is None and body["category"] == "Admin"
    assert body["updated_at"] > task["updated_at"]
    assert_problem(await _patch(client, owner, task["id"], title=None), 422, "VALIDATION_ERROR")
    assert_problem(await _patch(client, owner, task["id"], status="finished"), 422, "VALIDATION_ERROR")
    assert_problem(await _patch(client, owner, task["id"], colour="red"), 422, "VALIDATION_ERROR")


async def test_status_changes_record_times_and_emit_events(
    client: httpx.AsyncClient, state: AppState
) -> None:
    owner = await register(client)
    task = await _create(client, owner, title="Pack orders", tags=["shipping"], category="Ops")
    assert task["started_at"] is None and task["completed_at"] is None
    started = (await _patch(client, owner, task["id"], status="in_progress")).json()
    assert started["started_at"] is not None and started["completed_at"] is None
    done = (await _patch(client, owner, task["id"], status="done")).json()
    assert done["completed_at"] is not None and done["started_at"] == started["started_at"]
    reopened = (await _patch(client, owner, task["id"], status="todo")).json()
    assert reopened["completed_at"] is None

    created_events = await _events(state, owner.tenant_id, "task.created")
    assert created_events == [
        {
            "task_id": task["id"],
            "title": "Pack orders",
            "priority": "medium",
            "status": "todo",
            "due_at": None,
            "assignee_id": None,
            "source": "manual",
            "tags": ["shipping"],
            "category": "Ops",
        }
    ]
    completed = await _events(state, owner.tenant_id, "task.completed")
    assert [(e["task_id"], e["status"]) for e in completed] == [(task["id"], "done")]
    # Done again after reopening: completed again.
    await _patch(client, owner, task["id"], status="done")
    assert len(await _events(state, owner.tenant_id, "task.completed")) == 2


async def test_a_task_created_done_emits_both_events(client: httpx.AsyncClient, state: AppState) -> None:
    owner = await register(client)
    task = await _create(client, owner, title="Already handled", status="done")
    assert task["status"] == "done" and task["completed_at"] is not None
    assert [e["task_id"] for e in await _events(state, owner.tenant_id, "task.created")] == [task["id"]]
    assert [e["task_id"] for e in await _events(state, owner.tenant_id, "task.completed")] == [task["id"]]


async def test_delete_removes_the_task_and_its_subtasks(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    parent = await _create(client, owner, title="Launch the spring blend")
    child = await _create(client, owner, title="Write the announcement", parent_id=parent["id"])
    deleted = await client.delete(f"{BASE}/tasks/{parent['id']}", headers=owner.headers)
    assert deleted.status_code == 204
    for task in (parent, child):
        assert_problem(
            await client.get(f"{BASE}/tasks/{task['id']}", headers=owner.headers), 404, "RESOURCE_NOT_FOUND"
        )
    assert_problem(
        await client.delete(f"{BASE}/tasks/{parent['id']}", headers=owner.headers), 404, "RESOURCE_NOT_FOUND"
    )


# -- validation, roles, isolation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"title": ""},
        {"title": "   "},
        {"title": "x" * 301},
        {"title": "ok", "priority": "someday"},
        {"title": "ok", "status": "waiting"},
        {"title": "ok", "estimate_minutes": 0},
        {"title": "ok", "source": "ai"},
        {"title": "ok", "tags": ["x" * 51]},
        {"title": "ok", "due_at": "not a date"},
        {"title": "ok", "position": "NaN"},
        {"title": "ok", "related": {"blob": "x" * 5000}},
    ],
)
async def test_bad_task_bodies_are_422(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    owner = await register(client)
    assert_problem(
        await client.post(f"{BASE}/tasks", json=body, headers=owner.headers), 422, "VALIDATION_ERROR"
    )


async def test_references_must_be_members_and_tasks_of_this_organization(client: httpx.AsyncClient) -> None:
    owner = await register(client, company="Mine")
    other = await register(client, company="Theirs")
    theirs = await _create(client, other, title="Their task")
    for body, field in (
        ({"assignee_id": other.user_id}, "assignee_id"),
        ({"assignee_id": str(uuid.uuid4())}, "assignee_id"),
        ({"parent_id": theirs["id"]}, "parent_id"),
        ({"blocked_by": [theirs["id"]]}, "blocked_by"),
    ):
        response = await client.post(f"{BASE}/tasks", json={"title": "Mine", **body}, headers=owner.headers)
        problem = assert_problem(response, 422, "VALIDATION_ERROR")
        assert problem["errors"][0]["loc"] == ["body", field]


async def test_another_organization_gets_404_for_every_task_route(client: httpx.AsyncClient) -> None:
    owner = await register(client, company="Owner Co")
    stranger = await register(client, company="Stranger Co")
    task = await _create(client, owner, title="Private")
    url = f"{BASE}/tasks/{task['id']}"
    assert_problem(await client.get(url, headers=stranger.headers), 404, "RESOURCE_NOT_FOUND")
    assert_problem(await _patch(client, stranger, task["id"], title="Mine now"), 404, "RESOURCE_NOT_FOUND")
    assert_problem(await client.delete(url, headers=stranger.headers), 404, "RESOURCE_NOT_FOUND")
    assert_problem(
        await client.post(f"{url}/suggestions", headers=stranger.headers), 404, "RESOURCE_NOT_FOUND"
    )
    assert (await _list(client, stranger))["total"] == 0
    bulk = await client.post(
        f"{BASE}/tasks/bulk",
        json={"ids": [task["id"]], "action": "update", "patch": {"status": "done"}},
        headers=stranger.headers,
    )
    assert bulk.json() == {"requested": 1, "updated": 0, "deleted": 0, "not_found": 1}
    assert (await client.get(url, headers=owner.headers)).json()["status"] == "todo"


async def test_a_viewer_reads_but_cannot_write(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    viewer = await add_member(client, owner, "viewer")
    task = await _create(client, owner, title="Visible")
    assert (await client.get(f"{BASE}/tasks/{task['id']}", headers=viewer.headers)).status_code == 200
    assert (await _list(client, viewer))["total"] == 1
    for response in (
        await client.post(f"{BASE}/tasks", json={"title": "No"}, headers=viewer.headers),
        await _patch(client, viewer, task["id"], status="done"),
        await client.delete(f"{BASE}/tasks/{task['id']}", headers=viewer.headers),
        await client.post(
            f"{BASE}/tasks/bulk", json={"ids": [task["id"]], "action": "delete"}, headers=viewer.headers
        ),
        await client.post(f"{BASE}/tasks/from-text", json={"text": "call the bank"}, headers=viewer.headers),
    ):
        assert_problem(response, 403, "PERMISSION_DENIED")
    parsed = await client.post(f"{BASE}/tasks/parse", json={"text": "call the bank"}, headers=viewer.headers)
    assert parsed.status_code == 200  # a proposal saves nothing


async def test_a_member_may_be_assigned_and_write(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    member = await add_member(client, owner, "member")
    task = await _create(client, member, title="Member's task", assignee_id=owner.user_id)
    assert task["created_by"] == member.user_id
    moved = await _patch(client, member, task["id"], assignee_id=member.user_id)
    assert moved.json()["assignee_id"] == member.user_id


# -- hierarchy and dependencies -----------------------------------------------------------------------


async def test_subtasks_are_counted_and_parent_cycles_refused(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    top = await _create(client, owner, title="Organise the tasting evening")
    middle = await _create(client, owner, title="Book the room", parent_id=top["id"])
    leaf = await _create(client, owner, title="Pay the deposit", parent_id=middle["id"])
    await _patch(client, owner, middle["id"], status="done")
    counted = (await client.get(f"{BASE}/tasks/{top['id']}", headers=owner.headers)).json()
    assert counted["subtasks"] == {"total": 1, "done": 1}
    for parent in (top["id"], middle["id"], leaf["id"]):
        problem = assert_problem(await _patch(client, owner, top["id"], parent_id=parent), 422, "TASK_CYCLE")
        assert problem["errors"][0]["loc"] == ["body", "parent_id"]
    moved = await _patch(client, owner, leaf["id"], parent_id=None)
    assert moved.status_code == 200 and moved.json()["parent_id"] is None


async def test_dependencies_block_until_done_and_cycles_are_refused(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    first = await _create(client, owner, title="Order the beans")
    second = await _create(client, owner, title="Roast", blocked_by=[first["id"]])
    third = await _create(client, owner, title="Pack", blocked_by=[second["id"], second["id"]])
    assert second["blocked_by"] == [first["id"]] and second["is_blocked"] is True
    assert third["blocked_by"] == [second["id"]]
    for blockers in ([third["id"]], [second["id"]], [first["id"]]):  # through two, through one, itself
        problem = assert_problem(
            await _patch(client, owner, first["id"], blocked_by=blockers), 422, "TASK_CYCLE"
        )
        assert problem["errors"][0]["loc"] == ["body", "blocked_by"]
    await _patch(client, owner, first["id"], status="done")
    assert (await client.get(f"{BASE}/tasks/{second['id']}", headers=owner.headers)).json()[
        "is_blocked"
    ] is False
    cancelled_blocker = await _create(client, owner, title="Maybe later")
    await _patch(client, owner, third["id"], blocked_by=[cancelled_blocker["id"]])
    await _patch(client, owner, cancelled_blocker["id"], status="cancelled")
    unblocked = (await client.get(f"{BASE}/tasks/{third['id']}", headers=owner.headers)).json()
    assert unblocked["blocked_by"] == [cancelled_blocker["id"]] and unblocked["is_blocked"] is False
    cleared = await _patch(client, owner, third["id"], blocked_by=[])
    assert cleared.json()["blocked_by"] == []


# -- listing ------------------------------------------------------------------------------------------


@pytest.fixture
async def board(client: httpx.AsyncClient) -> dict[str, Any]:
    owner = await register(client, company="Board Co")
    member = await add_member(client, owner, "member")
    now = datetime.now(UTC)
    specs = [
        (
            "Pay the roaster invoice",
            "urgent",
            now + timedelta(hours=5),
            owner.user_id,
            ["finance"],
            "Admin",
            "todo",
        ),
        (
            "Fix the checkout page",
            "high",
            now - timedelta(days=1),
            member.user_id,
            ["web"],
            "Shop",
            "in_progress",
        ),
        ("Tidy the stockroom", "low", None, None, [], None, "todo"),
        ("Email the landlord", "medium", now + timedelta(days=10), owner.user_id, ["admin"], "Admin", "done"),
        (
            "Plan the spring menu",
            "medium",
            now + timedelta(days=3),
            None,
            ["Menu", "finance"],
            "Cafe",
            "blocked",
        ),
    ]
    tasks = {}
    for title, priority, due, assignee, tags, category, status in specs:
        tasks[title] = await _create(
            client,
            owner,
            title=title,
            priority=priority,
            due_at=due.isoformat() if due else None,
            assignee_id=assignee,
            tags=tags,
            category=category,
            status=status,
            description="Ask about the oat milk deal" if title.startswith("Plan") else None,
        )
    child = await _create(
        client, owner, title="Draft the menu", parent_id=tasks["Plan the spring menu"]["id"]
    )
    return {"owner": owner, "member": member, "tasks": tasks, "child": child}


async def test_filters(client: httpx.AsyncClient, board: dict[str, Any]) -> None:
    owner, member = board["owner"], board["member"]
    plan_id = board["tasks"]["Plan the spring menu"]["id"]

    def titles(**params: Any) -> Any:
        return _list(client, owner, **params)

    assert sorted(_titles(await titles(status=["todo", "blocked"]))) == [
        "Draft the menu",
        "Pay the roaster invoice",
        "Plan the spring menu",
        "Tidy the stockroom",
    ]
    assert sorted(_titles(await titles(priority=["urgent", "low"]))) == [
        "Pay the roaster invoice",
        "Tidy the stockroom",
    ]
    assert sorted(_titles(await titles(assignee="me"))) == ["Email the landlord", "Pay the roaster invoice"]
    assert _titles(await _list(client, member, assignee="me")) == ["Fix the checkout page"]
    assert _titles(await titles(assignee=member.user_id)) == ["Fix the checkout page"]
    assert sorted(_titles(await titles(assignee="none"))) == [
        "Draft the menu",
        "Plan the spring menu",
        "Tidy the stockroom",
    ]
    soon = (datetime.now(UTC) + timedelta(days=4)).isoformat()
    assert sorted(_titles(await titles(due_before=soon))) == [
        "Fix the checkout page",
        "Pay the roaster invoice",
        "Plan the spring menu",
    ]
    assert _titles(await titles(due_after=soon)) == ["Email the landlord"]
    assert sorted(_titles(await titles(tag="FINANCE"))) == ["Pay the roaster invoice", "Plan the spring menu"]
    assert _titles(await titles(tag="#menu")) == ["Plan the spring menu"]
    assert sorted(_titles(await titles(category="admin"))) == [
        "Email the landlord",
        "Pay the roaster invoice",
    ]
    assert _titles(await titles(parent_id=plan_id)) == ["Draft the menu"]
    assert "Draft the menu" not in _titles(await titles(parent_id="none"))
    assert _titles(await titles(q="OAT MILK")) == ["Plan the spring menu"]
    assert _titles(await titles(q="stockroom")) == ["Tidy the stockroom"]
    assert _titles(await titles(q="100%_")) == []  # LIKE wildcards are literal
    assert _titles(await titles(overdue="true")) == ["Fix the checkout page"]
    assert (await titles(overdue="true"))["items"][0]["overdue"] is True
    for bad in (
        {"assignee": "someone"},
        {"parent_id": "top"},
        {"sort": "title"},
        {"status": "open"},
        {"limit": 0},
    ):
        response = await client.get(f"{BASE}/tasks", params=bad, headers=owner.headers)
        assert_problem(response, 422, "VALIDATION_ERROR")


async def test_sorting_and_paging(client: httpx.AsyncClient, board: dict[str, Any]) -> None:
    owner = board["owner"]
    by_priority = _titles(await _list(client, owner, sort="priority", parent_id="none"))
    assert by_priority[:2] == ["Pay the roaster invoice", "Fix the checkout page"]
    assert by_priority[-1] == "Tidy the stockroom"
    assert (
        _titles(await _list(client, owner, sort="priority", order="asc", parent_id="none"))[0]
        == "Tidy the stockroom"
    )
    by_due = _titles(await _list(client, owner, sort="due_at"))
    assert by_due[:4] == [
        "Fix the checkout page",
        "Pay the roaster invoice",
        "Plan the spring menu",
        "Email the landlord",
    ]
    assert set(by_due[4:]) == {"Tidy the stockroom", "Draft the menu"}  # no due date: last either way
    by_due_desc = _titles(await _list(client, owner, sort="due_at", order="desc"))
    assert by_due_desc[0] == "Email the landlord" and set(by_due_desc[4:]) == {
        "Tidy the stockroom",
        "Draft the menu",
    }
    created = _titles(await _list(client, owner, sort="created_at", order="asc"))
    assert created[0] == "Pay the roaster invoice" and created[-1] == "Draft the menu"
    assert _titles(await _list(client, owner, sort="position"))[0] == "Pay the roaster invoice"
    await _patch(client, owner, board["tasks"]["Tidy the stockroom"]["id"], title="Tidy the stock room")
    assert _titles(await _list(client, owner, sort="updated_at"))[0] == "Tidy the stock room"

    first = await _list(client, owner, sort="created_at", order="asc", limit=2)
    second = await _list(client, owner, sort="created_at", order="asc", limit=2, offset=2)
    past = await _list(client, owner, limit=2, offset=50)
    assert first["total"] == second["total"] == past["total"] == 6
    created = _titles(await _list(client, owner, sort="created_at", order="asc"))
    assert _titles(first) + _titles(second) == created[:4]
    assert past["items"] == [] and (first["limit"], second["offset"]) == (2, 2)


# -- bulk ---------------------------------------------------------------------------------------------


async def test_bulk_update_changes_every_task_in_one_go(
    client: httpx.AsyncClient, state: AppState, board: dict[str, Any]
) -> None:
    owner, member = board["owner"], board["member"]
    tasks = board["tasks"]
    ids = [tasks["Tidy the stockroom"]["id"], tasks["Pay the roaster invoice"]["id"], str(uuid.uuid4())]
    response = await client.post(
        f"{BASE}/tasks/bulk",
        json={
            "ids": ids,
            "action": "update",
            "patch": {"status": "done", "priority": "high", "assignee_id": member.user_id, "tags": ["q4"]},
        },
        headers=owner.headers,
    )
    assert response.json() == {"requested": 3, "updated": 2, "deleted": 0, "not_found": 1}
    for task_id in ids[:2]:
        task = (await client.get(f"{BASE}/tasks/{task_id}", headers=owner.headers)).json()
        assert (task["status"], task["priority"], task["assignee_id"], task["tags"]) == (
            "done",
            "high",
            member.user_id,
            ["q4"],
        )
        assert task["completed_at"] is not None
    completed = {e["task_id"] for e in await _events(state, owner.tenant_id, "task.completed")}
    assert set(ids[:2]) <= completed

    # One bad value and nothing changes at all.
    stranger = await register(client, company="Elsewhere")
    refused = await client.post(
        f"{BASE}/tasks/bulk",
        json={"ids": ids[:2], "patch": {"status": "todo", "assignee_id": stranger.user_id}},
        headers=owner.headers,
    )
    assert_problem(refused, 422, "VALIDATION_ERROR")
    still = (await client.get(f"{BASE}/tasks/{ids[0]}", headers=owner.headers)).json()
    assert still["status"] == "done"


async def test_bulk_delete_and_bad_bulk_bodies(client: httpx.AsyncClient, board: dict[str, Any]) -> None:
    owner = board["owner"]
    plan = board["tasks"]["Plan the spring menu"]["id"]
    ids = [plan, board["child"]["id"], board["tasks"]["Tidy the stockroom"]["id"]]
    response = await client.post(
        f"{BASE}/tasks/bulk", json={"ids": ids, "action": "delete"}, headers=owner.headers
    )
    assert response.json() == {"requested": 3, "updated": 0, "deleted": 3, "not_found": 0}
    assert (await _list(client, owner))["total"] == 3
    for body in (
        {"ids": [], "action": "delete"},
        {"ids": [plan], "action": "update"},
        {"ids": [plan], "action": "update", "patch": {}},
        {"ids": [plan], "action": "delete", "patch": {"status": "done"}},
        {"ids": [plan], "action": "update", "patch": {"status": None}},
        {"ids": [plan], "action": "archive"},
        {"ids": [str(uuid.uuid4())] * 201, "action": "delete"},
    ):
        assert_problem(
            await client.post(f"{BASE}/tasks/bulk", json=body, headers=owner.headers), 422, "VALIDATION_ERROR"
        )


# -- the service the automation engine calls -----------------------------------------------------------


async def test_the_service_creates_and_updates_for_automations(
    client: httpx.AsyncClient, state: AppState
) -> None:
    owner = await register(client)
    tenant_id = uuid.UUID(owner.tenant_id)
    run_id = uuid.uuid4()
    async with state.db.session(tenant_id) as session:
        task = await service.create_task(
            session,
            tenant_id,
            TaskCreate(title="Thank Ana for her order", priority="high", related={"customer_id": "c-1"}),
            actor_id=None,
            source="automation",
            workflow_run_id=run_id,
        )
        updated = await service.update_task(
            session, tenant_id, task.id, TaskUpdate(status="done"), actor_id=None
        )
        assert updated is task and task.completed_at is not None
        fetched = await service.get_task(session, tenant_id, task.id)
        out = service.task_out(fetched)
        assert (out.source, out.workflow_run_id, out.created_by) == ("automation", run_id, None)
    async with state.db.session(tenant_id) as session:
        with pytest.raises(Exception) as missing:
            await service.get_task(session, tenant_id, uuid.uuid4())
        assert getattr(missing.value, "code", None) == "RESOURCE_NOT_FOUND"
    events = await _events(state, owner.tenant_id, "task.created")
    assert events[0]["source"] == "automation" and events[0]["priority"] == "high"


# -- natural language ---------------------------------------------------------------------------------

LONDON = "Europe/London"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo(LONDON))  # a Wednesday
MARIA = Member(uuid.UUID(int=1), "Maria Lopez", "maria@shop.example")
SAM_O = Member(uuid.UUID(int=2), "Sam Okafor", "sam@shop.example")
SAM_B = Member(uuid.UUID(int=3), "Sam Berg", "sberg@shop.example")
MEMBERS = [MARIA, SAM_O, SAM_B]


def _at(day: int, hour: int, minute: int = 0, month: int = 11, year: int = 2026) -> str:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(LONDON)).isoformat()


# text -> title, priority, due (London), estimate, assignee, tags
PHRASINGS: list[tuple[str, str, str | None, str | None, int | None, Member | None, list[str]]] = [
    (
        "Follow up with John next Tuesday at 3pm, high priority",
        "Follow up with John",
        "high",
        _at(1, 15, month=12),
        None,
        None,
        [],
    ),
    ("Call the bank tomorrow", "Call the bank", None, _at(26, 17), None, None, []),
    ("Send invoices in 3 days", "Send invoices", None, _at(28, 17), None, None, []),
    ("Renew the domain by Friday", "Renew the domain", None, _at(27, 17), None, None, []),
    ("Close the books end of month", "Close the books", None, _at(30, 17), None, None, []),
    ("urgent: fix the checkout page", "Fix the checkout page", "urgent", None, None, None, []),
    ("Order packaging, low priority", "Order packaging", "low", None, None, None, []),
    ("Water the plants", "Water the plants", None, None, None, None, []),
    (
        "Prepare the Q4 report by Dec 3rd #finance #reports",
        "Prepare the Q4 report",
        None,
        _at(3, 17, month=12),
        None,
        None,
        ["finance", "reports"],
    ),
    ("Update price list 30 min", "Update price list", None, None, 30, None, []),
    ("Write blog post 2h assign to Maria", "Write blog post", None, None, 120, MARIA, []),
    ("@maria check stock levels tomorrow morning", "Check stock levels", None, _at(26, 9), None, MARIA, []),
    ("Ask Maria to call the supplier on Monday", "Call the supplier", None, _at(30, 17), None, MARIA, []),
    ("Book van service next week", "Book van service", None, _at(2, 17, month=12), None, None, []),
    ("Reply to Acme asap", "Reply to Acme", "urgent", None, None, None, []),
    ("Pay rent on the 1st of December", "Pay rent", None, _at(1, 17, month=12), None, None, []),
    (
        "Review contract by 2026-12-10 at 14:00",
        "Review contract",
        None,
        _at(10, 14, month=12),
        None,
        None,
        [],
    ),
    ("Clean the storage room this weekend", "Clean the storage room", None, _at(28, 12), None, None, []),
    ("Call the courier in 2 hours", "Call the courier", None, _at(25, 12), None, None, []),
    ("Finish the slides tonight", "Finish the slides", None, _at(25, 20), None, None, []),
    ("Email the accountant before noon tomorrow", "Email the accountant", None, _at(26, 12), None, None, []),
    ("Fix leaking tap (important) 1h30", "Fix leaking tap", "high", None, 90, None, []),
    ("Send newsletter eod", "Send newsletter", None, _at(25, 17), None, None, []),
    ("Inventory count end of next month", "Inventory count", None, _at(31, 17, month=12), None, None, []),
    ("remind me to renew insurance next Friday", "Renew insurance", None, _at(27, 17), None, None, []),
    (
        "Quarterly taxes by end of quarter, assign to sam@shop.example",
        "Quarterly taxes",
        None,
        _at(31, 17, month=12),
        None,
        SAM_O,
        [],
    ),
    (
        "Prepare the launch within 2 weeks, takes about 3 hours",
        "Prepare the launch",
        None,
        _at(9, 17, month=12),
        180,
        None,
        [],
    ),
    ("Plan team lunch, not urgent", "Plan team lunch", "low", None, None, None, []),
    ("Restock cups end of week", "Restock cups", None, _at(27, 17), None, None, []),
    ("Call Sam tomorrow at 9am", "Call Sam", None, _at(26, 9), None, None, []),
    ("assign to Sam: count the till", "Count the till", None, None, None, None, []),  # two Sams: nobody
    ("todo: order oat milk, medium priority", "Order oat milk", "medium", None, None, None, []),
    ("Check the espresso machine, about an hour", "Check the espresso machine", None, None, 60, None, []),
    ("tomorrow 3pm", "Tomorrow 3pm", None, _at(26, 15), None, None, []),
]


@pytest.mark.parametrize(
    ("text", "title", "priority", "due", "estimate", "assignee", "tags"),
    PHRASINGS,
    ids=[p[0] for p in PHRASINGS],
)
def test_plain_words_become_a_task(
    text: str,
    title: str,
    priority: str | None,
    due: str | None,
    estimate: int | None,
    assignee: Member | None,
    tags: list[str],
) -> None:
    parsed = nlp.parse(text, now=NOW, timezone=LONDON, members=MEMBERS)
    got_due = parsed.due_at.isoformat() if parsed.due_at else None
    assert (
        parsed.title,
        parsed.priority,
        got_due,
        parsed.estimate_minutes,
        parsed.assignee,
        parsed.tags,
    ) == (
        title,
        priority,
        due,
        estimate,
        assignee,
        tags,
    )
    parsed.to_create()  # always a valid task


def test_dates_are_read_in_the_organizations_time_zone() -> None:
    utc_now = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)  # already the 26th in Tokyo
    parsed = nlp.parse("Call the supplier tomorrow at 3pm", now=utc_now, timezone="Asia/Tokyo")
    assert parsed.due_at is not None
    assert parsed.due_at.astimezone(UTC).isoformat() == "2026-11-27T06:00:00+00:00"
    summer = nlp.parse("Ship it tomorrow", now=datetime(2026, 7, 1, 8, 0, tzinfo=UTC), timezone=LONDON)
    assert summer.due_at is not None and summer.due_at.astimezone(UTC).hour == 16  # 17:00 BST


async def _set_timezone(state: AppState, tenant_id: str, zone: str) -> None:
    async with state.db.session() as session:
        tenant = await session.get(Tenant, uuid.UUID(tenant_id))
        assert tenant is not None
        tenant.settings = {**tenant.settings, "timezone": zone}


async def test_parse_proposes_and_from_text_creates(client: httpx.AsyncClient, state: AppState) -> None:
    owner = await register(client, company="Words Co")
    member = await add_member(client, owner, "member")
    await _set_timezone(state, owner.tenant_id, "America/New_York")
    text = "Follow up with John next Tuesday at 3pm, high priority, assign to A #sales"
    parsed = await client.post(f"{BASE}/tasks/parse", json={"text": text}, headers=owner.headers)
    assert parsed.status_code == 200, parsed.text
    proposal = parsed.json()
    assert proposal["engine"] == "local"
    task = proposal["task"]
    assert task["title"] == "Follow up with John" and task["priority"] == "high" and task["tags"] == ["sales"]
    assert task["assignee_id"] == member.user_id and proposal["assignee_name"] == "A member"
    due = datetime.fromisoformat(task["due_at"]).astimezone(ZoneInfo("America/New_York"))
    assert (due.strftime("%A"), due.hour, due.minute) == ("Tuesday", 15, 0)
    assert timedelta(0) < due - datetime.now(UTC) <= timedelta(days=8)
    assert proposal["recognised"]["priority"] == "high priority"
    assert (await _list(client, owner))["total"] == 0  # nothing saved

    created = await client.post(f"{BASE}/tasks/from-text", json={"text": text}, headers=owner.headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["source"] == "ai" and body["title"] == "Follow up with John" and body["due_at"] is not None
    assert (await _list(client, owner))["total"] == 1
    for bad in ({"text": ""}, {"text": "x" * 1001}, {}):
        assert_problem(
            await client.post(f"{BASE}/tasks/parse", json=bad, headers=owner.headers), 422, "VALIDATION_ERROR"
        )


# -- the agent's tools ----------------------------------------------------------------------------------


@pytest.fixture
def run_tool(state: AppState) -> Any:
    from binelek.ai.toolbox import call_tool
    from binelek.kit.request_meta import RequestMeta
    from binelek.kit.tools import ToolContext

    async def runner(principal: Any, name: str, args: dict[str, Any], **options: Any) -> Any:
        async with state.db.session(tenant_id=principal.tenant_id) as session:
            context = ToolContext(principal=principal, session=session, state=state, meta=RequestMeta())
            return await call_tool(context, name, args, **options)

    return runner


async def test_tools_list_pick_create_and_update_tasks(
    client: httpx.AsyncClient, state: AppState, run_tool: Any
) -> None:
    from tests.conftest import principal_of

    owner = await register(client, company="Tool Co")
    member = await add_member(client, owner, "member")
    viewer = await add_member(client, owner, "viewer")
    soon = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    await _create(
        client, owner, title="Pay the roaster", priority="urgent", due_at=soon, assignee_id=owner.user_id
    )
    await _create(client, owner, title="Tidy the stockroom", priority="low")
    await _create(client, owner, title="Fix the website", priority="urgent", assignee_id=member.user_id)
    principal = await principal_of(state, owner)

    listed = await run_tool(principal, "list_tasks", {"assignee": "me"})
    assert listed.status == "done" and listed.result.summary.startswith(
        "1 task: “Pay the roaster” (urgent, due "
    )
    assert listed.result.sources[0].url.startswith("/ops/tasks/")
    everything = await run_tool(principal, "list_tasks", {"priority": ["urgent"]})
    assert everything.result.data["total"] == 2

    best = await run_tool(principal, "next_task", {})
    assert best.status == "done" and best.result.summary.startswith("Next: “Pay the roaster” (score 65:")
    assert best.result.data["runners_up"] == [
        {"title": "Tidy the stockroom", "score": 10}
    ]  # not another's task

    held = await run_tool(principal, "create_task", {"title": "Call the bank", "assignee": "A member"})
    assert held.status == "needs_confirmation"
    assert (await _list(client, owner, q="bank"))["total"] == 0
    made = await run_tool(
        principal,
        "create_task",
        {
            "title": "Call the bank",
            "assignee": "A member",
            "due_at": "2026-12-03T00:00:00+00:00",
            "priority": "high",
        },
        confirmed=True,
    )
    assert made.status == "done", made.error
    (task,) = (await _list(client, owner, q="bank"))["items"]
    assert (task["assignee_id"], task["priority"], task["source"]) == (member.user_id, "high", "ai")
    assert task["due_at"].startswith("2026-12-03T17:00:00")  # a day without a time: end of that working day
    unknown = await run_tool(principal, "create_task", {"title": "x", "assignee": "Nobody"}, confirmed=True)
    assert unknown.status == "failed" and "Nobody" in unknown.error

    done = await run_tool(principal, "update_task", {"task": "bank", "status": "done"}, confirmed=True)
    assert done.status == "done" and "it is now done" in done.result.summary
    assert (await client.get(f"{BASE}/tasks/{task['id']}", headers=owner.headers)).json()["status"] == "done"
    await _create(client, owner, title="Call the bakery")
    await _create(client, owner, title="Call the butcher")
    vague = await run_tool(principal, "update_task", {"task": "call", "priority": "low"}, confirmed=True)
    assert vague.status == "failed" and "Several tasks match" in vague.error
    nothing = await run_tool(principal, "update_task", {"task": "bakery"}, confirmed=True)
    assert nothing.status == "failed" and "Say what to change" in nothing.error

    denied = await run_tool(await principal_of(state, viewer), "create_task", {"title": "No"}, confirmed=True)
    assert denied.status == "denied"
    stranger = await register(client, company="Other Tool Co")
    theirs = await run_tool(await principal_of(state, stranger), "list_tasks", {})
    assert theirs.result.summary == "No tasks match."


# -- with the organization's AI model ---------------------------------------------------------------------


async def _use_model(client: httpx.AsyncClient, owner: Account, fake: Any) -> None:
    key = {"provider": "openai", "api_key": fake.api_key, "base_url": fake.base_url}
    saved = await client.post("/api/llm/api-keys", json=key, headers=owner.headers)
    assert saved.status_code == 201, saved.text
    body = {"default_provider": "openai", "default_model": fake.model}
    updated = await client.put("/api/llm/settings", json=body, headers=owner.headers)
    assert updated.status_code == 200, updated.text


async def test_a_configured_model_reads_the_text_first_and_the_local_parser_backs_it_up(
    client: httpx.AsyncClient,
) -> None:
    import json

    from tests.fake_llm import FakeLLM, Script

    owner = await register(client, company="Model Co")
    member = await add_member(client, owner, "member")
    with FakeLLM("openai") as fake:
        await _use_model(client, owner, fake)
        reply = {
            "title": "Call the roaster",
            "due_at": "2026-12-01T15:00:00+00:00",
            "priority": "urgent",
            "assignee": member.email,
            "tags": ["supply"],
            "estimate_minutes": 20,
        }
        fake.script = Script(tool="none", plain_reply=f"Sure! {json.dumps(reply)}")
        text = "ring the roaster on tuesday 3pm, asap, A member does it #supply"
        proposal = (
            await client.post(f"{BASE}/tasks/parse", json={"text": text}, headers=owner.headers)
        ).json()
        assert proposal["engine"] == "llm" and proposal["assignee_name"] == "A member"
        task = proposal["task"]
        assert (
            task["title"],
            task["priority"],
            task["assignee_id"],
            task["estimate_minutes"],
            task["tags"],
        ) == (
            "Call the roaster",
            "urgent",
            member.user_id,
            20,
            ["supply"],
        )
        sent = [r for r in fake.requests if r["method"] == "POST"][-1]["body"]
        assert text in json.dumps(sent) and member.email in json.dumps(sent)  # the members it may name

        fake.script = Script(tool="none", plain_reply="I would rather not.")
        fallback = (
            await client.post(f"{BASE}/tasks/parse", json={"text": text}, headers=owner.headers)
        ).json()
        assert fallback["engine"] == "local" and fallback["task"]["priority"] == "urgent"
        fake.script = Script(tool="none", fail_with=500)
        failed = await client.post(
            f"{BASE}/tasks/from-text", json={"text": "Water the plants"}, headers=owner.headers
        )
        assert failed.status_code == 201 and failed.json()["title"] == "Water the plants"
