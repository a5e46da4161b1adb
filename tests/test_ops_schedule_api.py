"""Ops Copilot's scheduling API: the plan over real tasks, working hours and busy blocks, calendar
events synced from (fake) Outlook, the iCalendar feed, permissions, tenant isolation, validation."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from icalendar import Calendar

from binelek.identity.models import Tenant
from binelek.kit.state import AppState
from binelek.ops.models import Task, TaskDependency
from tests.conftest import Account, add_member, assert_problem, register
from tests.connector_support import configured, connect, wait_for_run
from tests.fakes.outlook import FakeOutlook, attendee, graph_local, person

BASE = "/api/modules/ops-copilot"
ALWAYS = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def _now() -> datetime:
    return datetime.now(UTC)


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


async def _always_working(client: httpx.AsyncClient, account: Account, min_chunk: int = 15) -> None:
    """Round-the-clock hours, so plans do not depend on when the test runs."""
    body = {"timezone": "UTC", "week": ALWAYS, "min_chunk_minutes": min_chunk}
    response = await client.put(f"{BASE}/working-hours", json=body, headers=account.headers)
    assert response.status_code == 200, response.text


async def _task(state: AppState, owner: Account, title: str, **fields: Any) -> uuid.UUID:
    """A task row as the tasks API stores it (that API is not what these tests are about)."""
    blocked_by: list[uuid.UUID] = fields.pop("blocked_by", [])
    async with state.db.session(uuid.UUID(owner.tenant_id)) as session:
        task = Task(title=title, created_by=uuid.UUID(owner.user_id), **fields)
        session.add(task)
        await session.flush()
        for blocker in blocked_by:
            session.add(TaskDependency(task_id=task.id, blocked_by_id=blocker))
        return task.id


async def _schedule(client: httpx.AsyncClient, account: Account, **params: Any) -> dict[str, Any]:
    response = await client.get(f"{BASE}/schedule", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _blocks(schedule: dict[str, Any], task_id: uuid.UUID) -> list[tuple[datetime, datetime]]:
    return [(_at(b["start"]), _at(b["end"])) for b in schedule["blocks"] if b["task_id"] == str(task_id)]


def _task_out(schedule: dict[str, Any], task_id: uuid.UUID) -> dict[str, Any]:
    found: dict[str, Any] = next(t for t in schedule["tasks"] if t["task_id"] == str(task_id))
    return found


# -- working hours ----------------------------------------------------------------------------------


async def test_working_hours_default_to_the_organization_zone_then_save(client, state):
    owner = await register(client, company="Hours & Co")
    async with state.db.session() as session:
        tenant = await session.get(Tenant, uuid.UUID(owner.tenant_id))
        assert tenant is not None
        tenant.settings = {**tenant.settings, "timezone": "America/Chicago"}
    response = await client.get(f"{BASE}/working-hours", headers=owner.headers)
    assert response.status_code == 200, response.text
    default = response.json()
    assert default["is_default"] and not default["feed_active"]
    assert default["timezone"] == "America/Chicago" and default["min_chunk_minutes"] == 30
    assert default["week"]["mon"] == [["09:00", "17:00"]] and default["week"]["sat"] == []

    body = {
        "timezone": "Europe/Lisbon",
        "week": {"tue": [["13:30", "17:00"], ["08:00", "12:00"]], "fri": [["20:00", "24:00"]]},
        "min_chunk_minutes": 45,
    }
    saved = await client.put(f"{BASE}/working-hours", json=body, headers=owner.headers)
    assert saved.status_code == 200, saved.text
    again = (await client.get(f"{BASE}/working-hours", headers=owner.headers)).json()
    assert again == saved.json()
    assert again["week"]["tue"] == [["08:00", "12:00"], ["13:30", "17:00"]]  # kept in order
    assert again["week"]["mon"] == [] and again["week"]["fri"] == [["20:00", "24:00"]]
    assert not again["is_default"] and again["timezone"] == "Europe/Lisbon"
    logs = (await client.get("/api/audit-logs", headers=owner.headers)).json()
    assert "ops.working_hours.updated" in {entry["action"] for entry in logs["items"]}


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"week": {"mon": [["9:00", "17:00"]]}}, "week"),
        ({"week": {"mon": [["09:00", "24:30"]]}}, "week"),
        ({"week": {"mon": [["17:00", "09:00"]]}}, "week"),
        ({"week": {"mon": [["09:00", "09:00"]]}}, "week"),
        ({"week": {"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}}, "week"),
        ({"week": {"someday": [["09:00", "17:00"]]}}, "week"),
        ({"week": {"mon": [["09:00"]]}}, "week"),
        ({"min_chunk_minutes": 10}, "min_chunk_minutes"),
        ({"min_chunk_minutes": 241}, "min_chunk_minutes"),
        ({"extra": True}, "extra"),
    ],
)
async def test_working_hours_validation(client, change, where):
    owner = await register(client)
    body = {"timezone": "UTC", "week": {"mon": [["09:00", "17:00"]]}, "min_chunk_minutes": 30, **change}
    response = await client.put(f"{BASE}/working-hours", json=body, headers=owner.headers)
    problem = assert_problem(response, 422, "VALIDATION_ERROR")
    assert any(error["loc"][:2] == ["body", where] for error in problem["errors"]), problem


# -- busy blocks ------------------------------------------------------------------------------------


async def test_busy_blocks_are_each_persons_own(client):
    owner = await register(client)
    member = await add_member(client, owner, "member")
    start = _minute(_now()) + timedelta(days=1)
    body = {
        "title": "Dentist",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
    }
    created = await client.post(f"{BASE}/busy-blocks", json=body, headers=member.headers)
    assert created.status_code == 201, created.text
    block = created.json()
    assert block["title"] == "Dentist" and _at(block["starts_at"]) == start

    # Naive times are UTC; the list filters by overlap.
    naive = (start + timedelta(days=2)).replace(tzinfo=None)
    later = {
        "title": " Gym ",
        "starts_at": naive.isoformat(),
        "ends_at": (naive + timedelta(hours=1)).isoformat(),
    }
    assert (await client.post(f"{BASE}/busy-blocks", json=later, headers=member.headers)).json()[
        "title"
    ] == "Gym"
    listed = (await client.get(f"{BASE}/busy-blocks", headers=member.headers)).json()
    assert [b["title"] for b in listed] == ["Dentist", "Gym"]
    window = {"from": (start + timedelta(days=1)).isoformat(), "to": (start + timedelta(days=5)).isoformat()}
    listed = (await client.get(f"{BASE}/busy-blocks", params=window, headers=member.headers)).json()
    assert [b["title"] for b in listed] == ["Gym"]

    # Nobody else sees or deletes it, not even an admin.
    assert (await client.get(f"{BASE}/busy-blocks", headers=owner.headers)).json() == []
    denied = await client.delete(f"{BASE}/busy-blocks/{block['id']}", headers=owner.headers)
    assert_problem(denied, 404, "RESOURCE_NOT_FOUND")
    deleted = await client.delete(f"{BASE}/busy-blocks/{block['id']}", headers=member.headers)
    assert deleted.status_code == 204
    again = await client.delete(f"{BASE}/busy-blocks/{block['id']}", headers=member.headers)
    assert_problem(again, 404, "RESOURCE_NOT_FOUND")


@pytest.mark.parametrize(
    "body",
    [
        {"title": "Backwards", "starts_at": "2026-05-01T10:00:00Z", "ends_at": "2026-05-01T09:00:00Z"},
        {"title": "Empty", "starts_at": "2026-05-01T10:00:00Z", "ends_at": "2026-05-01T10:00:00Z"},
        {"title": "   ", "starts_at": "2026-05-01T10:00:00Z", "ends_at": "2026-05-01T11:00:00Z"},
        {"title": "Forever", "starts_at": "2026-05-01T10:00:00Z", "ends_at": "2027-05-01T10:00:00Z"},
        {"title": "No end", "starts_at": "2026-05-01T10:00:00Z"},
        {"title": "Garbage", "starts_at": "soon", "ends_at": "later"},
    ],
)
async def test_busy_block_validation(client, body):
    owner = await register(client)
    response = await client.post(f"{BASE}/busy-blocks", json=body, headers=owner.headers)
    assert_problem(response, 422, "VALIDATION_ERROR")


# -- the plan ---------------------------------------------------------------------------------------


async def test_schedule_plans_around_busy_time_and_replans_on_change(client, state):
    owner = await register(client)
    await _always_working(client, owner, min_chunk=30)
    me = uuid.UUID(owner.user_id)
    now = _now()
    big = await _task(
        state, owner, "Write the proposal", priority="high", estimate_minutes=180, assignee_id=me
    )
    due = now + timedelta(hours=10)
    small = await _task(state, owner, "Call the supplier", priority="low", due_at=due, assignee_id=me)
    after = await _task(
        state, owner, "Send the proposal", priority="urgent", assignee_id=me, blocked_by=[big]
    )
    loose = await _task(state, owner, "Tidy the storeroom", estimate_minutes=45)  # nobody assigned
    await _task(state, owner, "Already done", status="done", assignee_id=me)
    lunch_start = _minute(now) + timedelta(hours=1)
    lunch = {
        "title": "Lunch",
        "starts_at": lunch_start.isoformat(),
        "ends_at": (lunch_start + timedelta(hours=1)).isoformat(),
    }
    assert (await client.post(f"{BASE}/busy-blocks", json=lunch, headers=owner.headers)).status_code == 201

    schedule = await _schedule(client, owner)
    assert schedule["user_id"] == owner.user_id and schedule["timezone"] == "UTC"
    assert {t["title"] for t in schedule["tasks"]} == {
        "Write the proposal",
        "Call the supplier",
        "Send the proposal",
        "Tidy the storeroom",
    }
    assert [b["title"] for b in schedule["busy"]] == ["Lunch"] and schedule["busy"][0][
        "source"
    ] == "busy_block"
    spans = sorted((_at(b["start"]), _at(b["end"])) for b in schedule["blocks"])
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start
    for start, end in spans:
        assert start >= _minute(now) and not (start < lunch_start + timedelta(hours=1) and lunch_start < end)
    assert max(e for _, e in _blocks(schedule, big)) <= min(s for s, _ in _blocks(schedule, after))
    assert _task_out(schedule, small)["estimate_minutes"] == 30 and not _task_out(schedule, small)["at_risk"]
    assert _task_out(schedule, loose)["unassigned"]
    assert all(b["unassigned"] for b in schedule["blocks"] if b["task_id"] == str(loose))
    proposal = _task_out(schedule, big)
    assert proposal["state"] == "scheduled" and proposal["scheduled_minutes"] == 180
    assert _task_out(schedule, after)["blocked_by"] == [str(big)]
    usage = schedule["utilisation"]
    assert usage["scheduled_minutes"] == 180 + 30 + 30 + 45
    assert 0 < usage["ratio"] < 1

    # A new busy block and a finished task change the next answer: nothing is cached.
    async with state.db.session(uuid.UUID(owner.tenant_id)) as session:
        task = await session.get(Task, big)
        assert task is not None
        task.status = "done"
    replanned = await _schedule(client, owner)
    assert _blocks(replanned, big) == [] and str(big) not in {t["task_id"] for t in replanned["tasks"]}
    assert _task_out(replanned, after)["blocked_by"] == []
    assert _blocks(replanned, after)[0][0] < min(s for s, _ in _blocks(schedule, after))


async def test_schedule_window_and_risk(client, state):
    owner = await register(client)
    await _always_working(client, owner)
    me = uuid.UUID(owner.user_id)
    now = _now()
    late = await _task(state, owner, "Overdue", due_at=now - timedelta(days=1), assignee_id=me)
    huge = await _task(state, owner, "Too big", estimate_minutes=60 * 24 * 30, assignee_id=me)
    start = _minute(now) + timedelta(days=2)
    end = start + timedelta(days=1)
    schedule = await _schedule(client, owner, **{"from": start.isoformat(), "to": end.isoformat()})
    assert _at(schedule["start"]) == start and _at(schedule["end"]) == end
    # Planned from now: the overdue task is done before the window, so none of its blocks show.
    assert _blocks(schedule, late) == []
    overdue = _task_out(schedule, late)
    assert overdue["at_risk"] and overdue["risk"] == "overdue" and overdue["note"]
    too_big = _task_out(schedule, huge)
    assert too_big["state"] == "partial" and not too_big["at_risk"] and too_big["planned_finish"] is None
    for block in schedule["blocks"]:
        assert _at(block["end"]) > start and _at(block["start"]) < end
    assert schedule["utilisation"]["available_minutes"] == 24 * 60


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-05-02T00:00:00Z", "to": "2026-05-01T00:00:00Z"},
        {"from": "2026-05-01T00:00:00Z", "to": "2026-07-15T00:00:00Z"},
        {"from": "not a time"},
        {"to": "2099-01-01T00:00:00Z"},
        {"user_id": "not-a-uuid"},
    ],
)
async def test_schedule_validation(client, params):
    owner = await register(client)
    response = await client.get(f"{BASE}/schedule", params=params, headers=owner.headers)
    assert_problem(response, 422, "VALIDATION_ERROR")


async def test_roles_viewer_reads_own_admin_reads_members(client, state):
    owner = await register(client)
    member = await add_member(client, owner, "member")
    viewer = await add_member(client, owner, "viewer")
    job = await _task(state, owner, "Member's job", assignee_id=uuid.UUID(member.user_id))

    seen = await _schedule(client, viewer)
    assert seen["user_id"] == viewer.user_id
    assert (await client.get(f"{BASE}/working-hours", headers=viewer.headers)).status_code == 200
    assert (await client.get(f"{BASE}/busy-blocks", headers=viewer.headers)).status_code == 200
    block = {"title": "x", "starts_at": "2026-05-01T10:00:00Z", "ends_at": "2026-05-01T11:00:00Z"}
    for method, path, body in [
        ("PUT", "/working-hours", {"timezone": "UTC", "week": {}, "min_chunk_minutes": 30}),
        ("POST", "/busy-blocks", block),
        ("DELETE", f"/busy-blocks/{uuid.uuid4()}", None),
        ("POST", "/schedule/feed", None),
    ]:
        response = await client.request(method, BASE + path, json=body, headers=viewer.headers)
        assert_problem(response, 403, "PERMISSION_DENIED")

    theirs = await _schedule(client, owner, user_id=member.user_id)
    assert theirs["user_id"] == member.user_id and [t["task_id"] for t in theirs["tasks"]] == [str(job)]
    denied = await client.get(f"{BASE}/schedule", params={"user_id": owner.user_id}, headers=member.headers)
    assert_problem(denied, 403, "PERMISSION_DENIED")
    stranger = await client.get(
        f"{BASE}/schedule", params={"user_id": str(uuid.uuid4())}, headers=owner.headers
    )
    assert_problem(stranger, 404, "RESOURCE_NOT_FOUND")


async def test_tenant_isolation(client, state):
    alpha = await register(client, company="Alpha")
    beta = await register(client, company="Beta")
    await _task(state, alpha, "Alpha's secret", assignee_id=uuid.UUID(alpha.user_id))
    await _task(state, beta, "Beta's chore")  # unassigned in Beta: planned only for Beta's people
    block = {"title": "Alpha busy", "starts_at": "2026-05-01T10:00:00Z", "ends_at": "2026-05-01T11:00:00Z"}
    created = (await client.post(f"{BASE}/busy-blocks", json=block, headers=alpha.headers)).json()

    beta_view = await _schedule(client, beta)
    assert [t["title"] for t in beta_view["tasks"]] == ["Beta's chore"]
    alpha_view = await _schedule(client, alpha)
    assert [t["title"] for t in alpha_view["tasks"]] == ["Alpha's secret"]
    peek = await client.get(f"{BASE}/schedule", params={"user_id": alpha.user_id}, headers=beta.headers)
    assert_problem(peek, 404, "RESOURCE_NOT_FOUND")
    assert (await client.get(f"{BASE}/busy-blocks", headers=beta.headers)).json() == []
    steal = await client.delete(f"{BASE}/busy-blocks/{created['id']}", headers=beta.headers)
    assert_problem(steal, 404, "RESOURCE_NOT_FOUND")


async def test_a_blocker_on_someone_elses_plan(client, state):
    owner = await register(client)
    member = await add_member(client, owner, "member")
    await _always_working(client, owner)
    await _always_working(client, member)
    first = await _task(
        state,
        owner,
        "Approve the budget",
        priority="low",
        estimate_minutes=120,
        assignee_id=uuid.UUID(owner.user_id),
    )
    await _task(
        state,
        owner,
        "Owner's urgent work",
        priority="urgent",
        estimate_minutes=60,
        assignee_id=uuid.UUID(owner.user_id),
    )
    then = await _task(
        state,
        owner,
        "Order the stock",
        priority="high",
        assignee_id=uuid.UUID(member.user_id),
        blocked_by=[first],
    )
    owners_plan = await _schedule(client, owner)
    members_plan = await _schedule(client, member)
    assert [t["title"] for t in members_plan["tasks"]] == ["Order the stock"]
    # The owner does their urgent task, then the budget; the member starts right after that.
    finish = max(e for _, e in _blocks(owners_plan, first))
    assert finish >= _at(owners_plan["generated_at"]) + timedelta(minutes=180)
    start = min(s for s, _ in _blocks(members_plan, then))
    assert abs(start - finish) <= timedelta(minutes=1)  # both plans start "now", a moment apart


# -- calendars ----------------------------------------------------------------------------------------


def _graph_event(
    fake: FakeOutlook, start: datetime, end: datetime, *, organizer: str, cancelled: bool = False
) -> dict[str, Any]:
    event = fake._event(start)
    event["start"] = {"dateTime": graph_local(start), "timeZone": "UTC"}
    event["end"] = {"dateTime": graph_local(end), "timeZone": "UTC"}
    event["organizer"] = person("Organizer", organizer)
    event["attendees"] = [attendee(person("Guest", "guest@example.org"), "accepted")]
    event["isCancelled"] = cancelled
    return event


async def test_synced_calendar_events_are_avoided(client, state):
    owner = await register(client)
    await _always_working(client, owner)
    now = _minute(_now())
    meeting = (now - timedelta(minutes=10), now + timedelta(hours=3))
    with FakeOutlook(count=3) as fake, configured(state.settings, "outlook", fake):
        fake.events.items.clear()
        fake.events.versions.clear()
        for event in (
            _graph_event(fake, *meeting, organizer=owner.email.upper()),  # e-mail case does not matter
            _graph_event(
                fake, meeting[1], meeting[1] + timedelta(hours=2), organizer=owner.email, cancelled=True
            ),
            _graph_event(fake, meeting[1], meeting[1] + timedelta(hours=2), organizer="someone@else.example"),
        ):
            fake._put(fake.events, event)
        created = await connect(client, owner, "outlook", fake)
        run = await wait_for_run(client, owner, created["connection"]["id"], created["run_id"])
        assert run["status"] == "completed", run
    task = await _task(
        state, owner, "Prepare the samples", estimate_minutes=60, assignee_id=uuid.UUID(owner.user_id)
    )
    schedule = await _schedule(client, owner)
    # The meeting is avoided; the cancelled one and the one without the owner are not busy time.
    assert _blocks(schedule, task) == [(meeting[1], meeting[1] + timedelta(hours=1))]
    busy = [(b["source"], _at(b["start"]), _at(b["end"])) for b in schedule["busy"]]
    assert busy == [("calendar", *meeting)]


# -- the feed -----------------------------------------------------------------------------------------


async def test_calendar_feed(client, state):
    owner = await register(client)
    await _always_working(client, owner)
    me = uuid.UUID(owner.user_id)
    now = _now()
    await _task(state, owner, "Long job", estimate_minutes=24 * 60, assignee_id=me)
    doomed = await _task(
        state,
        owner,
        "Too late",
        priority="high",
        due_at=now + timedelta(hours=1),
        estimate_minutes=600,
        assignee_id=me,
    )
    waiting = await _task(state, owner, "Waits on a loop", due_at=now + timedelta(days=2), assignee_id=me)
    loop = await _task(state, owner, "Loop", assignee_id=me)
    async with state.db.session(uuid.UUID(owner.tenant_id)) as session:
        session.add(TaskDependency(task_id=waiting, blocked_by_id=loop))
        session.add(TaskDependency(task_id=loop, blocked_by_id=waiting))
    pause = _minute(now) + timedelta(hours=12)
    busy = {
        "title": "Break",
        "starts_at": pause.isoformat(),
        "ends_at": (pause + timedelta(hours=1)).isoformat(),
    }
    assert (await client.post(f"{BASE}/busy-blocks", json=busy, headers=owner.headers)).status_code == 201

    first = await client.post(f"{BASE}/schedule/feed", headers=owner.headers)
    assert first.status_code == 201, first.text
    url = first.json()["url"]
    assert url.startswith("http://testserver/api/modules/ops-copilot/schedule/feed/") and url.endswith(".ics")
    assert (await client.get(f"{BASE}/working-hours", headers=owner.headers)).json()["feed_active"]

    path = url.removeprefix("http://testserver")
    response = await client.get(path)  # no bearer token: the URL is the credential
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    horizon = now + timedelta(days=14, minutes=1)
    assert events and all(event.decoded("dtend") <= horizon for event in events)
    summaries = {str(event["summary"]) for event in events}
    assert any(s.startswith("Long job (") for s in summaries)
    assert any(s.startswith("⚠ At risk: Too late") for s in summaries)
    late = next(e for e in events if str(e["summary"]).startswith("⚠ At risk"))
    assert "Priority: high" in str(late["description"]) and "Due: " in str(late["description"])
    assert str(late["uid"]).startswith(f"{doomed}-1@")
    assert all("dtstamp" in event for event in events)
    # An at-risk task with no planned time shows as a marker at its due time, blocking nothing.
    marker = next(e for e in events if str(e["uid"]) == f"{waiting}-due@binelek")
    assert str(marker["summary"]) == "⚠ At risk, not planned: Waits on a loop"
    assert str(marker["transp"]) == "TRANSPARENT" and "dependency cycle" in str(marker["description"])
    uids = [str(event["uid"]) for event in events]
    assert len(uids) == len(set(uids))
    again = Calendar.from_ical((await client.get(path)).content)
    assert [str(e["uid"]) for e in again.walk("VEVENT")] == uids  # stable while the plan is

    rotated = await client.post(f"{BASE}/schedule/feed", headers=owner.headers)
    assert rotated.json()["url"] != url
    assert_problem(await client.get(path), 404, "RESOURCE_NOT_FOUND")
    assert (await client.get(rotated.json()["url"].removeprefix("http://testserver"))).status_code == 200
    assert_problem(await client.get(f"{BASE}/schedule/feed/not-a-token.ics"), 404, "RESOURCE_NOT_FOUND")
