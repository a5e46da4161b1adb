"""Questions the local engine cannot answer, through the tenant's remote model: a local server that
speaks OpenAI's Chat Completions plays the model. Its reply becomes a checked semantic query or SQL
that went through the guard; anything else is a clear problem."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from binelek.ai.models import AiUsage
from binelek.connectors.service import import_rows
from binelek.foundry import service as foundry
from binelek.foundry.llm import ModelAnswer, ask_model, parse_reply
from binelek.foundry.schemas import SemanticQuery
from binelek.foundry.sqlguard import execute_guarded
from binelek.kit.errors import AiBudgetExceeded, AiQueryFailed, SqlRejected
from tests.conftest import Account, principal_of, register
from tests.fake_llm import FakeLLM, Script

NOW = datetime(2025, 6, 16, 9, 30, tzinfo=UTC)
QUESTION = "Which customers from Lisbon bought the most last month?"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLLM]:
    with FakeLLM("openai") as running:
        yield running


@pytest.fixture
def fake(server: FakeLLM) -> FakeLLM:
    server.script = Script(tool="none")  # no tools are offered anyway: the reply is plain text
    server.requests.clear()
    return server


@pytest.fixture(scope="module")
async def owner(app: FastAPI, server: FakeLLM) -> Account:
    """One tenant using the fake model, shared by the tests that only read."""
    transport = httpx.ASGITransport(app=app, client=("10.7.7.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        account = await register(http, company="Lisbon Coffee")
        await use_provider(http, account, server)
    return account


async def use_provider(client: Any, owner: Account, fake: FakeLLM, **settings: Any) -> None:
    key = {"provider": "openai", "api_key": fake.api_key, "base_url": fake.base_url}
    saved = await client.post("/api/llm/api-keys", json=key, headers=owner.headers)
    assert saved.status_code == 201, saved.text
    body = {"default_provider": "openai", "default_model": fake.model, **settings}
    updated = await client.put("/api/llm/settings", json=body, headers=owner.headers)
    assert updated.status_code == 200, updated.text


async def ask(state: Any, owner: Account, question: str = QUESTION) -> ModelAnswer | None:
    principal = await principal_of(state, owner)
    async with state.db.session(tenant_id=principal.tenant_id) as session:
        catalog = await foundry.catalog(session, principal.tenant_id)
        return await ask_model(
            state, session, principal, question, catalog=catalog, timezone="Europe/Lisbon", now=NOW
        )


def model_calls(fake: FakeLLM) -> list[dict[str, Any]]:
    return [r for r in fake.requests if r["method"] == "POST"]


async def last_usage(state: Any, owner: Account) -> AiUsage:
    async with state.db.session(tenant_id=uuid.UUID(owner.tenant_id)) as session:
        statement = (
            select(AiUsage).where(AiUsage.module == "mini-foundry").order_by(AiUsage.created_at.desc())
        )
        return (await session.execute(statement.limit(1))).scalar_one()


async def test_without_a_remote_provider_there_is_no_model_answer(client, state, fake):
    owner = await register(client)
    assert await ask(state, owner) is None  # the default: the built-in offline engine only
    chosen_without_key = {"default_provider": "anthropic", "default_model": "claude-haiku-4-5"}
    assert (
        await client.put("/api/llm/settings", json=chosen_without_key, headers=owner.headers)
    ).status_code == 200
    assert await ask(state, owner) is None
    assert model_calls(fake) == []


async def test_a_semantic_query_answer_is_parsed_and_checked(state, owner, fake):
    query = {
        "metrics": ["revenue"],
        "dimensions": ["customer"],
        "filters": [{"dimension": "city", "op": "eq", "values": ["Lisbon"]}],
        "time_range": {"preset": "last_month"},
        "order_by": [{"field": "revenue", "direction": "desc"}],
        "limit": 10,
    }
    fake.script.plain_reply = json.dumps({"semantic_query": query, "interpretation": "Revenue by customer"})
    answer = await ask(state, owner)
    assert answer is not None and answer.provider == "openai"
    assert answer.semantic_query == SemanticQuery.model_validate(query)
    assert answer.guarded is None and answer.interpretation == "Revenue by customer"
    [request] = model_calls(fake)
    prompt = json.dumps(request["body"]["messages"])
    assert QUESTION in prompt and "revenue [money]" in prompt and "date.month" in prompt
    assert "orders(id UUID, order_number TEXT" in prompt and "Monday 2025-06-16" in prompt
    assert "tenant_id" not in prompt and "content_hash" not in prompt
    usage = await last_usage(state, owner)
    assert (usage.provider, usage.outcome, usage.prompt_tokens, usage.completion_tokens) == (
        "openai",
        "ok",
        21,
        8,
    )


async def test_fences_and_chatter_around_the_json_are_tolerated(state, owner, fake):
    fake.script.plain_reply = 'Sure! Here it is:\n```json\n{"semantic_query": {"metrics": ["orders"]}}\n```'
    answer = await ask(state, owner)
    assert answer is not None and answer.semantic_query == SemanticQuery(metrics=["orders"])


async def test_sql_answer_is_guarded_and_sees_only_the_tenants_rows(client, state, fake):
    owner = await register(client)
    other = await register(client, company="Other Shop")
    for account, name in ((owner, "Lisbon Café"), (other, "Porto Bakery")):
        rows = [{"email": f"{uuid.uuid4().hex[:8]}@example.com", "name": name, "city": "Lisbon"}]
        await import_rows(state.db, uuid.UUID(account.tenant_id), "customers", rows)
    await use_provider(client, owner, fake)
    sql = "SELECT name, city FROM customers WHERE city = 'Lisbon' OR 1 = 1 ORDER BY name"
    fake.script.plain_reply = json.dumps({"sql": sql, "interpretation": "Customers in Lisbon"})
    answer = await ask(state, owner)
    assert answer is not None and answer.guarded is not None and answer.semantic_query is None
    assert answer.sql == sql and ":tenant_id" in answer.guarded.sql and "LIMIT 1000" in answer.guarded.sql
    async with state.db.session(tenant_id=uuid.UUID(owner.tenant_id)) as session:
        columns, rows = await execute_guarded(session, answer.guarded)
    assert columns == ["name", "city"] and rows == [["Lisbon Café", "Lisbon"]]


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT name FROM customers; DROP TABLE customers", "multiple_statements"),
        ("SELECT email, password_hash FROM users", "table_not_allowed"),
        (
            "SELECT name FROM customers WHERE tenant_id <> '00000000-0000-0000-0000-000000000000'",
            "column_not_allowed",
        ),
        ("DELETE FROM orders", "not_select"),
        ("SELECT pg_sleep(60)", "function_not_allowed"),
    ],
)
async def test_malicious_sql_from_the_model_is_rejected(state, owner, fake, sql, reason):
    fake.script.plain_reply = json.dumps({"sql": sql})
    with pytest.raises(SqlRejected) as caught:
        await ask(state, owner)
    assert caught.value.code == "SQL_REJECTED" and caught.value.reason == reason
    assert (await last_usage(state, owner)).outcome == "ok"  # the tokens it spent still count


async def test_cannot_answer_is_passed_on(state, owner, fake):
    fake.script.plain_reply = '{"cannot_answer": "There is no data about the weather."}'
    answer = await ask(state, owner, "Will it rain tomorrow?")
    assert answer == ModelAnswer("openai", cannot_answer="There is no data about the weather.")


@pytest.mark.parametrize(
    ("reply", "says"),
    [
        ("I think revenue went up.", "no JSON object"),
        ('{"semantic_query": {"metrics": ["revenue"]', "no JSON object"),
        ('{"sql": "SELECT 1", "cannot_answer": "both"}', "exactly one"),
        ("{}", "exactly one"),
        ('{"semantic_query": {"metrics": ["happiness"]}}', "unknown metric 'happiness'"),
        (
            '{"semantic_query": {"metrics": ["revenue"], "dimensions": ["weather"]}}',
            "unknown dimension 'weather'",
        ),
        (
            '{"semantic_query": {"metrics": ["pipeline_value"], "dimensions": ["product"]}}',
            "cannot be broken down",
        ),
        (
            '{"semantic_query": {"metrics": ["revenue"], "order_by": [{"field": "orders"}]}}',
            "sorts by 'orders'",
        ),
        ('{"semantic_query": {"metrics": []}}', "semantic_query.metrics"),
        ('{"semantic_query": {"metrics": ["revenue"], "time_range": {"preset": "someday"}}}', "preset"),
    ],
)
async def test_unusable_output_is_one_clear_problem(state, owner, fake, reply, says):
    fake.script.plain_reply = reply
    with pytest.raises(AiQueryFailed) as caught:
        await ask(state, owner)
    assert caught.value.status == 502 and caught.value.cause == "invalid_output"
    assert (
        caught.value.detail.startswith("OpenAI did not answer with a usable query: ")
        and says in caught.value.detail
    )


async def test_provider_failure_is_the_ai_layers_problem_and_is_metered(state, owner, fake):
    fake.script.fail_with = 503
    with pytest.raises(AiQueryFailed) as caught:
        await ask(state, owner)
    assert caught.value.cause == "overloaded"
    usage = await last_usage(state, owner)
    assert (usage.outcome, usage.prompt_tokens) == ("failed", 0)


async def test_the_monthly_budget_applies(client, state, fake):
    owner = await register(client)
    await use_provider(client, owner, fake, monthly_token_budget=10)
    fake.script.plain_reply = '{"semantic_query": {"metrics": ["orders"]}}'
    assert await ask(state, owner) is not None  # 29 tokens: over the budget from now on
    with pytest.raises(AiBudgetExceeded):
        await ask(state, owner)
    assert len(model_calls(fake)) == 1


def test_parse_reply_reads_the_json_object_alone():
    reply = parse_reply('{"sql": "SELECT 1", "confidence": "high"}', "openai")
    assert reply.sql == "SELECT 1"  # an extra remark is dropped
