"""The events a tenant may subscribe an endpoint to: what the domains emit for the tenant's own
business. Internal events (search indexing, invitation mail with its encrypted link, MFA changes)
are not listed and never leave, not even for "*"."""

from __future__ import annotations

from dataclasses import dataclass

TEST_EVENT = "webhook.test"


@dataclass(frozen=True, slots=True)
class EventType:
    type: str
    module: str
    description: str


EVENT_TYPES: tuple[EventType, ...] = (
    EventType("customer.created", "connectors", "A customer was added by a sync or an import."),
    EventType("order.created", "connectors", "An order was added by a sync or an import."),
    EventType("payment.received", "connectors", "A payment was recorded."),
    EventType("invoice.overdue", "connectors", "An invoice passed its due date with a balance left."),
    EventType("deal.stage_changed", "connectors", "A CRM deal moved to another stage."),
    EventType("connector.sync.completed", "connectors", "A connector finished a sync run."),
    EventType("connector.error", "connectors", "A connection failed to authenticate and needs attention."),
    EventType("task.created", "ops-copilot", "A task was created."),
    EventType("task.completed", "ops-copilot", "A task was completed."),
    EventType("automation.completed", "ops-copilot", "An automation run finished successfully."),
    EventType("automation.failed", "ops-copilot", "An automation run failed."),
    EventType("price.changed", "marketplace-intel", "A competitor's price for a tracked product changed."),
    EventType("price.dropped", "marketplace-intel", "A competitor's price dropped."),
    EventType("availability.changed", "marketplace-intel", "A competitor's listing went in or out of stock."),
    EventType("marketplace.alert.raised", "marketplace-intel", "A price alert was raised."),
    EventType("security.issue.created", "cybersecurity-scanner", "A scan found a new security issue."),
    EventType("security.issue.reopened", "cybersecurity-scanner", "A resolved security issue came back."),
    EventType("security.issue.resolved", "cybersecurity-scanner", "A security issue is no longer found."),
    EventType("security.alert.raised", "cybersecurity-scanner", "A security alert was raised."),
)
DELIVERABLE = frozenset(event.type for event in EVENT_TYPES)


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` cannot be subscribed to, or None: "*", a listed type, or "prefix.*" that
    covers at least one listed type."""
    if pattern == "*" or pattern in DELIVERABLE:
        return None
    if pattern.endswith(".*") and "*" not in pattern[:-2]:
        prefix = pattern[:-1]
        if any(event.startswith(prefix) for event in DELIVERABLE):
            return None
        return f"{pattern!r} matches no event type."
    return f"{pattern!r} is not an event type; see /api/webhooks/event-types."


def matches(patterns: list[str], event_type: str) -> bool:
    if event_type not in DELIVERABLE:
        return False
    for pattern in patterns:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False
