"""The issue's acceptance flow, offline, in the demo tenant: the command box answers who lacks MFA and
finds what the business wrote about invoices by calling tools, and asks before it changes anything."""

from __future__ import annotations

import asyncio

from binelek.demo import DEMO_PASSWORD, DEMO_PEOPLE, seed
from tests.conftest import Account, account_from


async def login(client, email: str) -> Account:
    response = await client.post("/api/auth/login", json={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    return account_from(response.json(), email, DEMO_PASSWORD)


async def ask(client, account: Account, query: str) -> dict:
    response = await client.post("/api/query", json={"query": query}, headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_demo_command_box_offline(client, settings):
    await seed(settings)
    owner = await login(client, DEMO_PEOPLE[0][1])

    mfa = await ask(client, owner, "which team members don't have MFA?")
    [call] = mfa["tool_calls"]
    assert (call["tool"], call["status"], call["args"]) == ("team_members", "done", {"mfa_enabled": False})
    for _, _, name in DEMO_PEOPLE:
        assert name in mfa["answer"]

    # The demo documents are indexed through the outbox in the background: wait for them.
    about_invoices = {"Wholesale invoice terms", "Playbook: chasing overdue invoices"}
    for _ in range(150):
        found = await ask(client, owner, "find anything about invoices")
        if about_invoices <= {source["title"] for source in found["sources"]}:
            break
        await asyncio.sleep(0.2)
    [call] = found["tool_calls"]
    assert call["tool"] == "semantic_search" and call["args"]["query"] == "invoices"
    titles = [source["title"] for source in found["sources"]]
    assert set(titles[:2]) == about_invoices, titles
    assert all(source["url"].startswith("/documents/") for source in found["sources"])

    invite = await ask(client, owner, "invite jo@northwind-coffee.example as a member")
    [call] = invite["tool_calls"]
    assert call["tool"] == "invite_member" and call["status"] == "needs_confirmation"
    pending = await client.get("/api/team/invitations", headers=owner.headers)
    assert all(item["email"] != "jo@northwind-coffee.example" for item in pending.json()["items"])


async def test_demo_security_picture(client, settings):
    await seed(settings)
    owner = await login(client, DEMO_PEOPLE[0][1])
    base = "/api/modules/cybersecurity-scanner"
    devices = (await client.get(f"{base}/devices", headers=owner.headers)).json()
    assert devices["total"] == 4
    assert [d["hostname"] for d in devices["items"] if not d["known"]] == ["DESKTOP-7Q2K1LM"]
    server = next(d for d in devices["items"] if d["hostname"] == "roastery-server")
    assert server["vulnerabilities"] >= 2  # openssh (regreSSHion) and openssl from the sample database
    posture = (await client.get(f"{base}/posture", headers=owner.headers)).json()
    assert 0 < posture["score"] < 100 and posture["history"]
    answer = await ask(client, owner, "what is our security score")
    [call] = answer["tool_calls"]
    assert call["tool"] == "security_posture" and call["status"] == "done"
    assert f"{posture['score']:g}/100" in answer["answer"]
