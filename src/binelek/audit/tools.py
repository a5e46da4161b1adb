"""What the AI agent may read from the audit trail."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from binelek.audit import service
from binelek.kit.pagination import PageParams
from binelek.kit.tools import Source, ToolContext, ToolResult, tool

_MFA = ("mfa", "2fa", "two-factor", "two factor")
# The audit actions a person asks about, in their words (an action is matched exactly).
ACTION_SYNONYMS: JsonDict = {
    "auth.login_failed": [
        "failed login",
        "failed log in",
        "failed sign-in",
        "failed signin",
        "login failure",
        "failed logon",
        "unsuccessful login",
        "wrong password",
        "failed login attempt",
        "failed sign-in attempt",
    ],
    "auth.login": ["login", "log in", "logged in", "sign-in", "signed in", "signin", "logon"],
    "auth.logout": ["logout", "log out", "logged out", "sign-out", "signed out"],
    "auth.mfa_enabled": [f"{verb} {term}" for verb in ("enabled", "turned on", "set up") for term in _MFA],
    "auth.mfa_disabled": [
        f"{verb} {term}" for verb in ("disabled", "disable", "turned off", "turn off") for term in _MFA
    ],
    "auth.mfa_failed": ["failed mfa", "failed 2fa", "wrong mfa code", "failed two-factor"],
    "team.invited": ["invitation", "invite", "invited"],
    "team.invitation_accepted": ["accepted invitation", "accepted invite", "joined"],
    "team.role_changed": [
        "role change",
        "changed role",
        "changed the role",
        "role changed",
        "promoted",
        "demoted",
    ],
    "team.member_removed": ["removed member", "removed a member", "member removed", "removed from the team"],
    "api_key.created": [
        "api key created",
        "api keys were created",
        "api keys created",
        "created api key",
        "new api key",
    ],
    "api_key.revoked": [
        "api key revoked",
        "api keys were revoked",
        "api keys revoked",
        "revoked api key",
        "revoked key",
    ],
    "org.updated": ["organization settings changed", "org settings", "organization updated"],
}


class AuditSearchArgs(BaseModel):
    action: str | None = Field(
        default=None,
        max_length=64,
        description="e.g. auth.login_failed, team.invited",
        json_schema_extra={"x-synonyms": ACTION_SYNONYMS},
    )
    since: datetime | None = Field(default=None, description="Only entries at or after this time (ISO 8601).")
    limit: int = Field(default=20, ge=1, le=50)


@tool(
    "search_audit_log",
    "Find recent security-relevant events (sign-ins, failed logins, role changes, invitations, key changes).",
    permission="audit:read",
    examples=(
        "show the audit log",
        "failed login attempts this week",
        "who signed in today",
        "list recent security events",
        "were there any role changes yesterday",
        "show invitations sent since Monday",
        "which API keys were created or revoked recently",
        "what happened in the security log since last month",
        "show the last 10 audit entries",
        "did anyone disable two-factor authentication",
        "any suspicious logins in the past 24 hours",
        "who removed members from the team",
        "audit trail for March",
    ),
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
