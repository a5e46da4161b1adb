"""Marketplace's background work. Every minute the due listings are grouped by host and each group
becomes one DBOS workflow on the `marketplace.checks` queue, partitioned by host with one workflow per
partition at a time: however many workers run, one host sees one polite stream of requests (the
fetcher in that worker keeps the host's delay, robots.txt and Retry-After)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import structlog
from dbos import DBOS, SetEnqueueOptions

from binelek.kit.db import utcnow
from binelek.kit.jobs import (
    QueueSpec,
    ScheduleSpec,
    declare_queue,
    declare_schedule,
    get_queue,
    process_object,
)
from binelek.marketplace import checker

log = structlog.get_logger(__name__)
CHECK_QUEUE = declare_queue(
    QueueSpec(
        name="marketplace.checks", worker_concurrency=16, partition_concurrency=1, polling_interval_sec=0.5
    )
)
_browsers: checker.Browsers | None = None


def browsers() -> checker.Browsers:
    global _browsers
    if _browsers is None:
        _browsers = checker.Browsers(process_object("settings"))
    return _browsers


async def enqueue_checks(work: list[tuple[str, str, str]]) -> None:
    """`work` is [(tenant id, listing id, url)]: one queued workflow per host."""
    by_host: dict[str, list[tuple[str, str]]] = {}
    for tenant_id, listing_id, url in work:
        by_host.setdefault(checker.host_of(url), []).append((tenant_id, listing_id))
    queue = get_queue(CHECK_QUEUE.name)
    for host, listings in by_host.items():
        with SetEnqueueOptions(queue_partition_key=host):
            await queue.enqueue_async(check_host, host, listings)


@DBOS.step()
async def check_one(tenant_id: str, listing_id: str) -> str:
    try:
        return await checker.check_listing(
            process_object("db"), browsers(), uuid.UUID(tenant_id), uuid.UUID(listing_id)
        )
    except Exception:  # one broken page must not stop the host's other listings
        log.exception("marketplace_check_failed", listing_id=listing_id)
        return "error"


@DBOS.workflow()
async def check_host(host: str, listings: Sequence[Sequence[str]]) -> dict[str, int]:
    outcomes: dict[str, int] = {}
    for tenant_id, listing_id in listings:
        outcome = await check_one(tenant_id, listing_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


@DBOS.step()
async def claim_due() -> list[list[Any]]:
    grouped = await checker.listings_due(process_object("db"), utcnow())
    return [[host, listings] for host, listings in grouped.items()]


@DBOS.workflow()
async def schedule_checks(scheduled: datetime, _context: Any) -> None:
    queue = get_queue(CHECK_QUEUE.name)
    for host, listings in await claim_due():
        with SetEnqueueOptions(queue_partition_key=host):
            await queue.enqueue_async(check_host, host, listings)


declare_schedule(ScheduleSpec(name="marketplace-checks", cron="* * * * *", workflow=schedule_checks))


@DBOS.step()
async def digest_step() -> int:
    from binelek.marketplace.alerts import send_digests

    return await send_digests(process_object("db"))


@DBOS.workflow()
async def daily_digest(scheduled: datetime, _context: Any) -> None:
    await digest_step()


declare_schedule(ScheduleSpec(name="marketplace-digest", cron="0 8 * * *", workflow=daily_digest))
