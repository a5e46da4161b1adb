"""The guard between SQL a model wrote and the database: only one read-only SELECT over the tenant's
own business rows ever runs.

Everything works on sqlglot's syntax tree, never on the text, so comments, quoting, semicolons inside
strings and look-alike characters change nothing:

1. Parse (in the dialect the model was asked to write); exactly one statement, a SELECT or a UNION /
   INTERSECT / EXCEPT of SELECTs, optionally with (non-recursive) WITH.
2. Every node of the tree must be of an allow-listed kind (no INSERT/UPDATE/DDL/PRAGMA/INTO/FOR
   UPDATE/LATERAL/VALUES/parameters …); every function must be on the allow-list (aggregates, date
   and text helpers, window functions; not pg_sleep, pg_read_file, load_extension, current_setting,
   version() …); casts only to plain scalar types.
3. Every table must be one of the tenant business tables (no schema or catalog, so no pg_catalog,
   information_schema, sqlite_master) or a CTE visible where it is used; a CTE may not take a
   business table's name.
4. Every column must resolve (sqlglot's qualifier, against the allow-listed columns only) — tenant_id,
   provenance and bookkeeping columns do not exist as far as the model is concerned; `*` is expanded
   into the allow-listed columns.
5. The tenant predicate goes into the tree: every business-table reference, wherever it is (joins,
   subqueries, CTEs, set operations), becomes a derived table
   `(SELECT <allow-listed columns> FROM t WHERE t.tenant_id = :tenant_id OFFSET 0) AS <alias>`.
   Filtering inside the reference rather than in the enclosing WHERE keeps every join kind's meaning
   (LEFT, RIGHT, FULL, comma joins) and no OR in the model's WHERE can widen it; exposing only the
   allow-listed columns means a column the checks missed still does not exist. OFFSET 0 is an
   optimisation fence on both databases: the planner may not push the model's conditions below the
   tenant filter, so an expression that errors (1/0, a failing cast) never sees another tenant's row
   and cannot be used as an oracle.
6. LIMIT is added when missing and clamped when larger than allowed.

`execute_guarded` then runs it read-only with a time limit: PostgreSQL in a savepoint with
`SET TRANSACTION READ ONLY` and `SET LOCAL statement_timeout`, SQLite with `PRAGMA query_only` and a
progress handler that interrupts the statement at the deadline.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as time_of_day
from decimal import Decimal
from typing import Any, Literal

import sqlglot
import structlog
from sqlalchemy import Date, DateTime, Integer, Numeric, String, Table, Text, Uuid, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError, TokenError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from binelek.connectors.models import (
    Company,
    Contact,
    Customer,
    Deal,
    Invoice,
    Order,
    OrderItem,
    Payment,
    Product,
    Refund,
)
from binelek.kit.errors import SqlFailed, SqlRejected

log = structlog.get_logger(__name__)

Dialect = Literal["sqlite", "postgres"]

MAX_SQL_LENGTH = 20_000
DEFAULT_MAX_ROWS = 1000
DEFAULT_TIMEOUT_MS = 5000
TENANT_PARAM = "tenant_id"
# Provenance and bookkeeping: not business data, and tenant_id is the guard's business alone.
HIDDEN_COLUMNS = frozenset(
    {
        "tenant_id",
        "connection_id",
        "content_hash",
        "source_id",
        "source_updated_at",
        "created_at",
        "updated_at",
        "overdue_notified_at",
    }
)
_BUSINESS_MODELS = (Customer, Product, Order, OrderItem, Payment, Refund, Invoice, Contact, Company, Deal)
# SQLite runs this many virtual-machine instructions between two looks at the clock.
_PROGRESS_STEPS = 1000


@dataclass(frozen=True, slots=True)
class GuardedSql:
    """SQL ready for `sqlalchemy.text()`: `:tenant_id` is its only bind parameter (every other colon,
    e.g. in a string literal, is escaped), `params` holds the tenant in the database's own form."""

    sql: str
    params: dict[str, Any]

    @property
    def shown(self) -> str:
        """The SQL as people read it (the escapes that protect literal colons removed)."""
        return self.sql.replace("\\:", ":")


# ----------------------------------------------------------------------------------- allow-lists


def _sql_type(column_type: Any) -> str:
    if isinstance(column_type, Uuid):
        return "UUID"
    if isinstance(column_type, Numeric):
        return "DECIMAL"
    if isinstance(column_type, Integer):
        return "INT"
    if isinstance(column_type, DateTime):
        return "TIMESTAMP"
    if isinstance(column_type, Date):
        return "DATE"
    if isinstance(column_type, String | Text):
        return "TEXT"
    impl = getattr(column_type, "impl", None)  # a TypeDecorator (UTC datetimes)
    return _sql_type(impl) if impl is not None else "TEXT"


def _allowed_columns() -> dict[str, dict[str, str]]:
    tables: dict[str, dict[str, str]] = {}
    for model in _BUSINESS_MODELS:
        table = model.__table__
        assert isinstance(table, Table)
        columns = sorted(table.columns, key=lambda column: column.name != "id")  # the id first
        tables[table.name] = {
            column.name: _sql_type(column.type) for column in columns if column.name not in HIDDEN_COLUMNS
        }
    return tables


# table -> column -> type (UUID, DECIMAL, INT, TIMESTAMP, DATE, TEXT), in the table's column order.
ALLOWED_TABLES: dict[str, dict[str, str]] = _allowed_columns()

_STRUCTURE: frozenset[type[exp.Expression]] = frozenset(
    {
        exp.Select,
        exp.Union,
        exp.Intersect,
        exp.Except,
        exp.Subquery,
        exp.With,
        exp.CTE,
        exp.From,
        exp.Join,
        exp.Where,
        exp.Group,
        exp.Having,
        exp.Order,
        exp.Ordered,
        exp.Limit,
        exp.Offset,
        exp.Distinct,
        exp.Table,
        exp.TableAlias,
        exp.Alias,
        exp.Column,
        exp.Identifier,
        exp.Star,
        exp.Literal,
        exp.Boolean,
        exp.Null,
        exp.Var,
        exp.Interval,
        exp.DataType,
        exp.DataTypeParam,
        exp.Paren,
        exp.Tuple,
        exp.Window,
        exp.WindowSpec,
        exp.Filter,
        exp.WithinGroup,
        # operators
        exp.EQ,
        exp.NEQ,
        exp.GT,
        exp.GTE,
        exp.LT,
        exp.LTE,
        exp.NullSafeEQ,
        exp.NullSafeNEQ,
        exp.Is,
        exp.In,
        exp.Between,
        exp.Like,
        exp.ILike,
        exp.Not,
        exp.Neg,
        exp.Add,
        exp.Sub,
        exp.Mul,
        exp.Div,
        exp.IntDiv,
        exp.Mod,
        exp.DPipe,
        exp.Any,
        exp.All,
        exp.AtTimeZone,
    }
)

ALLOWED_FUNCTIONS: frozenset[type[exp.Expression]] = frozenset(
    {
        # logic and conditionals
        exp.And,
        exp.Or,
        exp.Exists,
        exp.Case,
        exp.If,
        exp.Coalesce,
        exp.Nullif,
        exp.Greatest,
        exp.Least,
        exp.Cast,
        exp.TryCast,
        # aggregates
        exp.Count,
        exp.CountIf,
        exp.Sum,
        exp.Avg,
        exp.Min,
        exp.Max,
        exp.Median,
        exp.Stddev,
        exp.StddevPop,
        exp.StddevSamp,
        exp.Variance,
        exp.VariancePop,
        exp.PercentileCont,
        exp.PercentileDisc,
        exp.GroupConcat,
        exp.AnyValue,
        exp.Collate,
        # windows
        exp.RowNumber,
        exp.Rank,
        exp.DenseRank,
        exp.PercentRank,
        exp.CumeDist,
        exp.Ntile,
        exp.NthValue,
        exp.Lag,
        exp.Lead,
        exp.FirstValue,
        exp.LastValue,
        # numbers
        exp.Abs,
        exp.Round,
        exp.Floor,
        exp.Ceil,
        exp.Sqrt,
        exp.Pow,
        exp.Ln,
        exp.Log,
        exp.Exp,
        exp.Sign,
        exp.SafeDivide,
        # text
        exp.Lower,
        exp.Upper,
        exp.Length,
        exp.Trim,
        exp.Substring,
        exp.Concat,
        exp.ConcatWs,
        exp.Left,
        exp.Right,
        exp.Initcap,
        exp.Replace,
        exp.StrPosition,
        # dates and times
        exp.DateTrunc,
        exp.TimestampTrunc,
        exp.TimeToStr,
        exp.StrToTime,
        exp.StrToDate,
        exp.TsOrDsToTimestamp,
        exp.TsOrDsToDate,
        exp.TimeStrToTime,
        exp.DateStrToDate,
        exp.Extract,
        exp.ToChar,
        exp.Date,
        exp.Datetime,
        exp.Time,
        exp.DateAdd,
        exp.DateSub,
        exp.DateDiff,
        exp.CurrentDate,
        exp.CurrentTimestamp,
        exp.CurrentTime,
        exp.Year,
        exp.Quarter,
        exp.Month,
        exp.Day,
        exp.DayOfWeek,
        exp.DayOfMonth,
        exp.DayOfYear,
        exp.WeekOfYear,
    }
)
# Functions sqlglot has no class for; the name is compared exactly (after lower-casing).
ALLOWED_FUNCTION_NAMES = frozenset(
    {"julianday", "unixepoch", "datetime", "date_part", "age", "to_date", "to_timestamp", "now", "total"}
)
ALLOWED_CAST_TYPES = frozenset(
    {
        exp.DataType.Type.TINYINT,
        exp.DataType.Type.SMALLINT,
        exp.DataType.Type.INT,
        exp.DataType.Type.BIGINT,
        exp.DataType.Type.DECIMAL,
        exp.DataType.Type.DOUBLE,
        exp.DataType.Type.FLOAT,
        exp.DataType.Type.TEXT,
        exp.DataType.Type.VARCHAR,
        exp.DataType.Type.CHAR,
        exp.DataType.Type.DATE,
        exp.DataType.Type.TIME,
        exp.DataType.Type.TIMESTAMP,
        exp.DataType.Type.TIMESTAMPTZ,
        exp.DataType.Type.BOOLEAN,
        exp.DataType.Type.INTERVAL,
    }
)
_STATEMENTS: tuple[type[exp.Expression], ...] = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Command,
    exp.Pragma,
    exp.Into,
    exp.Set,
    exp.Use,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Copy,
    exp.TruncateTable,
    exp.Describe,
    exp.Lock,
)


def schema_description() -> str:
    """The allow-listed tables and columns, one table a line, for a model's prompt."""
    return "\n".join(
        f"{table}({', '.join(f'{name} {kind}' for name, kind in columns.items())})"
        for table, columns in ALLOWED_TABLES.items()
    )


# ------------------------------------------------------------------------------------------ guard


def guard(
    sql: str,
    *,
    tenant_id: uuid.UUID,
    dialect: Dialect,
    max_rows: int = DEFAULT_MAX_ROWS,
    read: Dialect | None = None,
) -> GuardedSql:
    """Check `sql` and rewrite it to see only `tenant_id`'s rows, at most `max_rows` of them, in
    `dialect`. `read` is the dialect the SQL was written in (default: `dialect`, which the model is
    told to write). Raises SqlRejected, whose `reason` names the broken rule."""
    source = read or dialect
    try:
        statement = _checked(sql, source, max_rows)
    except SqlRejected:
        raise
    except Exception as error:  # fail closed: whatever could not be checked does not run
        log.warning("sql_guard_error", error=type(error).__name__)
        raise SqlRejected(
            "The SQL could not be checked, so it was not run.", reason="invalid_query"
        ) from None
    sentinel = f"binelek_tenant_{secrets.token_hex(8)}"
    _scope_to_tenant(statement, dialect, sentinel)
    rendered = statement.sql(dialect=_sqlglot_dialect(dialect), comments=False)
    # text() reads `:name` as a bind parameter anywhere, literals included: escape every colon, then
    # put in the one real parameter where the (unguessable) sentinel stands.
    executable = rendered.replace(":", "\\:").replace(sentinel, f":{TENANT_PARAM}")
    tenant_value: Any = tenant_id.hex if dialect == "sqlite" else tenant_id
    return GuardedSql(sql=executable, params={TENANT_PARAM: tenant_value})


def _checked(sql: str, dialect: Dialect, max_rows: int) -> exp.Expression:
    """The parsed statement, every rule checked, columns qualified and `*` expanded, LIMIT enforced."""
    statement = _parse_one(sql, dialect)
    _check_nodes(statement)
    _check_tables(statement, dialect)
    _enforce_limit(statement, max_rows)
    statement = _resolve_columns(statement, dialect)
    # Again on what qualifying made of it (aliases, expanded stars): nothing new may slip in.
    _check_nodes(statement)
    _check_tables(statement, dialect)
    return statement


def _sqlglot_dialect(dialect: Dialect) -> str:
    return "sqlite" if dialect == "sqlite" else "postgres"


def _parse_one(sql: str, dialect: Dialect) -> exp.Expression:
    if len(sql) > MAX_SQL_LENGTH:
        raise SqlRejected(f"The SQL is longer than {MAX_SQL_LENGTH:,} characters.", reason="too_long")
    try:
        parsed = sqlglot.parse(sql, read=_sqlglot_dialect(dialect))
        # A lone comment after the last semicolon parses as an empty statement: nothing to run.
        statements = [s for s in parsed if s is not None and not isinstance(s, exp.Semicolon)]
    except (ParseError, TokenError) as error:
        raise SqlRejected(
            f"The SQL could not be read: {_first_line(str(error))}", reason="parse_error"
        ) from None
    except RecursionError:
        raise SqlRejected("The SQL is nested too deeply to read.", reason="parse_error") from None
    if not statements:
        raise SqlRejected("There is no SQL statement.", reason="parse_error")
    if len(statements) > 1:
        raise SqlRejected(
            f"Only one statement may run; this SQL has {len(statements)}.", reason="multiple_statements"
        )
    statement = statements[0]
    while isinstance(statement, exp.Subquery) and _only_args(statement, {"this"}):
        statement = statement.this  # "(SELECT …)": the parentheses change nothing
    if not isinstance(statement, exp.Select | exp.SetOperation):
        raise SqlRejected(f"Only a SELECT may run, not {_kind(statement)}.", reason="not_select")
    return statement


def _check_nodes(statement: exp.Expression) -> None:
    for node in statement.walk():
        if isinstance(node, _STATEMENTS):
            raise SqlRejected(f"Only reading is allowed: {_kind(node)} is not.", reason="not_select")
        if isinstance(node, exp.Anonymous):
            name = str(node.this).lower()
            if name not in ALLOWED_FUNCTION_NAMES:
                raise SqlRejected(f"The function {name}() is not allowed.", reason="function_not_allowed")
            continue
        if isinstance(node, exp.Func) and type(node) not in ALLOWED_FUNCTIONS:
            raise SqlRejected(
                f"The function {_function_name(node)}() is not allowed.", reason="function_not_allowed"
            )
        if not isinstance(node, exp.Func) and type(node) not in _STRUCTURE:
            raise SqlRejected(
                f"{_kind(node)} is not allowed in a query here.", reason="construct_not_allowed"
            )
        if isinstance(node, exp.DataType) and node.this not in ALLOWED_CAST_TYPES:
            raise SqlRejected(f"Casting to {node.sql()} is not allowed.", reason="construct_not_allowed")
        if isinstance(node, exp.With) and node.args.get("recursive"):
            raise SqlRejected("Recursive queries are not allowed.", reason="construct_not_allowed")
        if isinstance(node, exp.Column) and (node.args.get("db") or node.args.get("catalog")):
            raise SqlRejected(f"Name columns as table.column, not {node.sql()}.", reason="column_not_allowed")


def _function_name(node: exp.Func) -> str:
    try:
        name: str = node.sql_name()  # type: ignore[no-untyped-call]
    except NotImplementedError:
        name = type(node).__name__
    return name.lower()


def _check_tables(statement: exp.Expression, dialect: Dialect) -> None:
    # Compared as the database will: unquoted names folded, quoted ones (on PostgreSQL) exact.
    statement = normalize_identifiers(statement.copy(), dialect=_sqlglot_dialect(dialect))
    for cte in statement.find_all(exp.CTE):
        if cte.alias_or_name in ALLOWED_TABLES:
            raise SqlRejected(
                f"A WITH query may not be named {cte.alias_or_name!r} like a table; choose another name.",
                reason="cte_name_not_allowed",
            )
    for table in statement.find_all(exp.Table):
        shown = table.sql()
        if not isinstance(table.this, exp.Identifier) or table.args.get("db") or table.args.get("catalog"):
            raise SqlRejected(f"The table {shown} is not allowed.", reason="table_not_allowed")
        if not _only_args(table, {"this", "alias"}):
            raise SqlRejected(
                f"{shown}: only plain table references are allowed.", reason="construct_not_allowed"
            )
        if table.name in ALLOWED_TABLES or table.name in _visible_ctes(table):
            continue
        raise SqlRejected(
            f"The table {table.name!r} is not allowed; the tables are {', '.join(ALLOWED_TABLES)}.",
            reason="table_not_allowed",
        )


def _visible_ctes(node: exp.Expression) -> set[str]:
    """The WITH names in force where `node` stands: a statement's CTEs in its body, and inside a CTE
    only the ones written before it (what both PostgreSQL and SQLite resolve without RECURSIVE)."""
    visible: set[str] = set()
    child, parent = node, node.parent
    while parent is not None:
        if isinstance(parent, exp.With):
            position = next(i for i, cte in enumerate(parent.expressions) if cte is child)
            visible.update(cte.alias_or_name for cte in parent.expressions[:position])
        elif (with_ := parent.args.get("with")) is not None and with_ is not child:
            visible.update(cte.alias_or_name for cte in with_.expressions)
        child, parent = parent, parent.parent
    return visible


def _resolve_columns(statement: exp.Expression, dialect: Dialect) -> exp.Expression:
    name = _sqlglot_dialect(dialect)
    schema = MappingSchema(ALLOWED_TABLES, dialect=name)
    try:
        qualified = qualify(
            statement,
            schema=schema,
            dialect=name,
            validate_qualify_columns=True,
            quote_identifiers=False,
            infer_schema=False,
        )
    except OptimizeError as error:
        message = _first_line(str(error))
        reason = "column_not_allowed" if "column" in message.lower() else "invalid_query"
        raise SqlRejected(f"{message} (only the listed columns can be used).", reason=reason) from None
    if not isinstance(qualified, exp.Select | exp.SetOperation):
        raise SqlRejected("Only a SELECT may run.", reason="not_select")
    return qualified


def _scope_to_tenant(statement: exp.Expression, dialect: Dialect, sentinel: str) -> None:
    # Every reference by a business table's name is that table (no CTE may take such a name).
    references = [table for table in statement.find_all(exp.Table) if table.name in ALLOWED_TABLES]
    for table in references:
        table.replace(_tenant_rows(table.name, table.alias_or_name, dialect, sentinel))


def _tenant_rows(table: str, alias: str, dialect: Dialect, sentinel: str) -> exp.Subquery:
    columns = [exp.column(column, table=table) for column in ALLOWED_TABLES[table]]
    rows = (
        exp.select(*columns)
        .from_(exp.to_table(table))
        .where(exp.EQ(this=exp.column(TENANT_PARAM, table=table), expression=exp.column(sentinel)))
    )
    if dialect == "sqlite":
        rows = rows.limit(-1)  # SQLite takes OFFSET only after a LIMIT; -1 is "no limit"
    rows = rows.offset(0)  # the fence: see the module docstring
    return exp.Subquery(this=rows, alias=exp.TableAlias(this=exp.to_identifier(alias)))


def _enforce_limit(statement: exp.Expression, max_rows: int) -> None:
    limit = statement.args.get("limit")
    asked = limit.expression if isinstance(limit, exp.Limit) else None
    if isinstance(asked, exp.Literal) and not asked.is_string and str(asked.this).isdigit():
        rows = min(int(asked.this), max_rows)
    else:
        rows = max_rows  # none, or not a plain count (LIMIT ALL, an expression)
    statement.set("limit", exp.Limit(expression=exp.Literal.number(rows)))


def _only_args(node: exp.Expression, names: set[str]) -> bool:
    return all(name in names for name, value in node.args.items() if value not in (None, False, []))


def _kind(node: exp.Expression) -> str:
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", type(node).__name__).upper()
    return {"COMMAND": (node.name or "a command").upper(), "INTO": "SELECT … INTO"}.get(words, words)


def _first_line(message: str) -> str:
    line = message.strip().splitlines()[0] if message.strip() else "unknown error"
    return line[:300]


# -------------------------------------------------------------------------------------- execution


async def execute_guarded(
    session: AsyncSession, guarded: GuardedSql, *, timeout_ms: int = DEFAULT_TIMEOUT_MS
) -> tuple[list[str], list[list[Any]]]:
    """Run guarded SQL read-only, stopped after `timeout_ms`; (column names, JSON-ready rows).

    Runs on the session's own connection and transaction (a savepoint on PostgreSQL), and leaves the
    session as it found it: writable, without a time limit. Raises SqlFailed (timeout, or an error
    the database raised)."""
    connection = await session.connection()
    try:
        if connection.dialect.name == "sqlite":
            async with _sqlite_read_only(session, timeout_ms):
                result = await session.execute(text(guarded.sql), guarded.params)
                columns, rows = list(result.keys()), result.fetchall()
        else:
            async with session.begin_nested() as savepoint:
                await session.execute(text("SET TRANSACTION READ ONLY"))
                # A bound parameter cannot follow SET; the value is an int we computed.
                await session.execute(text(f"SET LOCAL statement_timeout = {int(timeout_ms)}"))
                result = await session.execute(text(guarded.sql), guarded.params)
                columns, rows = list(result.keys()), result.fetchall()
                # Nothing to keep; rolling back also restores read-write mode and the old timeout.
                await savepoint.rollback()
    except DBAPIError as error:
        raise _failure(error) from None
    return columns, [[_json_ready(value) for value in row] for row in rows]


class _sqlite_read_only:
    """`PRAGMA query_only` and a deadline for one statement on the session's SQLite connection."""

    def __init__(self, session: AsyncSession, timeout_ms: int) -> None:
        self.session = session
        self.timeout_ms = timeout_ms
        self.raw: Any = None

    async def __aenter__(self) -> None:
        connection = await self.session.connection()
        pool_connection = await connection.get_raw_connection()
        self.raw = pool_connection.driver_connection  # aiosqlite.Connection
        deadline = time.monotonic() + self.timeout_ms / 1000

        def past_deadline() -> int:
            return 1 if time.monotonic() > deadline else 0  # non-zero interrupts the statement

        await self.session.execute(text("PRAGMA query_only = ON"))
        await self.raw.set_progress_handler(past_deadline, _PROGRESS_STEPS)

    async def __aexit__(self, *exc_info: object) -> None:
        await self.raw.set_progress_handler(None, _PROGRESS_STEPS)
        await self.session.execute(text("PRAGMA query_only = OFF"))


def _failure(error: DBAPIError) -> SqlFailed:
    # asyncpg's errors read "<class 'asyncpg.exceptions.X'>: message"; people need the message.
    message = re.sub(r"^<class '[^']+'>: ", "", _first_line(str(error.orig)))
    if message == "interrupted" or "statement timeout" in message:  # SQLite's handler, PostgreSQL's
        return SqlFailed("The query took too long and was stopped; ask for less data.", reason="timeout")
    if "read-only transaction" in message or "readonly database" in message:
        return SqlFailed("Only reading is allowed.", reason="read_only")
    # Rows reach this message only through the tenant-filtered derived tables, so it is safe to show.
    return SqlFailed(f"The database could not run the query: {message}", reason="database_error")


def _json_ready(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date | time_of_day):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return value
