"""The provider HTTP client against a real local server: Retry-After honoured (seconds and HTTP
dates), backoff on 5xx, one token refresh on 401, errors without query strings, and pacing that
keeps under a provider's allowance."""

from __future__ import annotations

import time
from email.utils import formatdate

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from binelek.connectors.api_client import ApiClient, ProviderError, RateLimiter, redirect_origin
from tests.fakes.base import FakeProvider, RateLimit

# No database: one run, in the SQLite pass of `make test`.
pytestmark = pytest.mark.embedded_only


class Flaky(FakeProvider):
    """Answers each path's scripted statuses in turn, then 200."""

    def __init__(self, script: dict[str, list[tuple[int, dict[str, str]]]], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.script = script
        self.seen_auth: list[str | None] = []

    def api_routes(self) -> list[Route]:
        return [Route("/{name}", self.answer, methods=["GET"])]

    async def answer(self, request: Request) -> Response:
        self.seen_auth.append(request.headers.get("authorization"))
        if self.rate_limit is not None:
            wait = self.rate_limit.admit()
            if wait is not None:
                self.throttled += 1
                return self.too_many(wait)
        queue = self.script.get(request.path_params["name"], [])
        if queue:
            status, headers = queue.pop(0)
            return JSONResponse({"error": {"code": f"E{status}"}}, status_code=status, headers=headers)
        return JSONResponse({"ok": True})


async def _client(fake: FakeProvider, **kwargs: object) -> ApiClient:
    sleeps: list[float] = []

    async def record_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    api = ApiClient(httpx.AsyncClient(), origin=fake.origin, sleep=record_sleep, **kwargs)  # type: ignore[arg-type]
    api.sleeps = sleeps  # type: ignore[attr-defined]
    return api


async def test_retry_after_in_seconds_and_as_a_date_is_honoured():
    later = formatdate(time.time() + 7, usegmt=True)
    script = {"a": [(429, {"Retry-After": "3"}), (503, {"Retry-After": later})]}
    with Flaky(script) as fake:
        api = await _client(fake)
        assert (await api.get_json("https://api.example.com/a?key=secret"))["ok"] is True
    assert api.stats.throttled == 1 and api.stats.retries == 2
    first, second = api.sleeps  # type: ignore[attr-defined]
    assert 3 <= first <= 3.25
    assert 5 <= second <= 7.5


async def test_server_errors_back_off_exponentially_with_jitter_then_give_up():
    with Flaky({"b": [(500, {})] * 20}) as fake:
        api = await _client(fake)
        with pytest.raises(ProviderError) as raised:
            await api.get_json("https://api.example.com/b?token=hidden")
    assert raised.value.status == 500
    assert "hidden" not in str(raised.value) and "/b" in str(raised.value)
    sleeps = api.sleeps  # type: ignore[attr-defined]
    assert len(sleeps) == 7 and all(0 <= s <= min(60, 0.5 * 2 ** (i + 1)) for i, s in enumerate(sleeps))


async def test_a_401_refreshes_once_and_retries_with_the_new_token():
    token = {"value": "old"}
    refreshes: list[str] = []

    async def refresh() -> bool:
        refreshes.append(token["value"])
        token["value"] = "new"
        return True

    with Flaky({"c": [(401, {})]}) as fake:
        api = await _client(
            fake, headers=lambda: {"Authorization": f"Bearer {token['value']}"}, on_unauthorized=refresh
        )
        await api.get_json("https://api.example.com/c")
    assert refreshes == ["old"]
    assert fake.seen_auth == ["Bearer old", "Bearer new"]


async def test_a_client_error_is_raised_with_the_providers_code():
    with Flaky({"d": [(404, {})]}) as fake:
        api = await _client(fake)
        with pytest.raises(ProviderError) as raised:
            await api.get_json("https://api.example.com/d")
    assert raised.value.status == 404 and raised.value.code == "E404"


async def test_pacing_stays_under_the_allowance_with_no_429():
    with Flaky({}, rate_limit=RateLimit(10, 1.0)) as fake:
        api = ApiClient(httpx.AsyncClient(), origin=fake.origin, limiter=RateLimiter.for_allowance(10, 1.0))
        started = time.monotonic()
        for _ in range(25):
            await api.get_json("https://api.example.com/e")
        elapsed = time.monotonic() - started
    assert fake.throttled == 0 and api.stats.throttled == 0
    # Never above the allowed 10/s (how close it gets is measured in bench/sync.py, not here).
    assert 24 / elapsed <= 10.0


def test_redirect_origin_keeps_the_path_and_query():
    url = "https://acme.myshopify.com/admin/api/2025-07/graphql.json?x=1"
    assert (
        redirect_origin(url, "http://127.0.0.1:9000")
        == "http://127.0.0.1:9000/admin/api/2025-07/graphql.json?x=1"
    )
    assert redirect_origin(url, None) == url
