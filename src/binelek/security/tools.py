"""What the AI agent may do with the Cybersecurity Scanner: summarise the posture, list the open
critical issues, start a scan (a change: confirmed first), explain a finding."""

from __future__ import annotations

import re
import uuid

from pydantic import BaseModel, Field
from sqlalchemy import select

from binelek.kit.errors import ResourceNotFound, ValidationFailed
from binelek.kit.tools import Source, ToolContext, ToolResult, tool
from binelek.security import service
from binelek.security.models import SecurityIssue
from binelek.security.schemas import ScanIn

SHOWN = 10
_STOP = frozenset(
    (
        "the",
        "a",
        "an",
        "finding",
        "issue",
        "security",
        "problem",
        "explain",
        "what",
        "is",
        "about",
        "this",
        "that",
    )
)


class NoArgs(BaseModel):
    pass


class OpenIssuesArgs(BaseModel):
    include_high: bool = Field(
        default=False, description="Also list high-severity issues.", json_schema_extra={"x-terms": ["high"]}
    )


class ExplainArgs(BaseModel):
    finding: str = Field(
        min_length=1,
        max_length=200,
        description="The issue to explain: words of its title or check, or its id.",
    )


def _issue_source(issue: SecurityIssue) -> Source:
    return Source(
        kind="security_issue", id=str(issue.id), title=issue.title[:120], url=f"/security/issues/{issue.id}"
    )


@tool(
    "security_posture",
    "Summarise the organization's security posture: the 0-100 score, its grade, the parts that lose "
    "points and the open issues by severity.",
    permission="security:read",
    examples=(
        "what is our security score",
        "how secure are we",
        "show the security posture",
        "security posture summary",
        "what is our security grade",
        "how is our cybersecurity",
    ),
)
async def security_posture(context: ToolContext, args: NoArgs) -> ToolResult:
    overview = await service.posture_overview(context.session, 30)
    weakest = sorted(overview.parts, key=lambda part: part["points"] - part["weight"])[:2]
    losses = ", ".join(
        f"{part['name']} -{part['points_lost']:g}" for part in weakest if part["points_lost"] > 0
    )
    counts = overview.open_issues
    open_line = ", ".join(f"{counts[s]} {s}" for s in ("critical", "high", "medium", "low") if counts.get(s))
    trend = overview.trend.get("days_30")
    summary = f"Security posture {overview.score:g}/100 (grade {overview.grade})."
    if losses:
        summary += f" Most points lost in: {losses}."
    summary += f" Open issues: {open_line or 'none'}."
    if trend is not None:
        summary += f" {'+' if trend >= 0 else ''}{trend:g} points over 30 days."
    return ToolResult(summary=summary, data=overview.model_dump(mode="json"))


@tool(
    "open_critical_issues",
    "List the organization's open critical security issues (optionally high ones too), most severe first.",
    permission="security:read",
    examples=(
        "list open critical issues",
        "what critical security issues do we have",
        "show critical vulnerabilities",
        "any critical security problems",
        "show open critical and high issues",
        "what should I fix first in security",
    ),
)
async def open_critical_issues(context: ToolContext, args: OpenIssuesArgs) -> ToolResult:
    severities = ["critical", "high"] if args.include_high else ["critical"]
    statement = service.issues_query(
        context.session,
        status=["open", "in_progress"],
        severity=severities,
        category=None,
        assignee_id=None,
        device_id=None,
        asset_id=None,
        text=None,
    )
    issues = (await context.session.scalars(statement.limit(SHOWN))).all()
    label = " or ".join(severities)
    if not issues:
        return ToolResult(summary=f"No open {label} security issues.", data=[])
    lines = [f"{issue.title} ({issue.severity})" for issue in issues[:3]]
    return ToolResult(
        summary=f"{len(issues)} open {label} issue(s): " + "; ".join(lines),
        data=[
            {
                "id": str(issue.id),
                "title": issue.title,
                "severity": issue.severity,
                "target": issue.target,
                "remediation": issue.remediation,
            }
            for issue in issues
        ],
        sources=[_issue_source(issue) for issue in issues],
    )


@tool(
    "start_security_scan",
    "Start a security scan of every registered asset: web headers, TLS, DNS and e-mail, open ports, "
    "platform settings and devices.",
    permission="security:write",
    writes=True,
    examples=(
        "start a security scan",
        "scan our website for security problems",
        "run a security scan now",
        "scan everything for vulnerabilities",
        "check our security again",
        "rescan our domains",
        "kick off a security scan",
    ),
)
async def start_security_scan(context: ToolContext, args: NoArgs) -> ToolResult:
    scan = await service.start_scan(context.session, context.principal, ScanIn())
    await context.session.flush()
    return ToolResult(
        summary=f"Started a security scan of {len(scan.asset_ids)} asset(s), {scan.progress_total} checks.",
        data={"scan_id": str(scan.id), "status": scan.status, "checks": scan.progress_total},
        sources=[
            Source(
                kind="security_scan", id=str(scan.id), title="Security scan", url=f"/security/scans/{scan.id}"
            )
        ],
    )


async def find_issue(context: ToolContext, words: str) -> SecurityIssue:
    """The issue `words` name: an id, or the one open issue whose title or check holds all the words.
    Several matches are a question back, never a guess."""
    tenant_id = context.principal.tenant_id
    try:
        issue = await context.session.get(SecurityIssue, uuid.UUID(words.strip()))
        if issue is not None and issue.tenant_id == tenant_id:
            return issue
    except ValueError:
        pass
    issues = (
        await context.session.scalars(
            select(SecurityIssue).where(
                SecurityIssue.tenant_id == tenant_id,
                SecurityIssue.status.in_(("open", "in_progress", "accepted")),
            )
        )
    ).all()
    wanted = [w for w in re.findall(r"[^\W_]+", words.lower()) if w not in _STOP]
    matching = [
        issue
        for issue in issues
        if wanted and all(word in f"{issue.title} {issue.check_id} {issue.target}".lower() for word in wanted)
    ]
    if not matching:
        raise ResourceNotFound(f"No open security issue matches “{words}”.")
    if len(matching) > 1:
        titles = ", ".join(f"“{issue.title}”" for issue in matching[:5])
        raise ValidationFailed(f"Several issues match “{words}”: {titles}. Which one?")
    return matching[0]


@tool(
    "explain_finding",
    "Explain one security issue or finding: what was found, why it matters, the evidence, how to fix "
    "it and which compliance controls it touches.",
    permission="security:read",
    examples=(
        "explain the hsts finding",
        "explain the spf issue",
        "explain the open rdp port issue",
        "explain the certificate finding",
        "explain the dmarc security issue",
        "explain the disk encryption finding",
    ),
)
async def explain_finding(context: ToolContext, args: ExplainArgs) -> ToolResult:
    issue = await find_issue(context, args.finding)
    controls = ", ".join(issue.controls) or "none mapped"
    summary = (
        f"{issue.title} — {issue.severity} severity, {issue.status}, on {issue.target} "
        f"(check {issue.check_id}). How to fix it: {issue.remediation or 'see the evidence.'} "
        f"Compliance controls: {controls}."
    )
    return ToolResult(
        summary=summary,
        data={
            "id": str(issue.id),
            "check_id": issue.check_id,
            "severity": issue.severity,
            "status": issue.status,
            "target": issue.target,
            "evidence": issue.evidence,
            "remediation": issue.remediation,
            "controls": issue.controls,
            "detected_at": issue.detected_at.isoformat(),
        },
        sources=[_issue_source(issue)],
    )
