"""Questions in plain language (POST /api/modules/mini-foundry/query): a subset of the question table
in tests/foundry_questions.py against hand-written SQL on the demo business (scale 0.02), the
reading of questions without a database, and the endpoint's contract: problems, the honest "can't
answer" with suggestions, permissions, another tenant's data, and the model fallback."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from binelek.demo import load_business_data
from binelek.foundry import nlq
from binelek.foundry.schemas import QuestionIn, RangeOut
from binelek.identity.models import Tenant
from binelek.kit.state import AppState
from tests.conftest import Account, add_member, assert_problem, principal_of, register
from tests.fake_llm import FakeLLM, Script
from tests.foundry_questions import (
    NOW,
    ORDERS_IN,
    SEPTEMBER,
    TIMEZONE,
    TODAY,
    Question,
    check,
    expected,
    smoke_questions,
)

URL = "/api/modules/mini-foundry/query"
SMOKE = smoke_questions()


@pytest.fixture(scope="module")
async def http(app: FastAPI) -> Any:
    transport = httpx.ASGITransport(app=app, client=("10.4.5.6", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture(scope="module")
async def northwind(http: httpx.AsyncClient, state: AppState) -> Account:
    """The demo business at scale 0.02 up to TODAY, its time zone Los Angeles."""
    account = await register(http, "Northwind Question Roasters")
    tenant_id = uuid.UUID(account.tenant_id)
    async with state.db.session() as session:
        tenant = await session.get(Tenant, tenant_id)
        assert tenant is not None
        tenant.settings = {**tenant.settings, "timezone": TIMEZONE}
    await load_business_data(state.db, tenant_id, scale=0.02, today=TODAY)
    nlq.forget_vocabulary(tenant_id)
    return account


@pytest.mark.parametrize("question", SMOKE, ids=[q.text for q in SMOKE])
async def test_question_table(question: Question, northwind: Account, state: AppState) -> None:
    principal = await principal_of(state, northwind)
    async with state.db.session(tenant_id=principal.tenant_id) as session:
        out = await nlq.ask(state, session, principal, QuestionIn(query=question.text), now=NOW)
        want = await expected(session, principal.tenant_id, question)
    verdict = check(question, out, want)
    assert verdict.correct, f"{question.text}: {verdict.why}\n{out.interpretation}\n{out.answer}"
    if out.understood:
        assert out.engine == "local" and out.sql and out.chart is not None and out.semantic_query
        assert out.answer.endswith(".") and out.interpretation.endswith(".")


async def test_answer_names_the_period_and_the_number(northwind: Account, state: AppState) -> None:
    principal = await principal_of(state, northwind)
    async with state.db.session(tenant_id=principal.tenant_id) as session:
        out = await nlq.ask(
            state, session, principal, QuestionIn(query="What was revenue last month?"), now=NOW
        )
    value = out.rows[0][0]
    assert out.answer.startswith(f"Revenue last month (Oct 1{nlq.EN_DASH}31, 2026) was $")
    assert nlq.format_value(value, "money", "USD") in out.answer
    assert "from September" in out.answer or value == 0
    assert out.interpretation == "Revenue (order totals, not cancelled), from 1 Oct 2026 to 31 Oct 2026."
    assert out.chart is not None and out.chart.type == "kpi"
    assert [c.model_dump() for c in out.columns] == [{"name": "revenue", "type": "money"}]


async def test_a_compared_breakdown_carries_the_previous_period(northwind: Account, state: AppState) -> None:
    principal = await principal_of(state, northwind)
    question = QuestionIn(query="orders by channel last month compared to the previous month")
    async with state.db.session(tenant_id=principal.tenant_id) as session:
        out = await nlq.ask(state, session, principal, question, now=NOW)
        by_channel = f"SELECT o.channel, COUNT(*) {ORDERS_IN} GROUP BY o.channel"
        september = await expected(
            session, principal.tenant_id, Question("", "rows", by_channel, "count", SEPTEMBER)
        )
    assert [c.name for c in out.columns] == ["channel", "orders", "orders_previous"]
    assert out.chart is not None and out.chart.y == ["orders", "orders_previous"]
    assert isinstance(september, dict)
    assert {row[0]: row[2] or 0.0 for row in out.rows} == {
        row[0]: september.get(row[0], 0.0) for row in out.rows
    }
    assert "compared with 1 Sep 2026 to 30 Sep 2026" in out.interpretation
    assert "from " in out.answer and "in September" in out.answer


async def test_charts_follow_the_question(northwind: Account, state: AppState) -> None:
    principal = await principal_of(state, northwind)
    charts = {
        "revenue trend this year": ("line", "date.month"),
        "revenue by category last quarter": ("bar", "category"),
        "revenue split by channel last month": ("pie", "channel"),
        "revenue by country this year": ("map", "country"),
        "top 5 products by revenue and units sold this year": ("table", "product"),
    }
    async with state.db.session(tenant_id=principal.tenant_id) as session:
        for question, (kind, x) in charts.items():
            out = await nlq.ask(state, session, principal, QuestionIn(query=question), now=NOW)
            assert out.chart is not None, question
            assert (out.chart.type, out.chart.x) == (kind, x), question


# --- reading questions (no database) -------------------------------------------------------------


@pytest.fixture(scope="module")
def vocabulary() -> nlq.Vocabulary:
    return nlq.Vocabulary(
        values={
            "channel": ["market", "subscription", "web", "wholesale"],
            "category": ["blends", "cold brew", "equipment", "single-origin beans"],
            "product": ["Pullover Hoodie, M", "Pullover Hoodie, L", "Harbor Street Espresso, 12 oz"],
            "customer": ["Little Bird Coffee House", "Ada Lovelace"],
            "country": ["US", "CA", "DE"],
            "city": ["Portland", "Seattle"],
            "status": ["fulfilled", "refunded"],
            "deal_stage": ["closed_won", "negotiation"],
            "pipeline": ["Wholesale"],
        },
        home_country="US",
        custom_metrics={},
        custom={},
        first_order_at=None,
    )


def read(text: str, vocabulary: nlq.Vocabulary) -> nlq.Parsed:
    parsed = nlq.parse(text, vocabulary, now=NOW, timezone=TIMEZONE)
    assert isinstance(parsed, nlq.Parsed), f"{text}: {parsed}"
    return parsed


def test_periods(vocabulary: nlq.Vocabulary) -> None:
    cases = {
        "revenue last month": {"preset": "last_month"},
        "revenue this year so far": {"preset": "this_year"},
        "revenue year to date": {"preset": "year_to_date"},
        "revenue in the last 90 days": {"preset": "last_90_days"},
        "revenue in the last 45 days": {"start": date(2026, 10, 6), "end": date(2026, 11, 19)},
        "revenue in 2025": {"start": date(2025, 1, 1), "end": date(2025, 12, 31)},
        "2025 revenue": {"start": date(2025, 1, 1), "end": date(2025, 12, 31)},
        "revenue in Q3": {"start": date(2026, 7, 1), "end": date(2026, 9, 30)},
        "revenue between March and May": {"start": date(2026, 3, 1), "end": date(2026, 5, 31)},
        "revenue since June": {"start": date(2026, 6, 1), "end": TODAY},
    }
    for text, wanted in cases.items():
        time_range = read(text, vocabulary).query.time_range
        assert time_range is not None, text
        assert time_range.model_dump(exclude_none=True) == wanted, text


def test_breakdowns_rankings_and_filters(vocabulary: nlq.Vocabulary) -> None:
    top = read("top 5 products by revenue this year", vocabulary).query
    assert (top.dimensions, top.limit, top.order_by[0].direction) == (["product"], 5, "desc")
    worst = read("worst 3 categories by units sold", vocabulary).query
    assert (worst.metrics, worst.limit, worst.order_by[0].direction) == (["units_sold"], 3, "asc")
    busiest = read("what's our busiest day of the week", vocabulary).query
    assert (busiest.metrics, busiest.dimensions, busiest.limit) == (["orders"], ["weekday"], 1)
    most = read("which country has the most customers", vocabulary).query
    assert (most.metrics, most.dimensions, most.limit) == (["customers"], ["country"], 1)
    monthly = read("sales per month by channel", vocabulary).query
    assert (monthly.metrics, monthly.dimensions) == (["revenue"], ["date.month", "channel"])
    filtered = read("orders from Germany via wholesale", vocabulary).query
    assert {(f.dimension, tuple(f.values)) for f in filtered.filters} == {
        ("country", ("DE",)),
        ("channel", ("wholesale",)),
    }
    hoodies = read("how many hoodies did we sell", vocabulary).query
    assert hoodies.metrics == ["units_sold"]
    assert hoodies.filters[0].values == ["Pullover Hoodie, L", "Pullover Hoodie, M"]
    cafe = read("how much did little bird coffee house spend", vocabulary).query
    assert (cafe.metrics, cafe.filters[0].dimension) == (["revenue"], "customer")
    abroad = read("international orders", vocabulary).query
    assert abroad.filters[0].model_dump() == {"dimension": "country", "op": "neq", "values": ["US"]}
    # The same word is a channel and a pipeline: deals take the pipeline.
    deals = read("how many deals did we win in wholesale", vocabulary).query
    assert deals.filters[0].dimension == "pipeline"


def test_values_of_one_dimension_are_one_filter_or_a_split(vocabulary: nlq.Vocabulary) -> None:
    both = read("revenue from web and wholesale last month", vocabulary).query
    assert [f.model_dump() for f in both.filters] == [
        {"dimension": "channel", "op": "in", "values": ["web", "wholesale"]}
    ]
    assert both.dimensions == []
    split = read("what's the revenue split between web and wholesale this year", vocabulary)
    assert split.query.dimensions == ["channel"] and split.query.compare is None
    assert split.chart.type == "pie"
    cities = read("compare Portland and Seattle revenue this year", vocabulary).query
    assert (cities.dimensions, cities.compare) == (["city"], None)


def test_comparisons(vocabulary: nlq.Vocabulary) -> None:
    adjacent = read("how did orders in Q3 compare to Q2", vocabulary)
    assert adjacent.query.compare == "previous_period" and adjacent.other_period is not None
    explicit = read("compare revenue this month vs last month", vocabulary)
    assert explicit.query.compare is None and explicit.other_period is not None
    assert explicit.query.time_range is not None and explicit.query.time_range.preset == "this_month"
    growth = read("revenue growth this year", vocabulary)
    assert growth.query.compare == "previous_year"
    year_ago = read("orders last month vs the same month a year ago", vocabulary)
    assert year_ago.query.compare == "previous_year"


def test_what_it_does_not_know_is_not_guessed(vocabulary: nlq.Vocabulary) -> None:
    for text in (
        "revenue from unicorns",
        "how many employees do we have",
        "tell me a joke",
        "cancelled orders",
    ):
        assert isinstance(nlq.parse(text, vocabulary, now=NOW, timezone=TIMEZONE), nlq.NotUnderstood), text
    deals = nlq.parse("refunds by category", vocabulary, now=NOW, timezone=TIMEZONE)
    assert isinstance(deals, nlq.NotUnderstood) and "category" in deals.reason


def test_numbers_and_dates_read_as_owners_write_them() -> None:
    assert nlq.format_value(48212.4, "money", "USD") == "$48,212.40"
    assert nlq.format_value(-3.5, "money", "EUR") == "-€3.50"
    assert nlq.format_value(12.5, "money", "SEK") == "12.50 SEK"
    assert nlq.format_value(0.0612, "percent", None) == "6.1 %"
    assert nlq.format_value(1234.0, "integer", None) == "1,234"
    out = RangeOut
    assert (
        nlq.dates_label(out(start=date(2026, 10, 1), end=date(2026, 10, 31))) == f"Oct 1{nlq.EN_DASH}31, 2026"
    )
    assert (
        nlq.dates_label(out(start=date(2026, 7, 1), end=date(2026, 9, 30)))
        == f"Jul 1 {nlq.EN_DASH} Sep 30, 2026"
    )
    assert (
        nlq.dates_label(out(start=date(2025, 12, 1), end=date(2026, 1, 31)))
        == f"Dec 1, 2025 {nlq.EN_DASH} Jan 31, 2026"
    )


# --- the endpoint ----------------------------------------------------------------------------------


async def test_endpoint_answers(http: httpx.AsyncClient, northwind: Account) -> None:
    response = await http.post(
        URL, json={"query": "revenue by category this year"}, headers=northwind.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["understood"] is True and body["engine"] == "local"
    assert {"interpretation", "sql", "columns", "rows", "chart", "answer"} <= body.keys()
    assert body["columns"] == [{"name": "category", "type": "string"}, {"name": "revenue", "type": "money"}]
    assert body["chart"]["type"] == "bar" and body["chart"]["x"] == "category"
    assert ":tenant_id" in body["sql"] and northwind.tenant_id not in body["sql"]
    assert body["semantic_query"]["dimensions"] == ["category"]


async def test_endpoint_problems(http: httpx.AsyncClient, northwind: Account) -> None:
    for bad in ({"query": ""}, {"query": "   "}, {}, {"query": "revenue", "extra": 1}):
        assert_problem(await http.post(URL, json=bad, headers=northwind.headers), 422, "VALIDATION_ERROR")
    wrong_zone = {"query": "revenue last month", "timezone": "Mars/Olympus_Mons"}
    body = assert_problem(
        await http.post(URL, json=wrong_zone, headers=northwind.headers), 422, "VALIDATION_ERROR"
    )
    assert "time zone" in body["detail"]


async def test_cant_answer_offers_questions_it_can(http: httpx.AsyncClient, northwind: Account) -> None:
    response = await http.post(
        URL, json={"query": "How many employees do we have?"}, headers=northwind.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["understood"] is False and body["answer"] == "I can't answer that yet."
    assert body["rows"] == [] and body["sql"] is None and body["chart"] is None
    assert 3 <= len(body["suggestions"]) <= 5
    assert all(s in nlq.EXAMPLE_QUESTIONS for s in body["suggestions"])
    assert "employees" in body["interpretation"]
    refunds = await http.post(
        URL, json={"query": "refund money back stuff please?"}, headers=northwind.headers
    )
    assert refunds.json()["understood"] is True  # "money back" is a refunds synonym


async def test_permissions_and_tenants(http: httpx.AsyncClient, northwind: Account) -> None:
    question = {"query": "How many orders in 2025?"}
    assert_problem(await http.post(URL, json=question), 401, "AUTH_REQUIRED")
    viewer = await add_member(http, northwind, "viewer")
    assert (await http.post(URL, json=question, headers=viewer.headers)).status_code == 200
    stranger = await register(http, "Empty Shelf Coffee")
    empty = (await http.post(URL, json=question, headers=stranger.headers)).json()
    assert empty["understood"] is True and empty["rows"] == [[0.0]]
    updated = await http.put("/api/organization", json={"modules": ["ops-copilot"]}, headers=stranger.headers)
    assert updated.status_code == 200, updated.text
    assert_problem(await http.post(URL, json=question, headers=stranger.headers), 403, "MODULE_DISABLED")


async def test_custom_metrics_are_asked_by_their_label(http: httpx.AsyncClient, northwind: Account) -> None:
    metric = {
        "name": "revenue_per_customer",
        "label": "Revenue per customer",
        "formula": "order_total / ordering_customers",
        "format": "money",
    }
    created = await http.post(
        "/api/modules/mini-foundry/metrics/custom", json=metric, headers=northwind.headers
    )
    assert created.status_code == 201, created.text
    question = {"query": "revenue per customer last month"}
    body = (await http.post(URL, json=question, headers=northwind.headers)).json()
    assert body["understood"] is True, body
    assert body["semantic_query"]["metrics"] == ["revenue_per_customer"]
    assert body["answer"].startswith("Revenue per customer last month")


@pytest.fixture(scope="module")
def model() -> Iterator[FakeLLM]:
    with FakeLLM("openai") as running:
        running.script = Script(tool="none")
        yield running


async def test_questions_beyond_the_local_engine_go_to_the_model(
    http: httpx.AsyncClient, model: FakeLLM
) -> None:
    owner = await register(http, "Model Roasters")
    key = {"provider": "openai", "api_key": model.api_key, "base_url": model.base_url}
    assert (await http.post("/api/llm/api-keys", json=key, headers=owner.headers)).status_code == 201
    settings = {"default_provider": "openai", "default_model": model.model}
    assert (await http.put("/api/llm/settings", json=settings, headers=owner.headers)).status_code == 200
    question = {"query": "Which loyal regulars drifted away this spring?"}

    model.script.plain_reply = json.dumps(
        {"semantic_query": {"metrics": ["customers"]}, "interpretation": "Customers"}
    )
    body = (await http.post(URL, json=question, headers=owner.headers)).json()
    assert body["understood"] is True and body["engine"] == "openai"
    assert body["interpretation"] == "Customers" and body["rows"] == [[0.0]]

    model.script.plain_reply = json.dumps({"sql": "SELECT COUNT(*) AS n FROM customers"})
    body = (await http.post(URL, json=question, headers=owner.headers)).json()
    assert body["understood"] is True and body["engine"] == "openai"
    assert body["columns"] == [{"name": "n", "type": "integer"}] and body["rows"] == [[0]]

    model.script.plain_reply = '{"cannot_answer": "There is no loyalty data."}'
    body = (await http.post(URL, json=question, headers=owner.headers)).json()
    assert body["understood"] is False and body["interpretation"] == "There is no loyalty data."
    assert body["suggestions"]

    model.script.plain_reply = "I would rather talk about the weather."
    body = (await http.post(URL, json=question, headers=owner.headers)).json()
    assert body["understood"] is False and body["answer"] == "I can't answer that yet."
    assert "language model could not answer" in body["interpretation"] and body["suggestions"]

    local = (await http.post(URL, json={"query": "orders last month"}, headers=owner.headers)).json()
    assert local["engine"] == "local"  # what the local engine reads never costs a model call
