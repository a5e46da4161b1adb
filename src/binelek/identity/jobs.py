"""Identity's background work: the invitation e-mail, sent from the outbox when SMTP is set."""

from __future__ import annotations

import structlog

from binelek.kit.crypto import Encryptor
from binelek.kit.jobs import process_object
from binelek.kit.mail import Mailer, smtp_configured
from binelek.kit.outbox import EventMessage, subscribe
from binelek.kit.settings import Settings

log = structlog.get_logger(__name__)


@subscribe("team.invitation_created", "identity.invitation-email", active=smtp_configured)
async def send_invitation_email(event: EventMessage) -> None:
    settings: Settings = process_object("settings")
    mailer = Mailer(settings)
    if not mailer.configured:
        return
    encryptor: Encryptor = process_object("encryptor")
    accept_url = encryptor.decrypt(event.payload["accept_url_encrypted"])
    inviter = event.payload.get("inviter") or "A colleague"
    tenant_name = event.payload["tenant_name"]
    await mailer.send(
        to=event.payload["email"],
        subject=f"{inviter} invited you to {tenant_name} on Binelek",
        text=(
            f"{inviter} invited you to join {tenant_name} on Binelek.\n\n"
            f"Accept the invitation: {accept_url}\n\n"
            f"The link expires in {settings.invitation_days} days. "
            "If you did not expect it, ignore this e-mail.\n"
        ),
    )
    log.info("invitation_email_sent", invitation_id=event.payload["invitation_id"])
