"""What the AI agent may do with the team: read who is in it (and their MFA state), invite people."""

from __future__ import annotations

from pydantic import BaseModel, EmailStr, Field
from pydantic.config import JsonValue

from binelek.identity import service
from binelek.identity.schemas import InvitationIn, Role
from binelek.kit.pagination import PageParams
from binelek.kit.tools import Source, ToolContext, ToolResult, tool

# Words for two-factor authentication; said with a negation ("without MFA") they mean false.
MFA_TERMS: list[JsonValue] = [
    "mfa",
    "2fa",
    "two-factor",
    "two factor",
    "multi-factor",
    "multi factor",
    "two-step",
    "2-step",
]


class TeamMembersArgs(BaseModel):
    role: Role | None = Field(
        default=None,
        description="Only members with this role.",
        # "members" alone means everyone in a team, so the member role needs a qualifier.
        json_schema_extra={
            "x-synonyms": {
                "admin": ["admin", "administrator", "owner"],
                "member": [
                    "regular member",
                    "normal member",
                    "ordinary member",
                    "standard member",
                    "member role",
                ],
                "viewer": ["viewer", "read-only", "view-only", "read only user"],
            }
        },
    )
    mfa_enabled: bool | None = Field(
        default=None,
        description="true: only members with two-factor authentication on; false: only those without.",
        json_schema_extra={
            "x-terms": MFA_TERMS,
            "x-cues": {"false": ["needs to set up", "need to set up", "still has to set up", "unprotected"]},
        },
    )


@tool(
    "team_members",
    "List the people in this organization with their role and whether two-factor authentication (MFA) is on.",
    permission="team:read",
    examples=(
        "who is in my team",
        "list the members of this organization",
        "show everyone in the workspace and their roles",
        "which people are admins",
        "who are the viewers",
        "which members have not turned on two-factor authentication",
        "who has MFA enabled",
        "members without 2FA",
        "how many users do we have",
        "list the administrators who don't use multi-factor authentication",
        "show me my colleagues",
        "who has access to our account",
        "team list",
        "how many people work here",
        "is everyone using two-step verification",
    ),
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
    role: Role = Field(
        default="member",
        description="admin, member or viewer.",
        json_schema_extra={
            "x-synonyms": {
                "admin": ["admin", "administrator", "admin access", "full access"],
                "member": ["member", "regular member", "editor", "normal access"],
                "viewer": ["viewer", "read-only", "read only access", "view-only", "view only access"],
            }
        },
    )


@tool(
    "invite_member",
    "Invite a person to this organization by e-mail with a role; they get a link to join.",
    permission="team:manage",
    writes=True,
    examples=(
        "invite sam@example.com",
        "invite lee@example.com as an admin",
        "add pat@example.com to the team",
        "send an invite to kim@example.com as a viewer",
        "invite a new teammate by email",
        "give chris@example.com access to the organization",
        "bring jo@example.com into the workspace as a member",
        "please invite my accountant, ana@example.com, with read-only access",
        "onboard a new employee",
        "invite someone to join us",
        "can you send a join invitation to max@example.com",
        "add a new user with the administrator role",
    ),
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
