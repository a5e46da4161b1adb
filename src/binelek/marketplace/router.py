"""Marketplace Intel endpoints: thin, typed, tenant-scoped."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from binelek.audit import service as audit
from binelek.kit.auth import Principal, TenantSession, require
from binelek.kit.pagination import Page, Paging
from binelek.kit.request_meta import RequestMeta, request_meta
from binelek.kit.state import AppState, get_state
from binelek.marketplace import discovery_service, service
from binelek.marketplace.repository import AlertRepository, CompetitorRepository, ProductRepository
from binelek.marketplace.schemas import (
    CandidateOut,
    CheckAccepted,
    CompetitorIn,
    CompetitorOut,
    DiscoverIn,
    DiscoverOut,
    HistoryOut,
    PreviewIn,
    PreviewOut,
    PriceAlertOut,
    ProfileIn,
    ProfileOut,
    ProviderKeyIn,
    ProviderKeyOut,
    TrackedProductIn,
    TrackedProductOut,
    TrackedProductPatch,
)

router = APIRouter(prefix="/api/modules/marketplace-intel", tags=["marketplace-intel"])
Reader = Annotated[Principal, Depends(require("marketplace:read"))]
Writer = Annotated[Principal, Depends(require("marketplace:write"))]
State = Annotated[AppState, Depends(get_state)]
Meta = Annotated[RequestMeta, Depends(request_meta)]


# -- competitors ------------------------------------------------------------------------------------


@router.get("/competitors", response_model=list[CompetitorOut])
async def list_competitors(principal: Reader, session: TenantSession) -> list[CompetitorOut]:
    competitors = CompetitorRepository(session)
    counts = await competitors.listing_counts()
    rows = (await session.scalars(competitors.ordered())).all()
    return [
        CompetitorOut.model_validate(row).model_copy(update={"listings": counts.get(row.id, 0)})
        for row in rows
    ]


@router.post("/competitors", response_model=CompetitorOut, status_code=status.HTTP_201_CREATED)
async def create_competitor(
    body: CompetitorIn, principal: Writer, session: TenantSession, meta: Meta
) -> CompetitorOut:
    competitor = await service.create_competitor(session, body)
    await session.flush()
    audit.record_for(
        session, principal, "marketplace.competitor.created", meta, competitor_id=str(competitor.id)
    )
    return CompetitorOut.model_validate(competitor)


@router.get("/competitors/{competitor_id}", response_model=CompetitorOut)
async def get_competitor(
    competitor_id: uuid.UUID, principal: Reader, session: TenantSession
) -> CompetitorOut:
    competitor = await CompetitorRepository(session).get_or_404(competitor_id)
    return CompetitorOut.model_validate(competitor)


@router.put("/competitors/{competitor_id}", response_model=CompetitorOut)
async def update_competitor(
    competitor_id: uuid.UUID, body: CompetitorIn, principal: Writer, session: TenantSession
) -> CompetitorOut:
    competitor = await service.update_competitor(session, competitor_id, body)
    await session.flush()
    return CompetitorOut.model_validate(competitor)


@router.delete("/competitors/{competitor_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_competitor(
    competitor_id: uuid.UUID, principal: Writer, session: TenantSession, meta: Meta
) -> Response:
    competitors = CompetitorRepository(session)
    await competitors.delete(await competitors.get_or_404(competitor_id))
    audit.record_for(
        session, principal, "marketplace.competitor.deleted", meta, competitor_id=str(competitor_id)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- tracked products -------------------------------------------------------------------------------


@router.get("/products", response_model=list[TrackedProductOut])
async def list_products(principal: Reader, session: TenantSession) -> list[TrackedProductOut]:
    """Each product with its listings and where the market stands (median, min, max, difference %)."""
    products = list((await session.scalars(ProductRepository(session).ordered())).all())
    return await service.product_out(session, products)


@router.post("/products", response_model=TrackedProductOut, status_code=status.HTTP_201_CREATED)
async def create_product(
    body: TrackedProductIn, principal: Writer, session: TenantSession, state: State, meta: Meta
) -> TrackedProductOut:
    """Track a product: your price and the competitors' pages. Checked as often as the plan allows
    (free: daily, pro: every 4 hours)."""
    product = await service.create_product(session, state.settings, principal, body)
    await session.flush()
    audit.record_for(session, principal, "marketplace.product.created", meta, product_id=str(product.id))
    return (await service.product_out(session, [product]))[0]


@router.get("/products/{product_id}", response_model=TrackedProductOut)
async def get_product(product_id: uuid.UUID, principal: Reader, session: TenantSession) -> TrackedProductOut:
    product = await service.get_product(session, product_id)
    return (await service.product_out(session, [product]))[0]


@router.put("/products/{product_id}", response_model=TrackedProductOut)
async def update_product(
    product_id: uuid.UUID, body: TrackedProductPatch, principal: Writer, session: TenantSession, state: State
) -> TrackedProductOut:
    product = await service.update_product(session, state.settings, product_id, body)
    await session.flush()
    return (await service.product_out(session, [product]))[0]


@router.delete("/products/{product_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_product(
    product_id: uuid.UUID, principal: Writer, session: TenantSession, meta: Meta
) -> Response:
    products = ProductRepository(session)
    await products.delete(await products.get_or_404(product_id))
    audit.record_for(session, principal, "marketplace.product.deleted", meta, product_id=str(product_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/products/{product_id}/history", response_model=HistoryOut)
async def product_history(
    product_id: uuid.UUID,
    principal: Reader,
    session: TenantSession,
    days: Annotated[int, Query(ge=1, le=730)] = 90,
) -> dict[str, Any]:
    """Every stored price (changes and a daily heartbeat) per listing, and the recent checks."""
    return await service.history(session, product_id, days)


@router.post(
    "/products/{product_id}/check", response_model=CheckAccepted, status_code=status.HTTP_202_ACCEPTED
)
async def check_product(product_id: uuid.UUID, principal: Writer, session: TenantSession) -> CheckAccepted:
    """Check every listing now (politely: each host at its own pace)."""
    count = await service.check_now(session, product_id)
    return CheckAccepted(product_id=product_id, listings=count)


@router.post("/products/preview", response_model=PreviewOut)
async def preview(body: PreviewIn, principal: Writer, state: State) -> PreviewOut:
    """What tracking this URL would read — title, price, currency, availability, SKU, brand, image —
    and how sure the extractor is, before anything is saved."""
    from binelek.marketplace import jobs
    from binelek.marketplace.checker import read_page

    url = str(body.url)
    await service.guard_target(url, state.settings)
    page = await read_page(
        jobs.browsers(), url, render_js=body.render_js, steps=[], selector=body.css_selector
    )
    extraction = page.extraction
    return PreviewOut(
        url=url,
        title=extraction.title if extraction else None,
        price=extraction.price if extraction else None,
        currency=extraction.currency if extraction else None,
        availability=extraction.availability if extraction else None,
        sku=extraction.sku if extraction else None,
        brand=extraction.brand if extraction else None,
        image=extraction.image if extraction else None,
        method=extraction.method if extraction and extraction.price is not None else None,
        confidence=extraction.confidence if extraction else 0.0,
        outcome=page.outcome,
        detail=page.detail,
    )


# -- pricing, trends, alerts ------------------------------------------------------------------------


@router.get("/pricing")
async def pricing(
    principal: Reader,
    session: TenantSession,
    state: State,
    product_id: uuid.UUID | None = None,
    explain: bool = False,
) -> list[dict[str, Any]]:
    """Your price against each competitor: difference %, position, market price index, opportunities
    and recommendations. With `explain=true` and a model configured for Marketplace Intel, each
    product also gets the model's plain-words `explanation`."""
    positions = await service.pricing(session, product_id)
    if explain and principal.can("ai:use"):
        for position in positions:
            written = await service.explain_pricing(state, session, principal, [position])
            position["explanation"] = written[0].strip() if written else None
            position["explained_by"] = written[1] if written else None
    return positions


@router.get("/trends")
async def trends(
    principal: Reader,
    session: TenantSession,
    product_id: uuid.UUID | None = None,
    days: Annotated[int, Query(ge=7, le=730)] = 90,
) -> dict[str, Any]:
    """Market average, moving averages, volatility, min/max, seasonality and how often competitors
    change prices, with chart data."""
    return await service.trends(session, product_id, days)


@router.get("/alerts", response_model=Page[PriceAlertOut])
async def list_alerts(principal: Reader, session: TenantSession, paging: Paging) -> Page[PriceAlertOut]:
    alerts = AlertRepository(session)
    rows, total = await alerts.page(alerts.newest_first(), paging)
    return Page(
        items=[PriceAlertOut.model_validate(r) for r in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.post("/alerts/{alert_id}/read", status_code=status.HTTP_204_NO_CONTENT)
async def read_alert(alert_id: uuid.UUID, principal: Reader, session: TenantSession) -> Response:
    alert = await AlertRepository(session).get_or_404(alert_id)
    if alert.read_at is None:
        from binelek.kit.db import utcnow

        alert.read_at = utcnow()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- discovery --------------------------------------------------------------------------------------


@router.get("/profile", response_model=ProfileOut | None)
async def get_profile(principal: Reader, session: TenantSession) -> ProfileOut | None:
    """What the business is and where: what discovery compares candidates with."""
    current = await discovery_service.profile(session)
    return ProfileOut.model_validate(current) if current else None


@router.put("/profile", response_model=ProfileOut)
async def put_profile(body: ProfileIn, principal: Writer, session: TenantSession) -> ProfileOut:
    current = await discovery_service.save_profile(session, body)
    await session.flush()
    return ProfileOut.model_validate(current)


@router.get("/provider-keys", response_model=list[ProviderKeyOut])
async def list_provider_keys(principal: Reader, session: TenantSession) -> list[ProviderKeyOut]:
    """Saved Google Places and Yelp keys: only their last four characters."""
    from binelek.marketplace.repository import ProviderKeyRepository

    rows = await session.scalars(ProviderKeyRepository(session).select())
    return [ProviderKeyOut(provider=row.provider, last4=row.last4, updated_at=row.updated_at) for row in rows]


@router.put("/provider-keys/{provider}", response_model=ProviderKeyOut)
async def put_provider_key(
    provider: str, body: ProviderKeyIn, principal: Writer, session: TenantSession, state: State, meta: Meta
) -> ProviderKeyOut:
    """Save (encrypted) the organization's own Google Places or Yelp Fusion API key."""
    row = await discovery_service.save_key(session, state, provider, body.api_key, principal.user_id)
    await session.flush()
    audit.record_for(session, principal, "marketplace.provider_key.saved", meta, provider=provider)
    return ProviderKeyOut(provider=row.provider, last4=row.last4, updated_at=row.updated_at)


@router.delete("/provider-keys/{provider}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_provider_key(
    provider: str, principal: Writer, session: TenantSession, meta: Meta
) -> Response:
    await discovery_service.delete_key(session, provider)
    audit.record_for(session, principal, "marketplace.provider_key.deleted", meta, provider=provider)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/discover", response_model=DiscoverOut)
async def discover(
    body: DiscoverIn, principal: Writer, session: TenantSession, state: State
) -> dict[str, Any]:
    """Search nearby businesses (Google Places, Yelp), merge duplicates and rank them against the
    business's description, categories and catalogue; each with a score and its reasons."""
    return await discovery_service.discover(session, state, body)


@router.get("/candidates", response_model=list[CandidateOut])
async def list_candidates(principal: Reader, session: TenantSession) -> list[CandidateOut]:
    from binelek.marketplace.repository import CandidateRepository

    rows = await session.scalars(CandidateRepository(session).suggested())
    return [CandidateOut.model_validate(row) for row in rows]


@router.post(
    "/candidates/{candidate_id}/accept", response_model=CompetitorOut, status_code=status.HTTP_201_CREATED
)
async def accept_candidate(
    candidate_id: uuid.UUID, principal: Writer, session: TenantSession, meta: Meta
) -> CompetitorOut:
    competitor = await discovery_service.accept(session, candidate_id)
    await session.flush()
    audit.record_for(
        session, principal, "marketplace.competitor.created", meta, competitor_id=str(competitor.id)
    )
    return CompetitorOut.model_validate(competitor)


@router.post("/candidates/{candidate_id}/dismiss", status_code=status.HTTP_204_NO_CONTENT)
async def dismiss_candidate(candidate_id: uuid.UUID, principal: Writer, session: TenantSession) -> Response:
    await discovery_service.dismiss(session, candidate_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
