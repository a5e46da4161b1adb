"""What the AI agent may search: everything this tenant's modules have indexed, by meaning."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from binelek.kit.tools import ToolContext, ToolResult, tool
from binelek.search import service

EntityKind = Literal["document", "task", "customer", "product", "competitor", "security_issue", "member"]


class SearchArgs(BaseModel):
    query: str = Field(min_length=1, max_length=200, description="What to look for, in plain words.")
    kinds: list[EntityKind] | None = Field(default=None, description="Only these kinds of records.")
    limit: int = Field(default=10, ge=1, le=50)


@tool(
    "semantic_search",
    "Search this organization's records (documents, tasks, customers, products, competitors, security"
    " issues, team) by meaning, not just exact words; answers the best matches with links.",
    permission="search:read",
    examples=(
        "search for the supplier contract",
        "find documents about our return policy",
        "what do we know about Acme Roasters",
        "look up tasks related to the website launch",
        "search customers in Lisbon",
        "any competitors offering free shipping",
        "find products like the Ethiopian blend",
        "show security issues about expired certificates",
        "where can I find the onboarding guide",
        "search our records for late payments",
        "do we have anything on the pricing change",
        "find notes mentioning the trade show",
        "look for information about packaging suppliers",
    ),
)
async def semantic_search(context: ToolContext, args: SearchArgs) -> ToolResult:
    return await service.search_tool(context, args.query, args.kinds, args.limit)
