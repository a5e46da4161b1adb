"""What the AI agent may read from the audit trail."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from binelek.audit import service
from binelek.kit.pagination import PageParams
from binelek.kit.tools import Source, ToolContext, ToolResult, tool


class AuditSearchArgs(BaseModel):
    action: str | None = Field(
        default=None, max_length=64, description="e.g. auth.login_failed, team.invited"
    )
    since: datetime | None = Field(default=None, description="Only entries at or after this time (ISO 8601).")
    limit: int = Field(default=20, ge=1, le=50)


@tool(
    "search_audit_log",
    "Find recent security-relevant events (sign-ins, failed logins, role changes, invitations, key changes).",
    permission="audit:read",
)
async def search_audit_log(context: ToolContext, args: AuditSearchArgs) -> ToolResult:
    entries, total = await service.list_logs(
        context.session, PageParams(limit=args.limit, offset=0), action=args.action, since=args.since
    )
    rows = [
        {"action": e.action, "who": e.actor_email, "ip": e.ip, "at": e.created_at.isoformat()}
        for e in entries
    ]
    return ToolResult(
        summary=f"{total} matching audit entr{'ies' if total != 1 else 'y'}; showing {len(rows)}.",
        data=rows,
        sources=[
            Source(kind="audit", id=str(e.id), title=e.action, url="/settings/audit-log") for e in entries
        ],
    )
