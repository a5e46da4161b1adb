"""Outgoing webhooks end to end: a real HTTP receiver on loopback gets signed messages, which are
checked here with an independent implementation of the Standard Webhooks spec; retries follow the
(shortened) schedule with the same webhook-id; redeliveries, test pings, secret rotation, 410 and
auto-disable; the SSRF guard at creation and at connection time; tenant isolation; secrets never in
list answers or logs."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from binelek.kit import outbox
from tests.conftest import Account, add_member, assert_problem, register
from tests.support import serving
from tests.support import verify_webhook_signature as verify

BASE = "/api/webhooks"


# -- a real receiver --------------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str
    at: float


@dataclass
class Receiver:
    """Records every POST; answers each path from its script (status codes in turn, then 200)."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    scripts: dict[str, list[int]] = field(default_factory=dict)
    always: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [hit for hit in self.received if hit.path == path]

    def answer(self, path: str) -> int:
        with self.lock:
            if path in self.always:
                return self.always[path]
            script = self.scripts.get(path)
            return script.pop(0) if script else 200


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    recorder = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
            with recorder.lock:
                recorder.received.append(
                    Received(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic()
                    )
                )
            status = recorder.answer(self.path)
            self.send_response(status)
            if status in (301, 302, 307, 308):
                self.send_header("Location", recorder.url("/redirect-target"))
            reply = (b"x" * 5000) if self.path.startswith("/big") else f"answer {status}".encode()
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *_args: Any) -> None:
            pass

    with serving(Handler) as server:
        recorder.port = server.server_address[1]
        yield recorder


# -- helpers ----------------------------------------------------------------------------------------


@pytest.fixture
def webhook_settings(state: Any) -> Iterator[Any]:
    """Private targets allowed (the receiver is on loopback) and a schedule of seconds, not hours."""
    before = (state.settings.binelek_allow_private_targets, list(state.settings.webhook_retry_seconds))
    state.settings.binelek_allow_private_targets = True
    state.settings.webhook_retry_seconds = [0]
    yield state.settings
    state.settings.binelek_allow_private_targets, state.settings.webhook_retry_seconds = before


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


async def emit(state: Any, tenant_id: str, event_type: str, payload: dict[str, Any]) -> int:
    async with state.db.session(tenant_id=uuid.UUID(tenant_id)) as session:
        event = outbox.emit(session, event_type, payload, uuid.UUID(tenant_id))
        await session.flush()
        return int(event.id)


async def create(client: Any, owner: Account, url: str, events: list[str], **extra: Any) -> dict[str, Any]:
    response = await client.post(BASE, json={"url": url, "events": events, **extra}, headers=owner.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def deliveries(client: Any, owner: Account, endpoint_id: str, query: str = "") -> list[dict[str, Any]]:
    response = await client.get(f"{BASE}/{endpoint_id}/deliveries{query}", headers=owner.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def settled(items: list[dict[str, Any]]) -> bool:
    return bool(items) and all(item["status"] in ("succeeded", "failed") for item in items)


# -- tests ------------------------------------------------------------------------------------------


async def test_endpoints_crud_validation_and_secret_shown_once(client: Any, state: Any) -> None:
    owner = await register(client, "Hooked Co")
    types = await client.get(f"{BASE}/event-types", headers=owner.headers)
    assert types.status_code == 200
    names = {item["type"] for item in types.json()}
    assert {"order.created", "task.completed", "price.dropped", "security.issue.created"} <= names
    assert not any(name.startswith(("search.", "team.")) for name in names)  # internal events stay inside

    created = await create(
        client, owner, "https://hooks.example.com/binelek", ["order.created", "task.*"], description="ERP"
    )
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 24
    assert created["secret_last4"] == secret[-4:] and created["enabled"] is True
    listed = await client.get(BASE, headers=owner.headers)
    one = await client.get(f"{BASE}/{created['id']}", headers=owner.headers)
    for answer in (listed, one):
        assert answer.status_code == 200 and secret not in answer.text and secret[6:] not in answer.text
        assert 'secret"' not in answer.text.replace("previous_secret", "")
    assert [item["id"] for item in listed.json()] == [created["id"]]

    own_secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    mine = await create(client, owner, "https://hooks.example.com/2", ["*"], secret=own_secret)
    assert mine["secret"] == own_secret

    patched = await client.patch(
        f"{BASE}/{created['id']}", json={"events": ["price.*"], "description": None}, headers=owner.headers
    )
    assert patched.status_code == 200 and patched.json()["events"] == ["price.*"]
    assert patched.json()["description"] is None

    for body, code in (
        ({"url": "ftp://hooks.example.com", "events": ["*"]}, "WEBHOOK_URL_INVALID"),
        ({"url": "https://u:p@hooks.example.com", "events": ["*"]}, "WEBHOOK_URL_INVALID"),
        ({"url": "https://hooks.example.com", "events": ["nope.created"]}, "WEBHOOK_EVENT_UNKNOWN"),
        ({"url": "https://hooks.example.com", "events": ["nothing.*"]}, "WEBHOOK_EVENT_UNKNOWN"),
        ({"url": "https://hooks.example.com", "events": ["search.index_requested"]}, "WEBHOOK_EVENT_UNKNOWN"),
        ({"url": "https://hooks.example.com", "events": ["*"], "secret": "plain"}, "WEBHOOK_SECRET_INVALID"),
        (
            {"url": "https://hooks.example.com", "events": ["*"], "secret": "whsec_c2hvcnQ="},
            "WEBHOOK_SECRET_INVALID",
        ),
    ):
        problem = assert_problem(await client.post(BASE, json=body, headers=owner.headers), 422, code)
        assert problem["errors"], problem
    assert_problem(
        await client.post(BASE, json={"url": "https://x.example.com", "events": []}, headers=owner.headers),
        422,
        "VALIDATION_ERROR",
    )

    member = await add_member(client, owner, "member")
    assert_problem(await client.get(BASE, headers=member.headers), 403, "PERMISSION_DENIED")
    assert_problem(
        await client.post(
            BASE, json={"url": "https://x.example.com", "events": ["*"]}, headers=member.headers
        ),
        403,
        "PERMISSION_DENIED",
    )
    assert (await client.delete(f"{BASE}/{mine['id']}", headers=owner.headers)).status_code == 204
    assert_problem(await client.get(f"{BASE}/{mine['id']}", headers=owner.headers), 404, "RESOURCE_NOT_FOUND")


async def test_https_is_required_in_production(client: Any, state: Any) -> None:
    owner = await register(client, "Prod Hooks Co")
    before = state.settings.binelek_env
    state.settings.binelek_env = "production"
    try:
        insecure = await client.post(
            BASE, json={"url": "http://hooks.example.com/x", "events": ["*"]}, headers=owner.headers
        )
    finally:
        state.settings.binelek_env = before
    assert_problem(insecure, 422, "WEBHOOK_URL_INSECURE")


async def test_subscribed_events_arrive_signed_and_the_secret_stays_out_of_logs(
    client: Any, state: Any, receiver: Receiver, webhook_settings: Any, capfd: Any
) -> None:
    owner = await register(client, "Signed Co")
    endpoint = await create(client, owner, receiver.url("/signed"), ["task.*", "order.created"])
    await emit(state, owner.tenant_id, "customer.created", {"customer_id": "c1"})  # not subscribed
    await emit(state, owner.tenant_id, "search.index_requested", {"kind": "task"})  # internal: never sent
    event_id = await emit(state, owner.tenant_id, "task.created", {"task_id": "t1", "title": "Call Ada"})
    hits = await eventually(lambda: _hits(receiver, "/signed", 1))
    await asyncio.sleep(0.5)  # anything else that was going to arrive would have by now
    assert len(receiver.at("/signed")) == 1
    hit = hits[0]
    assert hit.headers["webhook-id"] == f"msg_{event_id}"
    assert hit.headers["content-type"] == "application/json"
    assert verify(endpoint["secret"], hit.headers, hit.body)
    assert not verify("whsec_" + base64.b64encode(b"w" * 24).decode(), hit.headers, hit.body)
    payload = json.loads(hit.body)
    assert payload["type"] == "task.created" and payload["data"] == {"task_id": "t1", "title": "Call Ada"}
    assert payload["timestamp"].endswith("Z")

    items = await eventually(lambda: _settled(client, owner, endpoint["id"]))
    assert [item["status"] for item in items] == ["succeeded"]
    detail = await client.get(f"{BASE}/{endpoint['id']}/deliveries/{items[0]['id']}", headers=owner.headers)
    assert detail.status_code == 200
    body = detail.json()
    assert body["request_body"] == hit.body and body["response_status"] == 200
    assert body["response_body"] == "answer 200" and body["attempts"] == 1 and body["duration_ms"] >= 0
    assert len(body["attempt_log"]) == 1 and body["attempt_log"][0]["response_status"] == 200
    captured = capfd.readouterr()
    assert endpoint["secret"] not in captured.out + captured.err
    assert endpoint["secret"][6:] not in captured.out + captured.err


async def test_failures_are_retried_on_the_schedule_with_one_message_id(
    client: Any, state: Any, receiver: Receiver, webhook_settings: Any
) -> None:
    webhook_settings.webhook_retry_seconds = [0, 0.4, 0.8]
    receiver.scripts["/flaky"] = [500, 503]
    owner = await register(client, "Flaky Co")
    endpoint = await create(client, owner, receiver.url("/flaky"), ["order.created"])
    await emit(state, owner.tenant_id, "order.created", {"order_id": "o1"})
    items = await eventually(lambda: _settled(client, owner, endpoint["id"]))
    hits = receiver.at("/flaky")
    assert len(hits) == 3
    assert len({hit.headers["webhook-id"] for hit in hits}) == 1 and len({hit.body for hit in hits}) == 1
    assert all(verify(endpoint["secret"], hit.headers, hit.body) for hit in hits)
    assert hits[1].at - hits[0].at >= 0.35 and hits[2].at - hits[1].at >= 0.75
    assert items[0]["status"] == "succeeded" and items[0]["attempts"] == 3
    detail = (
        await client.get(f"{BASE}/{endpoint['id']}/deliveries/{items[0]['id']}", headers=owner.headers)
    ).json()
    assert [attempt["response_status"] for attempt in detail["attempt_log"]] == [500, 503, 200]
    assert await deliveries(client, owner, endpoint["id"], "?status=failed") == []
    assert len(await deliveries(client, owner, endpoint["id"], "?status=succeeded")) == 1
    refreshed = (await client.get(f"{BASE}/{endpoint['id']}", headers=owner.headers)).json()
    assert refreshed["failed_messages_in_row"] == 0 and refreshed["failing_since"] is None


async def test_redelivery_test_ping_and_rotation(
    client: Any, state: Any, receiver: Receiver, webhook_settings: Any
) -> None:
    receiver.always["/redeliver"] = 500
    owner = await register(client, "Redeliver Co")
    endpoint = await create(client, owner, receiver.url("/redeliver"), ["invoice.overdue"])
    await emit(state, owner.tenant_id, "invoice.overdue", {"invoice_id": "i1"})
    failed = await eventually(lambda: _settled(client, owner, endpoint["id"]))
    assert failed[0]["status"] == "failed" and failed[0]["error"] == "The endpoint answered 500."

    del receiver.always["/redeliver"]
    again = await client.post(
        f"{BASE}/{endpoint['id']}/deliveries/{failed[0]['id']}/redeliver", headers=owner.headers
    )
    assert again.status_code == 202, again.text
    assert again.json()["redelivery_of"] == failed[0]["id"]
    await eventually(lambda: _hits(receiver, "/redeliver", 2))
    first, second = receiver.at("/redeliver")
    assert first.headers["webhook-id"] == second.headers["webhook-id"] and first.body == second.body
    assert verify(endpoint["secret"], second.headers, second.body)
    items = await eventually(lambda: _settled(client, owner, endpoint["id"]))
    assert sorted(item["status"] for item in items) == ["failed", "succeeded"]

    ping = await client.post(f"{BASE}/{endpoint['id']}/test", headers=owner.headers)
    assert ping.status_code == 202 and ping.json()["event_type"] == "webhook.test"
    hits = await eventually(lambda: _hits(receiver, "/redeliver", 3))
    assert json.loads(hits[2].body)["type"] == "webhook.test"

    rotated = await client.post(f"{BASE}/{endpoint['id']}/rotate-secret", headers=owner.headers)
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret != endpoint["secret"] and rotated.json()["secret_last4"] == new_secret[-4:]
    await client.post(f"{BASE}/{endpoint['id']}/test", headers=owner.headers)
    hits = await eventually(lambda: _hits(receiver, "/redeliver", 4))
    signatures = hits[3].headers["webhook-signature"].split(" ")
    assert len(signatures) == 2  # new and old during the overlap
    assert verify(new_secret, hits[3].headers, hits[3].body)
    assert verify(endpoint["secret"], hits[3].headers, hits[3].body)


async def test_repeated_failures_disable_the_endpoint_and_tell_the_admins(
    client: Any, state: Any, receiver: Receiver, webhook_settings: Any
) -> None:
    receiver.always["/down"] = 500
    owner = await register(client, "Down Co")
    endpoint = await create(client, owner, receiver.url("/down"), ["*"])
    for number in range(5):
        await emit(state, owner.tenant_id, "payment.received", {"payment_id": f"p{number}"})

    async def disabled() -> dict[str, Any] | None:
        body = (await client.get(f"{BASE}/{endpoint['id']}", headers=owner.headers)).json()
        return body if not body["enabled"] else None

    body = await eventually(disabled)
    assert "5 messages" in body["disabled_reason"] and body["failed_messages_in_row"] == 5
    notes = (await client.get("/api/notifications", headers=owner.headers)).json()
    notes = notes["items"] if isinstance(notes, dict) else notes
    assert any("webhook" in note["title"].lower() for note in notes)

    sent = len(receiver.at("/down"))
    await emit(state, owner.tenant_id, "payment.received", {"payment_id": "after"})
    await asyncio.sleep(1.0)
    assert len(receiver.at("/down")) == sent  # a disabled endpoint gets nothing
    latest = (await deliveries(client, owner, endpoint["id"]))[0]["id"]
    assert_problem(
        await client.post(f"{BASE}/{endpoint['id']}/deliveries/{latest}/redeliver", headers=owner.headers),
        409,
        "WEBHOOK_ENDPOINT_DISABLED",
    )
    enabled = await client.patch(f"{BASE}/{endpoint['id']}", json={"enabled": True}, headers=owner.headers)
    assert enabled.status_code == 200
    assert enabled.json()["enabled"] and enabled.json()["failed_messages_in_row"] == 0
    assert enabled.json()["disabled_reason"] is None and enabled.json()["failing_since"] is None


async def test_410_gone_disables_at_once(
    client: Any, state: Any, receiver: Receiver, webhook_settings: Any
) -> None:
    webhook_settings.webhook_retry_seconds = [0, 0.2, 0.2]
    receiver.always["/gone"] = 410
    owner = await register(client, "Gone Co")
    endpoint = await create(client, owner, receiver.url("/gone"), ["order.created"])
    await emit(state, owner.tenant_id, "order.created", {"order_id": "o9"})
    items = await eventually(lambda: _settled(client, owner, endpoint["id"]))
    assert items[0]["status"] == "failed" and items[0]["attempts"] == 1  # no retries after 410
    body = (await client.get(f"{BASE}/{endpoint['id']}", headers=owner.headers)).json()
    assert body["enabled"] is False and "410" in body["disabled_reason"]


async def test_private_targets_are_refused_at_creation_and_at_connection(
    client: Any, state: Any, receiver: Receiver, webhook_settings: Any
) -> None:
    owner = await register(client, "SSRF Co")
    webhook_settings.binelek_allow_private_targets = False
    for url in (
        receiver.url("/ssrf"),
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/hook",
        "http://[::1]:8080/hook",
        "http://localhost:9/hook",
    ):
        response = await client.post(BASE, json={"url": url, "events": ["*"]}, headers=owner.headers)
        assert_problem(response, 422, "WEBHOOK_TARGET_NOT_ALLOWED")

    # Allowed when it was created, refused when it connects: the guard runs at connection time.
    webhook_settings.binelek_allow_private_targets = True
    endpoint = await create(client, owner, receiver.url("/ssrf"), ["order.created"])
    webhook_settings.binelek_allow_private_targets = False
    await emit(state, owner.tenant_id, "order.created", {"order_id": "o1"})
    items = await eventually(lambda: _settled(client, owner, endpoint["id"]))
    assert items[0]["status"] == "failed" and "private" in items[0]["error"]
    assert receiver.at("/ssrf") == []

    # Redirects are not followed, so a public endpoint cannot bounce a message inward.
    webhook_settings.binelek_allow_private_targets = True
    receiver.always["/bounce"] = 302
    bouncing = await create(client, owner, receiver.url("/bounce"), ["order.created"])
    await emit(state, owner.tenant_id, "order.created", {"order_id": "o2"})
    items = await eventually(lambda: _settled(client, owner, bouncing["id"]))
    assert items[0]["status"] == "failed" and "redirect" in items[0]["error"]
    assert receiver.at("/redirect-target") == []


async def test_only_the_first_2kb_of_an_answer_is_kept(
    client: Any, state: Any, receiver: Receiver, webhook_settings: Any
) -> None:
    owner = await register(client, "Big Answer Co")
    endpoint = await create(client, owner, receiver.url("/big"), ["order.created"])
    await emit(state, owner.tenant_id, "order.created", {"order_id": "o1"})
    items = await eventually(lambda: _settled(client, owner, endpoint["id"]))
    detail = (
        await client.get(f"{BASE}/{endpoint['id']}/deliveries/{items[0]['id']}", headers=owner.headers)
    ).json()
    assert detail["response_body"] == "x" * 2048


async def test_another_tenant_can_neither_see_nor_redeliver(
    client: Any, state: Any, receiver: Receiver, webhook_settings: Any
) -> None:
    owner = await register(client, "Isolated Hooks Co")
    endpoint = await create(client, owner, receiver.url("/isolated"), ["order.created"])
    await emit(state, owner.tenant_id, "order.created", {"order_id": "o1"})
    items = await eventually(lambda: _settled(client, owner, endpoint["id"]))
    other = await register(client, "Nosy Co")
    assert (await client.get(BASE, headers=other.headers)).json() == []
    for method, path in (
        ("GET", f"{BASE}/{endpoint['id']}"),
        ("PATCH", f"{BASE}/{endpoint['id']}"),
        ("DELETE", f"{BASE}/{endpoint['id']}"),
        ("GET", f"{BASE}/{endpoint['id']}/deliveries"),
        ("GET", f"{BASE}/{endpoint['id']}/deliveries/{items[0]['id']}"),
        ("POST", f"{BASE}/{endpoint['id']}/deliveries/{items[0]['id']}/redeliver"),
        ("POST", f"{BASE}/{endpoint['id']}/rotate-secret"),
        ("POST", f"{BASE}/{endpoint['id']}/test"),
    ):
        kwargs: dict[str, Any] = {"json": {"enabled": False}} if method == "PATCH" else {}
        response = await client.request(method, path, headers=other.headers, **kwargs)
        assert_problem(response, 404, "RESOURCE_NOT_FOUND")
    # Their own endpoint cannot reach the first tenant's delivery either.
    theirs = await create(client, other, receiver.url("/nosy"), ["order.created"])
    assert_problem(
        await client.post(
            f"{BASE}/{theirs['id']}/deliveries/{items[0]['id']}/redeliver", headers=other.headers
        ),
        404,
        "RESOURCE_NOT_FOUND",
    )
    # And the first tenant's events never reach the other tenant's endpoint.
    await emit(state, owner.tenant_id, "order.created", {"order_id": "o2"})
    await eventually(lambda: _hits(receiver, "/isolated", 2))
    assert receiver.at("/nosy") == []


async def _hits(receiver: Receiver, path: str, count: int) -> list[Received] | None:
    hits = receiver.at(path)
    return hits if len(hits) >= count else None


async def _settled(client: Any, owner: Account, endpoint_id: str) -> list[dict[str, Any]] | None:
    items = await deliveries(client, owner, endpoint_id)
    return items if settled(items) else None
