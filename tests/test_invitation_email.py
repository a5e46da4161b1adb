"""Invitations are e-mailed through a real SMTP server (aiosmtpd on loopback) when SMTP is set."""

from __future__ import annotations

import asyncio
import email as email_parser
import socket
import time
from email import policy as email_policy

import pytest
from aiosmtpd.controller import Controller

from binelek.kit import jobs
from tests.conftest import register, unique_email


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(state):
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings = state.settings
    original = (settings.smtp_host, settings.smtp_port)
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    jobs.bind_process_state(settings=settings)
    try:
        yield inbox
    finally:
        settings.smtp_host, settings.smtp_port = original
        controller.stop()


async def test_invitation_is_emailed_with_its_link(client, state, smtp_server):
    admin = await register(client, company="Mail Co")
    email = unique_email("invitee")
    created = await client.post(
        "/api/team/invitations", json={"email": email, "role": "member"}, headers=admin.headers
    )
    accept_url = created.json()["accept_url"]
    state.dispatcher.notify()
    deadline = time.monotonic() + 20
    while not any(email in to for to, _ in smtp_server.messages):
        assert time.monotonic() < deadline, "no e-mail arrived"
        await asyncio.sleep(0.1)
    raw = next(content for to, content in smtp_server.messages if email in to)
    message = email_parser.message_from_string(raw, policy=email_policy.default)
    body = message.get_content()
    assert accept_url in body and "Mail Co" in message["Subject"]
