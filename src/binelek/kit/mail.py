"""Outgoing e-mail over SMTP (STARTTLS when offered), sent from background steps only."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from typing import Any

from binelek.kit.settings import Settings

# (file name, MIME type such as "application/pdf", content)
Attachment = tuple[str, str, bytes]


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @property
    def configured(self) -> bool:
        return bool(self._settings.smtp_host)

    async def send(
        self,
        *,
        to: str,
        subject: str,
        text: str,
        html: str | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> None:
        """Plain text always; with `html`, an HTML alternative of the same content."""
        message = EmailMessage()
        message["From"] = self._settings.smtp_from
        message["To"] = to
        message["Subject"] = subject
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
        for filename, mime_type, content in attachments:
            maintype, _, subtype = mime_type.partition("/")
            message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
        await asyncio.to_thread(self._deliver, message)

    def _deliver(self, message: EmailMessage) -> None:
        settings = self._settings
        assert settings.smtp_host is not None
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.smtp_username and settings.smtp_password:
                smtp.login(settings.smtp_username, settings.smtp_password)
            smtp.send_message(message)


def smtp_configured() -> bool:
    """For outbox subscribers that only send mail (`subscribe(..., active=smtp_configured)`):
    whether this process can send at all."""
    from binelek.kit.jobs import process_object

    try:
        return Mailer(process_object("settings")).configured
    except RuntimeError:  # no process state: nothing could send
        return False


async def mail_notice(settings: Settings, payload: dict[str, Any], *, tag: str, default_link: str) -> int:
    """An alert-style outbox payload ({title, body, link, recipients}) as one e-mail per recipient;
    returns how many were sent."""
    mailer = Mailer(settings)
    if not mailer.configured:
        return 0
    link = f"{settings.public_url.rstrip('/')}{payload.get('link') or default_link}"
    recipients = payload.get("recipients") or []
    for recipient in recipients:
        await mailer.send(
            to=recipient,
            subject=f"[Binelek {tag}] {payload['title']}",
            text=f"{payload['title']}\n\n{payload.get('body') or ''}\n\nOpen it: {link}\n",
        )
    return len(recipients)
