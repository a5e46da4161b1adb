"""Remote LLM providers through pydantic-ai: each provider's real SDK (or our native Ollama model)
against a local server speaking its wire protocol, driving an agent with one tool, plain and
streamed, and every failure mapped to what the app's fallback needs to know."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx2
import openai
import pytest
from pydantic_ai import Agent
from pydantic_ai.messages import FunctionToolCallEvent, PartDeltaEvent, TextPartDelta
from pydantic_ai.run import AgentRunResultEvent

from binelek.ai.providers import KeyCheck, check_key
from binelek.ai.remote import (
    build_model,
    classify_failure,
    close_shared_clients,
    describe_failure,
    shared_http_client,
)
from tests.fake_llm import FakeLLM, Script
from tests.support import free_port

PROVIDERS = ["openai", "anthropic", "google", "ollama"]
TOOL_RESULT = "Ada Lovelace <ada@example.com> (MFA on); Alan Turing <alan@example.com> (MFA on)"
PROMPT = "Which team members have MFA turned on?"
WRONG_KEY = "sk-wrong-key-that-must-not-leak-7777"


@pytest.fixture(params=PROVIDERS)
def fake(request: pytest.FixtureRequest):
    with FakeLLM(request.param) as server:
        yield server


@pytest.fixture(params=PROVIDERS)
def keyed_fake(request: pytest.FixtureRequest):
    """Every provider checking keys; Ollama as Ollama Cloud or an authenticating proxy would."""
    with FakeLLM(request.param, require_key=True) as server:
        yield server


def team_agent(model: Any, calls: list[dict[str, Any]]) -> Agent[None, str]:
    agent = Agent(model, instructions="You answer questions about the team.")

    @agent.tool_plain
    def team_members(mfa_enabled: bool | None = None) -> str:
        """List the team's members, optionally only those with MFA turned on (or off)."""
        calls.append({"mfa_enabled": mfa_enabled})
        return TOOL_RESULT

    return agent


def offered_tools(fake: FakeLLM, body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The tool schemas a request offered, by name, in the provider's own shape."""
    tools = body.get("tools") or []
    if fake.provider in ("openai", "ollama"):
        return {t["function"]["name"]: t["function"]["parameters"] for t in tools}
    if fake.provider == "anthropic":
        return {t["name"]: t["input_schema"] for t in tools}
    declarations = [d for t in tools for d in t.get("functionDeclarations") or []]
    schema_keys = ("parametersJsonSchema", "parameters_json_schema", "parameters")
    return {d["name"]: next(d[k] for k in schema_keys if k in d) for d in declarations}


def assert_sent_properly(fake: FakeLLM, *, streamed: bool) -> None:
    assert len(fake.requests) == 2
    for entry in fake.requests:
        schema = offered_tools(fake, entry["body"])["team_members"]
        assert "mfa_enabled" in schema["properties"]
        body_text = json.dumps(entry["body"])
        assert fake.api_key is None or fake.api_key not in body_text
        sent_streamed = (
            entry["path"].endswith(":streamGenerateContent") or entry["body"].get("stream") is True
        )
        # pydantic-ai streams every Anthropic request: its SDK refuses long max_tokens without streaming.
        assert sent_streamed == (streamed or fake.provider == "anthropic")
    headers = fake.requests[0]["headers"]
    if fake.provider in ("openai", "anthropic"):
        # The anthropic SDK sends its key as a bearer token; the API takes that or `x-api-key`.
        assert headers["authorization"] == f"Bearer {fake.api_key}"
    if fake.provider == "anthropic":
        assert headers["anthropic-version"]
    if fake.provider == "google":
        assert headers["x-goog-api-key"] == fake.api_key
    if fake.provider == "ollama":
        assert "authorization" not in headers  # local Ollama gets no credentials


async def test_agent_run_calls_the_tool_and_answers_with_its_result(fake: FakeLLM):
    model = build_model(fake.provider, fake.model, fake.api_key, fake.base_url, timeout_seconds=5)
    calls: list[dict[str, Any]] = []
    result = await team_agent(model, calls).run(PROMPT)

    assert calls == [fake.script.args]
    assert result.output == fake.script.final_prefix + TOOL_RESULT
    usage = result.usage
    assert usage.requests == 2
    assert usage.input_tokens == 2 * fake.script.input_tokens
    assert usage.output_tokens == 2 * fake.script.output_tokens
    assert_sent_properly(fake, streamed=False)


async def test_streamed_run_emits_deltas_tool_events_and_the_final_result(fake: FakeLLM):
    model = build_model(fake.provider, fake.model, fake.api_key, fake.base_url, timeout_seconds=5)
    calls: list[dict[str, Any]] = []
    async with team_agent(model, calls).run_stream_events(PROMPT) as stream:
        events = [event async for event in stream]

    tool_calls = [e.part for e in events if isinstance(e, FunctionToolCallEvent)]
    assert [(c.tool_name, c.args_as_dict()) for c in tool_calls] == [("team_members", fake.script.args)]
    assert calls == [fake.script.args]
    text_deltas = [e for e in events if isinstance(e, PartDeltaEvent) and isinstance(e.delta, TextPartDelta)]
    assert len(text_deltas) >= 2  # the answer arrived in pieces
    final = events[-1]
    assert isinstance(final, AgentRunResultEvent)
    assert final.result.output == fake.script.final_prefix + TOOL_RESULT
    usage = final.result.usage
    assert usage.requests == 2
    assert usage.input_tokens == 2 * fake.script.input_tokens
    assert usage.output_tokens == 2 * fake.script.output_tokens
    assert_sent_properly(fake, streamed=True)


async def test_fake_servers_pass_the_apps_key_check(keyed_fake: FakeLLM):
    assert keyed_fake.api_key is not None
    if keyed_fake.provider == "ollama":
        return  # the key check calls local Ollama's /api/tags without credentials
    assert await check_key(keyed_fake.provider, keyed_fake.api_key, keyed_fake.base_url) == KeyCheck.VALID
    assert await check_key(keyed_fake.provider, WRONG_KEY, keyed_fake.base_url) == KeyCheck.INVALID


async def failure_of(fake: FakeLLM, *, api_key: str | None = None, timeout: float = 5, stream: bool = False):
    key = api_key or fake.api_key
    model = build_model(fake.provider, fake.model, key, fake.base_url, timeout_seconds=timeout)
    agent = team_agent(model, [])
    with pytest.raises(Exception) as caught:
        if stream:
            async with agent.run_stream_events(PROMPT) as events:
                async for _ in events:
                    pass
        else:
            await agent.run(PROMPT)
    return caught.value


@pytest.mark.parametrize("stream", [False, True])
async def test_wrong_key_is_bad_key_and_never_in_the_description(keyed_fake: FakeLLM, stream: bool):
    keyed_fake.script.echo_key_in_errors = True  # a provider that repeats the key in its error message
    exc = await failure_of(keyed_fake, api_key=WRONG_KEY, stream=stream)
    assert classify_failure(exc) == "bad_key"
    assert WRONG_KEY in str(exc)  # what the raw exception would put in a log...
    described = describe_failure(exc)
    assert WRONG_KEY not in described and "bad_key" in described  # ...and what we hand out instead
    assert WRONG_KEY[-6:] not in described


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (429, "rate_limited"),
        (529, "overloaded"),
        (503, "overloaded"),
        (400, "bad_request"),
        (500, "provider_error"),
    ],
)
async def test_provider_errors_are_classified(fake: FakeLLM, status: int, kind: str):
    fake.script.fail_with = status
    exc = await failure_of(fake)
    assert classify_failure(exc) == kind, repr(exc)
    assert len(fake.requests) == 1  # the SDK did not retry
    if status == 429:
        assert exc.retry_after == 1.0  # read from the provider's retry-after header
    if fake.api_key:
        assert fake.api_key not in describe_failure(exc)


async def test_streamed_request_errors_are_classified_too(fake: FakeLLM):
    fake.script.fail_with = 429
    exc = await failure_of(fake, stream=True)
    assert classify_failure(exc) == "rate_limited"
    assert len(fake.requests) == 1


async def test_a_slow_provider_times_out_quickly(fake: FakeLLM):
    fake.script.delay_seconds = 3
    started = time.monotonic()
    exc = await failure_of(fake, timeout=0.2)
    assert classify_failure(exc) == "timeout", repr(exc)
    assert time.monotonic() - started < 2
    assert len(fake.requests) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_closed_port_is_unreachable(provider: str):
    base = f"http://127.0.0.1:{free_port()}" + ("/v1" if provider == "openai" else "")
    model = build_model(provider, "some-model", "sk-some-key-1234", base, timeout_seconds=2)
    with pytest.raises(Exception) as caught:
        await team_agent(model, []).run(PROMPT)
    assert classify_failure(caught.value) == "unreachable", repr(caught.value)


async def test_ollama_speaks_the_native_api():
    with FakeLLM("ollama") as fake:
        model = build_model("ollama", fake.model, None, fake.base_url, timeout_seconds=5)
        result = await team_agent(model, []).run(
            PROMPT, model_settings={"temperature": 0.2, "max_tokens": 64}
        )
        assert result.output.endswith(TOOL_RESULT)
        first, second = (entry["body"] for entry in fake.requests)
    assert all(entry["path"] == "/api/chat" for entry in fake.requests)
    assert first["options"] == {"temperature": 0.2, "num_predict": 64} and first["stream"] is False
    tool = first["tools"][0]
    assert tool["type"] == "function" and tool["function"]["name"] == "team_members"
    assert tool["function"]["description"].startswith("List the team's members")
    assert first["messages"][0] == {"role": "system", "content": "You answer questions about the team."}
    assert first["messages"][-1] == {"role": "user", "content": PROMPT}
    assistant, tool_message = second["messages"][-2:]
    assert assistant["tool_calls"] == [
        {"function": {"name": "team_members", "arguments": {"mfa_enabled": True}}}
    ]
    assert tool_message == {"role": "tool", "content": TOOL_RESULT, "tool_name": "team_members"}


async def test_ollama_sends_a_key_as_a_bearer_token_when_given():
    with FakeLLM("ollama", require_key=True) as fake:
        model = build_model("ollama", fake.model, fake.api_key, fake.base_url, timeout_seconds=5)
        await team_agent(model, []).run(PROMPT)
        assert fake.requests[0]["headers"]["authorization"] == f"Bearer {fake.api_key}"


async def test_a_script_without_the_tool_gets_a_plain_reply(fake: FakeLLM):
    fake.script = Script(tool="something_else", plain_reply="Nothing to look up.")
    model = build_model(fake.provider, fake.model, fake.api_key, fake.base_url, timeout_seconds=5)
    calls: list[dict[str, Any]] = []
    result = await team_agent(model, calls).run(PROMPT)
    assert result.output == "Nothing to look up." and calls == []


async def test_connections_are_pooled_per_provider_and_base_url():
    one = shared_http_client("openai", "http://127.0.0.1:1/v1")
    assert shared_http_client("openai", "http://127.0.0.1:1/v1") is one
    assert shared_http_client("openai", "http://127.0.0.1:2/v1") is not one
    assert shared_http_client("anthropic", "http://127.0.0.1:1/v1") is not one
    assert isinstance(one, httpx2.AsyncClient)
    await close_shared_clients()
    assert one.is_closed
    assert shared_http_client("openai", "http://127.0.0.1:1/v1") is not one  # a fresh pool after closing


def test_build_model_refuses_what_it_cannot_build():
    with pytest.raises(ValueError, match="no remote model"):
        build_model("local", "binelek-local", None, None)
    for provider in ("anthropic", "google"):
        with pytest.raises(ValueError, match="needs an API key"):
            build_model(provider, "m", None, None)


def test_classify_failure_reads_sdk_and_transport_errors():
    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    assert classify_failure(httpx2.ConnectError("refused", request=request)) == "unreachable"
    assert classify_failure(httpx2.ReadTimeout("slow", request=request)) == "timeout"
    assert classify_failure(TimeoutError()) == "timeout"
    assert classify_failure(openai.APITimeoutError(request=request)) == "timeout"
    response = httpx2.Response(401, request=request, json={"error": {"message": "Incorrect API key: sk-x"}})
    status_error = openai.AuthenticationError("Incorrect API key: sk-x", response=response, body=None)
    assert classify_failure(status_error) == "bad_key"
    assert classify_failure(ExceptionGroup("all failed", [status_error])) == "bad_key"
    assert classify_failure(RuntimeError("boom")) == "provider_error"
    assert "sk-x" not in describe_failure(status_error)
