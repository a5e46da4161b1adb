"""The demo tenant: a small coffee roaster that sells online. Later modules add their data here."""

from __future__ import annotations

from binelek.identity import repository as identity_repo
from binelek.identity import service as identity
from binelek.identity.models import Tenant
from binelek.kit.db import Database
from binelek.kit.settings import Settings
from binelek.search.demo_documents import seed_demo_documents

DEMO_PASSWORD = "northwind-roastery-demo"
DEMO_COMPANY = "Northwind Coffee Roasters"
DEMO_PEOPLE = (
    ("admin", "owner@northwind-coffee.example", "Maya Okafor"),
    ("member", "ops@northwind-coffee.example", "Luis Fernández"),
    ("viewer", "accountant@northwind-coffee.example", "Priya Raman"),
)


async def seed(settings: Settings) -> tuple[bool, list[tuple[str, str]]]:
    """Create the demo business once; returns (created now?, [(role, email)])."""
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
            )
            session.add(tenant)
            await session.flush()
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
            await seed_demo_documents(session, tenant.id, created_by=people[0].id)
    finally:
        await db.dispose()
    return True, logins
