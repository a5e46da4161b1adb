"""The command agent through its endpoints, offline: the built-in engine calls tools through the same
loop as a remote model — permissions, confirmation of writes, conversations, streaming, usage."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.conftest import add_member, assert_problem, register


async def ask(client: httpx.AsyncClient, account: Any, query: str, **extra: Any) -> dict[str, Any]:
    response = await client.post("/api/query", json={"query": query, **extra}, headers=account.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def parse_sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


async def test_mfa_question_calls_the_team_tool_and_cites_members(client):
    owner = await register(client, full_name="Ada Owner")
    await add_member(client, owner, "member")
    answer = await ask(client, owner, "which team members don't have MFA?")
    assert answer["provider"] == "local" and answer["model"] == "binelek-local"
    [call] = answer["tool_calls"]
    assert call["tool"] == "team_members" and call["args"] == {"mfa_enabled": False}
    assert call["status"] == "done"
    assert "2 team members without MFA" in answer["answer"] and "Ada Owner" in answer["answer"]
    assert {source["kind"] for source in answer["sources"]} == {"member"}
    assert answer["suggested_actions"] == [{"label": "Open team settings", "path": "/settings/team"}]


async def test_streaming_sends_start_deltas_tool_call_and_done(client):
    owner = await register(client)
    response = await client.post(
        "/api/query/stream", json={"query": "who is on my team?"}, headers=owner.headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    names = [name for name, _ in events]
    assert names[0] == "start" and names[-1] == "done"
    assert "tool_call" in names and names.count("delta") >= 2
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    done = events[-1][1]
    assert streamed.strip() == done["answer"]
    assert events[0][1]["conversation_id"] == done["conversation_id"]


async def test_write_command_waits_for_confirmation_then_runs_once(client):
    owner = await register(client)
    proposed = await ask(client, owner, "invite sam@example.com as a viewer")
    [call] = proposed["tool_calls"]
    assert call["tool"] == "invite_member" and call["status"] == "needs_confirmation"
    assert call["args"] == {"email": "sam@example.com", "role": "viewer"}
    assert "confirm" in proposed["answer"].lower()
    invitations = await client.get("/api/team/invitations", headers=owner.headers)
    assert invitations.json()["total"] == 0, "nothing may happen before the user confirms"

    decision = {"conversation_id": proposed["conversation_id"], "confirm": call["id"]}
    confirmed = await client.post("/api/query", json=decision, headers=owner.headers)
    assert confirmed.status_code == 200, confirmed.text
    [done] = confirmed.json()["tool_calls"]
    assert done["status"] == "done" and done["id"] == call["id"]
    assert "Invited sam@example.com as viewer" in confirmed.json()["answer"]
    invitations = await client.get("/api/team/invitations", headers=owner.headers)
    assert invitations.json()["total"] == 1

    again = await client.post("/api/query", json=decision, headers=owner.headers)
    assert_problem(again, 409, "CONFLICT")
    audit = await client.get("/api/audit-logs", params={"action": "ai.tool_called"}, headers=owner.headers)
    assert [entry["details"]["tool"] for entry in audit.json()["items"]] == ["invite_member"]


async def test_cancelled_action_never_runs(client):
    owner = await register(client)
    proposed = await ask(client, owner, "invite kim@example.com as an admin")
    [call] = proposed["tool_calls"]
    decision = {"conversation_id": proposed["conversation_id"], "cancel": call["id"]}
    cancelled = await client.post("/api/query", json=decision, headers=owner.headers)
    assert cancelled.status_code == 200
    assert cancelled.json()["tool_calls"][0]["status"] == "cancelled"
    confirm = {"conversation_id": proposed["conversation_id"], "confirm": call["id"]}
    assert_problem(await client.post("/api/query", json=confirm, headers=owner.headers), 409, "CONFLICT")
    assert (await client.get("/api/team/invitations", headers=owner.headers)).json()["total"] == 0


async def test_viewer_is_never_offered_a_write_tool(client):
    owner = await register(client)
    viewer = await add_member(client, owner, "viewer")
    answer = await ask(client, viewer, "invite sam@example.com as a member")
    assert answer["tool_calls"] == []
    assert "permission" in answer["answer"].lower()

    proposed = await ask(client, owner, "invite lee@example.com")
    call_id = proposed["tool_calls"][0]["id"]
    # Another user's proposal is not theirs to confirm, even with the conversation id.
    stolen = {"conversation_id": proposed["conversation_id"], "confirm": call_id}
    assert_problem(
        await client.post("/api/query", json=stolen, headers=viewer.headers), 404, "RESOURCE_NOT_FOUND"
    )


async def test_unknown_request_is_declined_without_inventing_anything(client):
    owner = await register(client)
    answer = await ask(client, owner, "what's the weather in Lisbon tomorrow?")
    assert answer["tool_calls"] == []
    assert "didn't understand" in answer["answer"] and "I can" in answer["answer"]
    assert not any(character.isdigit() for character in answer["answer"])


async def test_conversations_continue_and_are_private(client):
    owner = await register(client)
    member = await add_member(client, owner, "member")
    first = await ask(client, owner, "who is on my team?")
    second = await ask(client, owner, "which of them have MFA on?", conversation_id=first["conversation_id"])
    assert second["conversation_id"] == first["conversation_id"]
    listed = (await client.get("/api/conversations", headers=owner.headers)).json()
    assert listed["total"] == 1 and listed["items"][0]["title"] == "who is on my team?"
    detail = (
        await client.get(f"/api/conversations/{first['conversation_id']}", headers=owner.headers)
    ).json()
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant", "user", "assistant"]
    assert detail["messages"][1]["tool_calls"][0]["tool"] == "team_members"

    path = f"/api/conversations/{first['conversation_id']}"
    assert_problem(await client.get(path, headers=member.headers), 404, "RESOURCE_NOT_FOUND")
    other = await ask(client, member, "hello", conversation_id=None)
    assert other["conversation_id"] != first["conversation_id"]
    foreign = {"query": "hello", "conversation_id": first["conversation_id"]}
    assert_problem(
        await client.post("/api/query", json=foreign, headers=member.headers), 404, "RESOURCE_NOT_FOUND"
    )
    assert (await client.delete(path, headers=owner.headers)).status_code == 204
    assert (await client.get("/api/conversations", headers=owner.headers)).json()["total"] == 0


async def test_bad_queries_are_problems(client):
    owner = await register(client)
    for body in (
        {"query": ""},
        {"query": "   "},
        {"query": "x" * 1001},
        {},
        {"query": "hi", "confirm": "abc"},
        {"confirm": "abc"},
        {"query": "hi", "timezone": "Mars/Olympus"},
        {"query": "hi", "module": "nope"},
    ):
        response = await client.post("/api/query", json=body, headers=owner.headers)
        assert_problem(response, 422, "VALIDATION_ERROR")
    assert_problem(await client.post("/api/query", json={"query": "hi"}), 401, "AUTH_REQUIRED")


async def test_local_usage_is_metered_but_not_billed(client):
    owner = await register(client)
    await ask(client, owner, "who is on my team?")
    report = (await client.get("/api/llm/usage", headers=owner.headers)).json()
    [day] = report["days"]
    assert day["provider"] == "local" and day["queries"] == 1
    assert day["prompt_tokens"] > 0 and float(day["cost_usd"]) == 0
    assert report["month_tokens"] == 0  # the offline engine does not count against the budget
