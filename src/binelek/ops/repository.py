"""Tenant-scoped queries of Ops Copilot: tasks and their dependencies, suggestions, e-mail."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, delete, exists, func, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.connectors.models import Connection, Customer, Order
from binelek.identity.models import Membership, Tenant, User
from binelek.kit.db import padded
from binelek.kit.pagination import PageParams, paginate
from binelek.kit.repository import TenantRepository
from binelek.ops.models import EmailTemplate, OutgoingEmail, Task, TaskDependency, TaskSuggestion

CLOSED_STATUSES = ("done", "cancelled")
PRIORITY_RANK = {"low": 1, "medium": 2, "high": 3, "urgent": 4}
DEFAULT_DIRECTION = {
    "due_at": "asc",
    "priority": "desc",  # urgent first
    "created_at": "desc",
    "updated_at": "desc",
    "position": "asc",
}


@dataclass(frozen=True, slots=True)
class TaskFilters:
    statuses: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    assignee_id: uuid.UUID | None = None
    unassigned: bool = False
    due_before: datetime | None = None
    due_after: datetime | None = None
    tag: str | None = None
    category: str | None = None
    parent_id: uuid.UUID | None = None
    top_level: bool = False  # only tasks without a parent
    text: str | None = None
    overdue_at: datetime | None = None  # only open tasks due before this moment
    sort: str = "created_at"
    direction: str | None = None  # None: the sort's natural direction


@dataclass(slots=True)
class TaskFacts:
    """What a task's answer says beyond its own row."""

    blocked_by: list[uuid.UUID] = field(default_factory=list)
    open_blockers: int = 0
    subtasks_total: int = 0
    subtasks_done: int = 0


def priority_rank() -> ColumnElement[int]:
    return case(PRIORITY_RANK, value=Task.priority, else_=0)


class TaskRepository(TenantRepository[Task]):
    model = Task
    not_found_message = "The task does not exist."

    def _filtered(self, filters: TaskFilters) -> Select[Any]:
        statement = self.select()
        if filters.statuses:
            statement = statement.where(Task.status.in_(filters.statuses))
        if filters.priorities:
            statement = statement.where(Task.priority.in_(filters.priorities))
        if filters.unassigned:
            statement = statement.where(Task.assignee_id.is_(None))
        elif filters.assignee_id is not None:
            statement = statement.where(Task.assignee_id == filters.assignee_id)
        if filters.due_before is not None:
            statement = statement.where(Task.due_at < filters.due_before)
        if filters.due_after is not None:
            statement = statement.where(Task.due_at >= filters.due_after)
        if filters.category is not None:
            statement = statement.where(func.lower(Task.category) == filters.category.lower())
        if filters.top_level:
            statement = statement.where(Task.parent_id.is_(None))
        elif filters.parent_id is not None:
            statement = statement.where(Task.parent_id == filters.parent_id)
        if filters.text:
            needle = filters.text.lower()
            statement = statement.where(
                or_(
                    func.lower(Task.title).contains(needle, autoescape=True),
                    func.lower(func.coalesce(Task.description, "")).contains(needle, autoescape=True),
                )
            )
        if filters.overdue_at is not None:
            statement = statement.where(Task.due_at < filters.overdue_at, Task.status.not_in(CLOSED_STATUSES))
        if filters.tag:
            statement = statement.where(self._has_tag(filters.tag))
        return statement

    def _has_tag(self, tag: str) -> ColumnElement[bool]:
        """Tags are a JSON list, walked with the dialect's JSON table function; compared without case."""
        walk = (
            func.jsonb_array_elements_text
            if self.session.get_bind().dialect.name == "postgresql"
            else func.json_each
        )
        each = walk(Task.tags).table_valued("value").alias("tag_values")
        return exists(select(literal(1)).select_from(each).where(func.lower(each.c.value) == tag.lower()))

    def _ordered(self, statement: Select[Any], filters: TaskFilters) -> Select[Any]:
        direction = filters.direction or DEFAULT_DIRECTION[filters.sort]
        key: Any = priority_rank() if filters.sort == "priority" else getattr(Task, filters.sort)
        ordered = key.asc() if direction == "asc" else key.desc()
        if filters.sort == "due_at":
            ordered = ordered.nulls_last()  # no date says nothing about urgency, in either direction
        return statement.order_by(ordered, Task.created_at.desc(), Task.id)

    async def page_of(self, filters: TaskFilters, params: PageParams) -> tuple[list[Task], int]:
        return await paginate(self.session, self._ordered(self._filtered(filters), filters), params)

    async def matching(self, filters: TaskFilters, limit: int) -> list[Task]:
        statement = self._ordered(self._filtered(filters), filters).limit(limit)
        return list((await self.session.execute(statement)).scalars())

    async def by_ids(self, ids: Collection[uuid.UUID]) -> list[Task]:
        if not ids:
            return []
        return list((await self.session.execute(self.select().where(Task.id.in_(list(ids))))).scalars())

    async def open_tasks(self, limit: int) -> list[Task]:
        statement = (
            self.select().where(Task.status.not_in(CLOSED_STATUSES)).order_by(Task.created_at).limit(limit)
        )
        return list((await self.session.execute(statement)).scalars())

    async def facts(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, TaskFacts]:
        """Blockers and subtask counts of many tasks in two queries."""
        result = {task_id: TaskFacts() for task_id in ids}
        if not ids:
            return result
        blocker = Task.__table__.alias("blocker")
        blockers = await self.session.execute(
            select(TaskDependency.task_id, TaskDependency.blocked_by_id, blocker.c.status)
            .join(blocker, blocker.c.id == TaskDependency.blocked_by_id)
            .where(TaskDependency.tenant_id == self.tenant_id, TaskDependency.task_id.in_(padded(ids)))
            .order_by(TaskDependency.task_id, TaskDependency.blocked_by_id)
        )
        for task_id, blocked_by_id, status in blockers:
            facts = result[task_id]
            facts.blocked_by.append(blocked_by_id)
            facts.open_blockers += status not in CLOSED_STATUSES
        subtasks = await self.session.execute(
            select(
                Task.parent_id,
                func.count(),
                func.sum(case((Task.status == "done", 1), else_=0)),
            )
            .where(Task.tenant_id == self.tenant_id, Task.parent_id.in_(padded(ids)))
            .group_by(Task.parent_id)
        )
        for parent_id, total, done in subtasks:
            result[parent_id].subtasks_total = int(total)
            result[parent_id].subtasks_done = int(done or 0)
        return result

    async def parent_of(self, task_id: uuid.UUID) -> uuid.UUID | None:
        statement = select(Task.parent_id).where(Task.tenant_id == self.tenant_id, Task.id == task_id)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def existing_ids(self, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        if not ids:
            return set()
        statement = select(Task.id).where(Task.tenant_id == self.tenant_id, Task.id.in_(list(ids)))
        return set((await self.session.execute(statement)).scalars())

    async def blockers_of(self, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, set[uuid.UUID]]:
        """task id -> the ids it waits for, for each of `ids` that waits for something."""
        if not ids:
            return {}
        rows = await self.session.execute(
            select(TaskDependency.task_id, TaskDependency.blocked_by_id).where(
                TaskDependency.tenant_id == self.tenant_id, TaskDependency.task_id.in_(padded(ids))
            )
        )
        found: dict[uuid.UUID, set[uuid.UUID]] = {}
        for task_id, blocked_by_id in rows:
            found.setdefault(task_id, set()).add(blocked_by_id)
        return found

    async def dependencies(self) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """Every (task, blocked_by) pair of the tenant."""
        rows = await self.session.execute(
            select(TaskDependency.task_id, TaskDependency.blocked_by_id).where(
                TaskDependency.tenant_id == self.tenant_id
            )
        )
        return [(row[0], row[1]) for row in rows]

    async def set_blockers(self, task_id: uuid.UUID, blocker_ids: Collection[uuid.UUID]) -> None:
        await self.session.execute(
            delete(TaskDependency).where(
                TaskDependency.tenant_id == self.tenant_id, TaskDependency.task_id == task_id
            )
        )
        self.add_blockers(task_id, blocker_ids)

    def add_blockers(self, task_id: uuid.UUID, blocker_ids: Collection[uuid.UUID]) -> None:
        for blocked_by_id in blocker_ids:
            self.session.add(
                TaskDependency(tenant_id=self.tenant_id, task_id=task_id, blocked_by_id=blocked_by_id)
            )

    async def has_subtasks(self, task_id: uuid.UUID) -> bool:
        statement = select(exists().where(Task.tenant_id == self.tenant_id, Task.parent_id == task_id))
        return bool((await self.session.execute(statement)).scalar())

    async def manual_since(self, since: datetime, limit: int) -> list[Task]:
        statement = (
            self.select()
            .where(Task.source == "manual", Task.created_at >= since)
            .order_by(Task.created_at)
            .limit(limit)
        )
        return list((await self.session.execute(statement)).scalars())


# -- members -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Member:
    user_id: uuid.UUID
    full_name: str
    email: str


async def members(session: AsyncSession, tenant_id: uuid.UUID) -> list[Member]:
    statement = (
        select(User.id, User.full_name, User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant_id, User.is_active.is_(True))
        .order_by(User.full_name)
    )
    return [Member(row[0], row[1], row[2]) for row in await session.execute(statement)]


async def is_member(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    statement = select(exists().where(Membership.tenant_id == tenant_id, Membership.user_id == user_id))
    return bool((await session.execute(statement)).scalar())


async def user_name(session: AsyncSession, user_id: uuid.UUID) -> str | None:
    return (await session.execute(select(User.full_name).where(User.id == user_id))).scalar_one_or_none()


async def tenant_name(session: AsyncSession, tenant_id: uuid.UUID) -> str | None:
    return (await session.execute(select(Tenant.name).where(Tenant.id == tenant_id))).scalar_one_or_none()


# -- customers -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CustomerValue:
    customer_id: uuid.UUID
    name: str
    revenue: Decimal
    orders: int
    rank: int  # 1 is the customer who spent the most
    customers: int  # how many customers have bought at all
    currency: str | None  # None when their orders are in several currencies


async def customer_values(
    session: AsyncSession, tenant_id: uuid.UUID, customer_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, CustomerValue]:
    """Lifetime revenue (orders not cancelled) of the given customers, with their rank among every
    customer of the tenant who has ordered."""
    if not customer_ids:
        return {}
    totals = (
        select(
            Order.customer_id.label("customer_id"),
            func.sum(Order.total).label("revenue"),
            func.count().label("orders"),
            func.min(Order.currency).label("low_currency"),
            func.max(Order.currency).label("high_currency"),
        )
        .where(Order.tenant_id == tenant_id, Order.customer_id.is_not(None), Order.status != "cancelled")
        .group_by(Order.customer_id)
        .subquery()
    )
    ranked = select(
        totals,
        func.rank().over(order_by=totals.c.revenue.desc()).label("rank"),
        func.count().over().label("customers"),
    ).subquery()
    rows = await session.execute(
        select(ranked, Customer.name)
        .join(Customer, Customer.id == ranked.c.customer_id)
        .where(ranked.c.customer_id.in_(list(customer_ids)), Customer.tenant_id == tenant_id)
    )
    values: dict[uuid.UUID, CustomerValue] = {}
    for row in rows.mappings():
        single = row["low_currency"] == row["high_currency"]
        values[row["customer_id"]] = CustomerValue(
            customer_id=row["customer_id"],
            name=row["name"],
            revenue=Decimal(row["revenue"] or 0),
            orders=int(row["orders"]),
            rank=int(row["rank"]),
            customers=int(row["customers"]),
            currency=row["low_currency"] if single else None,
        )
    return values


# -- suggestions ---------------------------------------------------------------------------------------


class SuggestionRepository(TenantRepository[TaskSuggestion]):
    model = TaskSuggestion
    not_found_message = "The suggestion does not exist."

    async def by_fingerprint(self, fingerprints: Collection[str]) -> dict[str, TaskSuggestion]:
        if not fingerprints:
            return {}
        statement = self.select().where(TaskSuggestion.fingerprint.in_(list(fingerprints)))
        return {s.fingerprint: s for s in (await self.session.execute(statement)).scalars()}

    async def open_in_scope(self, task_id: uuid.UUID | None, kinds: Collection[str]) -> list[TaskSuggestion]:
        statement = self.select().where(TaskSuggestion.status == "open", TaskSuggestion.kind.in_(list(kinds)))
        if task_id is not None:
            statement = statement.where(TaskSuggestion.task_id == task_id)
        return list((await self.session.execute(statement)).scalars())

    async def insert_new(self, rows: list[dict[str, Any]]) -> None:
        """Insert proposals; one another request inserted meanwhile (same fingerprint) is left as is."""
        if not rows:
            return
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(TaskSuggestion).values(
            [{**row, "tenant_id": self.tenant_id, "id": uuid.uuid4()} for row in rows]
        )
        await self.session.execute(
            statement.on_conflict_do_nothing(index_elements=["tenant_id", "fingerprint"])
        )

    async def remove(self, ids: Collection[uuid.UUID]) -> None:
        if ids:
            await self.session.execute(
                delete(TaskSuggestion).where(
                    TaskSuggestion.tenant_id == self.tenant_id, TaskSuggestion.id.in_(list(ids))
                )
            )

    def open_statement(self, task_id: uuid.UUID | None = None, kind: str | None = None) -> Select[Any]:
        statement = self.select().where(TaskSuggestion.status == "open")
        if task_id is not None:
            statement = statement.where(TaskSuggestion.task_id == task_id)
        if kind is not None:
            statement = statement.where(TaskSuggestion.kind == kind)
        kind_order = case(
            {"next_action": 0, "priority": 1, "due_date": 2, "subtasks": 3, "automation": 4},
            value=TaskSuggestion.kind,
            else_=5,
        )
        return statement.order_by(kind_order, TaskSuggestion.created_at, TaskSuggestion.id)


# -- e-mail --------------------------------------------------------------------------------------------


class TemplateRepository(TenantRepository[EmailTemplate]):
    model = EmailTemplate
    not_found_message = "The e-mail template does not exist."

    async def named(self, name: str, *, other_than: uuid.UUID | None = None) -> EmailTemplate | None:
        statement = self.select().where(func.lower(EmailTemplate.name) == name.lower())
        if other_than is not None:
            statement = statement.where(EmailTemplate.id != other_than)
        return (await self.session.execute(statement)).scalars().first()

    def listing(self) -> Select[Any]:
        return self.select().order_by(EmailTemplate.name, EmailTemplate.id)


class OutgoingRepository(TenantRepository[OutgoingEmail]):
    model = OutgoingEmail
    not_found_message = "The message does not exist."

    async def by_key(self, key: str) -> OutgoingEmail | None:
        statement = self.select().where(OutgoingEmail.idempotency_key == key)
        return (await self.session.execute(statement)).scalar_one_or_none()

    def recent(self, status: str | None = None) -> Select[Any]:
        statement = self.select()
        if status is not None:
            statement = statement.where(OutgoingEmail.status == status)
        return statement.order_by(OutgoingEmail.created_at.desc(), OutgoingEmail.id)


async def mail_connections(session: AsyncSession, tenant_id: uuid.UUID) -> list[Connection]:
    """The tenant's active mailbox connections, newest first."""
    statement = (
        select(Connection)
        .where(
            and_(
                Connection.tenant_id == tenant_id,
                Connection.type.in_(("gmail", "outlook")),
                Connection.status == "active",
            )
        )
        .order_by(Connection.created_at.desc())
    )
    return list((await session.execute(statement)).scalars())
