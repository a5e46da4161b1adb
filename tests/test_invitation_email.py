"""Invitations are e-mailed through a real SMTP server (aiosmtpd on loopback) when SMTP is set."""

from __future__ import annotations

import asyncio
import email as email_parser
import time
from email import policy as email_policy

import pytest

from binelek.kit import jobs
from tests.conftest import register, unique_email
from tests.support import smtp_server


@pytest.fixture
def smtp_inbox(state):
    settings = state.settings
    original = (settings.smtp_host, settings.smtp_port)
    with smtp_server() as inbox:
        settings.smtp_host, settings.smtp_port = "127.0.0.1", inbox.port
        jobs.bind_process_state(settings=settings)
        try:
            yield inbox
        finally:
            settings.smtp_host, settings.smtp_port = original


async def test_invitation_is_emailed_with_its_link(client, state, smtp_inbox):
    admin = await register(client, company="Mail Co")
    email = unique_email("invitee")
    created = await client.post(
        "/api/team/invitations", json={"email": email, "role": "member"}, headers=admin.headers
    )
    accept_url = created.json()["accept_url"]
    state.dispatcher.notify()
    deadline = time.monotonic() + 20
    while not smtp_inbox.to(email):
        assert time.monotonic() < deadline, "no e-mail arrived"
        await asyncio.sleep(0.1)
    raw = smtp_inbox.to(email)[0]
    message = email_parser.message_from_string(raw, policy=email_policy.default)
    body = message.get_content()
    assert accept_url in body and "Mail Co" in message["Subject"]
