"""Scheduled e-mail reports: the schedules (CRUD), what each kind of report says, and sending them.

Kinds: a daily sales summary (yesterday against the same weekday a week earlier), a weekly digest
(the last ISO week against the one before, top movers, insight headlines) and a monthly executive
report (last month against the month before and the same month a year earlier, balances as of now,
the chosen dashboard as a PDF). Every figure comes from the semantic layer, so a report says what
the dashboards say.

Each schedule runs at 07:00 in the tenant's time zone (daily; Mondays; the 1st). A DBOS workflow
every ten minutes claims the due schedules by moving `next_run_at` forward in one transaction, with
a compare-and-set on the old value, so two workers never send the same run; it then sends each
claimed report in its own step and records `last_sent_at` or `last_error`. Missed runs (a server
that was down for days) collapse into one report.
"""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

import structlog
from dbos import DBOS
from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.audit import service as audit
from binelek.foundry import engine, exports, service
from binelek.foundry.models import Dashboard, Insight, ReportSchedule
from binelek.foundry.render.dashboard import PageContext
from binelek.foundry.render.formatting import (
    MONTHS,
    change,
    format_value,
    is_good,
    long_date,
    period_label,
)
from binelek.foundry.render.report_mail import (
    Comparison,
    Headline,
    KpiLine,
    ReportContent,
    ReportTable,
    render_html,
    render_text,
)
from binelek.foundry.schemas import (
    OrderBy,
    QueryResult,
    ReportScheduleIn,
    ReportScheduleOut,
    SemanticQuery,
    TimeRange,
)
from binelek.foundry.semantic import METRICS
from binelek.identity.models import Membership, Tenant, User
from binelek.kit.auth import Principal
from binelek.kit.db import Database, utcnow
from binelek.kit.errors import ProblemError, ResourceNotFound, ValidationFailed
from binelek.kit.jobs import ScheduleSpec, declare_schedule, process_object
from binelek.kit.mail import Attachment, Mailer
from binelek.kit.request_meta import RequestMeta
from binelek.kit.settings import Settings

log = structlog.get_logger(__name__)

ReportKind = Literal["daily_sales", "weekly_digest", "monthly_executive"]
SEND_AT = time(7, 0)  # local time of every report
MAX_SCHEDULES = 50  # per tenant
CLAIM_BATCH = 500  # per scheduler run; the rest wait ten minutes
ERROR_MAX = 1000
TOP_PRODUCTS = 5
TOP_MOVERS = 5
HEADLINES = 5
HEADLINE_MAX_AGE = timedelta(days=8)  # older findings were not confirmed by the last computation
MODULE = "mini-foundry"
HEADINGS = {
    "daily_sales": "Daily sales",
    "weekly_digest": "Weekly digest",
    "monthly_executive": "Monthly executive report",
}


class ReportSchedulePatch(BaseModel):
    """Fields to change; a field left out keeps its value (dashboard_id: null detaches the dashboard)."""

    model_config = ConfigDict(extra="forbid")

    kind: ReportKind | None = None
    recipients: list[str] | None = Field(default=None, min_length=1, max_length=20)
    dashboard_id: uuid.UUID | None = None
    is_active: bool | None = None


class MailNotConfigured(ProblemError):
    status, code = 409, "MAIL_NOT_CONFIGURED"


class ReportNotSent(ProblemError):
    status, code = 502, "REPORT_NOT_SENT"


# --- when -----------------------------------------------------------------------------------------


def next_run_after(kind: str, timezone: str, after: datetime) -> datetime:
    """The first 07:00 local (daily), Monday 07:00 (weekly) or 1st-of-month 07:00 (monthly) strictly
    after `after`, in UTC. Built from the local calendar date, so daylight-saving changes keep 07:00."""
    zone = engine.zone(timezone)
    local = after.astimezone(zone)
    today = local.date()

    def at(day: date) -> datetime:
        return datetime.combine(day, SEND_AT, tzinfo=zone)

    if kind == "daily_sales":
        candidate = at(today)
        if candidate <= local:
            candidate = at(today + timedelta(days=1))
    elif kind == "weekly_digest":
        days_to_monday = (7 - today.weekday()) % 7
        candidate = at(today + timedelta(days=days_to_monday))
        if candidate <= local:
            candidate = at(candidate.date() + timedelta(days=7))
    else:
        candidate = at(today.replace(day=1))
        if candidate <= local:
            candidate = at(_next_month(today))
    return candidate.astimezone(UTC)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _month_end(day: date) -> date:
    return _next_month(day) - timedelta(days=1)


# --- schedules ------------------------------------------------------------------------------------


def schedule_out(schedule: ReportSchedule) -> ReportScheduleOut:
    return ReportScheduleOut.model_validate(schedule, from_attributes=True)


async def list_schedules(session: AsyncSession, tenant_id: uuid.UUID) -> list[ReportSchedule]:
    statement = (
        select(ReportSchedule)
        .where(ReportSchedule.tenant_id == tenant_id)
        .order_by(ReportSchedule.created_at, ReportSchedule.id)
    )
    return list((await session.execute(statement)).scalars().all())


async def get_schedule(session: AsyncSession, tenant_id: uuid.UUID, schedule_id: uuid.UUID) -> ReportSchedule:
    statement = select(ReportSchedule).where(
        ReportSchedule.tenant_id == tenant_id, ReportSchedule.id == schedule_id
    )
    schedule = (await session.execute(statement)).scalar_one_or_none()
    if schedule is None:
        raise ResourceNotFound("No such report schedule.")
    return schedule


def normalize_recipients(addresses: Sequence[str]) -> list[str]:
    """Valid addresses, lower-cased, without duplicates, in the order given."""
    normalized: list[str] = []
    for address in addresses:
        try:
            valid = validate_email(address.strip(), check_deliverability=False)
        except EmailNotValidError as error:
            raise ValidationFailed(
                f"{address!r} is not a valid e-mail address: {error}", field="recipients"
            ) from None
        email = valid.normalized.lower()
        if email not in normalized:
            normalized.append(email)
    return normalized


async def member_emails(session: AsyncSession, tenant_id: uuid.UUID) -> set[str]:
    statement = (
        select(User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant_id, User.is_active.is_(True))
    )
    return {email.lower() for email in (await session.execute(statement)).scalars().all()}


async def _check_recipients(
    session: AsyncSession, principal: Principal, recipients: list[str], already: Sequence[str] = ()
) -> None:
    """Only an admin may add an address outside the organization's members; addresses a schedule
    already has may stay whoever edits it."""
    if principal.role == "admin":
        return
    allowed = await member_emails(session, principal.tenant_id) | {address.lower() for address in already}
    outside = [address for address in recipients if address not in allowed]
    if outside:
        raise ValidationFailed(
            "Only an admin can send reports outside the organization; not members: " + ", ".join(outside),
            field="recipients",
        )


async def _check_dashboard(
    session: AsyncSession, tenant_id: uuid.UUID, dashboard_id: uuid.UUID | None
) -> None:
    if dashboard_id is None:
        return
    statement = select(Dashboard.id).where(Dashboard.tenant_id == tenant_id, Dashboard.id == dashboard_id)
    if (await session.execute(statement)).scalar_one_or_none() is None:
        raise ValidationFailed("No such dashboard.", field="dashboard_id")


async def create_schedule(
    session: AsyncSession,
    principal: Principal,
    body: ReportScheduleIn,
    meta: RequestMeta,
    *,
    now: datetime | None = None,
) -> ReportSchedule:
    tenant_id = principal.tenant_id
    if len(await list_schedules(session, tenant_id)) >= MAX_SCHEDULES:
        raise ValidationFailed(f"An organization can have at most {MAX_SCHEDULES} report schedules.")
    recipients = normalize_recipients(body.recipients)
    await _check_recipients(session, principal, recipients)
    await _check_dashboard(session, tenant_id, body.dashboard_id)
    timezone = await service.tenant_timezone(session, tenant_id)
    schedule = ReportSchedule(
        tenant_id=tenant_id,
        kind=body.kind,
        recipients=recipients,
        dashboard_id=body.dashboard_id,
        is_active=body.is_active,
        next_run_at=next_run_after(body.kind, timezone, now or utcnow()),
        created_by=principal.user_id,
    )
    session.add(schedule)
    await session.flush()
    audit.record_for(
        session,
        principal,
        "foundry.report.created",
        meta,
        report_id=str(schedule.id),
        kind=schedule.kind,
        recipients=recipients,
    )
    return schedule


async def update_schedule(
    session: AsyncSession,
    principal: Principal,
    schedule_id: uuid.UUID,
    patch: ReportSchedulePatch,
    meta: RequestMeta,
    *,
    now: datetime | None = None,
) -> ReportSchedule:
    schedule = await get_schedule(session, principal.tenant_id, schedule_id)
    changed = patch.model_fields_set
    if patch.recipients is not None:
        recipients = normalize_recipients(patch.recipients)
        await _check_recipients(session, principal, recipients, already=schedule.recipients)
        schedule.recipients = recipients
    if "dashboard_id" in changed:
        await _check_dashboard(session, principal.tenant_id, patch.dashboard_id)
        schedule.dashboard_id = patch.dashboard_id
    reschedule = False
    if patch.kind is not None and patch.kind != schedule.kind:
        schedule.kind, reschedule = patch.kind, True
    if patch.is_active is not None and patch.is_active != schedule.is_active:
        # Switched back on: the next regular run, not one for every run missed while it was off.
        schedule.is_active = patch.is_active
        reschedule = reschedule or patch.is_active
    if reschedule:
        timezone = await service.tenant_timezone(session, principal.tenant_id)
        schedule.next_run_at = next_run_after(schedule.kind, timezone, now or utcnow())
    await session.flush()
    audit.record_for(
        session,
        principal,
        "foundry.report.updated",
        meta,
        report_id=str(schedule.id),
        fields=sorted(changed),
        recipients=schedule.recipients,
    )
    return schedule


async def delete_schedule(
    session: AsyncSession, principal: Principal, schedule_id: uuid.UUID, meta: RequestMeta
) -> None:
    schedule = await get_schedule(session, principal.tenant_id, schedule_id)
    await session.delete(schedule)
    audit.record_for(
        session, principal, "foundry.report.deleted", meta, report_id=str(schedule_id), kind=schedule.kind
    )


# --- what a report says -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date
    name: str  # how a comparison names it: "Mon 5 Jan 2026", "the week before", "Dec 2025"

    @property
    def time_range(self) -> TimeRange:
        return TimeRange(start=self.start, end=self.end)


@dataclass(slots=True)
class ReportEmail:
    subject: str
    text: str
    html: str
    attachments: list[Attachment] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Figures:
    """One query's totals per period, the current period first."""

    results: list[QueryResult]

    def value(self, metric: str, index: int = 0) -> float | None:
        return self.results[index].totals.get(metric)

    @property
    def currency(self) -> str | None:
        return self.results[0].currency


class Composer:
    """Runs a report's queries for one tenant at one moment and formats the answers."""

    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID, timezone: str, now: datetime) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.timezone = timezone
        self.now = now
        self.today = now.astimezone(engine.zone(timezone)).date()
        self.custom: dict[str, engine.ResolvedMetric] | None = None

    async def query(self, query: SemanticQuery) -> QueryResult:
        if self.custom is None:
            self.custom = await service.custom_metrics(self.session, self.tenant_id)
        return await service.run_query(
            self.session,
            self.tenant_id,
            query,
            now=self.now,
            timezone=self.timezone,
            use_cache=False,
            custom=self.custom,
        )

    async def figures(self, metrics: list[str], periods: Sequence[Period]) -> Figures:
        return Figures(
            [
                await self.query(SemanticQuery(metrics=metrics, time_range=period.time_range))
                for period in periods
            ]
        )

    async def breakdown(self, metrics: list[str], dimension: str, period: Period, limit: int) -> QueryResult:
        return await self.query(
            SemanticQuery(
                metrics=metrics,
                dimensions=[dimension],
                time_range=period.time_range,
                order_by=[OrderBy(field=metrics[0], direction="desc")],
                limit=limit,
            )
        )


def kpi_lines(figures: Figures, metrics: Sequence[str], periods: Sequence[Period]) -> list[KpiLine]:
    lines = []
    for metric_name in metrics:
        metric = METRICS[metric_name]
        current = figures.value(metric_name)
        comparisons = []
        for index, period in enumerate(periods[1:], start=1):
            previous = figures.value(metric_name, index)
            delta = change(current, previous, metric.format)
            comparisons.append(
                Comparison(
                    label=f"vs {period.name}",
                    change=delta.text,
                    previous=format_value(previous, metric.format, figures.currency),
                    good=is_good(delta.tone, metric.higher_is_better),
                )
            )
        lines.append(
            KpiLine(metric.label, format_value(current, metric.format, figures.currency), tuple(comparisons))
        )
    return lines


def snapshot_lines(result: QueryResult, metrics: Sequence[str]) -> list[KpiLine]:
    return [
        KpiLine(
            METRICS[name].label, format_value(result.totals.get(name), METRICS[name].format, result.currency)
        )
        for name in metrics
    ]


def breakdown_table(title: str, result: QueryResult) -> ReportTable:
    columns = result.columns
    rows = tuple(
        tuple(
            format_value(value, column.type, result.currency)
            for value, column in zip(row, columns, strict=False)
        )
        for row in result.rows
    )
    return ReportTable(
        title=title,
        headers=tuple(column.label for column in columns),
        rows=rows,
        numeric=tuple(column.kind == "metric" for column in columns),
    )


def _month_name(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"


async def compose_daily_sales(composer: Composer, content: ReportContent) -> tuple[str, Period]:
    day = composer.today - timedelta(days=1)
    same_weekday = day - timedelta(days=7)
    current = Period(day, day, long_date(day))
    week_before = Period(same_weekday, same_weekday, long_date(same_weekday))
    metrics = ["revenue", "orders", "average_order_value"]
    figures = await composer.figures(metrics, [current, week_before])
    content.period = long_date(day)
    content.kpi_title = f"Sales against the same weekday a week earlier ({week_before.name})"
    content.kpis = kpi_lines(figures, metrics, [current, week_before])
    products = await composer.breakdown(["revenue", "units_sold"], "product", current, TOP_PRODUCTS)
    channels = await composer.breakdown(["revenue", "orders"], "channel", current, 50)
    content.tables = [
        breakdown_table(f"Top {TOP_PRODUCTS} products", products),
        breakdown_table("By channel", channels),
    ]
    content.notes = list(products.notes)  # e.g. that revenue by product is product sales
    return f"Daily sales for {long_date(day)}", current


async def compose_weekly_digest(composer: Composer, content: ReportContent) -> tuple[str, Period]:
    this_monday = composer.today - timedelta(days=composer.today.weekday())
    start = this_monday - timedelta(days=7)
    current = Period(start, start + timedelta(days=6), "last week")
    before = Period(start - timedelta(days=7), start - timedelta(days=1), "the week before")
    metrics = ["revenue", "orders", "average_order_value", "customers", "new_customers", "refunds"]
    figures = await composer.figures(metrics, [current, before])
    iso_year, iso_week, _ = start.isocalendar()
    content.period = f"Week {iso_week}, {iso_year}: {period_label(current.start, current.end)}"
    content.kpi_title = "Last week against the week before"
    content.kpis = kpi_lines(figures, metrics, [current, before])
    content.tables = [await top_movers(composer, current, before)]
    content.headlines = await insight_headlines(composer.session, composer.tenant_id, composer.now)
    return f"Weekly digest, week {iso_week} ({period_label(current.start, current.end)})", current


async def top_movers(composer: Composer, current: Period, before: Period) -> ReportTable:
    """Products whose sales changed most between the two weeks, either way."""
    now_result = await composer.breakdown(["revenue"], "product", current, 1000)
    then_result = await composer.breakdown(["revenue"], "product", before, 1000)
    now_values = {str(row[0]): float(row[1] or 0) for row in now_result.rows}
    then_values = {str(row[0]): float(row[1] or 0) for row in then_result.rows}
    products = sorted(
        set(now_values) | set(then_values),
        key=lambda name: (-abs(now_values.get(name, 0.0) - then_values.get(name, 0.0)), name),
    )
    currency = now_result.currency
    rows = []
    for name in products[:TOP_MOVERS]:
        new, old = now_values.get(name, 0.0), then_values.get(name, 0.0)
        if new == old:
            continue
        rows.append(
            (
                name,
                format_value(new, "money", currency),
                format_value(old, "money", currency),
                format_value(new - old, "money", currency),
                change(new, old, "money").text,
            )
        )
    return ReportTable(
        title="Top movers (product sales)",
        headers=("Product", "Last week", "Week before", "Change", "%"),
        rows=tuple(rows),
        numeric=(False, True, True, True, True),
        empty="No product sold differently from the week before.",
    )


async def insight_headlines(session: AsyncSession, tenant_id: uuid.UUID, now: datetime) -> list[Headline]:
    statement = (
        select(Insight.title, Insight.sentence)
        .where(
            Insight.tenant_id == tenant_id,
            Insight.dismissed_at.is_(None),
            Insight.computed_at >= now - HEADLINE_MAX_AGE,
            Insight.computed_at <= now,
        )
        .order_by(Insight.score.desc(), Insight.title)
        .limit(HEADLINES)
    )
    return [Headline(title, sentence) for title, sentence in (await session.execute(statement)).all()]


async def compose_monthly_executive(composer: Composer, content: ReportContent) -> tuple[str, Period]:
    last_month = _month_start(_month_start(composer.today) - timedelta(days=1))
    month_before = _month_start(last_month - timedelta(days=1))
    year_before = last_month.replace(year=last_month.year - 1)
    periods = [
        Period(last_month, _month_end(last_month), _month_name(last_month)),
        Period(month_before, _month_end(month_before), _month_name(month_before)),
        Period(year_before, _month_end(year_before), _month_name(year_before)),
    ]
    metrics = ["revenue", "net_revenue", "gross_margin", "new_customers", "refunds"]
    figures = await composer.figures(metrics, periods)
    content.period = _month_name(last_month)
    content.kpi_title = (
        f"{_month_name(last_month)} against {_month_name(month_before)} and {_month_name(year_before)}"
    )
    balances = ["outstanding_balance", "overdue_balance", "pipeline_value"]
    snapshot = await composer.query(SemanticQuery(metrics=balances))
    content.kpis = kpi_lines(figures, metrics, periods) + snapshot_lines(snapshot, balances)
    content.notes = ["Outstanding and overdue balances and the pipeline are as of today."]
    return f"Executive report for {_month_name(last_month)}", periods[0]


COMPOSERS = {
    "daily_sales": compose_daily_sales,
    "weekly_digest": compose_weekly_digest,
    "monthly_executive": compose_monthly_executive,
}


async def compose_report(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    schedule: ReportSchedule,
    *,
    now: datetime,
    public_url: str | None = None,
) -> ReportEmail:
    tenant = await session.get(Tenant, tenant_id)
    assert tenant is not None
    timezone = await service.tenant_timezone(session, tenant_id)
    composer = Composer(session, tenant_id, timezone, now)
    content = ReportContent(
        heading=HEADINGS[schedule.kind],
        organization=tenant.name,
        period="",
        link=f"{public_url.rstrip('/')}/foundry" if public_url else None,
    )
    subject, period = await COMPOSERS[schedule.kind](composer, content)
    attachments: list[Attachment] = []
    if schedule.dashboard_id is not None:
        dashboard_id = schedule.dashboard_id
        attachments.append(
            await dashboard_attachment(session, tenant, dashboard_id, period.time_range, timezone, now)
        )
    return ReportEmail(
        subject=f"{tenant.name}: {subject}",
        text=render_text(content),
        html=render_html(content),
        attachments=attachments,
    )


async def dashboard_attachment(
    session: AsyncSession,
    tenant: Tenant,
    dashboard_id: uuid.UUID,
    period: TimeRange,
    timezone: str,
    now: datetime,
) -> Attachment:
    """The dashboard as a PDF over the report's period, so the attachment and the e-mail agree."""
    dashboard = await service.get_dashboard(session, tenant.id, dashboard_id)
    data = await service.dashboard_data(session, tenant.id, dashboard_id, now=now, range_override=period)
    context = PageContext(tenant.name, timezone, now.astimezone(engine.zone(timezone)))
    pdf = await exports.render_dashboard_pdf(dashboard, data, context)
    local_day = now.astimezone(engine.zone(timezone)).date()
    return (exports.filename(dashboard.name, "pdf", day=local_day), "application/pdf", pdf)


# --- sending ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendOutcome:
    delivered: list[str]
    error: str | None


async def send_schedule(
    db: Database,
    settings: Settings,
    tenant_id: uuid.UUID,
    schedule_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> SendOutcome:
    """Compose and send one report now, then record how it went on the schedule."""
    now = now or utcnow()
    mailer = Mailer(settings)
    delivered: list[str] = []
    try:
        async with db.session(tenant_id=tenant_id) as session:
            schedule = await get_schedule(session, tenant_id, schedule_id)
            recipients = list(schedule.recipients)
            if not mailer.configured:
                raise MailNotConfigured("E-mail is not set up on this server (SMTP_HOST is empty).")
            if not await _module_enabled(session, tenant_id):
                raise ProblemError(
                    "The Mini Foundry module is disabled for this organization.",
                    status=403,
                    code="MODULE_DISABLED",
                )
            message = await compose_report(
                session, tenant_id, schedule, now=now, public_url=settings.public_url
            )
    except ResourceNotFound:
        raise
    except ProblemError as problem:
        error: str | None = problem.detail
    except Exception as unexpected:  # a report must not take the scheduler down; say what failed
        log.exception("report_compose_failed", schedule_id=str(schedule_id))
        error = f"The report could not be composed ({type(unexpected).__name__})."
    else:
        delivered, error = await deliver(mailer, message, recipients)
    await record_outcome(db, tenant_id, schedule_id, sent_at=now if delivered else None, error=error)
    log.info("report_sent", schedule_id=str(schedule_id), delivered=len(delivered), error=error)
    return SendOutcome(delivered, error)


async def _module_enabled(session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    modules = (
        await session.execute(select(Tenant.modules).where(Tenant.id == tenant_id))
    ).scalar_one_or_none()
    return modules is not None and MODULE in modules


async def deliver(
    mailer: Mailer, message: ReportEmail, recipients: Sequence[str]
) -> tuple[list[str], str | None]:
    """One message per recipient, so nobody sees the other addresses; failures are collected."""
    delivered, failed = [], []
    for recipient in recipients:
        try:
            await mailer.send(
                to=recipient,
                subject=message.subject,
                text=message.text,
                html=message.html,
                attachments=message.attachments,
            )
            delivered.append(recipient)
        except (smtplib.SMTPException, OSError) as refused:
            log.warning("report_delivery_failed", error=type(refused).__name__)
            failed.append(f"{recipient} ({type(refused).__name__}: {refused})")
    error = f"Not delivered to {', '.join(failed)}"[:ERROR_MAX] if failed else None
    return delivered, error


async def record_outcome(
    db: Database, tenant_id: uuid.UUID, schedule_id: uuid.UUID, *, sent_at: datetime | None, error: str | None
) -> None:
    values: dict[str, Any] = {"last_error": error[:ERROR_MAX] if error else None}
    if sent_at is not None:
        values["last_sent_at"] = sent_at
    async with db.session(tenant_id=tenant_id) as session:
        await session.execute(
            update(ReportSchedule)
            .where(ReportSchedule.tenant_id == tenant_id, ReportSchedule.id == schedule_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


async def send_now(
    db: Database, settings: Settings, tenant_id: uuid.UUID, schedule_id: uuid.UUID
) -> ReportSchedule:
    """Send a report on request: the schedule's next run stays as it was."""
    if not Mailer(settings).configured:
        async with db.session(tenant_id=tenant_id) as session:
            await get_schedule(session, tenant_id, schedule_id)
        raise MailNotConfigured("E-mail is not set up on this server (SMTP_HOST is empty).")
    outcome = await send_schedule(db, settings, tenant_id, schedule_id)
    if not outcome.delivered:
        raise ReportNotSent(outcome.error or "The report was not sent.")
    async with db.session(tenant_id=tenant_id) as session:
        return await get_schedule(session, tenant_id, schedule_id)


@dataclass(frozen=True, slots=True)
class Claimed:
    tenant_id: uuid.UUID
    schedule_id: uuid.UUID


async def claim_due(db: Database, *, now: datetime | None = None, limit: int = CLAIM_BATCH) -> list[Claimed]:
    """Move every due schedule's next run forward and return the ones this call moved: a
    compare-and-set on the old `next_run_at`, so a concurrent claimer gets none of them."""
    now = now or utcnow()
    claimed: list[Claimed] = []
    async with db.session() as session:  # across tenants: each row names its own
        due = (
            await session.execute(
                select(
                    ReportSchedule.id,
                    ReportSchedule.tenant_id,
                    ReportSchedule.kind,
                    ReportSchedule.next_run_at,
                )
                .where(ReportSchedule.is_active.is_(True), ReportSchedule.next_run_at <= now)
                .order_by(ReportSchedule.next_run_at, ReportSchedule.id)
                .limit(limit)
            )
        ).all()
        timezones: dict[uuid.UUID, str] = {}
        for schedule_id, tenant_id, kind, due_at in due:
            if tenant_id not in timezones:
                timezones[tenant_id] = await service.tenant_timezone(session, tenant_id)
            moved = await session.execute(
                update(ReportSchedule)
                .where(ReportSchedule.id == schedule_id, ReportSchedule.next_run_at == due_at)
                .values(next_run_at=next_run_after(kind, timezones[tenant_id], now))
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(Claimed(tenant_id, schedule_id))
    return claimed


async def send_due(db: Database, settings: Settings, *, now: datetime | None = None) -> list[SendOutcome]:
    """Claim and send every due report (what the scheduled workflow does, in one call)."""
    outcomes = []
    for item in await claim_due(db, now=now):
        try:
            outcomes.append(await send_schedule(db, settings, item.tenant_id, item.schedule_id, now=now))
        except ResourceNotFound:
            continue  # deleted between the claim and the send
    return outcomes


# --- durable schedule -------------------------------------------------------------------------------


@DBOS.step()
async def claim_due_reports() -> list[list[str]]:
    claimed = await claim_due(process_object("db"))
    return [[str(item.tenant_id), str(item.schedule_id)] for item in claimed]


@DBOS.step()
async def send_claimed_report(tenant_id: str, schedule_id: str) -> str | None:
    try:
        outcome = await send_schedule(
            process_object("db"), process_object("settings"), uuid.UUID(tenant_id), uuid.UUID(schedule_id)
        )
    except ResourceNotFound:
        return "deleted"
    return outcome.error


@DBOS.workflow()
async def scheduled_reports(scheduled_at: datetime, _context: Any) -> None:
    """Each claimed report is its own step: after a crash, recovery sends only the unsent ones."""
    for tenant_id, schedule_id in await claim_due_reports():
        await send_claimed_report(tenant_id, schedule_id)


declare_schedule(
    ScheduleSpec(name="foundry-scheduled-reports", cron="0 */10 * * * *", workflow=scheduled_reports)
)
