"""What programs may do with connectors through the tool registry: list the connections and sync one
now (a change: confirmed first). Both are offered over MCP only (`agent=False`): the in-app agent's
offline engine has no utterance cases for them yet (see binelek.kit.tools)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from binelek.connectors import jobs, service
from binelek.kit.db import after_commit
from binelek.kit.errors import ProblemError, ResourceNotFound, ValidationFailed
from binelek.kit.tools import Source, ToolContext, ToolResult, tool


class NoArgs(BaseModel):
    pass


class SyncConnectorArgs(BaseModel):
    connection: str = Field(
        min_length=1,
        max_length=200,
        description="The connection to sync: its id, its name, or its provider (e.g. 'shopify').",
    )
    streams: list[str] | None = Field(
        default=None,
        max_length=20,
        description="Only these streams (e.g. 'orders'); every stream when empty.",
    )


def _source(summary: service.ConnectionSummary) -> Source:
    connection = summary.connection
    return Source(kind="connection", id=str(connection.id), title=connection.name[:120], url="/connectors")


def _row(summary: service.ConnectionSummary) -> dict[str, object]:
    connection = summary.connection
    last_run = summary.last_run
    return {
        "id": str(connection.id),
        "type": connection.type,
        "name": connection.name,
        "status": connection.status,
        "last_sync_at": summary.last_sync_at.isoformat() if summary.last_sync_at else None,
        "record_counts": summary.record_counts,
        "last_error": connection.last_error,
        "last_run_status": last_run.status if last_run is not None else None,
    }


@tool(
    "list_connections",
    "List the organization's data connections (Shopify, Stripe, HubSpot, files …) with their status,"
    " last sync and record counts.",
    permission="connectors:read",
    agent=False,
)
async def list_connections(context: ToolContext, args: NoArgs) -> ToolResult:
    summaries = await service.list_connections(context.session, context.principal.tenant_id)
    rows = [_row(summary) for summary in summaries]
    names = ", ".join(f"{row['name']} ({row['status']})" for row in rows[:5])
    return ToolResult(
        summary=f"{len(rows)} connection{'s' if len(rows) != 1 else ''}" + (f": {names}." if rows else "."),
        data=rows,
        sources=[_source(summary) for summary in summaries],
    )


async def _find_connection(context: ToolContext, words: str) -> service.ConnectionSummary:
    """The connection `words` names: an id, a name, or a provider type. Several matches are a
    question back, never a guess."""
    summaries = await service.list_connections(context.session, context.principal.tenant_id)
    wanted = words.strip().lower()
    try:
        wanted_id = uuid.UUID(wanted)
    except ValueError:
        wanted_id = None
    matching = [
        s
        for s in summaries
        if s.connection.id == wanted_id or s.connection.name.lower() == wanted or s.connection.type == wanted
    ]
    if not matching:
        raise ResourceNotFound(f"No connection is called “{words}”.")
    if len(matching) > 1:
        names = ", ".join(f"“{s.connection.name}” ({s.connection.id})" for s in matching[:5])
        raise ValidationFailed(f"Several connections match “{words}”: {names}. Which one?")
    return matching[0]


@tool(
    "sync_connector",
    "Sync one of the organization's data connections now (incrementally after its first full sync).",
    permission="connectors:manage",
    writes=True,
    agent=False,
)
async def sync_connector(context: ToolContext, args: SyncConnectorArgs) -> ToolResult:
    jobs_engine = context.state.jobs
    # As POST /api/connectors/sync/{id}: a run nobody will pick up is worse than a clear refusal.
    if jobs_engine is None or not jobs_engine.running:
        raise ProblemError(
            "Background jobs are not running in this process.", status=503, code="JOBS_UNAVAILABLE"
        )
    summary = await _find_connection(context, args.connection)
    connection_id = summary.connection.id
    run, new = await service.request_sync(
        context.session, context.principal, connection_id, args.streams, context.meta
    )
    if new:
        tenant_id, run_id = context.principal.tenant_id, run.id

        async def enqueue() -> None:
            await jobs.enqueue_sync(tenant_id, connection_id, run_id)

        after_commit(context.session, enqueue)
    joined = "" if new else " (joined the sync already waiting)"
    return ToolResult(
        summary=f"Sync of “{summary.connection.name}” queued{joined}.",
        data={"run_id": str(run.id), "connection_id": str(connection_id), "status": "queued"},
        sources=[_source(summary)],
    )
