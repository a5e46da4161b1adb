"""Rate limits, against in-memory storage and against the Redis at 127.0.0.1:6379."""

from __future__ import annotations

import uuid

import pytest

from binelek.kit.ratelimit import RateLimiter
from tests.conftest import REDIS_URL, assert_problem, make_settings, register


@pytest.fixture(params=["memory", "redis"])
async def strict_limits(request, state, data_dir, database_url):
    overrides = {"rate_limit_auth": "10/minute", "rate_limit_api": "5/minute"}
    if request.param == "redis":
        overrides |= {"redis_url": REDIS_URL, "redis_prefix": f"binelek-test-{uuid.uuid4().hex[:8]}:"}
    limiter = RateLimiter(make_settings(data_dir, database_url, **overrides))
    original, state.rate_limiter = state.rate_limiter, limiter
    try:
        yield request.param
    finally:
        state.rate_limiter = original


async def test_login_brute_force_meets_429(client, strict_limits):
    account_email = f"victim-{uuid.uuid4().hex[:6]}@example.com"
    statuses = []
    for _ in range(12):
        response = await client.post(
            "/api/auth/login", json={"email": account_email, "password": "guess-guess-1"}
        )
        statuses.append(response.status_code)
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    body = assert_problem(response, 429, "RATE_LIMIT_EXCEEDED")
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert "try again" in body["detail"]


async def test_per_account_limit_applies_across_addresses(app, strict_limits):
    import httpx

    email = f"target-{uuid.uuid4().hex[:6]}@example.com"
    codes = []
    for attempt in range(11):
        transport = httpx.ASGITransport(app=app, client=(f"10.9.0.{attempt + 1}", 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.post("/api/auth/login", json={"email": email, "password": "guess-guess-1"})
            codes.append(response.status_code)
    assert codes[-1] == 429 and codes.count(401) == 10


async def test_general_api_limit_per_user_and_tenant(client, state, strict_limits):
    original, state.rate_limiter = state.rate_limiter, RateLimiter(state.settings)
    account = await register(client)
    state.rate_limiter = original
    codes = [(await client.get("/api/auth/me", headers=account.headers)).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
