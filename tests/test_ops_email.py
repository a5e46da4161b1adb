"""Ops Copilot's e-mail: sending through a real SMTP server (aiosmtpd), the Gmail and Outlook fakes
(the real wire protocols), the refusal without any transport, idempotent `send_message`, drafts from
templates (sandboxed, missing variables named) or composed locally, and template CRUD."""

from __future__ import annotations

import email as email_parser
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from email import policy as email_policy
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from binelek.audit.models import AuditLog
from binelek.connectors import credentials
from binelek.connectors.credentials import Tokens
from binelek.connectors.models import Connection
from binelek.kit.db import utcnow
from binelek.kit.state import AppState
from binelek.ops import email
from binelek.ops.models import OutgoingEmail
from tests.conftest import Account, add_member, assert_problem, register
from tests.connector_support import configured
from tests.fakes.gmail import MAILBOX, FakeGmail
from tests.fakes.outlook import SEND_SCOPE, FakeOutlook
from tests.support import SmtpInbox, free_port, smtp_server

BASE = "/api/modules/ops-copilot/email"


@pytest.fixture
def smtp_inbox(state: AppState) -> Iterator[SmtpInbox]:
    settings = state.settings
    original = (settings.smtp_host, settings.smtp_port)
    with smtp_server() as inbox:
        settings.smtp_host, settings.smtp_port = "127.0.0.1", inbox.port
        try:
            yield inbox
        finally:
            settings.smtp_host, settings.smtp_port = original


@pytest.fixture
def no_smtp(state: AppState) -> Iterator[None]:
    settings = state.settings
    original = settings.smtp_host
    settings.smtp_host = None
    try:
        yield
    finally:
        settings.smtp_host = original


def _parsed(raw: str) -> Any:
    return email_parser.message_from_string(raw, policy=email_policy.default)


async def _send(client: httpx.AsyncClient, account: Account, **fields: Any) -> httpx.Response:
    body = {"to": ["ana@example.com"], "subject": "Your order", "body": "It ships on Friday.", **fields}
    return await client.post(f"{BASE}/send", json=body, headers=account.headers)


def _sent_here(inbox: SmtpInbox) -> list[tuple[list[str], str]]:
    """What reached SMTP for this module's recipients: an e-mail job of an earlier test (an
    invitation, say) may still arrive at the session's current SMTP server during a later test."""
    return [message for message in inbox.messages if {"ana@example.com", "bo@example.com"} & set(message[0])]


async def _messages(client: httpx.AsyncClient, account: Account, **params: Any) -> dict[str, Any]:
    response = await client.get(f"{BASE}/messages", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _mailbox(
    state: AppState, account: Account, kind: str, tokens: Tokens, config: dict[str, Any] | None = None
) -> uuid.UUID:
    """A connected mailbox as the OAuth flow leaves it: the connection and its encrypted tokens."""
    tenant_id = uuid.UUID(account.tenant_id)
    async with state.db.session(tenant_id) as session:
        connection = Connection(
            tenant_id=tenant_id, type=kind, name=f"{kind} mailbox", status="active", config=config or {}
        )
        session.add(connection)
        await session.flush()
        credentials.store(session, state.encryptor, connection, "oauth2", tokens)
        return connection.id


# -- no transport, SMTP --------------------------------------------------------------------------------


async def test_without_any_transport_sending_is_refused(client: httpx.AsyncClient, no_smtp: None) -> None:
    owner = await register(client)
    problem = assert_problem(await _send(client, owner), 409, "EMAIL_NOT_CONFIGURED")
    assert "SMTP" in problem["detail"]
    assert (await _messages(client, owner))["total"] == 0


async def test_sending_through_smtp_is_recorded_and_audited(
    client: httpx.AsyncClient, state: AppState, smtp_inbox: SmtpInbox
) -> None:
    owner = await register(client)
    response = await _send(client, owner, to=["ana@example.com", "Bo@Example.com", "ana@example.com"])
    assert response.status_code == 201, response.text
    sent = response.json()
    assert (sent["via"], sent["status"], sent["connection_id"]) == ("smtp", "sent", None)
    assert sent["to"] == ["ana@example.com", "Bo@example.com"] and sent["sent_by"] == owner.user_id
    assert sent["sent_at"] is not None and sent["error"] is None
    for address in ("ana@example.com", "Bo@example.com"):
        (raw,) = smtp_inbox.to(address)
        message = _parsed(raw)
        assert message["Subject"] == "Your order" and message.get_content().strip() == "It ships on Friday."
        assert message["From"] == state.settings.smtp_from
    listed = await _messages(client, owner)
    assert listed["total"] == 1 and listed["items"][0]["id"] == sent["id"]
    assert (await _messages(client, owner, status="failed"))["total"] == 0
    async with state.db.session(uuid.UUID(owner.tenant_id)) as session:
        actions = (await session.execute(select(AuditLog.action, AuditLog.details))).all()
    assert ("ops.email.sent", {"email_id": sent["id"], "via": "smtp", "recipients": 2}) in [
        (action, details) for action, details in actions
    ]


async def test_an_unreachable_smtp_server_is_a_recorded_failure(
    client: httpx.AsyncClient, state: AppState, smtp_inbox: SmtpInbox
) -> None:
    owner = await register(client)
    state.settings.smtp_port = free_port()  # nothing listens there
    problem = assert_problem(await _send(client, owner), 502, "EMAIL_SEND_FAILED")
    assert "could not be reached" in problem["detail"]
    (failed,) = (await _messages(client, owner, status="failed"))["items"]
    assert failed["via"] == "smtp" and "could not be reached" in failed["error"] and failed["sent_at"] is None


@pytest.mark.parametrize(
    "fields",
    [
        {"to": []},
        {"to": ["not an address"]},
        {"to": [f"p{n}@example.com" for n in range(51)]},
        {"subject": ""},
        {"subject": "Two\nlines"},
        {"body": ""},
        {"cc": ["x@example.com"]},
    ],
)
async def test_bad_messages_are_422(
    client: httpx.AsyncClient, fields: dict[str, Any], smtp_inbox: SmtpInbox
) -> None:
    owner = await register(client)
    assert_problem(await _send(client, owner, **fields), 422, "VALIDATION_ERROR")
    assert _sent_here(smtp_inbox) == []


async def test_only_writers_send_and_each_organization_sees_its_own(
    client: httpx.AsyncClient, smtp_inbox: SmtpInbox
) -> None:
    owner = await register(client, company="Sender Co")
    viewer = await add_member(client, owner, "viewer")
    stranger = await register(client, company="Other Co")
    assert_problem(await _send(client, viewer), 403, "PERMISSION_DENIED")
    assert (await _send(client, owner)).status_code == 201
    assert (await _messages(client, viewer))["total"] == 1
    assert (await _messages(client, stranger))["total"] == 0


# -- the organization's mailbox --------------------------------------------------------------------------


@asynccontextmanager
async def _fake(state: AppState, kind: str) -> AsyncIterator[Any]:
    fake = FakeGmail(count=5) if kind == "gmail" else FakeOutlook(count=5)
    with fake, configured(state.settings, kind, fake):
        yield fake


async def test_gmail_sends_when_its_grant_may_send(
    client: httpx.AsyncClient, state: AppState, smtp_inbox: SmtpInbox
) -> None:
    owner = await register(client)
    async with _fake(state, "gmail") as gmail:
        connection_id = await _mailbox(
            state,
            owner,
            "gmail",
            Tokens(
                access_token=gmail.send_token(),
                scope="https://www.googleapis.com/auth/gmail.metadata https://www.googleapis.com/auth/gmail.send",
            ),
            {"account_name": MAILBOX},
        )
        response = await _send(
            client, owner, to=["ana@example.com", "bo@example.com"], subject="Café order ✓"
        )
        assert response.status_code == 201, response.text
        sent = response.json()
        (accepted,) = gmail.sent
        assert accepted["to"] == ["ana@example.com", "bo@example.com"]
        assert accepted["subject"] == "Café order ✓" and accepted["body"].strip() == "It ships on Friday."
        assert accepted["from"] == MAILBOX
        assert (sent["via"], sent["connection_id"], sent["provider_message_id"]) == (
            "gmail",
            str(connection_id),
            accepted["id"],
        )
        assert gmail.messages[accepted["id"]].labels == ["SENT"]  # it is in the mailbox now
    assert _sent_here(smtp_inbox) == []  # the mailbox is preferred over the platform's SMTP


async def test_a_read_only_mailbox_is_not_used_for_sending(
    client: httpx.AsyncClient, state: AppState, smtp_inbox: SmtpInbox
) -> None:
    owner = await register(client)
    async with _fake(state, "gmail") as gmail:
        read_only = Tokens(
            access_token=gmail.issue_access_token(), scope="https://www.googleapis.com/auth/gmail.metadata"
        )
        await _mailbox(state, owner, "gmail", read_only)
        sent = (await _send(client, owner)).json()
        assert sent["via"] == "smtp" and gmail.sent == []
    assert len(_sent_here(smtp_inbox)) == 1


async def test_gmail_refusing_the_scope_is_a_recorded_permanent_failure(
    client: httpx.AsyncClient, state: AppState, no_smtp: None
) -> None:
    owner = await register(client)
    async with _fake(state, "gmail") as gmail:
        # The grant claims a send scope, but Gmail only knows it as read-only (revoked in between).
        token = gmail.issue_access_token()
        await _mailbox(state, owner, "gmail", Tokens(access_token=token, scope="https://mail.google.com/"))
        tenant_id = uuid.UUID(owner.tenant_id)
        with pytest.raises(email.EmailSendFailed) as failure:
            await email.send_message(
                state.db, state.settings, tenant_id, to=["ana@example.com"], subject="Hi", body="Hello"
            )
        assert failure.value.retryable is False and failure.value.status == 502
        assert "Gmail refused the message (403)" in failure.value.detail
    (failed,) = (await _messages(client, owner, status="failed"))["items"]
    assert failed["via"] == "gmail" and failed["id"] == str(failure.value.outgoing_id)


async def test_outlook_sends_and_refreshes_an_expired_token(
    client: httpx.AsyncClient, state: AppState, no_smtp: None
) -> None:
    owner = await register(client)
    async with _fake(state, "outlook") as outlook:
        granted = outlook.token_body(SEND_SCOPE)  # what the token endpoint answered when connected
        outlook.expire_access_tokens()
        tokens = Tokens(
            access_token=granted["access_token"],
            refresh_token=granted["refresh_token"],
            access_expires_at=utcnow() - timedelta(minutes=1),
            scope=SEND_SCOPE,
        )
        connection_id = await _mailbox(state, owner, "outlook", tokens, {"tenant": "common"})
        response = await _send(client, owner, subject="Delivery", body="Line one\nLine two")
        assert response.status_code == 201, response.text
        sent = response.json()
        assert (sent["via"], sent["connection_id"], sent["provider_message_id"]) == (
            "outlook",
            str(connection_id),
            None,
        )
        (accepted,) = outlook.sent
        assert accepted == {
            "to": ["ana@example.com"],
            "subject": "Delivery",
            "body": "Line one\nLine two",
            "content_type": "Text",
            "save_to_sent_items": True,
        }
        assert ("POST", "/common/oauth2/v2.0/token") in outlook.requests  # refreshed before sending
        # The rotated tokens were kept: a second message needs no refresh.
        before = len([r for r in outlook.requests if r[1].endswith("/token")])
        assert (await _send(client, owner)).status_code == 201
        assert len([r for r in outlook.requests if r[1].endswith("/token")]) == before


# -- send_message, as the automation engine calls it -----------------------------------------------------


async def test_send_message_with_a_key_sends_once(
    client: httpx.AsyncClient, state: AppState, smtp_inbox: SmtpInbox
) -> None:
    owner = await register(client)
    tenant_id = uuid.UUID(owner.tenant_id)
    run_id = uuid.uuid4()
    key = f"{run_id}:thank_customer"
    state.settings.smtp_port, working_port = free_port(), state.settings.smtp_port

    async def send() -> OutgoingEmail:
        return await email.send_message(
            state.db,
            state.settings,
            tenant_id,
            to=["ana@example.com"],
            subject="Thank you",
            body="Thanks for your order.",
            idempotency_key=key,
            workflow_run_id=run_id,
        )

    with pytest.raises(email.EmailSendFailed) as failure:
        await send()
    assert failure.value.retryable is True  # a server that cannot be reached may be back later
    state.settings.smtp_port = working_port
    first = await send()
    again = await send()
    assert first.id == again.id == failure.value.outgoing_id
    assert (first.status, again.status, first.workflow_run_id) == ("sent", "sent", run_id)
    assert len(smtp_inbox.to("ana@example.com")) == 1
    listed = await _messages(client, owner)
    assert listed["total"] == 1 and listed["items"][0]["status"] == "sent"

    other = await email.send_message(
        state.db,
        state.settings,
        tenant_id,
        to=["ana@example.com"],
        subject="Hi",
        body="Another",
        idempotency_key="other",
    )
    assert other.id != first.id and len(smtp_inbox.to("ana@example.com")) == 2


async def test_the_same_key_in_another_organization_is_another_message(
    client: httpx.AsyncClient, state: AppState, smtp_inbox: SmtpInbox
) -> None:
    first, second = await register(client, company="One"), await register(client, company="Two")
    for account in (first, second):
        await email.send_message(
            state.db,
            state.settings,
            uuid.UUID(account.tenant_id),
            to=["shared@example.com"],
            subject="Hi",
            body="Hello",
            idempotency_key="run-1:step",
        )
    assert len(smtp_inbox.to("shared@example.com")) == 2


# -- drafts and templates ----------------------------------------------------------------------------------


async def _template(client: httpx.AsyncClient, account: Account, **fields: Any) -> httpx.Response:
    body = {
        "name": "Order shipped",
        "subject": "Order {{ order.number }} is on its way",
        "body": "Hi {{ customer.name }},\n\nYour {{ order.lines | length }} items ship {{ day }}.\n",
        **fields,
    }
    return await client.post(f"{BASE}/templates", json=body, headers=account.headers)


async def test_templates_crud(client: httpx.AsyncClient) -> None:
    owner = await register(client, company="Template Co")
    created = await _template(client, owner)
    assert created.status_code == 201, created.text
    template = created.json()
    assert template["variables"] == ["customer", "day", "order"]
    url = f"{BASE}/templates/{template['id']}"
    assert (await client.get(url, headers=owner.headers)).json() == template
    assert_problem(await _template(client, owner, name="order SHIPPED"), 409, "CONFLICT")
    changed = await client.put(
        url,
        json={"name": "Shipped", "subject": "Shipped: {{ ref }}", "body": "Thanks {{ who }}"},
        headers=owner.headers,
    )
    assert changed.status_code == 200 and changed.json()["variables"] == ["ref", "who"]
    await _template(client, owner, name="Another")
    listed = (await client.get(f"{BASE}/templates", params={"limit": 1}, headers=owner.headers)).json()
    assert listed["total"] == 2 and [t["name"] for t in listed["items"]] == ["Another"]
    assert (await client.delete(url, headers=owner.headers)).status_code == 204
    assert_problem(await client.get(url, headers=owner.headers), 404, "RESOURCE_NOT_FOUND")


@pytest.mark.parametrize(
    "fields",
    [
        {"body": "Hi {{ name"},
        {"subject": "{% if x %}open"},
        {"body": "{{ name | }}"},
        {"name": " "},
        {"subject": ""},
    ],
)
async def test_a_template_that_does_not_parse_is_422(
    client: httpx.AsyncClient, fields: dict[str, Any]
) -> None:
    owner = await register(client)
    assert_problem(await _template(client, owner, **fields), 422, "VALIDATION_ERROR")


async def test_templates_are_per_organization_and_written_by_writers(client: httpx.AsyncClient) -> None:
    owner = await register(client, company="Owner Co")
    viewer = await add_member(client, owner, "viewer")
    stranger = await register(client, company="Stranger Co")
    template = (await _template(client, owner)).json()
    url = f"{BASE}/templates/{template['id']}"
    assert_problem(await _template(client, viewer, name="Mine"), 403, "PERMISSION_DENIED")
    assert_problem(await client.delete(url, headers=viewer.headers), 403, "PERMISSION_DENIED")
    assert (await client.get(url, headers=viewer.headers)).status_code == 200
    assert_problem(await client.get(url, headers=stranger.headers), 404, "RESOURCE_NOT_FOUND")
    assert_problem(
        await client.put(url, json={"name": "x", "subject": "x", "body": "x"}, headers=stranger.headers),
        404,
        "RESOURCE_NOT_FOUND",
    )
    draft = await client.post(f"{BASE}/draft", json={"template_id": template["id"]}, headers=stranger.headers)
    assert_problem(draft, 404, "RESOURCE_NOT_FOUND")
    assert (await client.get(f"{BASE}/templates", headers=stranger.headers)).json()["total"] == 0


async def test_a_draft_from_a_template_renders_its_context(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    template = (await _template(client, owner)).json()
    context = {"customer": {"name": "Ana"}, "order": {"number": "1042", "lines": [1, 2, 3]}, "day": "Friday"}
    response = await client.post(
        f"{BASE}/draft", json={"template_id": template["id"], "context": context}, headers=owner.headers
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "subject": "Order 1042 is on its way",
        "body": "Hi Ana,\n\nYour 3 items ship Friday.\n",
        "engine": "template",
    }


async def test_missing_variables_and_unsafe_templates_are_422(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    template = (await _template(client, owner)).json()
    missing = await client.post(
        f"{BASE}/draft",
        json={"template_id": template["id"], "context": {"customer": {"name": "Ana"}}},
        headers=owner.headers,
    )
    problem = assert_problem(missing, 422, "VALIDATION_ERROR")
    assert "day, order" in problem["detail"]
    assert [e["loc"] for e in problem["errors"]] == [["body", "context", "day"], ["body", "context", "order"]]
    nested = await client.post(
        f"{BASE}/draft",
        json={
            "template_id": template["id"],
            "context": {"customer": {}, "order": {"number": 1, "lines": []}, "day": 1},
        },
        headers=owner.headers,
    )
    assert "name" in assert_problem(nested, 422, "VALIDATION_ERROR")["detail"]
    for source in (
        "{{ ''.__class__.__mro__ }}",
        "{{ items.append(4) }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ items.pop }}{{ 1 / 0 }}",
        "{{ items | length }}{{ items.items | length }}",
    ):
        unsafe = (await _template(client, owner, name=source, body=source, subject="x")).json()
        response = await client.post(
            f"{BASE}/draft",
            json={"template_id": unsafe["id"], "context": {"items": [1]}},
            headers=owner.headers,
        )
        assert_problem(response, 422, "VALIDATION_ERROR")


async def test_a_draft_without_a_template_or_model_is_composed_plainly(client: httpx.AsyncClient) -> None:
    owner = await register(client, company="Acme Roasters")
    response = await client.post(
        f"{BASE}/draft",
        json={
            "prompt": "write an email to Ana thanking her for the order and saying it ships Friday",
            "context": {"customer": {"name": "Ana Lima"}},
        },
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "subject": "Thank you for the order",
        "body": "Hi Ana,\n\nThank you for the order. It ships Friday.\n\n"
        "Best regards,\nAda Owner\nAcme Roasters\n",
        "engine": "local",
    }
    plain = await client.post(
        f"{BASE}/draft",
        json={"prompt": "the roaster is fixed", "context": {"subject": "Good news"}},
        headers=owner.headers,
    )
    assert plain.json()["subject"] == "Good news" and plain.json()["body"].startswith(
        "Hello,\n\nThe roaster is fixed."
    )
    for body in ({}, {"prompt": "  "}, {"prompt": "x" * 4001}, {"prompt": "hi", "template_id": "nope"}):
        assert_problem(
            await client.post(f"{BASE}/draft", json=body, headers=owner.headers), 422, "VALIDATION_ERROR"
        )


async def test_a_configured_model_writes_the_draft(client: httpx.AsyncClient) -> None:
    import json

    from tests.fake_llm import FakeLLM, Script

    owner = await register(client, company="Model Mail Co")
    with FakeLLM("openai") as fake:
        key = {"provider": "openai", "api_key": fake.api_key, "base_url": fake.base_url}
        assert (await client.post("/api/llm/api-keys", json=key, headers=owner.headers)).status_code == 201
        settings = {"default_provider": "openai", "default_model": fake.model}
        assert (
            await client.put("/api/llm/settings", json=settings, headers=owner.headers)
        ).status_code == 200
        written = {"subject": "Your beans ship Friday", "body": "Hi Ana,\n\nThey ship Friday.\n\nAda"}
        fake.script = Script(tool="none", plain_reply=json.dumps(written))
        response = await client.post(
            f"{BASE}/draft",
            json={"prompt": "tell Ana her beans ship Friday", "context": {"name": "Ana", "order": "1042"}},
            headers=owner.headers,
        )
        assert response.json() == {**written, "engine": "llm"}
        sent = json.dumps([r for r in fake.requests if r["method"] == "POST"][-1]["body"])
        assert "1042" in sent and "Ada Owner" in sent and "Model Mail Co" in sent
        fake.script = Script(tool="none", plain_reply="no JSON here")
        fallback = await client.post(
            f"{BASE}/draft", json={"prompt": "tell Ana hello"}, headers=owner.headers
        )
        assert fallback.json()["engine"] == "local"
