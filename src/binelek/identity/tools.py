"""What the AI agent may do with the team: read who is in it (and their MFA state), invite people."""

from __future__ import annotations

from pydantic import BaseModel, EmailStr, Field

from binelek.identity import service
from binelek.identity.schemas import InvitationIn, Role
from binelek.kit.pagination import PageParams
from binelek.kit.tools import Source, ToolContext, ToolResult, tool


class TeamMembersArgs(BaseModel):
    role: Role | None = Field(default=None, description="Only members with this role.")
    mfa_enabled: bool | None = Field(
        default=None,
        description="true: only members with two-factor authentication on; false: only those without.",
    )


@tool(
    "team_members",
    "List the people in this organization with their role and whether two-factor authentication (MFA) is on.",
    permission="team:read",
)
async def team_members(context: ToolContext, args: TeamMembersArgs) -> ToolResult:
    members, _ = await service.list_members(context.session, PageParams(limit=200, offset=0))
    chosen = [
        member
        for member in members
        if (args.role is None or member.role == args.role)
        and (args.mfa_enabled is None or member.mfa_enabled == args.mfa_enabled)
    ]
    names = ", ".join(member.full_name for member in chosen) or "nobody"
    qualifier = {None: "", True: " with MFA on", False: " without MFA"}[args.mfa_enabled]
    return ToolResult(
        summary=f"{len(chosen)} team member{'s' if len(chosen) != 1 else ''}{qualifier}: {names}.",
        data=[member.model_dump(mode="json") for member in chosen],
        sources=[
            Source(kind="member", id=str(m.user_id), title=m.full_name, url="/settings/team") for m in chosen
        ],
    )


class InviteArgs(BaseModel):
    email: EmailStr = Field(description="The person's e-mail address.")
    role: Role = Field(default="member", description="admin, member or viewer.")


@tool(
    "invite_member",
    "Invite a person to this organization by e-mail with a role; they get a link to join.",
    permission="team:manage",
    writes=True,
)
async def invite_member(context: ToolContext, args: InviteArgs) -> ToolResult:
    created = await service.invite(
        context.state,
        context.session,
        context.principal,
        InvitationIn(email=args.email, role=args.role),
        context.meta,
    )
    return ToolResult(
        summary=f"Invited {created.email} as {created.role}; the link expires {created.expires_at:%d %b %Y}.",
        data={"id": str(created.id), "email": created.email, "role": created.role},
        sources=[Source(kind="invitation", id=str(created.id), title=created.email, url="/settings/team")],
    )
