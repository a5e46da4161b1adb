"""The kinds of notification a user can tune, with what each does by default."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Channels:
    in_app: bool
    email: bool
    digest: bool


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    label: str
    description: str
    defaults: Channels
    # Shown as "[Binelek <tag>]" in e-mail subjects.
    tag: str


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "approval",
            "Approvals",
            "An automation waits for your approval.",
            Channels(in_app=True, email=True, digest=False),
            "approval",
        ),
        Kind(
            "automation",
            "Automations",
            "An automation failed, or a notify step addressed you.",
            Channels(in_app=True, email=False, digest=True),
            "automation",
        ),
        Kind(
            "security",
            "Security alerts",
            "New or reopened critical and high issues, expiring certificates, unknown devices, MFA off.",
            Channels(in_app=True, email=True, digest=False),
            "security",
        ),
        Kind(
            "marketplace",
            "Price watch",
            "Competitor price and availability changes on the products you track.",
            Channels(in_app=True, email=True, digest=False),
            "price watch",
        ),
        Kind(
            "system",
            "Workspace",
            "Workspace changes: a webhook endpoint disabled, an export ready, plan limits reached.",
            Channels(in_app=True, email=True, digest=False),
            "workspace",
        ),
    )
}


def kind_of(name: str) -> Kind:
    """Unknown kinds (a new producer before its entry exists) behave like "system"."""
    return KINDS.get(name, KINDS["system"])
