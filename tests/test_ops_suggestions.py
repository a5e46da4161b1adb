"""Task suggestions: each rule with the numbers it reports, accepting applies exactly the proposal,
dismissed and accepted proposals never return, stale ones are withdrawn, roles and isolation hold."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select, update

from binelek.connectors import service as connectors
from binelek.connectors.models import Customer
from binelek.identity.models import Tenant
from binelek.kit.state import AppState
from binelek.ops import suggestions
from binelek.ops.automation.definitions import WorkflowDefinition
from binelek.ops.models import Task, Workflow
from tests.conftest import Account, add_member, assert_problem, register

BASE = "/api/modules/ops-copilot"


async def _task(client: httpx.AsyncClient, account: Account, **fields: Any) -> dict[str, Any]:
    response = await client.post(f"{BASE}/tasks", json=fields, headers=account.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _open(client: httpx.AsyncClient, account: Account, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(
        f"{BASE}/suggestions", params={"limit": 200, **params}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def _about(items: list[dict[str, Any]], task: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [item for item in items if item["task_id"] == task["id"] and item["kind"] == kind]


async def _accept(client: httpx.AsyncClient, account: Account, suggestion: dict[str, Any]) -> httpx.Response:
    return await client.post(f"{BASE}/suggestions/{suggestion['id']}/accept", headers=account.headers)


async def _dismiss(client: httpx.AsyncClient, account: Account, suggestion: dict[str, Any]) -> httpx.Response:
    return await client.post(f"{BASE}/suggestions/{suggestion['id']}/dismiss", headers=account.headers)


def _in(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


# -- priority -----------------------------------------------------------------------------------------


async def test_a_deadline_within_a_day_raises_priority_once_accepted(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    task = await _task(client, owner, title="Send the VAT return", due_at=_in(5.2))
    relaxed = await _task(client, owner, title="Already high", priority="high", due_at=_in(3))
    items = await _open(client, owner)
    (proposal,) = _about(items, task, "priority")
    assert proposal["payload"] == {"priority": "high"} and proposal["status"] == "open"
    assert proposal["reason"] == "It is medium priority, but it is due in 5 hours."
    assert not _about(items, relaxed, "priority")
    # Nothing happened yet.
    assert (await client.get(f"{BASE}/tasks/{task['id']}", headers=owner.headers)).json()[
        "priority"
    ] == "medium"

    accepted = await _accept(client, owner, proposal)
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["task"]["priority"] == "high" and body["created_task_ids"] == [] and body["workflow"] is None
    assert body["suggestion"]["status"] == "accepted" and body["suggestion"]["decided_by"] == owner.user_id
    assert body["suggestion"]["decided_at"] is not None
    assert not _about(await _open(client, owner), task, "priority")
    assert_problem(await _accept(client, owner, proposal), 409, "CONFLICT")
    assert_problem(await _dismiss(client, owner, proposal), 409, "CONFLICT")


async def test_a_dismissed_suggestion_is_never_proposed_again(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    first = await _task(client, owner, title="Order green beans")
    waiting = [
        await _task(client, owner, title=f"Roast batch {n}", blocked_by=[first["id"]]) for n in (1, 2, 3)
    ]
    (proposal,) = _about(await _open(client, owner), first, "priority")
    assert proposal["payload"] == {"priority": "high"}
    assert proposal["reason"].startswith("It is medium priority, but 3 open tasks wait for it (")
    assert all(f"“{t['title']}”" in proposal["reason"] for t in waiting)

    dismissed = await _dismiss(client, owner, proposal)
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    for _ in range(2):
        assert not _about(await _open(client, owner), first, "priority")
    computed = await client.post(f"{BASE}/tasks/{first['id']}/suggestions", headers=owner.headers)
    assert not _about(computed.json()["items"], first, "priority")
    assert (await client.get(f"{BASE}/tasks/{first['id']}", headers=owner.headers)).json()[
        "priority"
    ] == "medium"


async def test_one_open_task_waiting_is_not_enough(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    first = await _task(client, owner, title="Sign the lease")
    await _task(client, owner, title="Move in", blocked_by=[first["id"]])
    done = await _task(client, owner, title="Old chore", blocked_by=[first["id"]], status="done")
    assert done["status"] == "done"
    assert not _about(await _open(client, owner), first, "priority")


async def test_an_untouched_task_is_raised_one_step(client: httpx.AsyncClient, state: AppState) -> None:
    owner = await register(client)
    task = await _task(client, owner, title="Tidy the stockroom", priority="low")
    async with state.db.session() as session:
        await session.execute(
            update(Task)
            .where(Task.id == uuid.UUID(task["id"]))
            .values(updated_at=datetime.now(UTC) - timedelta(days=20, hours=1))
        )
    (proposal,) = _about(await _open(client, owner), task, "priority")
    assert proposal["payload"] == {"priority": "medium"}
    assert proposal["reason"] == "It is low priority, but it has been open for 20 days without a change."


async def test_a_top_customer_raises_priority(client: httpx.AsyncClient, state: AppState) -> None:
    owner = await register(client, company="Value Co")
    tenant_id = uuid.UUID(owner.tenant_id)
    people = [(f"buyer{n}@example.com", f"Buyer {n}") for n in range(1, 11)]
    customers = [
        {"email": email, "name": name, "country": "", "city": "", "created_at": ""} for email, name in people
    ]
    orders = [
        {
            "order_number": f"{n}{k}",
            "customer_email": email,
            "placed_at": "2026-01-10T10:00:00Z",
            "status": "paid",
            "currency": "EUR",
            "subtotal": str(n * 10),
            "discount": "0",
            "tax": "0",
            "shipping": "0",
            "total": str(n * 10),
            "channel": "web",
        }
        for n, (email, _) in enumerate(people, start=1)
        for k in range(2)
    ]
    orders.append({**orders[0], "order_number": "cancelled", "total": "99999", "status": "cancelled"})
    for entity, rows in (("customers", customers), ("orders", orders)):
        result = await connectors.import_rows(state.db, tenant_id, entity, rows)
        assert result.rows_failed == 0, result.errors
    async with state.db.session(tenant_id) as session:
        ids = dict((await session.execute(select(Customer.email, Customer.id))).all())
    best = await _task(
        client, owner, title="Call Buyer 10", related={"customer_id": str(ids["buyer10@example.com"])}
    )
    middling = await _task(
        client, owner, title="Call Buyer 1", related={"customer_id": str(ids["buyer1@example.com"])}
    )
    items = await _open(client, owner)
    (proposal,) = _about(items, best, "priority")
    assert proposal["payload"] == {"priority": "high"}
    assert proposal["reason"] == (
        "It is medium priority, but it is about Buyer 10, a top 10 % customer by lifetime revenue "
        "(200.00 EUR from 2 orders; number 1 of 10)."
    )
    assert not _about(items, middling, "priority")  # buyer 1 spent 20 (the cancelled order never counts)


# -- due dates, subtasks ---------------------------------------------------------------------------------


def _working_days_after(day: date, days: int) -> date:
    while days:
        day += timedelta(days=1)
        days -= day.weekday() < 5
    return day


async def test_urgent_and_high_tasks_get_a_due_date(client: httpx.AsyncClient, state: AppState) -> None:
    owner = await register(client)
    async with state.db.session() as session:
        tenant = await session.get(Tenant, uuid.UUID(owner.tenant_id))
        assert tenant is not None
        tenant.settings = {**tenant.settings, "timezone": "America/New_York"}
    zone = ZoneInfo("America/New_York")
    urgent = await _task(client, owner, title="Replace the card reader", priority="urgent")
    high = await _task(
        client, owner, title="Quote for the café", priority="high", estimate_minutes=8 * 60 * 5
    )
    medium = await _task(client, owner, title="Reorder lids")
    items = await _open(client, owner)
    today = datetime.now(zone).date()
    (for_urgent,) = _about(items, urgent, "due_date")
    expected = datetime.combine(
        _working_days_after(today, 1), datetime.min.time().replace(hour=17), tzinfo=zone
    )
    assert datetime.fromisoformat(for_urgent["payload"]["due_at"]) == expected
    assert for_urgent["reason"].startswith(
        "Urgent tasks without a due date are easy to lose. 1 working day from"
    )
    (for_high,) = _about(items, high, "due_date")
    assert "its estimate of 40 h needs 5 working days" in for_high["reason"]
    assert datetime.fromisoformat(for_high["payload"]["due_at"]).date() == _working_days_after(today, 5)
    assert not _about(items, medium, "due_date")

    accepted = (await _accept(client, owner, for_urgent)).json()
    assert datetime.fromisoformat(accepted["task"]["due_at"]) == expected
    assert not _about(await _open(client, owner), urgent, "due_date")


async def test_known_kinds_of_work_are_broken_into_their_steps(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    launch = await _task(client, owner, title="Launch the autumn blend", estimate_minutes=600)
    long = await _task(client, owner, title="Deep clean the roastery", estimate_minutes=300)
    short = await _task(client, owner, title="Email Bo")
    items = await _open(client, owner)
    (steps,) = _about(items, launch, "subtasks")
    titles = [item["title"] for item in steps["payload"]["subtasks"]]
    assert titles == [
        "Define the goal and how to measure the autumn blend",
        "Make the launch checklist for the autumn blend",
        "Write the announcement of the autumn blend",
        "Launch the autumn blend",
        "Review the results of the autumn blend a week later",
    ]
    assert {item["estimate_minutes"] for item in steps["payload"]["subtasks"]} == {120}
    (sessions,) = _about(items, long, "subtasks")
    assert [s["title"] for s in sessions["payload"]["subtasks"]] == [
        "Deep clean the roastery — part 1 of 3",
        "Deep clean the roastery — part 2 of 3",
        "Deep clean the roastery — part 3 of 3",
    ]
    assert "estimate of 5 h is more than 4 hours" in sessions["reason"]
    assert not _about(items, short, "subtasks")

    accepted = (await _accept(client, owner, steps)).json()
    assert len(accepted["created_task_ids"]) == 5 and accepted["task"]["subtasks"] == {"total": 5, "done": 0}
    children = (
        await client.get(
            f"{BASE}/tasks", params={"parent_id": launch["id"], "sort": "position"}, headers=owner.headers
        )
    ).json()
    assert [c["title"] for c in children["items"]] == titles and {c["source"] for c in children["items"]} == {
        "ai"
    }
    # The parent has subtasks now, and subtasks are not broken down again.
    again = await _open(client, owner)
    assert not _about(again, launch, "subtasks")
    assert not any(
        item["kind"] == "subtasks" and item["task_id"] in accepted["created_task_ids"] for item in again
    )


def test_verb_templates_are_deterministic() -> None:
    assert suggestions.verb_steps("Organize the summer party") == (
        "Organize",
        [
            "Set the date, budget and guest list for the summer party",
            "Book the venue and suppliers for the summer party",
            "Send the invitations for the summer party",
            "Confirm the details of the summer party the day before",
        ],
    )
    assert suggestions.verb_steps("Prepare") is None
    assert suggestions.verb_steps("Call the bank") is None


# -- the next action ------------------------------------------------------------------------------------


async def test_the_next_action_is_the_best_workable_task(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    blocker = await _task(client, owner, title="Fix the roaster", priority="urgent", due_at=_in(-2))
    await _task(
        client,
        owner,
        title="Roast for the market",
        priority="urgent",
        due_at=_in(1),
        blocked_by=[blocker["id"]],
    )
    await _task(client, owner, title="Update the website", priority="high", due_at=_in(30))
    await _task(client, owner, title="Someday", priority="low")
    items = await _open(client, owner, kind="next_action")
    (best,) = items
    assert best["task_id"] == blocker["id"] and best["title"] == "Do next: Fix the roaster"
    assert best["payload"]["score"] == 40 + 30 + 10
    assert best["reason"] == (
        "Highest score (80) of 3 open tasks you can work on: urgent priority (+40), "
        "it was due 2 hours ago (+30) and 1 open task waits for it (+10)."
    )
    accepted = (await _accept(client, owner, best)).json()
    assert accepted["task"]["status"] == "in_progress"
    # Accepted today: the next best one is proposed instead.
    (following,) = await _open(client, owner, kind="next_action")
    assert following["title"] == "Do next: Update the website"
    await _dismiss(client, owner, following)
    (third,) = await _open(client, owner, kind="next_action")
    assert third["title"] == "Do next: Someday"


# -- repeated manual work -------------------------------------------------------------------------------


async def test_repeated_manual_tasks_propose_an_automation(
    client: httpx.AsyncClient, state: AppState
) -> None:
    owner = await register(client)
    for name in ("Ana Lima", "Bo Berg", "Cy Young"):
        await _task(client, owner, title=f"Follow up with {name}")
    await _task(client, owner, title="Follow the recipe")  # shares one word only
    (proposal,) = await _open(client, owner, kind="automation")
    workflow = proposal["payload"]["workflow"]
    assert workflow["trigger"] == {"type": "event", "event": "customer.created"}
    assert workflow["steps"] == [
        {
            "id": "create_task",
            "type": "create_task",
            "config": {"title": "Follow up with {{ trigger.name }}", "priority": "medium"},
        }
    ]
    WorkflowDefinition.model_validate({"trigger": workflow["trigger"], "steps": workflow["steps"]})
    assert proposal["reason"].startswith(
        "You made 3 tasks starting with “Follow up with” by hand in the last 30 days "
        "(“Follow up with Ana Lima”, “Follow up with Bo Berg”, “Follow up with Cy Young”)."
    )
    accepted = (await _accept(client, owner, proposal)).json()
    assert accepted["workflow"] == workflow and accepted["task"] is None
    async with state.db.session(uuid.UUID(owner.tenant_id)) as session:
        assert (await session.execute(select(func.count()).select_from(Workflow))).scalar_one() == 0
    assert await _open(client, owner, kind="automation") == []


async def test_identical_chores_propose_a_schedule(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    for _ in range(3):
        await _task(client, owner, title="Count the till", priority="high")
    await _task(client, owner, title="Made by a rule", status="done")
    (proposal,) = await _open(client, owner, kind="automation")
    workflow = proposal["payload"]["workflow"]
    weekday = (datetime.now(UTC).weekday() + 1) % 7
    assert workflow["trigger"] == {"type": "schedule", "cron": f"0 9 * * {weekday}", "timezone": "UTC"}
    assert workflow["steps"][0]["config"] == {"title": "Count the till", "priority": "high"}
    WorkflowDefinition.model_validate({"trigger": workflow["trigger"], "steps": workflow["steps"]})


# -- withdrawal, per task, roles, isolation ----------------------------------------------------------------


async def test_a_proposal_that_no_longer_holds_is_withdrawn(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    task = await _task(client, owner, title="Pay the roaster", due_at=_in(3))
    assert _about(await _open(client, owner), task, "priority")
    await client.patch(f"{BASE}/tasks/{task['id']}", json={"due_at": _in(24 * 10)}, headers=owner.headers)
    assert not _about(await _open(client, owner), task, "priority")
    await client.patch(f"{BASE}/tasks/{task['id']}", json={"due_at": _in(2)}, headers=owner.headers)
    assert _about(await _open(client, owner), task, "priority")  # withdrawn, not refused: it may return
    await client.patch(f"{BASE}/tasks/{task['id']}", json={"status": "done"}, headers=owner.headers)
    computed = await client.post(f"{BASE}/tasks/{task['id']}/suggestions", headers=owner.headers)
    assert computed.status_code == 200 and computed.json()["items"] == []


async def test_suggestions_for_one_task(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    task = await _task(client, owner, title="Plan the open day", priority="urgent")
    other = await _task(client, owner, title="Prepare the stand", priority="urgent")
    response = await client.post(f"{BASE}/tasks/{task['id']}/suggestions", headers=owner.headers)
    assert response.status_code == 200, response.text
    kinds = sorted(item["kind"] for item in response.json()["items"])
    assert kinds == ["due_date", "subtasks"]
    assert {item["task_id"] for item in response.json()["items"]} == {task["id"]}
    assert _about(await _open(client, owner), other, "subtasks")
    assert_problem(
        await client.post(f"{BASE}/tasks/{uuid.uuid4()}/suggestions", headers=owner.headers),
        404,
        "RESOURCE_NOT_FOUND",
    )


async def test_roles_and_isolation(client: httpx.AsyncClient) -> None:
    owner = await register(client, company="Suggest Co")
    viewer = await add_member(client, owner, "viewer")
    stranger = await register(client, company="Other Co")
    task = await _task(client, owner, title="Send the invoice", due_at=_in(2))
    items = await _open(client, viewer)  # a viewer may look
    (proposal,) = _about(items, task, "priority")
    assert_problem(await _accept(client, viewer, proposal), 403, "PERMISSION_DENIED")
    assert_problem(await _dismiss(client, viewer, proposal), 403, "PERMISSION_DENIED")
    assert await _open(client, stranger) == []
    assert_problem(await _accept(client, stranger, proposal), 404, "RESOURCE_NOT_FOUND")
    assert_problem(await _dismiss(client, stranger, proposal), 404, "RESOURCE_NOT_FOUND")
    assert_problem(
        await client.post(f"{BASE}/suggestions/{uuid.uuid4()}/accept", headers=owner.headers),
        404,
        "RESOURCE_NOT_FOUND",
    )
    bad = await client.get(f"{BASE}/suggestions", params={"kind": "everything"}, headers=owner.headers)
    assert_problem(bad, 422, "VALIDATION_ERROR")


# -- the score, at a fixed moment ----------------------------------------------------------------------------

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def _plain(title: str, priority: str, due: datetime | None, status: str = "todo") -> Task:
    return Task(
        id=uuid.uuid4(),
        title=title,
        priority=priority,
        due_at=due,
        status=status,
        created_at=NOW - timedelta(days=1),
        updated_at=NOW - timedelta(days=1),
        related={},
        parent_id=None,
        estimate_minutes=None,
    )


@pytest.mark.parametrize(
    ("priority", "due", "status", "points"),
    [
        ("low", None, "todo", 10),
        ("medium", NOW + timedelta(days=5), "todo", 28),
        ("high", NOW + timedelta(days=2), "todo", 45),
        ("urgent", NOW + timedelta(hours=3), "in_progress", 70),
        ("medium", NOW - timedelta(minutes=1), "todo", 50),
        ("high", NOW + timedelta(days=30), "todo", 30),
    ],
)
def test_score_parts(priority: str, due: datetime | None, status: str, points: int) -> None:
    task = _plain("T", priority, due, status)
    snap = suggestions.Snapshot(NOW, ZoneInfo("UTC"), [task], {})
    assert suggestions.score(task, snap).score == points


def test_blocked_tasks_never_come_first() -> None:
    blocker = _plain("Blocker", "low", None)
    blocked = _plain("Blocked", "urgent", NOW - timedelta(days=1))
    snap = suggestions.Snapshot(NOW, ZoneInfo("UTC"), [blocker, blocked], {blocked.id: {blocker.id}})
    ranked = suggestions.ranked(snap.tasks, snap)
    assert [item.task.title for item in ranked] == ["Blocker"]
    assert ranked[0].score == 10 + 10
