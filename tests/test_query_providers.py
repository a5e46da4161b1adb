"""The command agent through each remote provider's own tool-calling protocol (local servers that
speak OpenAI, Anthropic, Gemini and Ollama), streaming included; failures, fallback, budget, and keys
that never reach a prompt, the database or the logs in plain text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import add_member, assert_problem, register
from tests.fake_llm import FakeLLM, Script
from tests.test_query import parse_sse
from tests.test_secrets_at_rest import _dump_database

PROVIDERS = ["openai", "anthropic", "google", "ollama"]


@pytest.fixture(params=PROVIDERS)
def fake(request: pytest.FixtureRequest) -> Iterator[FakeLLM]:
    script = Script(tool="team_members", args={"mfa_enabled": False})
    with FakeLLM(request.param, script=script) as server:
        yield server


async def use_provider(client, admin, fake: FakeLLM, **settings: Any) -> None:
    key = {"provider": fake.provider, "api_key": fake.api_key or "", "base_url": fake.base_url}
    saved = await client.post("/api/llm/api-keys", json=key, headers=admin.headers)
    assert saved.status_code == 201 and saved.json()["status"] == "valid", saved.text
    body = {"default_provider": fake.provider, "default_model": fake.model, **settings}
    updated = await client.put("/api/llm/settings", json=body, headers=admin.headers)
    assert updated.status_code == 200, updated.text


def offered_tools(request: dict[str, Any]) -> set[str]:
    body = request["body"]
    names: set[str] = set()
    for tool in body.get("tools", []):
        if "function" in tool:  # OpenAI, Ollama
            names.add(tool["function"]["name"])
        elif "name" in tool:  # Anthropic
            names.add(tool["name"])
        for declaration in tool.get("functionDeclarations", tool.get("function_declarations", [])):
            names.add(declaration["name"])  # Gemini
    return names


async def test_question_runs_through_the_providers_tool_calling(client, fake):
    owner = await register(client, full_name="Ada Owner")
    await use_provider(client, owner, fake)
    response = await client.post(
        "/api/query", json={"query": "which team members don't have MFA?"}, headers=owner.headers
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["provider"] == fake.provider and answer["model"] == fake.model
    [call] = answer["tool_calls"]
    assert call["tool"] == "team_members" and call["status"] == "done"
    assert answer["answer"].startswith("Here is what I found:") and "Ada Owner" in answer["answer"]
    assert answer["usage"] == {"prompt_tokens": 42, "completion_tokens": 16}
    model_calls = [r for r in fake.requests if r["method"] == "POST"]
    assert len(model_calls) == 2  # the tool call, then the answer from its result
    assert {"team_members", "invite_member", "search_audit_log"} <= offered_tools(model_calls[0])
    assert '"x-' not in json.dumps(model_calls[0]["body"]), "the offline engine's hints stay at home"
    for request in model_calls:
        assert fake.api_key is None or fake.api_key not in json.dumps(request["body"])


async def test_streaming_through_each_provider(client, fake):
    owner = await register(client, full_name="Ada Owner")
    await use_provider(client, owner, fake)
    response = await client.post(
        "/api/query/stream", json={"query": "which team members don't have MFA?"}, headers=owner.headers
    )
    events = parse_sse(response.text)
    names = [name for name, _ in events]
    assert names[0] == "start" and names[-1] == "done", names
    assert names.count("tool_call") == 1 and names.count("delta") >= 2
    done = events[-1][1]
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    assert streamed == done["answer"] and "Ada Owner" in streamed
    assert all(r["body"].get("stream") is not False for r in fake.requests if r["method"] == "POST")


async def test_write_tool_from_a_remote_model_waits_for_confirmation(client):
    owner = await register(client)
    script = Script(tool="invite_member", args={"email": "sam@example.com", "role": "viewer"})
    with FakeLLM("openai", script=script) as fake:
        await use_provider(client, owner, fake)
        proposed = (
            await client.post("/api/query", json={"query": "invite sam"}, headers=owner.headers)
        ).json()
    [call] = proposed["tool_calls"]
    assert call["status"] == "needs_confirmation"
    assert (await client.get("/api/team/invitations", headers=owner.headers)).json()["total"] == 0
    decision = {"conversation_id": proposed["conversation_id"], "confirm": call["id"]}
    confirmed = (await client.post("/api/query", json=decision, headers=owner.headers)).json()
    assert confirmed["tool_calls"][0]["status"] == "done"
    assert (await client.get("/api/team/invitations", headers=owner.headers)).json()["total"] == 1


async def test_viewer_is_not_offered_write_tools_by_any_model(client):
    owner = await register(client)
    viewer = await add_member(client, owner, "viewer")
    script = Script(tool="invite_member", args={"email": "sam@example.com", "role": "admin"})
    with FakeLLM("anthropic", script=script) as fake:
        await use_provider(client, owner, fake)
        answer = await client.post(
            "/api/query", json={"query": "invite sam as admin"}, headers=viewer.headers
        )
    assert answer.status_code == 200 and answer.json()["tool_calls"] == []
    offered = offered_tools(next(r for r in fake.requests if r["method"] == "POST"))
    assert "team_members" in offered and "invite_member" not in offered


@pytest.mark.parametrize(("status", "cause"), [(401, "bad_key"), (429, "rate_limited"), (529, "overloaded")])
async def test_provider_failure_is_a_clear_problem(client, status, cause):
    owner = await register(client)
    with FakeLLM("anthropic") as fake:
        await use_provider(client, owner, fake)
        fake.script.fail_with = status
        response = await client.post(
            "/api/query", json={"query": "who is on my team?"}, headers=owner.headers
        )
    problem = assert_problem(response, 502, "AI_QUERY_FAILED")
    assert problem["cause"] == cause and "Anthropic" in problem["detail"]
    assert fake.api_key not in response.text


async def test_failure_falls_back_to_the_configured_provider(client):
    owner = await register(client, full_name="Ada Owner")
    with FakeLLM("openai") as fake:
        await use_provider(client, owner, fake, fallback_provider="local")
        fake.script.fail_with = 503
        answer = await client.post(
            "/api/query", json={"query": "which team members don't have MFA?"}, headers=owner.headers
        )
        streamed = await client.post(
            "/api/query/stream", json={"query": "who is on my team?"}, headers=owner.headers
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["provider"] == "local" and body["fallback_from"] == "openai"
    assert "Ada Owner" in body["answer"]
    events = parse_sse(streamed.text)
    fallback = next(data for name, data in events if name == "fallback")
    assert fallback == {"from": "openai", "to": "local", "cause": "overloaded"}
    assert events[-1][0] == "done" and events[-1][1]["provider"] == "local"
    usage = (await client.get("/api/llm/usage", headers=owner.headers)).json()
    providers = {(day["provider"], day["queries"]) for day in usage["days"]}
    assert providers == {("openai", 2), ("local", 2)}  # failed attempts are counted too


async def test_stream_failure_without_fallback_ends_with_an_error_event(client):
    owner = await register(client)
    with FakeLLM("google") as fake:
        await use_provider(client, owner, fake)
        fake.script.fail_with = 429
        response = await client.post("/api/query/stream", json={"query": "who?"}, headers=owner.headers)
    events = parse_sse(response.text)
    assert [name for name, _ in events] == ["start", "error"]
    assert events[-1][1]["code"] == "AI_QUERY_FAILED" and events[-1][1]["cause"] == "rate_limited"


async def test_monthly_token_budget_is_enforced(client):
    owner = await register(client)
    with FakeLLM("openai") as fake:
        await use_provider(client, owner, fake, monthly_token_budget=50)
        first = await client.post("/api/query", json={"query": "who is on my team?"}, headers=owner.headers)
        assert first.status_code == 200  # 58 tokens: the budget is now spent
        second = await client.post("/api/query", json={"query": "and now?"}, headers=owner.headers)
        problem = assert_problem(second, 429, "AI_BUDGET_EXCEEDED")
        assert "58" in problem["detail"] and "50" in problem["detail"]
        calls = len(fake.requests)
    usage = (await client.get("/api/llm/usage", headers=owner.headers)).json()
    assert usage["month_tokens"] == 58 and usage["monthly_token_budget"] == 50
    assert calls == len(fake.requests)
    # The free offline engine is not held back by the budget.
    await client.put(
        "/api/llm/settings",
        json={"default_provider": "local", "monthly_token_budget": 50},
        headers=owner.headers,
    )
    assert (await client.post("/api/query", json={"query": "hi"}, headers=owner.headers)).status_code == 200


async def test_keys_stay_out_of_prompts_database_and_logs(client, state, capsys):
    owner = await register(client)
    with FakeLLM("openai") as fake:
        fake.script.echo_key_in_errors = True
        await use_provider(client, owner, fake)
        await client.post("/api/query", json={"query": "who is on my team?"}, headers=owner.headers)
        fake.script.fail_with = 401  # the provider repeats the key in its error body
        failed = await client.post("/api/query", json={"query": "who is on my team?"}, headers=owner.headers)
    assert_problem(failed, 502, "AI_QUERY_FAILED")
    assert fake.api_key is not None
    stored = await _dump_database(state)
    logged = capsys.readouterr()
    assert '"event": "ai_provider_failed"' in logged.err
    assert fake.api_key not in stored
    assert fake.api_key not in logged.out + logged.err
    assert fake.api_key not in failed.text
    assert all(fake.api_key not in json.dumps(r["body"]) for r in fake.requests)


async def test_ai_rate_limit(client, app):
    owner = await register(client)
    limiter = app.state.binelek.rate_limiter
    original = limiter.limits["ai"]
    from limits import parse

    limiter.limits["ai"] = parse("2/minute")
    try:
        for _ in range(2):
            assert (
                await client.post("/api/query", json={"query": "hi"}, headers=owner.headers)
            ).status_code == 200
        limited = await client.post("/api/query", json={"query": "hi"}, headers=owner.headers)
    finally:
        limiter.limits["ai"] = original
    assert_problem(limited, 429, "RATE_LIMIT_EXCEEDED")
    assert int(limited.headers["Retry-After"]) >= 1


async def test_provider_timeout_is_a_clear_problem(client, app):
    owner = await register(client)
    settings = app.state.binelek.settings
    original = settings.ai_timeout_seconds
    with FakeLLM("ollama") as fake:
        await use_provider(client, owner, fake)
        fake.script.delay_seconds = 3
        settings.ai_timeout_seconds = 0.3
        try:
            response = await client.post("/api/query", json={"query": "who?"}, headers=owner.headers)
        finally:
            settings.ai_timeout_seconds = original
    problem = assert_problem(response, 502, "AI_QUERY_FAILED")
    assert problem["cause"] == "timeout" and "did not answer in time" in problem["detail"]


async def test_openai_compatible_server_takes_any_model_name(client):
    owner = await register(client)
    local_name = {"default_provider": "openai", "default_model": "smollm2-135m"}
    refused = await client.put("/api/llm/settings", json=local_name, headers=owner.headers)
    assert_problem(refused, 422, "VALIDATION_ERROR")  # api.openai.com has no such model
    with FakeLLM("openai", model="smollm2-135m") as fake:
        await use_provider(client, owner, fake)  # an endpoint of its own: its models are its own
        answer = await client.post("/api/query", json={"query": "who is on my team?"}, headers=owner.headers)
    assert answer.status_code == 200 and answer.json()["model"] == "smollm2-135m"


async def test_provider_without_a_key_is_a_configuration_problem(client):
    owner = await register(client)
    chosen = {"default_provider": "anthropic", "default_model": "claude-haiku-4-5"}
    assert (await client.put("/api/llm/settings", json=chosen, headers=owner.headers)).status_code == 200
    for path in ("/api/query", "/api/query/stream"):
        response = await client.post(path, json={"query": "who is on my team?"}, headers=owner.headers)
        problem = assert_problem(response, 409, "AI_PROVIDER_NOT_CONFIGURED")
        assert problem["cause"] == "not_configured" and "Anthropic" in problem["detail"]
    with_fallback = {**chosen, "fallback_provider": "local"}
    assert (
        await client.put("/api/llm/settings", json=with_fallback, headers=owner.headers)
    ).status_code == 200
    answer = (
        await client.post("/api/query", json={"query": "who is on my team?"}, headers=owner.headers)
    ).json()
    assert answer["provider"] == "local" and answer["fallback_from"] == "anthropic"


async def test_module_override_picks_the_modules_provider(client):
    owner = await register(client)
    with FakeLLM("openai") as fake:
        await use_provider(client, owner, fake)
        settings = {
            "default_provider": "local",
            "module_overrides": {"marketplace-intel": {"provider": "openai", "model": fake.model}},
        }
        assert (
            await client.put("/api/llm/settings", json=settings, headers=owner.headers)
        ).status_code == 200
        in_module = await client.post(
            "/api/query",
            json={"query": "who is on my team?", "module": "marketplace-intel"},
            headers=owner.headers,
        )
        elsewhere = await client.post(
            "/api/query", json={"query": "who is on my team?"}, headers=owner.headers
        )
    assert in_module.json()["provider"] == "openai" and in_module.json()["model"] == fake.model
    assert elsewhere.json()["provider"] == "local"
