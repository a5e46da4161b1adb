"""The demo tenant: a small coffee roaster that sells online. Later modules add their data here."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.connectors import service as connectors
from binelek.foundry import service as foundry
from binelek.identity import repository as identity_repo
from binelek.identity import service as identity
from binelek.identity.models import Tenant
from binelek.kit.db import Database, refresh_statistics
from binelek.kit.settings import Settings
from binelek.search.demo_documents import seed_demo_documents
from binelek.security.demo import seed_security

DEMO_PASSWORD = "northwind-roastery-demo"
DEMO_COMPANY = "Northwind Coffee Roasters"
DEMO_TIMEZONE = "America/Los_Angeles"  # the roaster is in Portland, Oregon
DEMO_PEOPLE = (
    ("admin", "owner@northwind-coffee.example", "Maya Okafor"),
    ("member", "ops@northwind-coffee.example", "Luis Fernández"),
    ("viewer", "accountant@northwind-coffee.example", "Priya Raman"),
)
ERRORS_LOGGED = 5

log = structlog.get_logger(__name__)

# Called after each imported batch with (entity, rows processed so far, rows of that entity).
ImportProgress = Callable[[str, int, int], None]


async def seed(
    settings: Settings, progress: ImportProgress | None = None
) -> tuple[bool, list[tuple[str, str]]]:
    """Create the demo business once, with `settings.demo_scale` of its generated two-year history;
    returns (created now?, [(role, email)])."""
    logins = [(role, email) for role, email, _ in DEMO_PEOPLE]
    db = Database(settings.sqlalchemy_url)
    try:
        async with db.session() as session:
            if await identity_repo.user_by_email(session, DEMO_PEOPLE[0][1]) is not None:
                return False, logins
            tenant = Tenant(
                name=DEMO_COMPANY,
                industry="Food & beverage — specialty coffee",
                size="11-50",
                address="18 Harbor Street, Portland, OR 97209, USA",
                plan="pro",
                settings={"timezone": DEMO_TIMEZONE},
            )
            session.add(tenant)
            await session.flush()
            tenant_id = tenant.id
            people = []
            for role, email, full_name in DEMO_PEOPLE:
                person = await identity.create_user(
                    session,
                    email=email,
                    password=DEMO_PASSWORD,
                    full_name=full_name,
                    tenant_id=tenant.id,
                    role=role,
                )
                people.append(person)
            await seed_demo_documents(session, tenant_id, created_by=people[0].id)
            await foundry.install_templates(session, tenant_id, created_by=people[0].id)
        # The tenant is committed now: the importer works in transactions of its own.
        await load_business_data(db, tenant_id, scale=settings.demo_scale, progress=progress)
        await seed_security(settings, db, tenant_id)
    finally:
        await db.dispose()
    return True, logins


async def load_business_data(
    db: Database,
    tenant_id: uuid.UUID,
    *,
    scale: float,
    today: date | None = None,
    progress: ImportProgress | None = None,
) -> None:
    """Generate Northwind's history up to yesterday and load it through the file importer's path."""
    # Imported here: demo_data reads DEMO_PEOPLE from this module.
    from binelek import demo_data

    data = demo_data.generate(today=today or datetime.now(UTC).date(), scale=scale)
    for entity in demo_data.ENTITIES:
        rows = data.rows(entity)
        result = await connectors.import_rows(
            db, tenant_id, entity, rows, on_batch=_batch_reporter(entity, len(rows), progress)
        )
        if result.rows_failed:
            # Generated rows should always import; say so loudly, but keep the demo usable.
            log.warning(
                "demo_import_rows_failed",
                entity=entity,
                rows_failed=result.rows_failed,
                errors=result.errors[:ERRORS_LOGGED],
            )
    await refresh_statistics(db, [connectors.IMPORTERS[entity].table.name for entity in demo_data.ENTITIES])


def _batch_reporter(entity: str, total: int, progress: ImportProgress | None) -> connectors.BatchHook | None:
    if progress is None:
        return None

    async def report(session: AsyncSession, result: connectors.ImportResult) -> None:
        progress(entity, result.rows_total, total)

    return report
