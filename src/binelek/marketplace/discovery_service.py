"""Finding competitors: nearby businesses from Google Places and Yelp (with the tenant's own keys,
stored encrypted), merged, de-duplicated and ranked against what the business says it is; accepting a
candidate makes it a competitor."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.kit.db import utcnow
from binelek.kit.errors import ProblemError, ResourceNotFound, ValidationFailed
from binelek.kit.state import AppState
from binelek.marketplace.models import (
    Competitor,
    CompetitorCandidate,
    LocationProviderKey,
    MarketplaceProfile,
)
from binelek.marketplace.repository import (
    CandidateRepository,
    CompetitorRepository,
    ProfileRepository,
    ProviderKeyRepository,
)
from binelek.marketplace.schemas import DiscoverIn, ProfileIn

PROVIDERS = ("google", "yelp")
ENDPOINT_NAMES = {"google": "google_places", "yelp": "yelp"}  # keys of CONNECTOR_ENDPOINTS


class LocationProviderFailed(ProblemError):
    status, code = 502, "LOCATION_PROVIDER_FAILED"


async def profile(session: AsyncSession) -> MarketplaceProfile | None:
    return await ProfileRepository(session).current()


async def save_profile(session: AsyncSession, data: ProfileIn) -> MarketplaceProfile:
    profiles = ProfileRepository(session)
    current = await profiles.current()
    if current is None:
        current = profiles.add(MarketplaceProfile(id=uuid.uuid4(), created_at=utcnow()))
    for key, value in data.model_dump().items():
        setattr(current, key, value)
    current.categories = [c.strip() for c in data.categories if c.strip()]
    current.updated_at = utcnow()
    return current


async def save_key(
    session: AsyncSession, state: AppState, provider: str, api_key: str, user_id: uuid.UUID | None
) -> LocationProviderKey:
    if provider not in PROVIDERS:
        raise ResourceNotFound(
            f"No location provider {provider!r}; one of {', '.join(PROVIDERS)}.", code="PROVIDER_NOT_FOUND"
        )
    keys = ProviderKeyRepository(session)
    row = await keys.of(provider)
    if row is None:
        row = keys.add(LocationProviderKey(id=uuid.uuid4(), provider=provider, created_at=utcnow()))
    row.key_encrypted = state.encryptor.encrypt(api_key.strip())
    row.last4 = api_key.strip()[-4:]
    row.created_by = user_id
    row.updated_at = utcnow()
    return row


async def delete_key(session: AsyncSession, provider: str) -> None:
    keys = ProviderKeyRepository(session)
    row = await keys.of(provider)
    if row is None:
        raise ResourceNotFound("No key is saved for that provider.", code="PROVIDER_KEY_NOT_FOUND")
    await keys.delete(row)


async def discover(session: AsyncSession, state: AppState, data: DiscoverIn) -> dict[str, Any]:
    from binelek.marketplace import discovery, places
    from binelek.search import service as search

    current = await ProfileRepository(session).current()
    if current is None or current.latitude is None or current.longitude is None:
        raise ValidationFailed(
            "Set the business's location (and a description) under Discovery first.", field="profile"
        )
    radius_miles = data.radius_miles or current.radius_miles
    wanted: list[str] = list(data.providers or PROVIDERS)
    keys = {row.provider: row for row in await session.scalars(ProviderKeyRepository(session).select())}
    clients: dict[str, Any] = {}
    outcomes: dict[str, str] = {}
    for provider in wanted:
        if provider not in keys:
            outcomes[provider] = "skipped: no API key saved"
            continue
        api_key = state.encryptor.decrypt(keys[provider].key_encrypted)
        base_url = state.settings.connector_endpoints.get(ENDPOINT_NAMES[provider])
        if provider == "google":
            clients[provider] = places.GooglePlaces(api_key, base_url=base_url or places.GOOGLE_BASE_URL)
        else:
            clients[provider] = places.YelpFusion(api_key, base_url=base_url or places.YELP_BASE_URL)
    if not clients:
        raise ValidationFailed(
            "Save a Google Places or Yelp API key first (Discovery > Provider keys).", field="providers"
        )
    query = data.query or ", ".join(current.categories) or None
    gathered = await discovery.gather_candidates(
        float(current.latitude),
        float(current.longitude),
        radius_miles,
        google=clients.get("google"),
        yelp=clients.get("yelp"),
        text_query=query,
        yelp_term=query,
    )
    for name in clients:
        failure = gathered.errors.get(name)
        outcomes[name] = f"failed: {failure.detail}" if failure else "ok"
    if gathered.errors and len(gathered.errors) == len(clients):
        raise LocationProviderFailed("; ".join(f"{p}: {o}" for p, o in outcomes.items()))
    notes = list(gathered.notes)
    found = gathered.candidates
    merged = discovery.merge(found)
    catalogue = await _catalogue_words(session)
    business = discovery.BusinessProfile(
        description=current.description or "", categories=list(current.categories), products=catalogue
    )

    async def embed(texts: list[str]) -> list[list[float]]:
        vectors = await search.embed(texts)
        return [list(map(float, vector)) for vector in vectors]

    ranked = await discovery.rank(business, merged, embed=embed)
    stored = await _store(session, ranked)
    return {"candidates": stored, "notes": notes, "providers": outcomes}


async def _catalogue_words(session: AsyncSession) -> list[str]:
    from binelek.marketplace.models import TrackedProduct

    names = await session.scalars(select(TrackedProduct.name).limit(200))
    return list(names)


async def _store(session: AsyncSession, ranked: list[Any]) -> list[CompetitorCandidate]:
    """Replace the open suggestions; never suggest again what was accepted or dismissed."""
    candidates = CandidateRepository(session)
    tenant_id = candidates.tenant_id
    decided = (
        await session.scalars(
            select(CompetitorCandidate).where(
                CompetitorCandidate.tenant_id == tenant_id, CompetitorCandidate.status != "suggested"
            )
        )
    ).all()
    known_ids = {f"{p}:{i}" for row in decided for p, i in row.provider_ids.items()}
    await session.execute(
        delete(CompetitorCandidate).where(
            CompetitorCandidate.tenant_id == tenant_id, CompetitorCandidate.status == "suggested"
        )
    )
    stored = []
    now = utcnow()
    for item in ranked:
        candidate = item.candidate
        provider_ids = dict(candidate.provider_ids)
        if any(f"{p}:{i}" in known_ids for p, i in provider_ids.items()):
            continue
        stored.append(
            candidates.add(
                CompetitorCandidate(
                    id=uuid.uuid4(),
                    name=candidate.name[:300],
                    address=candidate.address,
                    website=candidate.website,
                    phone=candidate.phone,
                    categories=list(candidate.categories),
                    latitude=candidate.latitude,
                    longitude=candidate.longitude,
                    distance_m=candidate.distance_m,
                    rating=candidate.rating,
                    review_count=candidate.review_count,
                    provider_ids=provider_ids,
                    score=round(float(item.score), 4),
                    reasons=list(item.reasons),
                    status="suggested",
                    found_at=now,
                )
            )
        )
    await session.flush()
    return stored


async def accept(session: AsyncSession, candidate_id: uuid.UUID) -> Competitor:
    candidate = await CandidateRepository(session).get_or_404(candidate_id)
    if candidate.status == "accepted" and candidate.competitor_id is not None:
        return await CompetitorRepository(session).get_or_404(candidate.competitor_id)
    competitor = CompetitorRepository(session).add(
        Competitor(
            id=uuid.uuid4(),
            name=candidate.name[:200],
            website=candidate.website,
            category=", ".join(candidate.categories)[:200] or None,
            location=candidate.address,
            latitude=candidate.latitude,
            longitude=candidate.longitude,
            phone=candidate.phone,
            source="discovered",
            provider_ids=dict(candidate.provider_ids),
            is_active=True,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
    )
    candidate.status = "accepted"
    candidate.competitor_id = competitor.id
    return competitor


async def dismiss(session: AsyncSession, candidate_id: uuid.UUID) -> None:
    candidate = await CandidateRepository(session).get_or_404(candidate_id)
    if candidate.status == "suggested":
        candidate.status = "dismissed"
