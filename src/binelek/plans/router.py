"""GET /api/usage: the organization's plan, its limits and what it uses of them."""

from __future__ import annotations

from fastapi import APIRouter

from binelek.kit.auth import CurrentPrincipal, TenantSession
from binelek.plans import service
from binelek.plans.schemas import UsageOut

router = APIRouter(prefix="/api", tags=["plans"])


@router.get("/usage")
async def get_usage(principal: CurrentPrincipal, session: TenantSession) -> UsageOut:
    """Any member (and API key) may see the plan and its usage: it explains a refused creation."""
    return await service.usage_report(session, principal.tenant_id)
