"""AI provider keys (checked against a local server speaking each provider's API, encrypted at rest,
masked everywhere) and the tenant's AI settings."""

from __future__ import annotations

import pytest

from tests.conftest import add_member, assert_problem, register
from tests.fake_providers import GOOD_KEYS, base_url, fake_provider_server
from tests.support import free_port


@pytest.fixture(scope="module")
def providers():
    with fake_provider_server() as server:
        yield server


@pytest.mark.parametrize("provider", ["openai", "anthropic", "google"])
async def test_valid_key_is_checked_saved_and_masked(client, providers, provider):
    admin = await register(client)
    body = {"provider": provider, "api_key": GOOD_KEYS[provider], "base_url": base_url(providers, provider)}
    created = await client.post("/api/llm/api-keys", json=body, headers=admin.headers)
    assert created.status_code == 201, created.text
    key = created.json()
    assert key["status"] == "valid" and key["last4"] == GOOD_KEYS[provider][-4:]
    assert GOOD_KEYS[provider] not in created.text
    listed = await client.get("/api/llm/api-keys", headers=admin.headers)
    assert listed.json()["total"] == 1 and GOOD_KEYS[provider] not in listed.text
    catalogue = (await client.get("/api/llm/providers", headers=admin.headers)).json()["items"]
    assert next(p for p in catalogue if p["id"] == provider)["configured"] is True


@pytest.mark.parametrize("provider", ["openai", "anthropic", "google"])
async def test_rejected_key_is_a_field_error_and_not_stored(client, providers, provider):
    admin = await register(client)
    body = {"provider": provider, "api_key": "wrong-key-0000", "base_url": base_url(providers, provider)}
    problem = assert_problem(
        await client.post("/api/llm/api-keys", json=body, headers=admin.headers), 422, "VALIDATION_ERROR"
    )
    assert problem["errors"][0]["loc"] == ["body", "api_key"] and "rejected" in problem["detail"]
    assert (await client.get("/api/llm/api-keys", headers=admin.headers)).json()["total"] == 0


async def test_unreachable_or_overloaded_provider_saves_unverified(client, providers):
    admin = await register(client)
    closed = {
        "provider": "openai",
        "api_key": "sk-some-key-4321",
        "base_url": f"http://127.0.0.1:{free_port()}/v1",
    }
    saved = await client.post("/api/llm/api-keys", json=closed, headers=admin.headers)
    assert saved.status_code == 201 and saved.json()["status"] == "unverified"
    providers.overloaded = True
    try:
        busy = {
            "provider": "anthropic",
            "api_key": "sk-ant-any-key",
            "base_url": base_url(providers, "anthropic"),
        }
        saved = await client.post("/api/llm/api-keys", json=busy, headers=admin.headers)
        assert saved.status_code == 201 and saved.json()["status"] == "unverified"
    finally:
        providers.overloaded = False


async def test_ollama_needs_only_a_reachable_server(client, providers):
    admin = await register(client)
    catalogue = {
        p["id"]: p for p in (await client.get("/api/llm/providers", headers=admin.headers)).json()["items"]
    }
    assert catalogue["local"]["configured"] and not catalogue["ollama"]["configured"]
    assert not catalogue["ollama"]["requires_key"]
    saved = await client.post(
        "/api/llm/api-keys",
        json={"provider": "ollama", "base_url": base_url(providers, "ollama")},
        headers=admin.headers,
    )
    assert saved.status_code == 201 and saved.json()["status"] == "valid" and saved.json()["last4"] == ""
    missing = await client.post("/api/llm/api-keys", json={"provider": "openai"}, headers=admin.headers)
    assert_problem(missing, 422, "VALIDATION_ERROR")
    bad_url = await client.post(
        "/api/llm/api-keys",
        json={"provider": "ollama", "base_url": "file:///etc/passwd"},
        headers=admin.headers,
    )
    assert_problem(bad_url, 422, "VALIDATION_ERROR")
    for bad_key in ("sk-with space-123", "sk-\u00e9\u0080-12345"):
        response = await client.post(
            "/api/llm/api-keys", json={"provider": "google", "api_key": bad_key}, headers=admin.headers
        )
        assert assert_problem(response, 422, "VALIDATION_ERROR")["errors"][0]["loc"] == ["body", "api_key"]


async def test_keys_are_encrypted_at_rest_and_never_logged(client, providers, state, capsys):
    from tests.test_secrets_at_rest import _dump_database

    admin = await register(client)
    body = {"provider": "openai", "api_key": GOOD_KEYS["openai"], "base_url": base_url(providers, "openai")}
    assert (await client.post("/api/llm/api-keys", json=body, headers=admin.headers)).status_code == 201
    stored = await _dump_database(state)
    captured = capsys.readouterr()
    assert GOOD_KEYS["openai"] not in stored
    assert GOOD_KEYS["openai"] not in captured.out + captured.err
    from sqlalchemy import select

    from binelek.ai.models import LlmApiKey

    async with state.db.session() as session:
        ciphertexts = (await session.execute(select(LlmApiKey.api_key_encrypted))).scalars().all()
    assert GOOD_KEYS["openai"] in {state.encryptor.decrypt(c) for c in ciphertexts if c}


async def test_only_admins_manage_keys_and_settings(client, providers):
    admin = await register(client)
    member = await add_member(client, admin, "member")
    viewer = await add_member(client, admin, "viewer")
    body = {"provider": "openai", "api_key": GOOD_KEYS["openai"], "base_url": base_url(providers, "openai")}
    for person in (member, viewer):
        assert_problem(
            await client.post("/api/llm/api-keys", json=body, headers=person.headers),
            403,
            "PERMISSION_DENIED",
        )
        assert_problem(
            await client.get("/api/llm/api-keys", headers=person.headers), 403, "PERMISSION_DENIED"
        )
        assert_problem(
            await client.put("/api/llm/settings", json={}, headers=person.headers), 403, "PERMISSION_DENIED"
        )
        assert (await client.get("/api/llm/providers", headers=person.headers)).status_code == 200
        assert (await client.get("/api/llm/settings", headers=person.headers)).status_code == 200


async def test_keys_stay_in_their_tenant(client, providers):
    alice = await register(client, company="Alice Co")
    bob = await register(client, company="Bob Co")
    body = {"provider": "openai", "api_key": GOOD_KEYS["openai"], "base_url": base_url(providers, "openai")}
    key = (await client.post("/api/llm/api-keys", json=body, headers=alice.headers)).json()
    assert (await client.get("/api/llm/api-keys", headers=bob.headers)).json()["total"] == 0
    assert_problem(
        await client.delete(f"/api/llm/api-keys/{key['id']}", headers=bob.headers), 404, "RESOURCE_NOT_FOUND"
    )
    assert (await client.delete(f"/api/llm/api-keys/{key['id']}", headers=alice.headers)).status_code == 204
    logs = (await client.get("/api/audit-logs?action=ai.key_removed", headers=alice.headers)).json()
    assert logs["total"] == 1 and logs["items"][0]["details"]["last4"] == "1234"


async def test_settings_defaults_update_and_validation(client):
    admin = await register(client)
    defaults = (await client.get("/api/llm/settings", headers=admin.headers)).json()
    assert defaults["default_provider"] == "local" and defaults["auto_run_write_tools"] is False
    wanted = {
        "default_provider": "anthropic",
        "default_model": "claude-haiku-4-5",
        "temperature": 0.7,
        "module_overrides": {"marketplace-intel": {"provider": "openai", "model": "gpt-4o-mini"}},
        "fallback_provider": "local",
        "monthly_token_budget": 2_000_000,
        "auto_run_write_tools": False,
    }
    saved = await client.put("/api/llm/settings", json=wanted, headers=admin.headers)
    assert saved.status_code == 200 and saved.json() == wanted
    assert (await client.get("/api/llm/settings", headers=admin.headers)).json() == wanted

    unknown_model = {**wanted, "default_model": "gpt-4o"}
    assert_problem(
        await client.put("/api/llm/settings", json=unknown_model, headers=admin.headers),
        422,
        "VALIDATION_ERROR",
    )
    same_fallback = {**wanted, "fallback_provider": "anthropic"}
    assert_problem(
        await client.put("/api/llm/settings", json=same_fallback, headers=admin.headers),
        422,
        "VALIDATION_ERROR",
    )
    too_hot = {**wanted, "temperature": 3}
    assert_problem(
        await client.put("/api/llm/settings", json=too_hot, headers=admin.headers), 422, "VALIDATION_ERROR"
    )
