"""Encryption-key rotation: prepend a new Fernet key, then re-encrypt every registered column
and every `*_encrypted` field of pending outbox events under it."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import select, update

from binelek.kit import models as _models  # noqa: F401 - registers every encrypted column
from binelek.kit.crypto import ENCRYPTED_COLUMNS, Encryptor
from binelek.kit.db import Database
from binelek.kit.outbox_models import Event
from binelek.kit.settings import Settings, save_encryption_keys


async def rotate(settings: Settings, console: Console) -> dict[str, int]:
    keys = [Fernet.generate_key().decode(), *settings.fernet_keys]
    encryptor = Encryptor(keys)
    db = Database(settings.sqlalchemy_url)
    counts: dict[str, int] = {}
    try:
        async with db.session() as session:
            with Progress(console=console) as progress:
                for attribute in ENCRYPTED_COLUMNS:
                    model = attribute.class_
                    name = f"{model.__tablename__}.{attribute.key}"
                    rows = (
                        await session.execute(select(model.id, attribute).where(attribute.is_not(None)))
                    ).all()
                    task = progress.add_task(name, total=len(rows) or 1)
                    for row_id, ciphertext in rows:
                        await session.execute(
                            update(model)
                            .where(model.id == row_id)
                            .values({attribute.key: encryptor.rotate(ciphertext)})
                        )
                        progress.advance(task)
                    counts[name] = len(rows)
                counts["events"] = await _rotate_event_payloads(session, encryptor)
    finally:
        await db.dispose()
    if settings.embedded:
        save_encryption_keys(settings, keys)
    else:
        console.print(
            "New ENCRYPTION_KEY (first key encrypts; keep the old ones until every process restarted):"
        )
        console.print(",".join(keys), soft_wrap=True)
    return counts


async def _rotate_event_payloads(session: Any, encryptor: Encryptor) -> int:
    rotated = 0
    events = (await session.execute(select(Event))).scalars().all()
    for event in events:
        fields = {key: value for key, value in event.payload.items() if key.endswith("_encrypted") and value}
        if fields:
            event.payload = {
                **event.payload,
                **{key: encryptor.rotate(value) for key, value in fields.items()},
            }
            rotated += 1
    return rotated
