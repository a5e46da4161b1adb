"""The MCP tools: each `smb_*` name mapped to a tool of the registry (binelek.kit.tools), with the
hints MCP clients show their users. `smb_query` is the exception: it runs the whole agent, like
POST /api/query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcp import types

from binelek.ai.local.fields import strip_hints
from binelek.kit.auth import Principal
from binelek.kit.tools import Tool, load_tools

QUERY_TOOL = "smb_query"
QUERY_PERMISSION = "ai:use"
CONFIRM_FIELD = "confirm"
CONFIRM_SCHEMA: dict[str, Any] = {
    "type": "boolean",
    "default": False,
    "description": "Set to true to carry the action out. Without it nothing changes: the answer says"
    " what would be done, for the user to confirm.",
}
QUERY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "question": {
            "type": "string",
            "minLength": 1,
            "maxLength": 1000,
            "description": "A question or command for the business's AI assistant, in plain words.",
        },
        "conversation_id": {
            "type": "string",
            "format": "uuid",
            "description": "Continue this earlier conversation (from a previous answer).",
        },
        "confirm_action": {
            "type": "string",
            "maxLength": 40,
            "description": "Run an action the assistant proposed (its id, from a previous answer in the"
            " same conversation) instead of asking a question.",
        },
    },
    "additionalProperties": False,
}


@dataclass(frozen=True)
class McpTool:
    name: str
    registry_name: str | None  # None: smb_query
    title: str
    description: str | None = None  # None: the registry tool's own
    destructive: bool = False
    idempotent: bool = False
    open_world: bool = False


CATALOG: tuple[McpTool, ...] = (
    McpTool(
        QUERY_TOOL,
        None,
        "Ask the assistant",
        "Ask the business's AI assistant a question or give it a command in plain words (the same"
        " assistant as the app's command box, with this key's permissions). Answers text and the"
        " records it used. Actions it proposes are not run until confirmed with confirm_action.",
        open_world=True,
    ),
    McpTool("smb_search", "semantic_search", "Search records"),
    McpTool("smb_list_automations", "list_automations", "List automations"),
    McpTool("smb_run_automation", "run_workflow", "Run an automation", destructive=True, open_world=True),
    McpTool("smb_create_automation", "create_automation", "Create an automation"),
    McpTool(
        "smb_get_metrics",
        "query_metrics",
        "Business metrics",
        "Answer a question about the business's own numbers (revenue, net revenue, orders, average order"
        " value, customers, refunds, gross margin, invoices, MRR, pipeline, stock) for a period, broken"
        " down or filtered, e.g. 'revenue by month this year'. Answers the values and how they were"
        " computed.",
    ),
    McpTool("smb_list_dashboards", "list_dashboards", "List dashboards"),
    McpTool("smb_security_status", "security_posture", "Security posture"),
    McpTool("smb_list_users", "team_members", "List team members"),
    McpTool("smb_track_product", "track_url", "Track a competitor product", idempotent=True, open_world=True),
    McpTool("smb_price_comparison", "compare_prices", "Compare prices"),
    McpTool("smb_list_connectors", "list_connections", "List data connections"),
    McpTool(
        "smb_sync_connector", "sync_connector", "Sync a data connection", idempotent=True, open_world=True
    ),
)
BY_NAME = {entry.name: entry for entry in CATALOG}


def registry_tool(entry: McpTool) -> Tool | None:
    return load_tools("mcp")[entry.registry_name] if entry.registry_name else None


def permission_of(entry: McpTool) -> str:
    registered = registry_tool(entry)
    return registered.permission if registered is not None else QUERY_PERMISSION


def allowed(entry: McpTool, principal: Principal) -> bool:
    registered = registry_tool(entry)
    if registered is None:
        return principal.can(QUERY_PERMISSION)
    return registered.allowed_for(principal)


def writes(entry: McpTool) -> bool:
    registered = registry_tool(entry)
    return registered is not None and registered.writes


def input_schema(entry: McpTool) -> dict[str, Any]:
    registered = registry_tool(entry)
    if registered is None:
        return QUERY_SCHEMA
    schema: dict[str, Any] = strip_hints(registered.json_schema())
    schema.setdefault("properties", {})
    if registered.writes:
        schema["properties"][CONFIRM_FIELD] = CONFIRM_SCHEMA
    return schema


def describe(entry: McpTool) -> types.Tool:
    registered = registry_tool(entry)
    read_only = registered is not None and not registered.writes
    description = entry.description or (registered.description if registered else "")
    if registered is not None and registered.writes:
        description += (
            " Changes data: call with confirm=true to carry it out; without it, answers what it would do."
        )
    return types.Tool(
        name=entry.name,
        title=entry.title,
        description=description,
        inputSchema=input_schema(entry),
        annotations=types.ToolAnnotations(
            title=entry.title,
            readOnlyHint=read_only,
            destructiveHint=None if read_only else entry.destructive,
            idempotentHint=True if read_only else entry.idempotent,
            openWorldHint=entry.open_world,
        ),
    )


def check_catalog() -> None:
    """Every mapped tool exists in the registry (a renamed tool fails at start-up, not on a call)."""
    registered = load_tools("mcp")
    missing = [e.registry_name for e in CATALOG if e.registry_name and e.registry_name not in registered]
    if missing:
        raise RuntimeError(f"MCP tools map to unknown registry tools: {', '.join(map(str, missing))}")
