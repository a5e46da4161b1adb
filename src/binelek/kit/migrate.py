"""Applies Alembic migrations programmatically (`binelek migrate`, and `serve` on start)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine

from binelek.kit.settings import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def migrate(settings: Settings, revision: str = "head") -> None:
    engine = create_async_engine(settings.sqlalchemy_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade, settings.sqlalchemy_url, revision)
    finally:
        await engine.dispose()


def _upgrade(connection: object, url: str, revision: str) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def migrate_sync(settings: Settings) -> None:
    asyncio.run(migrate(settings))
