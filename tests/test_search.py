"""Semantic search: knowledge documents, indexing through the outbox into local Qdrant, ranked and
tenant-scoped hits, the `semantic_search` tool, and versioned index writes."""

from __future__ import annotations

import asyncio
import time
import uuid

from binelek.ai.toolbox import call_tool
from binelek.kit.request_meta import RequestMeta
from binelek.kit.tools import ToolContext
from binelek.search import repository, service
from binelek.search.service import IndexRequest
from tests.conftest import add_member, assert_problem, principal_of, register

INVOICE_TERMS = {
    "title": "Wholesale invoice terms",
    "body": "Wholesale accounts are invoiced on net 30 terms. An invoice unpaid ten days after its due "
    "date carries a late fee of 1.5% per month. Payment by ACH transfer or card.",
    "tags": ["finance"],
}
ROASTING = {
    "title": "Roasting schedule",
    "body": "We roast Monday to Thursday on the 15 kg roaster. Coffee rests 24 hours before it ships; "
    "Friday is for cleaning and cupping.",
}
PASSWORDS = {
    "title": "Password policy",
    "body": "Every account uses a unique password of at least 14 characters from the password manager, "
    "and multi-factor authentication wherever it is offered.",
}
REFUNDS = {
    "title": "Refunds and returns",
    "body": "Damaged or wrong bags are refunded or replaced within 30 days of delivery.",
}


async def wait_until_indexed(state, tenant_id: str, timeout: float = 60) -> None:
    """Until the index has applied every change of the tenant (the outbox subscriber ran)."""
    deadline = time.monotonic() + timeout
    tenant = uuid.UUID(tenant_id)
    while True:
        state.dispatcher.notify()
        async with state.db.session(tenant_id=tenant) as session:
            if await service.pending_index_requests(session, tenant) == 0:
                return
        assert time.monotonic() < deadline, "the index did not catch up"
        await asyncio.sleep(0.1)


async def create(client, account, body) -> dict:
    response = await client.post("/api/documents", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def search(client, account, query: str, **params) -> dict:
    response = await client.get("/api/search", params={"q": query, **params}, headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_documents_crud_is_audited(client):
    admin = await register(client, company="Docs Co")
    created = await create(client, admin, {**INVOICE_TERMS, "tags": ["finance", " Finance ", "invoices"]})
    assert created["title"] == "Wholesale invoice terms" and created["tags"] == ["finance", "invoices"]
    assert created["created_by"] == admin.user_id
    document_id = created["id"]

    fetched = await client.get(f"/api/documents/{document_id}", headers=admin.headers)
    assert fetched.status_code == 200 and fetched.json()["body"] == INVOICE_TERMS["body"]

    await create(client, admin, ROASTING)
    listed = (await client.get("/api/documents?limit=1", headers=admin.headers)).json()
    assert listed["total"] == 2 and listed["limit"] == 1 and len(listed["items"]) == 1
    assert listed["items"][0]["title"] == "Roasting schedule"  # most recently changed first
    assert "body" not in listed["items"][0]

    updated = await client.put(
        f"/api/documents/{document_id}",
        json={"title": "Invoice terms (2027)", "body": "Net 15 from January.", "tags": []},
        headers=admin.headers,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["title"] == "Invoice terms (2027)" and updated.json()["tags"] == []
    assert updated.json()["updated_at"] >= created["updated_at"]

    deleted = await client.delete(f"/api/documents/{document_id}", headers=admin.headers)
    assert deleted.status_code == 204
    assert_problem(
        await client.get(f"/api/documents/{document_id}", headers=admin.headers), 404, "RESOURCE_NOT_FOUND"
    )

    logs = (await client.get("/api/audit-logs?limit=50", headers=admin.headers)).json()["items"]
    actions = [entry["action"] for entry in logs if entry["details"].get("document_id") == document_id]
    assert actions == ["document.deleted", "document.updated", "document.created"]


async def test_viewer_reads_but_cannot_write(client):
    admin = await register(client, company="Readers Co")
    viewer = await add_member(client, admin, "viewer")
    member = await add_member(client, admin, "member")
    document = await create(client, admin, PASSWORDS)

    assert (await client.get("/api/documents", headers=viewer.headers)).json()["total"] == 1
    read = await client.get(f"/api/documents/{document['id']}", headers=viewer.headers)
    assert read.status_code == 200
    for response in (
        await client.post("/api/documents", json=ROASTING, headers=viewer.headers),
        await client.put(f"/api/documents/{document['id']}", json=ROASTING, headers=viewer.headers),
        await client.delete(f"/api/documents/{document['id']}", headers=viewer.headers),
    ):
        assert_problem(response, 403, "PERMISSION_DENIED")
    assert (await client.get("/api/search?q=password", headers=viewer.headers)).status_code == 200

    await create(client, member, ROASTING)  # members write
    assert_problem(await client.get("/api/documents"), 401, "AUTH_REQUIRED")
    assert_problem(await client.get("/api/search?q=roasting"), 401, "AUTH_REQUIRED")


async def test_invalid_input_is_a_problem(client):
    admin = await register(client, company="Strict Co")
    for body, field in (
        ({"title": "   ", "body": "x"}, "title"),
        ({"title": "t" * 201}, "title"),
        ({"title": "Huge", "body": "x" * 100_001}, "body"),
        ({"title": "Nul\x00"}, "title"),
        ({"title": "Tags", "tags": ["t"] * 21}, "tags"),
    ):
        problem = assert_problem(
            await client.post("/api/documents", json=body, headers=admin.headers), 422, "VALIDATION_ERROR"
        )
        assert problem["errors"][0]["loc"][:2] == ["body", field]
    assert_problem(
        await client.get(f"/api/documents/{uuid.uuid4()}", headers=admin.headers), 404, "RESOURCE_NOT_FOUND"
    )
    assert_problem(
        await client.get("/api/documents/not-a-uuid", headers=admin.headers), 422, "VALIDATION_ERROR"
    )
    assert_problem(
        await client.put(f"/api/documents/{uuid.uuid4()}", json=ROASTING, headers=admin.headers),
        404,
        "RESOURCE_NOT_FOUND",
    )
    for params in ({}, {"q": ""}, {"q": "x" * 201}, {"q": "roast", "limit": 51}, {"q": "roast", "limit": 0}):
        assert_problem(
            await client.get("/api/search", params=params, headers=admin.headers), 422, "VALIDATION_ERROR"
        )
    problem = assert_problem(
        await client.get("/api/search?q=roast&kinds=document,invoice", headers=admin.headers),
        422,
        "VALIDATION_ERROR",
    )
    assert problem["errors"][0]["loc"] == ["query", "kinds"] and "invoice" in problem["detail"]


async def test_search_ranks_filters_and_forgets(client, state):
    admin = await register(client, company="Search Co")
    invoice = await create(client, admin, INVOICE_TERMS)
    for body in (ROASTING, PASSWORDS, REFUNDS):
        await create(client, admin, body)
    await wait_until_indexed(state, admin.tenant_id)

    found = await search(client, admin, "find invoices")
    assert found["query"] == "find invoices"
    first = found["items"][0]
    assert first["id"] == invoice["id"] and first["kind"] == "document"
    assert first["title"] == "Wholesale invoice terms" and first["url"] == f"/documents/{invoice['id']}"
    assert "net 30" in first["snippet"] and 0 < first["score"] <= 1
    scores = [item["score"] for item in found["items"]]
    assert scores == sorted(scores, reverse=True)
    assert len({item["id"] for item in found["items"]}) == len(found["items"])  # one hit per record

    assert (await search(client, admin, "how long does coffee rest", limit=1))["items"][0]["title"] == (
        "Roasting schedule"
    )
    assert (await search(client, admin, "invoices", kinds="task"))["items"] == []
    assert (await search(client, admin, "invoices", kinds="task,document"))["items"][0]["id"] == invoice["id"]
    repeated = await client.get(
        "/api/search",
        params=[("q", "invoices"), ("kinds", "task"), ("kinds", "document")],
        headers=admin.headers,
    )
    assert repeated.json()["items"][0]["id"] == invoice["id"]
    assert (await search(client, admin, "kubernetes cluster upgrade"))["items"] == []  # nothing relevant

    await client.put(
        f"/api/documents/{invoice['id']}",
        json={"title": "Espresso machine maintenance", "body": "Descale the group heads every week."},
        headers=admin.headers,
    )
    await wait_until_indexed(state, admin.tenant_id)
    renamed = await search(client, admin, "descaling the espresso machine")
    assert renamed["items"][0]["title"] == "Espresso machine maintenance"
    assert "Descale" in renamed["items"][0]["snippet"]

    await client.delete(f"/api/documents/{invoice['id']}", headers=admin.headers)
    await wait_until_indexed(state, admin.tenant_id)
    after = await search(client, admin, "descaling the espresso machine")
    assert invoice["id"] not in {item["id"] for item in after["items"]}


async def test_long_documents_point_to_the_right_passage(client, state):
    admin = await register(client, company="Long Docs Co")
    filler = "Our roastery blends beans from several origins and ships fresh coffee to cafes every week. "
    forklift = (
        "Warehouse staff must hold a forklift certificate before moving pallets of green coffee, and "
        "the certificate is renewed every three years with a practical test. "
    )
    body = filler * 60 + forklift * 3 + filler * 60  # ~1,900 words: ten windows
    assert len(service.chunk_text(body)) > 5
    document = await create(client, admin, {"title": "Operations handbook", "body": body})
    await wait_until_indexed(state, admin.tenant_id)

    hits = (await search(client, admin, "forklift certification for warehouse staff"))["items"]
    assert hits[0]["id"] == document["id"] and "forklift" in hits[0]["snippet"]
    assert len(hits[0]["snippet"]) <= service.SNIPPET_CHARS + 2  # with the ellipses
    assert len(hits) == 1  # ten windows, one record


async def test_other_tenants_never_see_the_hits(client, state):
    alice = await register(client, company="Alice Roasters")
    bob = await register(client, company="Bob Roasters")
    empty = await register(client, company="Empty Co")
    alices = await create(client, alice, INVOICE_TERMS)
    bobs = await create(client, bob, {"title": "Invoice terms", "body": INVOICE_TERMS["body"]})
    await wait_until_indexed(state, alice.tenant_id)
    await wait_until_indexed(state, bob.tenant_id)

    assert [item["id"] for item in (await search(client, alice, "invoices"))["items"]] == [alices["id"]]
    assert [item["id"] for item in (await search(client, bob, "invoices"))["items"]] == [bobs["id"]]
    assert (await search(client, empty, "invoices"))["items"] == []
    # Knowing another tenant's record id opens nothing either.
    assert_problem(
        await client.get(f"/api/documents/{alices['id']}", headers=bob.headers), 404, "RESOURCE_NOT_FOUND"
    )
    assert_problem(
        await client.delete(f"/api/documents/{alices['id']}", headers=bob.headers), 404, "RESOURCE_NOT_FOUND"
    )
    assert await state.vectors.count(uuid.UUID(alice.tenant_id)) == 1


async def test_semantic_search_tool(client, state):
    admin = await register(client, company="Tool Co")
    viewer = await add_member(client, admin, "viewer")
    invoice = await create(client, admin, INVOICE_TERMS)
    await create(client, admin, REFUNDS)
    await wait_until_indexed(state, admin.tenant_id)

    principal = await principal_of(state, viewer)
    async with state.db.session(tenant_id=principal.tenant_id) as session:
        context = ToolContext(principal=principal, session=session, state=state, meta=RequestMeta())
        call = await call_tool(context, "semantic_search", {"query": "invoices", "limit": 1})
        nothing = await call_tool(context, "semantic_search", {"query": "invoices", "kinds": ["task"]})
        bad = await call_tool(context, "semantic_search", {"query": "invoices", "kinds": ["invoice"]})
    assert call.status == "done", call.error
    assert call.result.summary == "1 match for “invoices”: Wholesale invoice terms"
    assert call.result.data[0]["id"] == invoice["id"] and call.result.data[0]["snippet"]
    [source] = call.result.sources
    assert (source.kind, source.id, source.url) == ("document", invoice["id"], f"/documents/{invoice['id']}")
    assert nothing.status == "done" and nothing.result.summary == "No matches for “invoices”."
    assert bad.status == "failed"


async def test_versions_keep_late_events_from_undoing_newer_ones(client, state):
    """Index events run concurrently: an older one finishing last must not bring back a removed
    record, nor leave its extra windows beside a newer, shorter version."""
    account = await register(client, company="Race Co")
    tenant = uuid.UUID(account.tenant_id)
    entity = str(uuid.uuid4())

    async def bump(*, removed: bool) -> int:
        async with state.db.session(tenant_id=tenant) as session:
            return await repository.next_index_version(session, tenant, "task", entity, removed=removed)

    def request(version: int, words: int) -> IndexRequest:
        text = " ".join(f"pallet{n % 50}" for n in range(words))
        return IndexRequest(tenant, "task", entity, version, title="Stock count", text=text, url="/tasks/x")

    created, removed = await bump(removed=False), await bump(removed=True)
    await service.apply_removal(state.db, state.vectors, request(removed, 0))
    assert not await service.apply_index(state.db, state.vectors, request(created, 10))
    assert await state.vectors.count(tenant) == 0

    older, newer = await bump(removed=False), await bump(removed=False)
    assert await service.apply_index(state.db, state.vectors, request(newer, 10))
    assert not await service.apply_index(state.db, state.vectors, request(older, 900))  # late: skipped
    assert await state.vectors.count(tenant) == 1
    async with state.db.session(tenant_id=tenant) as session:
        assert await service.pending_index_requests(session, tenant) == 0
    # Delivered twice (a retried step): the same result.
    assert await service.apply_index(state.db, state.vectors, request(newer, 10))
    assert await state.vectors.count(tenant) == 1


async def test_store_writes_never_overwrite_a_newer_version(client, state):
    """What an older event that was already embedding when a newer one landed does to the store:
    its write keeps the newer points, and taking back its own leaves exactly the newer version."""
    from binelek.search.vectors import VectorIndex

    store: VectorIndex = state.vectors
    # A real tenant: the database store's chunks belong to one (a foreign key).
    tenant, entity = uuid.UUID((await register(client, company="Version Co")).tenant_id), "record-1"
    embed = service.embed
    newer_chunks = ["Count the pallets in the warehouse."]
    older_chunks = [f"Older window {n} about invoices." for n in range(6)]

    async def write(version: int, chunks: list[str]) -> None:
        await store.upsert_record(
            tenant,
            "task",
            entity,
            version=version,
            title=f"v{version}",
            url="/tasks/1",
            chunks=chunks,
            vectors=await embed(chunks),
        )

    await write(5, newer_chunks)
    await write(4, older_chunks)
    hits = await store.query(tenant, (await embed(["pallets in the warehouse"]))[0], kinds=None, limit=10)
    assert {hit.title for hit in hits if hit.chunk == 0} == {"v5"}
    assert await store.count(tenant) == 6
    await store.delete_record(tenant, "task", entity, below_version=5)
    assert await store.count(tenant) == 1
    await store.delete_record(tenant, "task", entity, below_version=6)
    assert await store.count(tenant) == 0
    await store.delete_tenant(tenant)


async def test_demo_documents_are_indexed_through_the_outbox(client, state, settings):
    from binelek.demo import DEMO_PEOPLE, seed

    await seed(settings)  # idempotent: another test of this run may have seeded it already
    login = await client.post(
        "/api/auth/login", json={"email": DEMO_PEOPLE[2][1], "password": "northwind-roastery-demo"}
    )
    assert login.status_code == 200, login.text
    accountant = {"Authorization": f"Bearer {login.json()['access_token']}"}
    await wait_until_indexed(state, login.json()["tenant"]["id"])

    documents = (await client.get("/api/documents", headers=accountant)).json()
    assert documents["total"] >= 6
    found = await client.get("/api/search", params={"q": "find anything about invoices"}, headers=accountant)
    titles = [item["title"] for item in found.json()["items"]]
    assert titles[0] in {"Wholesale invoice terms", "Playbook: chasing overdue invoices"}, titles
    assert {"Wholesale invoice terms", "Playbook: chasing overdue invoices"} <= set(titles[:3])
