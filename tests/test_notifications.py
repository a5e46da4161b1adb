"""Notifications: preferences per kind, delivery by each channel, the live stream (in-process when
embedded, through Redis pub/sub in production mode) and the daily digest."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from redis.asyncio import Redis
from sqlalchemy import select

from binelek.kit.outbox import EventMessage
from binelek.kit.outbox_models import Event
from binelek.kit.pubsub import RedisBroadcaster
from binelek.notifications import jobs, service
from binelek.notifications.models import Notification
from tests.conftest import REDIS_URL, TEST_DB, add_member, assert_problem, make_settings, register
from tests.support import smtp_server

BASE = "/api/notifications"


async def _notify(
    state: Any, tenant_id: str, user_ids: list[str], kind: str = "security", **extra: Any
) -> int:
    async with state.db.session(tenant_id=uuid.UUID(tenant_id)) as session:
        return await service.notify(
            session,
            uuid.UUID(tenant_id),
            [uuid.UUID(u) for u in user_ids],
            kind=kind,
            title=extra.pop("title", "Port 3389 is open on 10.0.0.5"),
            link="/security/issues",
            **extra,
        )


async def test_preferences_start_at_the_kinds_defaults_and_can_be_changed(client: Any) -> None:
    owner = await register(client, "Prefs Co")
    listed = (await client.get(f"{BASE}/preferences", headers=owner.headers)).json()["items"]
    by_kind = {item["kind"]: item for item in listed}
    assert {"approval", "automation", "security", "marketplace", "system"} <= by_kind.keys()
    assert by_kind["security"] | {} == by_kind["security"]
    assert (by_kind["security"]["in_app"], by_kind["security"]["email"]) == (True, True)
    assert not any(item["customized"] for item in listed)

    changed = await client.put(
        f"{BASE}/preferences",
        json={"items": [{"kind": "security", "in_app": False, "email": False, "digest": True}]},
        headers=owner.headers,
    )
    assert changed.status_code == 200, changed.text
    security = next(item for item in changed.json()["items"] if item["kind"] == "security")
    assert (security["in_app"], security["email"], security["digest"], security["customized"]) == (
        False,
        False,
        True,
        True,
    )
    again = (await client.get(f"{BASE}/preferences", headers=owner.headers)).json()["items"]
    assert next(item for item in again if item["kind"] == "security")["digest"] is True


async def test_unknown_kinds_and_api_keys_are_refused(client: Any) -> None:
    owner = await register(client, "Prefs Refusal Co")
    unknown = await client.put(
        f"{BASE}/preferences",
        json={"items": [{"kind": "gossip", "in_app": True, "email": False, "digest": False}]},
        headers=owner.headers,
    )
    assert "gossip" in assert_problem(unknown, 422, "VALIDATION_ERROR")["detail"]
    key = await client.post("/api/api-keys", json={"name": "robot", "role": "admin"}, headers=owner.headers)
    assert key.status_code == 201, key.text
    robot = {"Authorization": f"Bearer {key.json()['key']}"}
    assert_problem(await client.get(f"{BASE}/preferences", headers=robot), 403, "PERMISSION_DENIED")
    assert_problem(await client.get(f"{BASE}/stream", headers=robot), 403, "PERMISSION_DENIED")


async def test_each_recipient_gets_the_channels_they_chose(client: Any, state: Any) -> None:
    owner = await register(client, "Channels Co")
    member = await add_member(client, owner, "member")
    await client.put(
        f"{BASE}/preferences",
        json={"items": [{"kind": "security", "in_app": False, "email": False, "digest": True}]},
        headers=member.headers,
    )
    assert await _notify(state, owner.tenant_id, [owner.user_id, member.user_id, owner.user_id]) == 2

    owner_list = (await client.get(BASE, headers=owner.headers)).json()
    member_list = (await client.get(BASE, headers=member.headers)).json()
    assert [n["title"] for n in owner_list["items"]] == ["Port 3389 is open on 10.0.0.5"]
    assert owner_list["unread"] == 1
    assert member_list == {"items": [], "unread": 0}  # digest only: not in the bell
    async with state.db.session() as session:
        events = (
            await session.scalars(
                select(Event).where(
                    Event.type == service.EMAIL_EVENT, Event.tenant_id == uuid.UUID(owner.tenant_id)
                )
            )
        ).all()
        waiting = (
            await session.scalars(
                select(Notification).where(
                    Notification.user_id == uuid.UUID(member.user_id), Notification.digest
                )
            )
        ).all()
    assert [event.payload["user_ids"] for event in events] == [[owner.user_id]]
    assert len(waiting) == 1 and waiting[0].digested_at is None


async def test_email_goes_out_at_once_and_the_digest_gathers_the_rest(
    client: Any, state: Any, data_dir: Any, database_url: str | None
) -> None:
    owner = await register(client, "Digest Co")
    member = await add_member(client, owner, "member")
    await client.put(
        f"{BASE}/preferences",
        json={"items": [{"kind": "automation", "in_app": True, "email": False, "digest": True}]},
        headers=member.headers,
    )
    for title in ("Backup workflow failed", "Nightly sync failed"):
        await _notify(state, owner.tenant_id, [member.user_id], kind="automation", title=title)
    await _notify(state, owner.tenant_id, [owner.user_id], kind="security", title="SSH is open to the world")
    async with state.db.session() as session:
        email_event = (
            await session.scalars(
                select(Event).where(
                    Event.type == service.EMAIL_EVENT, Event.tenant_id == uuid.UUID(owner.tenant_id)
                )
            )
        ).one()
    with smtp_server() as inbox:
        smtp = make_settings(data_dir, database_url, smtp_host="127.0.0.1", smtp_port=inbox.port)
        message = EventMessage(email_event.id, email_event.type, email_event.tenant_id, email_event.payload)
        assert await jobs.send_now(state.db, smtp, message) == 1
        sent = await jobs.send_digests(state.db, smtp)
        assert sent >= 1
        assert await jobs.send_digests(state.db, smtp) == 0  # nothing twice
        at_once = inbox.to(owner.email)
        digest = inbox.to(member.email)
    assert len(at_once) == 1 and "[Binelek security] SSH is open to the world" in at_once[0]
    assert len(digest) == 1
    assert "Backup workflow failed" in digest[0] and "Nightly sync failed" in digest[0]
    # In the bell as well, since in-app stayed on.
    assert len((await client.get(BASE, headers=member.headers)).json()["items"]) == 2


@pytest.fixture
async def live_base_url(app: Any) -> AsyncIterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


async def _events(response: httpx.Response) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    name = ""
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            yield name, json.loads(line[len("data: ") :])


async def test_the_stream_pushes_new_notifications_and_reads(
    client: Any, state: Any, live_base_url: str
) -> None:
    owner = await register(client, "Live Co")
    other = await register(client, "Other Live Co")
    await _notify(state, owner.tenant_id, [owner.user_id], title="Already there")
    async with (
        httpx.AsyncClient(base_url=live_base_url, timeout=10) as http,
        http.stream("GET", f"{BASE}/stream", headers=owner.headers) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = _events(response)
        assert await anext(events) == ("ready", {"unread": 1})
        await _notify(state, other.tenant_id, [other.user_id], title="Not for the owner")
        await _notify(state, owner.tenant_id, [owner.user_id], title="A new certificate expires in 7 days")
        name, data = await asyncio.wait_for(anext(events), timeout=5)
        assert name == "notification" and data["title"] == "A new certificate expires in 7 days"
        assert data["read_at"] is None and data["link"] == "/security/issues"
        await client.post(f"{BASE}/read", json={"ids": [data["id"]]}, headers=owner.headers)
        assert await asyncio.wait_for(anext(events), timeout=5) == ("read", {"ids": [data["id"]]})


@pytest.mark.skipif(TEST_DB != "postgres", reason="production mode: another process publishes through Redis")
async def test_a_notification_made_in_another_process_reaches_the_stream(
    client: Any, settings: Any, live_base_url: str
) -> None:
    owner = await register(client, "Fan Out Co")
    elsewhere = Redis.from_url(REDIS_URL)  # its own connection, as a worker process would have
    try:
        async with (
            httpx.AsyncClient(base_url=live_base_url, timeout=10) as http,
            http.stream("GET", f"{BASE}/stream", headers=owner.headers) as response,
        ):
            events = _events(response)
            assert (await anext(events))[0] == "ready"
            channel = service.channel_for(uuid.UUID(owner.tenant_id), uuid.UUID(owner.user_id))
            await RedisBroadcaster(elsewhere, settings.redis_prefix).publish(
                channel, {"event": "notification", "data": {"title": "From a worker"}}
            )
            assert await asyncio.wait_for(anext(events), timeout=5) == (
                "notification",
                {"title": "From a worker"},
            )
    finally:
        await elsewhere.aclose()
