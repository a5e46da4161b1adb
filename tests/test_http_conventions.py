"""Conventions every endpoint follows: problem+json, paging, request ids, headers, probes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import assert_problem, register

ROOT = Path(__file__).resolve().parent.parent


async def test_unknown_api_path_is_problem_json(client):
    assert_problem(await client.get("/api/nope"), 404, "RESOURCE_NOT_FOUND")


async def test_wrong_method_is_problem_json(client):
    assert_problem(await client.delete("/api/auth/login"), 405, "METHOD_NOT_ALLOWED")


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'{"email": 5}', b'{"email": "a@b.co", "password": null}', b"\xff\xfe"],
)
async def test_malformed_bodies_are_422_never_500(client, body):
    response = await client.post(
        "/api/auth/login", content=body, headers={"content-type": "application/json"}
    )
    problem = assert_problem(response, 422, "VALIDATION_ERROR")
    assert problem["errors"] and all("loc" in error for error in problem["errors"])


async def test_validation_errors_name_field_paths(client):
    account = await register(client)
    response = await client.post(
        "/api/team/invitations", json={"email": "x", "role": "owner"}, headers=account.headers
    )
    problem = assert_problem(response, 422, "VALIDATION_ERROR")
    assert {tuple(error["loc"]) for error in problem["errors"]} == {("body", "email"), ("body", "role")}


async def test_paging_contract(client):
    account = await register(client)
    page = (await client.get("/api/team/members?limit=1&offset=0", headers=account.headers)).json()
    assert set(page) == {"items", "total", "limit", "offset"} and page["limit"] == 1
    assert_problem(
        await client.get("/api/team/members?limit=201", headers=account.headers), 422, "VALIDATION_ERROR"
    )
    assert_problem(
        await client.get("/api/team/members?offset=-1", headers=account.headers), 422, "VALIDATION_ERROR"
    )


async def test_bad_path_ids_are_422(client):
    account = await register(client)
    assert_problem(
        await client.delete("/api/api-keys/not-a-uuid", headers=account.headers), 422, "VALIDATION_ERROR"
    )


async def test_request_id_is_echoed_or_generated(client):
    echoed = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    generated = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert len(generated.headers["x-request-id"]) == 32


async def test_security_headers_on_every_response(client):
    for response in (
        await client.get("/healthz"),
        await client.get("/api/nope"),
        await client.get("/app/page"),
    ):
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "default-src 'self'" in headers["content-security-policy"]
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert headers["x-frame-options"] == "DENY"
        assert "strict-transport-security" not in headers  # HSTS only in production


async def test_probes_and_metrics(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    checks = ready.json()["checks"]
    assert ready.status_code == 200 and checks["database"] == "ok" and checks["jobs"] == "ok"
    assert set(checks) <= {"database", "jobs", "redis"} and set(checks.values()) == {"ok"}
    metrics = await client.get("/metrics")
    assert "binelek_http_requests_total" in metrics.text


async def test_openapi_and_docs(client):
    schema = (await client.get("/api/openapi.json")).json()
    for path in (
        "/api/auth/login",
        "/api/auth/register",
        "/api/team/invitations",
        "/api/api-keys",
        "/api/audit-logs",
    ):
        assert path in schema["paths"]
    assert (await client.get("/api/docs")).status_code == 200


async def test_committed_openapi_schema_is_current(app):
    """The web client is generated from web/openapi.json; regenerate with `make openapi`."""
    committed = ROOT / "web" / "openapi.json"
    assert committed.exists(), "run `make openapi`"
    current = json.loads(json.dumps(app.openapi(), sort_keys=True))
    assert json.loads(committed.read_text()) == current, "web/openapi.json is stale: run `make openapi`"


async def test_web_app_fallback_without_build(client):
    assert_problem(await client.get("/dashboard"), 404, "WEB_APP_NOT_BUILT")


async def test_cors_follows_settings(settings, state):
    import httpx

    from binelek.app import create_app

    allowed = settings.model_copy(update={"cors_origins": ["https://app.example.com"]})
    app = create_app(allowed, state=state)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        preflight = await http.options(
            "/api/auth/me",
            headers={
                "Origin": "https://app.example.com",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization,x-tenant-id",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://app.example.com"
        assert preflight.headers["access-control-allow-credentials"] == "true"
        other = await http.options(
            "/api/auth/me", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
        )
        assert "access-control-allow-origin" not in other.headers


async def test_paging_totals_hold_on_every_page(client):
    from tests.conftest import add_member

    account = await register(client)
    for role in ("member", "viewer"):
        await add_member(client, account, role)
    pages = {
        offset: (
            await client.get(f"/api/team/members?limit=2&offset={offset}", headers=account.headers)
        ).json()
        for offset in (0, 2, 5)
    }
    assert [len(pages[o]["items"]) for o in (0, 2, 5)] == [2, 1, 0]
    assert {pages[o]["total"] for o in (0, 2, 5)} == {3}
    assert pages[0]["items"][0]["role"] == "admin"  # joined first


async def test_pages_keep_their_popups_and_the_oauth_callback_page_has_no_opener_policy(client):
    page = await client.get("/connectors")
    assert page.headers["cross-origin-opener-policy"] == "same-origin-allow-popups"
    callback = await client.get("/connectors/oauth/xero/callback?code=c&state=s")
    assert "cross-origin-opener-policy" not in callback.headers
