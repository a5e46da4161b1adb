"""Scheduled e-mail reports: schedules and who may receive them, what each kind says (checked against
hand-computed numbers), sending through a real SMTP server (aiosmtpd), and the claim that keeps two
schedulers from sending the same run."""

from __future__ import annotations

import asyncio
import csv
import email as email_parser
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from email import policy as email_policy
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import httpx
import pytest
from dbos import DBOS
from sqlalchemy import update

from binelek.connectors.service import import_rows
from binelek.foundry import reports
from binelek.foundry.models import Insight, ReportSchedule
from binelek.identity.models import Tenant
from binelek.kit import jobs
from tests.conftest import add_member, assert_problem, register, unique_email
from tests.support import free_port, smtp_server

BASE = "/api/modules/mini-foundry"
BERLIN = "Europe/Berlin"
# Tuesday 3 March 2026, 07:00 in Berlin: yesterday is Monday 2 March, last week 23 Feb - 1 Mar,
# last month February.
NOW = datetime(2026, 3, 3, 6, 0, tzinfo=UTC)


def _rows(text: str) -> list[dict[str, str]]:
    """Rows in the importer's canonical CSV columns."""
    return list(csv.DictReader(io.StringIO(text.strip())))


BUSINESS = {
    "products": _rows("""
sku,name,category,price,cost,currency
BEAN,House Beans,Coffee,20.00,8.00,EUR
MUG,Mug,Merch,10.00,4.00,EUR
TEA,Tea,Tea,5.00,1.00,EUR
"""),
    "customers": _rows("""
email,name,country,created_at
c1@example.com,One,DE,2025-01-10T10:00:00+00:00
c2@example.com,Two,DE,2026-02-10T10:00:00+00:00
c3@example.com,Three,AT,2026-01-15T10:00:00+00:00
"""),
    # Yesterday (Mon 2 Mar): 75.00 over 3 orders, A4 cancelled. Last week (23 Feb - 1 Mar): 70.00 over
    # 2 orders, Mon 23 Feb alone 50.00. The week before (16 - 22 Feb): 100.00. January 2026: 80.00.
    # February 2025: 40.00.
    "orders": _rows("""
order_number,customer_email,placed_at,status,currency,total,channel
A1,c1@example.com,2026-03-02T12:00:00+00:00,paid,EUR,40.00,web
A2,c2@example.com,2026-03-02T12:00:00+00:00,paid,EUR,10.00,market
A3,c1@example.com,2026-03-02T12:00:00+00:00,paid,EUR,25.00,web
A4,c2@example.com,2026-03-02T12:00:00+00:00,cancelled,EUR,500.00,web
B1,c1@example.com,2026-02-23T12:00:00+00:00,paid,EUR,50.00,web
B2,c3@example.com,2026-02-27T12:00:00+00:00,paid,EUR,20.00,market
C1,c2@example.com,2026-02-18T12:00:00+00:00,paid,EUR,100.00,web
D1,c3@example.com,2026-01-20T12:00:00+00:00,paid,EUR,80.00,web
E1,c1@example.com,2025-02-14T12:00:00+00:00,paid,EUR,40.00,web
"""),
    "order_items": _rows("""
order_number,sku,quantity,unit_price
A1,BEAN,2,20.00
A2,MUG,1,10.00
A3,BEAN,1,20.00
A3,TEA,1,5.00
A4,BEAN,25,20.00
B1,BEAN,2,20.00
B1,MUG,1,10.00
B2,TEA,4,5.00
C1,BEAN,5,20.00
D1,MUG,8,10.00
E1,BEAN,2,20.00
"""),
    # A 10.00 refund of B1 on 25 Feb, recorded as a refunded payment row.
    "payments": _rows("""
order_number,amount,currency,status,method,paid_at
B1,50.00,EUR,succeeded,card,2026-02-23T12:05:00+00:00
B1,10.00,EUR,refunded,card,2026-02-25T09:00:00+00:00
"""),
    "invoices": _rows("""
invoice_number,customer_email,issued_at,due_at,total,balance,status
I1,c1@example.com,2026-02-01T00:00:00+00:00,2026-04-01T00:00:00+00:00,300.00,120.00,open
I2,c2@example.com,2026-01-01T00:00:00+00:00,2026-02-01T00:00:00+00:00,200.00,200.00,overdue
"""),
    "deals": _rows("""
deal_name,company,stage,amount,currency,close_date,created_at
Café chain,Beans GmbH,proposal,5000.00,EUR,,2026-02-01T00:00:00+00:00
Hotel,Hotel AG,closed won,900.00,EUR,2026-02-10,2026-01-01T00:00:00+00:00
"""),
}


@pytest.fixture
def smtp_inbox(state):
    settings = state.settings
    original = (settings.smtp_host, settings.smtp_port)
    with smtp_server() as inbox:
        settings.smtp_host, settings.smtp_port = "127.0.0.1", inbox.port
        jobs.bind_process_state(settings=settings)
        try:
            yield inbox
        finally:
            settings.smtp_host, settings.smtp_port = original


@pytest.fixture(scope="module")
async def business(app, state):
    """A roaster in Berlin with the orders above; its owner is an admin."""
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        owner = await register(http, company="Report Roasters")
    tenant_id = uuid.UUID(owner.tenant_id)
    async with state.db.session() as session:
        tenant = await session.get(Tenant, tenant_id)
        tenant.settings = {**(tenant.settings or {}), "timezone": BERLIN}
    for entity, rows in BUSINESS.items():
        result = await import_rows(state.db, tenant_id, entity, rows)
        assert not result.rows_failed, (entity, result.errors)
    return owner


async def _schedule(state, owner, kind, recipients, *, dashboard_id=None) -> uuid.UUID:
    tenant_id = uuid.UUID(owner.tenant_id)
    async with state.db.session(tenant_id) as session:
        schedule = ReportSchedule(
            tenant_id=tenant_id,
            kind=kind,
            recipients=recipients,
            dashboard_id=dashboard_id,
            # Not due: the real scheduler must leave it to the test.
            next_run_at=datetime.now(UTC) + timedelta(days=30),
        )
        session.add(schedule)
    return schedule.id


def _message(inbox, address) -> EmailMessage:
    received = inbox.to(address)
    assert len(received) == 1, f"{len(received)} messages to {address}"
    return email_parser.message_from_string(received[0], policy=email_policy.default)


def _parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def _squash(text: str) -> str:
    return re.sub(r"[ \t]+", " ", text)


def test_next_run_is_seven_in_the_morning_local_time():
    at = reports.next_run_after
    assert at("daily_sales", BERLIN, datetime(2026, 3, 3, 5, 0, tzinfo=UTC)) == datetime(
        2026, 3, 3, 6, tzinfo=UTC
    )
    assert at("daily_sales", BERLIN, datetime(2026, 3, 3, 6, 0, tzinfo=UTC)) == datetime(
        2026, 3, 4, 6, tzinfo=UTC
    )
    # Summer time starts in Berlin on 29 March: 07:00 is then 05:00 UTC.
    assert at("daily_sales", BERLIN, datetime(2026, 3, 28, 7, tzinfo=UTC)) == datetime(
        2026, 3, 29, 5, tzinfo=UTC
    )
    assert at("weekly_digest", BERLIN, datetime(2026, 3, 3, 6, tzinfo=UTC)) == datetime(
        2026, 3, 9, 6, tzinfo=UTC
    )
    assert at("weekly_digest", BERLIN, datetime(2026, 3, 9, 5, 59, tzinfo=UTC)) == datetime(
        2026, 3, 9, 6, tzinfo=UTC
    )
    assert at("monthly_executive", BERLIN, datetime(2026, 3, 3, tzinfo=UTC)) == datetime(
        2026, 4, 1, 5, tzinfo=UTC
    )
    assert at("monthly_executive", BERLIN, datetime(2026, 12, 15, tzinfo=UTC)) == datetime(
        2027, 1, 1, 6, tzinfo=UTC
    )
    assert at("daily_sales", "America/Los_Angeles", datetime(2026, 3, 3, 20, tzinfo=UTC)) == datetime(
        2026, 3, 4, 15, tzinfo=UTC
    )


async def test_schedules_are_created_listed_changed_and_deleted_with_an_audit_trail(client, business):
    recipient = unique_email("boss")
    created = await client.post(
        f"{BASE}/reports",
        json={"kind": "daily_sales", "recipients": [recipient.upper(), recipient]},
        headers=business.headers,
    )
    assert created.status_code == 201, created.text
    schedule = created.json()
    assert schedule["recipients"] == [recipient]  # normalized, no duplicates
    next_run = datetime.fromisoformat(schedule["next_run_at"])
    local = next_run.astimezone(ZoneInfo(BERLIN))
    assert (local.hour, local.minute) == (7, 0) and next_run > datetime.now(UTC)
    assert next_run - datetime.now(UTC) <= timedelta(days=1)
    assert schedule["last_sent_at"] is None and schedule["last_error"] is None

    listed = await client.get(f"{BASE}/reports", headers=business.headers)
    assert schedule["id"] in [item["id"] for item in listed.json()]

    weekly = await client.patch(
        f"{BASE}/reports/{schedule['id']}", json={"kind": "weekly_digest"}, headers=business.headers
    )
    assert weekly.status_code == 200, weekly.text
    assert datetime.fromisoformat(weekly.json()["next_run_at"]).astimezone(ZoneInfo(BERLIN)).weekday() == 0
    paused = await client.patch(
        f"{BASE}/reports/{schedule['id']}", json={"is_active": False}, headers=business.headers
    )
    assert paused.json()["is_active"] is False and paused.json()["kind"] == "weekly_digest"

    deleted = await client.delete(f"{BASE}/reports/{schedule['id']}", headers=business.headers)
    assert deleted.status_code == 204
    missing = await client.delete(f"{BASE}/reports/{schedule['id']}", headers=business.headers)
    assert_problem(missing, 404, "RESOURCE_NOT_FOUND")
    audit = await client.get("/api/audit-logs", headers=business.headers)
    actions = [
        entry["action"]
        for entry in audit.json()["items"]
        if entry["details"].get("report_id") == schedule["id"]
    ]
    assert {"foundry.report.created", "foundry.report.updated", "foundry.report.deleted"} <= set(actions)


async def test_members_send_to_members_and_only_admins_send_outside(client, business):
    member = await add_member(client, business, "member")
    outsider = unique_email("accountant")
    refused = await client.post(
        f"{BASE}/reports",
        json={"kind": "daily_sales", "recipients": [member.email, outsider]},
        headers=member.headers,
    )
    body = assert_problem(refused, 422, "VALIDATION_ERROR")
    assert outsider in body["detail"] and body["errors"][0]["loc"] == ["body", "recipients"]
    to_members = await client.post(
        f"{BASE}/reports",
        json={"kind": "daily_sales", "recipients": [member.email, business.email]},
        headers=member.headers,
    )
    assert to_members.status_code == 201, to_members.text

    by_admin = await client.post(
        f"{BASE}/reports",
        json={"kind": "monthly_executive", "recipients": [outsider]},
        headers=business.headers,
    )
    assert by_admin.status_code == 201, by_admin.text
    # A member may edit it and keep the address the admin added, but not add another.
    report_url = f"{BASE}/reports/{by_admin.json()['id']}"
    kept = await client.patch(
        report_url, json={"recipients": [outsider, member.email]}, headers=member.headers
    )
    assert kept.status_code == 200, kept.text
    another = await client.patch(report_url, json={"recipients": [unique_email("x")]}, headers=member.headers)
    assert_problem(another, 422, "VALIDATION_ERROR")

    invalid = await client.post(
        f"{BASE}/reports",
        json={"kind": "daily_sales", "recipients": ["not-an-address"]},
        headers=business.headers,
    )
    assert_problem(invalid, 422, "VALIDATION_ERROR")
    unknown_kind = await client.post(
        f"{BASE}/reports", json={"kind": "hourly", "recipients": [business.email]}, headers=business.headers
    )
    assert_problem(unknown_kind, 422, "VALIDATION_ERROR")
    foreign_dashboard = await client.post(
        f"{BASE}/reports",
        json={"kind": "monthly_executive", "recipients": [business.email], "dashboard_id": str(uuid.uuid4())},
        headers=business.headers,
    )
    assert_problem(foreign_dashboard, 422, "VALIDATION_ERROR")

    viewer = await add_member(client, business, "viewer")
    forbidden = await client.post(
        f"{BASE}/reports", json={"kind": "daily_sales", "recipients": [viewer.email]}, headers=viewer.headers
    )
    assert_problem(forbidden, 403, "PERMISSION_DENIED")
    assert (await client.get(f"{BASE}/reports", headers=viewer.headers)).status_code == 200
    stranger = await register(client, company="Other Co")
    assert_problem(
        await client.patch(report_url, json={"is_active": False}, headers=stranger.headers),
        404,
        "RESOURCE_NOT_FOUND",
    )
    assert by_admin.json()["id"] not in [
        r["id"] for r in (await client.get(f"{BASE}/reports", headers=stranger.headers)).json()
    ]


async def test_daily_sales_compares_yesterday_with_the_same_weekday_last_week(state, business, smtp_inbox):
    recipient = unique_email("daily")
    schedule_id = await _schedule(state, business, "daily_sales", [recipient])
    outcome = await reports.send_schedule(
        state.db, state.settings, uuid.UUID(business.tenant_id), schedule_id, now=NOW
    )
    assert outcome.error is None and outcome.delivered == [recipient]

    message = _message(smtp_inbox, recipient)
    assert message["Subject"] == "Report Roasters: Daily sales for Mon 2 Mar 2026"
    text, html = _parts(message)
    flat = _squash(text)
    assert "Revenue €75.00" in flat and "+50.0% vs Mon 23 Feb 2026 (€50.00)" in flat
    assert "Orders 3" in flat and "+200.0% vs Mon 23 Feb 2026 (1)" in flat
    assert "Average order value €25.00" in flat and "-50.0% vs Mon 23 Feb 2026 (€50.00)" in flat
    products = text.split("Top 5 products")[1].split("By channel")[0]
    assert re.findall(r"^(House Beans|Mug|Tea) +(€[\d.]+) +(\d+)$", products, re.M) == [
        ("House Beans", "€60.00", "3"),
        ("Mug", "€10.00", "1"),
        ("Tea", "€5.00", "1"),
    ]
    channels = text.split("By channel")[1]
    assert re.search(r"^web +€65\.00 +2$", channels, re.M) and re.search(
        r"^market +€10\.00 +1$", channels, re.M
    )
    for shown in ("€75.00", "+50.0%", "House Beans", "€65.00", "Daily sales"):
        assert shown in html
    async with state.db.session() as session:
        sent = await session.get(ReportSchedule, schedule_id)
    assert sent.last_sent_at == NOW and sent.last_error is None


async def test_weekly_digest_has_movers_and_fresh_insight_headlines(state, business, smtp_inbox):
    tenant_id = uuid.UUID(business.tenant_id)
    async with state.db.session(tenant_id) as session:
        for title, computed, dismissed in (
            ("Fresh finding", NOW - timedelta(days=1), None),
            ("Dismissed finding", NOW - timedelta(days=1), NOW),
            ("Stale finding", NOW - timedelta(days=40), None),
        ):
            session.add(
                Insight(
                    tenant_id=tenant_id,
                    kind="trend",
                    fingerprint=uuid.uuid4().hex,
                    title=title,
                    sentence=f"{title} explained.",
                    score=1.0,
                    computed_at=computed,
                    dismissed_at=dismissed,
                )
            )
    recipient = unique_email("weekly")
    schedule_id = await _schedule(state, business, "weekly_digest", [recipient])
    await reports.send_schedule(state.db, state.settings, tenant_id, schedule_id, now=NOW)

    message = _message(smtp_inbox, recipient)
    assert message["Subject"].startswith("Report Roasters: Weekly digest, week 9 (Mon 23 Feb 2026")
    text, html = _parts(message)
    flat = _squash(text)
    assert "Revenue €70.00" in flat and "-30.0% vs the week before (€100.00)" in flat
    assert "Orders 2" in flat and "+100.0% vs the week before (1)" in flat
    assert "New customers 0" in flat  # c2 arrived 10 Feb, c3 in January
    assert "Refunds €10.00" in flat and "new vs the week before" in flat
    movers = text.split("Top movers (product sales)")[1].split("Insights")[0]
    assert [line.split()[0] for line in movers.strip().splitlines()[2:]] == ["House", "Tea", "Mug"]
    assert re.search(r"House Beans +€40\.00 +€100\.00 +-€60\.00 +-60\.0%", movers)
    assert "* Fresh finding: Fresh finding explained." in text
    assert "Dismissed finding" not in text and "Stale finding" not in text
    assert "<strong>Fresh finding</strong>" in html


async def test_monthly_executive_compares_two_ways_and_attaches_the_dashboard(
    client, state, business, smtp_inbox
):
    dashboard = await client.post(
        f"{BASE}/dashboards",
        json={
            "name": "Board pack",
            "date_range": {"preset": "last_month"},
            "widgets": [
                {
                    "title": "Revenue by channel",
                    "type": "bar",
                    "query": {"metrics": ["revenue"], "dimensions": ["channel"]},
                    "layout": {"x": 0, "y": 0, "w": 12, "h": 4},
                },
            ],
        },
        headers=business.headers,
    )
    assert dashboard.status_code == 201, dashboard.text
    recipients = [unique_email("ceo"), unique_email("cfo")]
    schedule_id = await _schedule(
        state, business, "monthly_executive", recipients, dashboard_id=uuid.UUID(dashboard.json()["id"])
    )
    outcome = await reports.send_schedule(
        state.db, state.settings, uuid.UUID(business.tenant_id), schedule_id, now=NOW
    )
    assert outcome.delivered == recipients

    message = _message(smtp_inbox, recipients[1])
    assert message["To"] == recipients[1]  # one message each: recipients do not see each other
    assert message["Subject"] == "Report Roasters: Executive report for Feb 2026"
    text, html = _parts(message)
    flat = _squash(text)
    assert "Revenue €170.00" in flat
    assert "+112.5% vs Jan 2026 (€80.00)" in flat and "+325.0% vs Feb 2025 (€40.00)" in flat
    assert "Net revenue €160.00" in flat  # a 10.00 refund in February
    assert "Refunds €10.00" in flat
    # (40 + 10 + 20 + 100 - (16 + 4 + 4 + 40)) / 170
    assert "Gross margin 62.4%" in flat
    assert "New customers 1" in flat
    assert "Outstanding invoice balance €320.00" in flat and "Overdue invoice balance €200.00" in flat
    assert "Pipeline value €5,000.00" in flat
    assert "€5,000.00" in html and "+325.0%" in html
    attachments = list(message.iter_attachments())
    assert len(attachments) == 1
    assert attachments[0].get_content_type() == "application/pdf"
    assert attachments[0].get_filename() == "board-pack-2026-03-03.pdf"
    assert attachments[0].get_content().startswith(b"%PDF-")


async def test_due_reports_are_claimed_once_and_failures_recorded(state, business, smtp_inbox):
    tenant_id = uuid.UUID(business.tenant_id)
    recipient = unique_email("due")
    schedule_id = await _schedule(state, business, "daily_sales", [recipient])
    due_at = NOW - timedelta(minutes=5)
    async with state.db.session() as session:
        await session.execute(
            update(ReportSchedule).where(ReportSchedule.id == schedule_id).values(next_run_at=due_at)
        )

    first, second = await asyncio.gather(
        reports.claim_due(state.db, now=NOW), reports.claim_due(state.db, now=NOW)
    )
    mine = [item for item in [*first, *second] if item.schedule_id == schedule_id]
    assert len(mine) == 1 and mine[0].tenant_id == tenant_id
    async with state.db.session() as session:
        claimed = await session.get(ReportSchedule, schedule_id)
    assert claimed.next_run_at == datetime(2026, 3, 4, 6, tzinfo=UTC)  # tomorrow 07:00 in Berlin
    assert not [
        item for item in await reports.claim_due(state.db, now=NOW) if item.schedule_id == schedule_id
    ]

    # A refused delivery is recorded on the schedule; the run stays claimed.
    async with state.db.session() as session:
        await session.execute(
            update(ReportSchedule).where(ReportSchedule.id == schedule_id).values(next_run_at=due_at)
        )
    port, state.settings.smtp_port = state.settings.smtp_port, free_port()
    try:
        outcomes = await reports.send_due(state.db, state.settings, now=NOW)
    finally:
        state.settings.smtp_port = port
    assert any(recipient in (outcome.error or "") for outcome in outcomes)
    async with state.db.session() as session:
        failed = await session.get(ReportSchedule, schedule_id)
    assert failed.last_error.startswith(f"Not delivered to {recipient}") and failed.last_sent_at is None
    assert failed.next_run_at > NOW and not smtp_inbox.to(recipient)


async def test_the_scheduled_workflow_sends_due_reports(state, business, smtp_inbox):
    assert any(s["schedule_name"] == "foundry-scheduled-reports" for s in await DBOS.list_schedules_async())
    recipient = unique_email("cron")
    schedule_id = await _schedule(state, business, "daily_sales", [recipient])
    async with state.db.session() as session:
        await session.execute(
            update(ReportSchedule)
            .where(ReportSchedule.id == schedule_id)
            .values(next_run_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    handle = await DBOS.start_workflow_async(reports.scheduled_reports, datetime.now(UTC), None)
    await handle.get_result()
    message = _message(smtp_inbox, recipient)
    assert "Daily sales" in message["Subject"]
    async with state.db.session() as session:
        sent = await session.get(ReportSchedule, schedule_id)
    assert sent.last_sent_at is not None and sent.last_error is None and sent.next_run_at > datetime.now(UTC)


async def test_send_now_delivers_text_and_html(client, state, business, smtp_inbox):
    recipient = unique_email("now")
    created = await client.post(
        f"{BASE}/reports", json={"kind": "weekly_digest", "recipients": [recipient]}, headers=business.headers
    )
    report = created.json()
    sent = await client.post(f"{BASE}/reports/{report['id']}/send", headers=business.headers)
    assert sent.status_code == 200, sent.text
    assert sent.json()["last_sent_at"] is not None and sent.json()["next_run_at"] == report["next_run_at"]
    message = _message(smtp_inbox, recipient)
    assert message.get_content_type() == "multipart/alternative"
    text, html = _parts(message)
    assert "Weekly digest" in text and html.startswith("<!DOCTYPE html>")

    viewer = await add_member(client, business, "viewer")
    assert_problem(
        await client.post(f"{BASE}/reports/{report['id']}/send", headers=viewer.headers),
        403,
        "PERMISSION_DENIED",
    )
    stranger = await register(client, company="Nosy Co")
    assert_problem(
        await client.post(f"{BASE}/reports/{report['id']}/send", headers=stranger.headers),
        404,
        "RESOURCE_NOT_FOUND",
    )


async def test_send_now_without_smtp_says_so(client, business):
    created = await client.post(
        f"{BASE}/reports",
        json={"kind": "daily_sales", "recipients": [business.email]},
        headers=business.headers,
    )
    refused = await client.post(f"{BASE}/reports/{created.json()['id']}/send", headers=business.headers)
    assert_problem(refused, 409, "MAIL_NOT_CONFIGURED")
