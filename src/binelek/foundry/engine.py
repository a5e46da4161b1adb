"""The query engine: a semantic query becomes one SQL statement per entity its metrics touch, grouped
by the requested dimensions; the rows are joined on the dimension values and each metric's formula
is evaluated per row. Totals, the comparison period and drill-down reuse the same pieces.
"""

from __future__ import annotations

import ast
import calendar
import json
import operator
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, bindparam, func, literal_column, not_, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from binelek.foundry import entities, semantic
from binelek.foundry.entities import Clock, Entity
from binelek.foundry.schemas import (
    ColumnOut,
    ComparisonOut,
    DrillDownIn,
    DrillDownOut,
    Filter,
    RangeOut,
    SemanticQuery,
    TimeRange,
)
from binelek.kit.errors import ProblemError

POSTGRESQL = postgresql.dialect()  # type: ignore[no-untyped-call]
SQLITE = sqlite.dialect()
JIT_OFF = "foundry_jit_off"
MONTH_DAYS = 30.4375
GRAIN_MONTHS = {"day": 1 / MONTH_DAYS, "week": 7 / MONTH_DAYS, "month": 1.0, "quarter": 3.0, "year": 12.0}
MAX_FILLED_BUCKETS = 1500


class QueryInvalid(ProblemError):
    status, code = 422, "QUERY_INVALID"


# --- periods -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResolvedRange:
    start: datetime | None  # UTC, inclusive
    end: datetime | None  # UTC, exclusive
    out: RangeOut  # local dates, both inclusive

    @property
    def days(self) -> int | None:
        if self.out.start is None or self.out.end is None:
            return None
        return (self.out.end - self.out.start).days + 1


def _quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def _add_months(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def preset_dates(preset: str, today: date) -> tuple[date | None, date | None]:
    """(first day, last day), both inclusive, of a preset relative to `today`."""
    monday = today - timedelta(days=today.weekday())
    month_start = today.replace(day=1)
    quarter_start = _quarter_start(today)
    ranges: dict[str, tuple[date | None, date | None]] = {
        "today": (today, today),
        "yesterday": (today - timedelta(days=1), today - timedelta(days=1)),
        "last_7_days": (today - timedelta(days=7), today - timedelta(days=1)),
        "last_30_days": (today - timedelta(days=30), today - timedelta(days=1)),
        "last_90_days": (today - timedelta(days=90), today - timedelta(days=1)),
        "this_week": (monday, today),
        "last_week": (monday - timedelta(days=7), monday - timedelta(days=1)),
        "this_month": (month_start, today),
        "last_month": (_add_months(month_start, -1), month_start - timedelta(days=1)),
        "this_quarter": (quarter_start, today),
        "last_quarter": (_add_months(quarter_start, -3), quarter_start - timedelta(days=1)),
        "this_year": (date(today.year, 1, 1), today),
        "year_to_date": (date(today.year, 1, 1), today),
        "last_year": (date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
        "last_12_months": (_add_months(month_start, -12), month_start - timedelta(days=1)),
        "all_time": (None, None),
    }
    return ranges[preset]


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_midnight(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone(timezone)).astimezone(UTC)


def range_of_dates(first: date | None, last: date | None, timezone: str) -> ResolvedRange:
    start = local_midnight(first, timezone) if first is not None else None
    end = local_midnight(last + timedelta(days=1), timezone) if last is not None else None
    return ResolvedRange(start, end, RangeOut(start=first, end=last))


def resolve_range(time_range: TimeRange | None, timezone: str, now: datetime) -> ResolvedRange:
    if time_range is None:
        return range_of_dates(None, None, timezone)
    if time_range.preset is not None:
        today = now.astimezone(zone(timezone)).date()
        first, last = preset_dates(time_range.preset, today)
        return range_of_dates(first, last, timezone)
    return range_of_dates(time_range.start, time_range.end, timezone)


def shifted(period: ResolvedRange, kind: str, timezone: str) -> ResolvedRange | None:
    """The comparison period: the same number of days just before, or the same dates a year earlier."""
    first, last = period.out.start, period.out.end
    if first is None or last is None:
        return None
    if kind == "previous_year":
        return range_of_dates(_add_months(first, -12), _add_months(last, -12), timezone)
    # A whole calendar month, quarter or year compares with the previous one, not with a day count.
    if first.day == 1 and (last + timedelta(days=1)).day == 1:
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        previous_first = _add_months(first, -months)
        return range_of_dates(previous_first, first - timedelta(days=1), timezone)
    length = (last - first).days + 1
    return range_of_dates(first - timedelta(days=length), first - timedelta(days=1), timezone)


# --- formulas ------------------------------------------------------------------------------------

_OPERATORS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
MONTHS_VARIABLE = "months"


@lru_cache(maxsize=512)
def parse_formula(formula: str) -> ast.expr:
    try:
        tree = ast.parse(formula, mode="eval")
    except SyntaxError as error:
        raise QueryInvalid(f"The formula is not valid: {error.msg}.") from None
    for node in ast.walk(tree.body):
        allowed = isinstance(
            node,
            ast.BinOp | ast.UnaryOp | ast.Name | ast.Constant | ast.Load | ast.operator | ast.unaryop,
        )
        if not allowed or (isinstance(node, ast.Constant) and not isinstance(node.value, int | float)):
            raise QueryInvalid("A formula may use measures, numbers, + - * / and parentheses only.")
        if isinstance(node, ast.BinOp) and type(node.op) not in _OPERATORS:
            raise QueryInvalid("A formula may use + - * / only.")
        if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.USub | ast.UAdd):
            raise QueryInvalid("A formula may use + - * / only.")
    return tree.body


def formula_names(formula: str) -> list[str]:
    names: list[str] = []
    for node in ast.walk(parse_formula(formula)):
        if isinstance(node, ast.Name) and node.id not in names:
            names.append(node.id)
    return names


def evaluate(node: ast.expr, values: dict[str, float]) -> float | None:
    """The formula's value; None where it divides by zero (a rate with nothing to divide)."""
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, int | float)  # parse_formula admits nothing else
        return float(node.value)
    if isinstance(node, ast.Name):
        return values.get(node.id, 0.0)
    if isinstance(node, ast.UnaryOp):
        operand = evaluate(node.operand, values)
        return None if operand is None else (-operand if isinstance(node.op, ast.USub) else operand)
    assert isinstance(node, ast.BinOp)
    left, right = evaluate(node.left, values), evaluate(node.right, values)
    if left is None or right is None:
        return None
    if isinstance(node.op, ast.Div) and right == 0:
        return None
    return _OPERATORS[type(node.op)](left, right)


# --- metric resolution ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResolvedMetric:
    name: str
    label: str
    format: str
    formula: str
    snapshot: bool
    filters: tuple[Filter, ...]
    entity: str
    higher_is_better: bool = True


@dataclass(frozen=True, slots=True)
class MeasureGroup:
    """Measures read by one statement: same entity, same extra filters, same period handling."""

    entity: str
    filters_key: str  # the filters, as JSON: pydantic filters are not hashable
    snapshot: bool
    filters: tuple[Filter, ...] = field(default=(), compare=False, hash=False)


@dataclass(slots=True)
class Plan:
    metrics: list[ResolvedMetric]
    groups: dict[MeasureGroup, list[str]] = field(default_factory=dict)
    # metric name → measure name → (group, measure): where each formula variable comes from
    sources: dict[str, dict[str, tuple[MeasureGroup, str]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def filters_key(filters: Sequence[Filter]) -> str:
    return json.dumps([item.model_dump(mode="json") for item in filters], sort_keys=True)


def plan_query(
    query: SemanticQuery,
    custom: dict[str, ResolvedMetric],
) -> Plan:
    item_level = semantic.is_item_level(query.dimensions + [f.dimension for f in query.filters])
    for name in query.dimensions:
        if name not in semantic.DIMENSIONS:
            raise QueryInvalid(f"Unknown dimension {name!r}.", cause="unknown_dimension")
    for filter_ in query.filters:
        if filter_.dimension not in semantic.DIMENSIONS:
            raise QueryInvalid(f"Unknown filter dimension {filter_.dimension!r}.")
    plan = Plan(metrics=[])
    for name in query.metrics:
        metric = resolve_metric(name, custom, item_level)
        plan.metrics.append(metric)
        variables = formula_names(metric.formula)
        plan.sources[metric.name] = {}
        for variable in variables:
            if variable == MONTHS_VARIABLE:
                continue
            measure = semantic.MEASURES.get(variable)
            if measure is None:
                raise QueryInvalid(f"The formula of {metric.label!r} uses an unknown measure {variable!r}.")
            group = MeasureGroup(measure.entity, filters_key(metric.filters), metric.snapshot, metric.filters)
            names = plan.groups.setdefault(group, [])
            if variable not in names:
                names.append(variable)
            plan.sources[metric.name][variable] = (group, variable)
    _widen(plan)
    for group in plan.groups:
        available = set(semantic.entity_dimensions(group.entity))
        for dimension in query.dimensions:
            if dimension not in available:
                raise QueryInvalid(
                    f"{_entity_label(group.entity)} can't be broken down by "
                    f"{semantic.DIMENSIONS[dimension].label.lower()}.",
                    cause="dimension_not_available",
                )
        for filter_ in (*query.filters, *group.filters):
            if filter_.dimension not in available:
                note = (
                    f"The {semantic.DIMENSIONS[filter_.dimension].label.lower()} filter does not apply "
                    f"to {_entity_label(group.entity).lower()}."
                )
                if note not in plan.notes:
                    plan.notes.append(note)
    if item_level and any(
        name in semantic.METRICS and semantic.METRICS[name].item_formula for name in query.metrics
    ):
        plan.notes.append("By product or category, revenue is product sales (line totals).")
    return plan


def _widen(plan: Plan) -> None:
    """Read every cheap measure of an entity along with the requested ones: a dashboard's widgets then
    ask identical statements (revenue by day, orders by day, average order value by day are one
    statement) and the request's memo answers all but the first."""
    for group, names in plan.groups.items():
        for name, measure in semantic.MEASURES.items():
            if measure.entity == group.entity and measure.cheap and name not in names:
                names.append(name)
        names.sort()


def _entity_label(entity: str) -> str:
    return entity.replace("_", " ").capitalize()


def resolve_metric(name: str, custom: dict[str, ResolvedMetric], item_level: bool) -> ResolvedMetric:
    builtin = semantic.METRICS.get(name)
    if builtin is not None:
        formula = builtin.item_formula if item_level and builtin.item_formula else builtin.formula
        entity = "order_items" if item_level and builtin.item_formula else builtin.entity
        return ResolvedMetric(
            builtin.name,
            builtin.label,
            builtin.format,
            formula,
            builtin.snapshot,
            (),
            entity,
            builtin.higher_is_better,
        )
    if name in custom:
        return custom[name]
    raise QueryInvalid(f"Unknown metric {name!r}.", cause="unknown_metric")


# --- SQL -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class Context:
    dialect: str
    timezone: str
    tenant_id: uuid.UUID
    now: datetime
    # Rows of statements already run for this request, by their SQL: dashboards repeat themselves
    # (a KPI's sparkline and a line chart of the same metric are one statement).
    memo: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def clock(self) -> Clock:
        today = self.now.astimezone(zone(self.timezone)).date()
        return Clock(bindparam("now", self.now), bindparam("today", today))

    def params(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "now": self.now,
            "today": self.now.astimezone(zone(self.timezone)).date(),
        }


def dimension_expr(entity: Entity, name: str, ctx: Context) -> ColumnElement[Any]:
    if name.startswith("date."):
        grain = name.split(".", 1)[1]
        return entities.time_bucket(entity.time, grain, ctx.dialect, ctx.timezone, entity.time_is_date)
    if name == "weekday":
        return entities.weekday_number(entity.time, ctx.dialect, ctx.timezone, entity.time_is_date)
    if name == "hour":
        return entities.hour_of_day(entity.time, ctx.dialect, ctx.timezone)
    return entity.dimensions[name]


def _filter_clause(entity: Entity, filter_: Filter, ctx: Context) -> ColumnElement[bool]:
    dimension = semantic.DIMENSIONS[filter_.dimension]
    expr = dimension_expr(entity, filter_.dimension, ctx)
    values: list[Any] = list(filter_.values)
    if dimension.type == "string" and filter_.dimension != "weekday":
        expr = func.lower(expr)
        values = [str(value).lower() for value in values]
    elif filter_.dimension == "weekday":
        values = [_weekday_number(value) for value in values]
    elif dimension.type == "time":
        values = [_as_date(value, ctx.dialect) for value in values]
    op = filter_.op
    if op in ("eq", "in"):
        return expr.in_(values)
    if op in ("neq", "not_in"):
        return or_(expr.is_(None), not_(expr.in_(values)))
    if op == "contains":
        return or_(*(expr.contains(str(value), autoescape=True) for value in values))
    compare = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}[op]
    return compare(expr, values[0])  # type: ignore[no-any-return]


def _weekday_number(value: Any) -> int:
    text = str(value).strip().lower()
    for number, name in enumerate(entities.WEEKDAYS, start=1):
        if name.lower().startswith(text[:3]):
            return number
    raise QueryInvalid(f"{value!r} is not a day of the week.")


def _as_date(value: Any, dialect: str) -> Any:
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        raise QueryInvalid(f"{value!r} is not a date (YYYY-MM-DD).") from None
    return day if dialect == "postgresql" else day.isoformat()


def _aggregate(entity: Entity, measure: semantic.Measure) -> ColumnElement[Any]:
    condition = entity.conditions[measure.where] if measure.where else None
    if measure.aggregate == "count":
        return func.count(entities.then(condition, literal_column("1")))
    column = entity.columns[measure.column or ""]
    if measure.aggregate == "count_distinct":
        return func.count(entities.then(condition, column).distinct())
    return func.sum(entities.then(condition, column))


def measure_statement(
    group: MeasureGroup,
    measures: list[str],
    dimensions: list[str],
    filters: Sequence[Filter],
    period: ResolvedRange,
    ctx: Context,
) -> Select[Any]:
    entity = entities.build(group.entity, bindparam("tenant_id"), ctx.clock)
    dims = [dimension_expr(entity, name, ctx).label(f"d{index}") for index, name in enumerate(dimensions)]
    aggregates = [
        _aggregate(entity, semantic.MEASURES[name]).label(f"m{index}") for index, name in enumerate(measures)
    ]
    conditions: list[ColumnElement[bool]] = list(entity.where)
    if not group.snapshot:
        conditions.extend(_period_clauses(entity, period, ctx))
    available = set(semantic.entity_dimensions(group.entity))
    for filter_ in (*filters, *group.filters):
        if filter_.dimension in available:
            conditions.append(_filter_clause(entity, filter_, ctx))
    used = entities.tables_in(*dims, *aggregates, *conditions)
    source = entities.pruned(entity.source, used)
    statement = select(*dims, *aggregates).select_from(source).where(and_(*conditions))
    if dims:
        statement = statement.group_by(*[literal_column(f"d{index}") for index in range(len(dims))])
    return statement


def _period_clauses(entity: Entity, period: ResolvedRange, ctx: Context) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if entity.time_is_date:
        if period.out.start is not None:
            clauses.append(entity.time >= period.out.start)
        if period.out.end is not None:
            clauses.append(entity.time <= period.out.end)
        return clauses
    if period.start is not None:
        clauses.append(entity.time >= period.start)
    if period.end is not None:
        clauses.append(entity.time < period.end)
    return clauses


def render_sql(statement: Select[Any], ctx: Context) -> str:
    """The statement as it ran, for people to read: values inlined, the tenant left as a parameter."""
    dialect = POSTGRESQL if ctx.dialect == "postgresql" else SQLITE
    params = ctx.params()
    try:
        text = str(
            statement.params(**params).compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        )
    except Exception:  # a value without a literal form: show the placeholders instead
        return str(statement.compile(dialect=dialect))
    for form in (str(ctx.tenant_id), ctx.tenant_id.hex):
        text = text.replace(f"'{form}'", ":tenant_id")
    return text


# --- execution -----------------------------------------------------------------------------------

Key = tuple[Any, ...]


@dataclass(slots=True)
class Computed:
    rows: dict[Key, dict[str, float | None]]  # dimension values → metric → value
    sql: list[str]
    measured: dict[MeasureGroup, dict[Key, dict[str, float]]] = field(default_factory=dict)


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, Decimal):
        return float(value)
    return float(value)


def _dimension_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name.startswith("date."):
        return value.isoformat() if isinstance(value, date) else str(value)[:10]
    if name == "weekday":
        return entities.WEEKDAYS[int(value) - 1]
    if name == "hour":
        return int(value)
    return value


async def compute(
    session: AsyncSession,
    plan: Plan,
    dimensions: list[str],
    filters: Sequence[Filter],
    period: ResolvedRange,
    ctx: Context,
    reuse: dict[MeasureGroup, dict[Key, dict[str, float]]] | None = None,
) -> Computed:
    """Each measure group's statement (or `reuse`d measures), joined on the dimension values, with
    every metric's formula evaluated per row."""
    measured: dict[MeasureGroup, dict[Key, dict[str, float]]] = {}
    sql: list[str] = []
    for group, measures in plan.groups.items():
        if reuse is not None and group in reuse:
            measured[group] = reuse[group]
            continue
        statement = measure_statement(group, measures, dimensions, filters, period, ctx)
        rendered = render_sql(statement, ctx)
        sql.append(rendered)
        fetched = ctx.memo.get(rendered)
        if fetched is None:
            await _analytic_session(session, ctx)
            fetched = list((await session.execute(statement, ctx.params())).all())
            ctx.memo[rendered] = fetched
        per_key: dict[Key, dict[str, float]] = {}
        for row in fetched:
            key = tuple(_dimension_value(name, row[index]) for index, name in enumerate(dimensions))
            aggregates = row[len(dimensions) :]
            per_key[key] = {name: _number(aggregates[index]) for index, name in enumerate(measures)}
        measured[group] = per_key
    keys: dict[Key, None] = {}
    for per_key in measured.values():
        keys.update(dict.fromkeys(per_key))
    if not dimensions:
        keys = {(): None}
    months = _months(dimensions, period)
    rows: dict[Key, dict[str, float | None]] = {}
    for key in keys:
        values: dict[str, float | None] = {}
        for metric in plan.metrics:
            variables = {MONTHS_VARIABLE: months}
            for variable, (group, measure) in plan.sources[metric.name].items():
                variables[variable] = measured[group].get(key, {}).get(measure, 0.0)
            values[metric.name] = evaluate(parse_formula(metric.formula), variables)
        rows[key] = values
    return Computed(rows, sql, measured)


async def _analytic_session(session: AsyncSession, ctx: Context) -> None:
    """PostgreSQL's JIT compiles a report's aggregate in ~150-200 ms to save less than that: off for
    the rest of this transaction."""
    if ctx.dialect != "postgresql" or session.info.get(JIT_OFF):
        return
    await session.execute(text("SET LOCAL jit = off"))
    session.info[JIT_OFF] = True


def _additive(measures: list[str]) -> bool:
    return all(semantic.MEASURES[name].aggregate in ("sum", "count") for name in measures)


async def compute_totals(
    session: AsyncSession,
    plan: Plan,
    by_dimension: Computed,
    filters: Sequence[Filter],
    period: ResolvedRange,
    ctx: Context,
) -> Computed:
    """Each metric over the whole period. Sums and counts add up from the rows already read; only
    groups with distinct counts need a statement of their own."""
    reuse: dict[MeasureGroup, dict[Key, dict[str, float]]] = {}
    for group, measures in plan.groups.items():
        if not _additive(measures):
            continue
        summed = dict.fromkeys(measures, 0.0)
        for values in by_dimension.measured.get(group, {}).values():
            for name in measures:
                summed[name] += values.get(name, 0.0)
        reuse[group] = {(): summed}
    return await compute(session, plan, [], filters, period, ctx, reuse=reuse)


def _months(dimensions: list[str], period: ResolvedRange) -> float:
    """The period's length in months, for per-month metrics (MRR): calendar months when the period
    is made of whole months, else days over the mean month."""
    for name in dimensions:
        if name.startswith("date."):
            return GRAIN_MONTHS[name.split(".", 1)[1]]
    first, last = period.out.start, period.out.end
    if first is None or last is None:
        return 1.0
    if first.day == 1 and (last + timedelta(days=1)).day == 1:
        return float((last.year - first.year) * 12 + last.month - first.month + 1)
    return ((last - first).days + 1) / MONTH_DAYS


def bucket_starts(grain: str, period: ResolvedRange) -> list[str]:
    """Every bucket of the period, so a chart shows an empty day as zero, not as a gap."""
    first, last = period.out.start, period.out.end
    if first is None or last is None:
        return []
    if grain == "week":
        first = first - timedelta(days=first.weekday())
    elif grain == "month":
        first = first.replace(day=1)
    elif grain == "quarter":
        first = _quarter_start(first)
    elif grain == "year":
        first = date(first.year, 1, 1)
    starts: list[str] = []
    current = first
    while current <= last and len(starts) < MAX_FILLED_BUCKETS:
        starts.append(current.isoformat())
        if grain == "day":
            current += timedelta(days=1)
        elif grain == "week":
            current += timedelta(days=7)
        else:
            current = _add_months(current, {"month": 1, "quarter": 3, "year": 12}[grain])
    return starts


def fill_time_buckets(computed: Computed, dimensions: list[str], plan: Plan, period: ResolvedRange) -> None:
    if len(dimensions) != 1 or not dimensions[0].startswith("date."):
        return
    grain = dimensions[0].split(".", 1)[1]
    additive = {metric.name for metric in plan.metrics if metric.format in ("money", "integer", "number")}
    for start in bucket_starts(grain, period):
        if (start,) not in computed.rows:
            computed.rows[(start,)] = {
                metric.name: (0.0 if metric.name in additive else None) for metric in plan.metrics
            }


def ordered_rows(
    computed: Computed,
    query: SemanticQuery,
    plan: Plan,
) -> list[list[Any]]:
    dimensions = query.dimensions
    metric_names = [metric.name for metric in plan.metrics]
    rows = [[*key, *(values[name] for name in metric_names)] for key, values in computed.rows.items()]
    fields = [*dimensions, *metric_names]
    if query.order_by:
        for order in reversed(query.order_by):
            if order.field not in fields:
                raise QueryInvalid(f"Cannot order by {order.field!r}: it is not in the query.")
            index = fields.index(order.field)
            rows.sort(key=lambda row: _sort_key(row[index]), reverse=order.direction == "desc")
        return rows
    time_index = next(
        (i for i, name in enumerate(dimensions) if name.startswith("date.") or name in ("weekday", "hour")),
        None,
    )
    if time_index is not None:
        if dimensions[time_index] == "weekday":
            rows.sort(key=lambda row: entities.WEEKDAYS.index(row[time_index]) if row[time_index] else 9)
        else:
            rows.sort(key=lambda row: _sort_key(row[time_index]))
        return rows
    if dimensions and metric_names:
        first_metric = len(dimensions)
        rows.sort(key=lambda row: _sort_key(row[first_metric]), reverse=True)
    return rows


def _sort_key(value: Any) -> tuple[int, Any]:
    # None last in ascending order; numbers and strings never compared with each other in one column.
    return (1, 0) if value is None else (0, value)


def columns_of(query: SemanticQuery, plan: Plan) -> list[ColumnOut]:
    columns = [
        ColumnOut(
            name=name,
            label=semantic.DIMENSIONS[name].label,
            type=semantic.DIMENSIONS[name].type,
            kind="dimension",
        )
        for name in query.dimensions
    ]
    columns.extend(
        ColumnOut(name=metric.name, label=metric.label, type=metric.format, kind="metric")
        for metric in plan.metrics
    )
    return columns


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def comparison_out(
    kind: str, period: ResolvedRange, rows: list[list[Any]], totals: dict[str, float | None]
) -> ComparisonOut:
    return ComparisonOut(kind=kind, range=period.out, rows=rows, totals=totals)


# --- drill-down ----------------------------------------------------------------------------------


async def drill_down(
    session: AsyncSession,
    request: DrillDownIn,
    metric: ResolvedMetric,
    ctx: Context,
) -> DrillDownOut:
    """The rows behind an aggregate: the metric's entity, with the same base filter, period and
    filters (the clicked dimension values arrive as filters)."""
    entity = entities.build(metric.entity, bindparam("tenant_id"), ctx.clock)
    period = resolve_range(request.time_range, ctx.timezone, ctx.now)
    conditions: list[ColumnElement[bool]] = list(entity.where)
    if not metric.snapshot:
        conditions.extend(_period_clauses(entity, period, ctx))
    available = set(semantic.entity_dimensions(metric.entity))
    for filter_ in (*request.filters, *metric.filters):
        if filter_.dimension not in semantic.DIMENSIONS:
            raise QueryInvalid(f"Unknown filter dimension {filter_.dimension!r}.")
        if filter_.dimension in available:
            conditions.append(_filter_clause(entity, filter_, ctx))
    condition = _drill_condition(metric, entity)
    if condition is not None:
        conditions.append(condition)
    where = and_(*conditions)
    total = (
        await session.execute(select(func.count()).select_from(entity.source).where(where), ctx.params())
    ).scalar_one()
    time_expr = entity.time
    statement = (
        select(*[expr.label(name) for name, expr, _ in entity.drill_columns])
        .select_from(entity.source)
        .where(where)
        .order_by(time_expr.desc())
        .offset(request.offset)
        .limit(request.limit)
    )
    result = await session.execute(statement, ctx.params())
    rows = [[_json_value(value) for value in row] for row in result.all()]
    columns = [
        ColumnOut(
            name=name, label=name.replace("_", " ").capitalize(), type=_drill_type(kind), kind="dimension"
        )
        for name, _, kind in entity.drill_columns
    ]
    return DrillDownOut(
        entity=metric.entity,
        columns=columns,
        rows=rows,
        total=int(total),
        offset=request.offset,
        limit=request.limit,
    )


def _drill_type(kind: str) -> Any:
    return "time" if kind in ("time", "date") else kind


def _drill_condition(metric: ResolvedMetric, entity: Entity) -> ColumnElement[bool] | None:
    """A metric counting only some rows (overdue invoices, won deals) drills into those rows."""
    wheres = {
        semantic.MEASURES[name].where
        for name in formula_names(metric.formula)
        if name in semantic.MEASURES and semantic.MEASURES[name].entity == entity.name
    }
    wheres.discard(None)
    if len(wheres) == 1:
        (where,) = wheres
        assert where is not None
        return entity.conditions[where]
    return None


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return (
            value.replace(tzinfo=UTC).isoformat()
            if value.tzinfo is None
            else value.astimezone(UTC).isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value
