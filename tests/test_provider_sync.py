"""Each provider end to end through the app: connect (OAuth against the fake's authorization server,
or a key), the first full sync as a durable job, an incremental sync after a change, a re-sync that
writes nothing, webhooks verified and de-duplicated, and no token stored or logged in plain text."""

from __future__ import annotations

import pytest

from tests.conftest import register
from tests.connector_support import (
    FAKES,
    configured,
    connect,
    fake_class,
    record_counts,
    sync_now,
    wait_for_run,
)
from tests.test_secrets_at_rest import _dump_database

PROVIDERS = sorted(FAKES)
NO_WEBHOOKS = {"gmail"}  # Gmail pushes through Pub/Sub, authenticated by Google, not by a shared secret
# These prove a delivery by a shared value in the body (Graph's clientState, Zoho's token), not an HMAC.
SHARED_VALUE = {"outlook", "zoho_crm"}


def _expected(totals: dict[str, int]) -> dict[str, int]:
    return {entity: count for entity, count in totals.items() if count}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_provider_connects_syncs_and_resyncs(client, state, capsys, provider):
    owner = await register(client)
    with fake_class(provider)(count=120) as fake, configured(state.settings, provider, fake):
        created = await connect(client, owner, provider, fake)
        connection_id = created["connection"]["id"]
        first = await wait_for_run(client, owner, connection_id, created["run_id"])
        assert first["status"] == "completed", first
        assert first["trigger"] == "initial" and first["errors"] == []
        assert await record_counts(client, owner, connection_id) == _expected(fake.totals())
        fetched_first = sum(stream["fetched"] for stream in first["records"].values())

        fake.mutate()
        second = await sync_now(client, owner, connection_id)
        assert second["status"] == "completed" and second["errors"] == [], second
        assert await record_counts(client, owner, connection_id) == _expected(fake.totals())
        fetched_second = sum(stream["fetched"] for stream in second["records"].values())
        assert fetched_second < fetched_first  # incremental: only what changed since the checkpoint

        third = await sync_now(client, owner, connection_id)
        assert sum(stream["created"] + stream["updated"] for stream in third["records"].values()) == 0
        assert await record_counts(client, owner, connection_id) == _expected(fake.totals())

        tokens = [*fake.access_tokens, *fake.refresh_tokens, getattr(fake, "GOOD_KEY", "no-key")]
    stored = await _dump_database(state)
    logged = capsys.readouterr()
    for token in tokens:
        assert token not in stored, f"a {provider} token is stored in plain text"
        assert token not in logged.out + logged.err, f"a {provider} token was logged"


@pytest.mark.parametrize("provider", [p for p in PROVIDERS if p not in NO_WEBHOOKS])
async def test_provider_webhooks_verify_and_deduplicate(client, state, provider):
    owner = await register(client)
    with fake_class(provider)(count=20) as fake, configured(state.settings, provider, fake):
        created = await connect(client, owner, provider, fake)
        connection_id = created["connection"]["id"]
        await wait_for_run(client, owner, connection_id, created["run_id"])
        path = f"/api/connectors/webhooks/{provider}/{connection_id}"
        url = state.settings.public_url.rstrip("/") + path
        body, headers = fake.webhook(url)

        forged = (
            body.replace(fake.webhook_secret.encode(), b"forged-value")
            if provider in SHARED_VALUE
            else body + b" "
        )
        tampered = await client.post(path, content=forged, headers=headers)
        assert tampered.status_code == 401, tampered.text
        assert tampered.json()["code"] == "WEBHOOK_SIGNATURE_INVALID"
        if provider not in SHARED_VALUE:
            unsigned = await client.post(path, content=body, headers={"content-type": "application/json"})
            assert unsigned.status_code == 401

        accepted = await client.post(path, content=body, headers=headers)
        assert accepted.status_code == 202, accepted.text
        assert accepted.json()["accepted"] >= 1
        again = await client.post(path, content=body, headers=headers)
        assert again.status_code == 202
        assert again.json() == {"accepted": 0, "duplicates": accepted.json()["accepted"]}

        runs = (await client.get(f"/api/connectors/{connection_id}/runs", headers=owner.headers)).json()
        webhook_runs = [run for run in runs["items"] if run["trigger"] == "webhook"]
        assert len(webhook_runs) == 1  # the repeat queued nothing
        finished = await wait_for_run(client, owner, connection_id, webhook_runs[0]["id"])
        assert finished["status"] == "completed", finished


async def test_graph_validation_handshake_is_echoed_as_plain_text(client, state):
    owner = await register(client)
    with fake_class("outlook")(count=5) as fake, configured(state.settings, "outlook", fake):
        created = await connect(client, owner, "outlook", fake)
        connection_id = created["connection"]["id"]
        await wait_for_run(client, owner, connection_id, created["run_id"])
        path = f"/api/connectors/webhooks/outlook/{connection_id}"
        url, body, headers = fake.validation(path)
        answer = await client.post(url, content=body, headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.text.startswith("Validation: Testing client application reachability")


async def test_a_webhook_for_an_unknown_connection_or_type_is_404(client, state):
    owner = await register(client)
    with fake_class("quickbooks")(count=5) as fake, configured(state.settings, "quickbooks", fake):
        created = await connect(client, owner, "quickbooks", fake)
        body, headers = fake.webhook("http://x")
        connection_id = created["connection"]["id"]
        wrong_type = await client.post(
            f"/api/connectors/webhooks/xero/{connection_id}", content=body, headers=headers
        )
        missing = await client.post(
            "/api/connectors/webhooks/quickbooks/00000000-0000-4000-8000-000000000000",
            content=body,
            headers=headers,
        )
    assert wrong_type.status_code == 404 and missing.status_code == 404
