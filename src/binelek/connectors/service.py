"""Importing business data: validation, foreign-key resolution and idempotent bulk upserts.

`import_rows` is the one code path for every import — the file upload's background job, the demo
seeder, tests and benchmarks call it. Rows are processed in batches; each batch is one transaction
that upserts its rows by natural key (so importing the same data twice changes nothing), emits
`customer.created` / `order.created` / `payment.received` for rows it created, and lets the caller
record progress in the same transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from fastapi import UploadFile
from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from binelek.audit import service as audit
from binelek.connectors import files, repository, runs
from binelek.connectors.adapters import adapter_for
from binelek.connectors.credentials import OAuthClientConfig
from binelek.connectors.models import (
    ERRORS_KEPT,
    Company,
    Connection,
    Contact,
    Customer,
    Deal,
    FileImport,
    Invoice,
    Order,
    OrderItem,
    Payment,
    Product,
    SyncRun,
)
from binelek.connectors.providers import CATALOGUE, FILE, KEY_FIELDS, ProviderSpec
from binelek.connectors.repository import CONTACTS, CUSTOMERS, FILE_IMPORTS, ORDERS, PRODUCTS, table_of
from binelek.connectors.rows import (
    ENTITIES,
    ENTITY_COLUMNS,
    EntityColumns,
    Record,
    Row,
    RowError,
    natural_key,
)
from binelek.kit import dataversion
from binelek.kit.auth import Principal
from binelek.kit.db import ANALYZE_AFTER_ROWS, Database, refresh_statistics, utcnow
from binelek.kit.errors import ProblemError, ValidationFailed
from binelek.kit.outbox_models import Event
from binelek.kit.pagination import PageParams
from binelek.kit.request_meta import RequestMeta
from binelek.kit.settings import Settings

log = structlog.get_logger(__name__)

BATCH_SIZE = 1000
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
UPLOAD_CHUNK = 1024 * 1024
IMPORTS_DIR = "imports"


EVENTS = table_of(Event)
INVOICES = table_of(Invoice)
FORCE_CUSTOM_PLAN = text("SET LOCAL plan_cache_mode = force_custom_plan")


class UploadTooLarge(ProblemError):
    status, code = 413, "PAYLOAD_TOO_LARGE"


class ImportInvalid(ValidationFailed):
    """The whole file cannot be imported (unknown entity, missing columns, unreadable)."""


# -- results --------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    entity: str
    rows_total: int = 0
    rows_imported: int = 0  # valid rows: created, updated or already up to date
    rows_failed: int = 0
    rows_created: int = 0
    rows_updated: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)  # the first ERRORS_KEPT
    errors_omitted: int = 0

    def reject(self, row: int, column: str | None, message: str) -> None:
        self.rows_failed += 1
        if len(self.errors) < ERRORS_KEPT:
            self.errors.append({"row": row, "column": column, "message": message})
        else:
            self.errors_omitted += 1


BatchHook = Callable[[AsyncSession, ImportResult], Awaitable[None]]
Parsed = list[tuple[int, Record]]  # (row number, values); the header is row 1


# -- the import pipeline --------------------------------------------------------------------------


async def import_rows(
    db: Database,
    tenant_id: uuid.UUID,
    entity: str,
    rows: Iterable[Mapping[str, str | None]],
    *,
    connection_id: uuid.UUID | None = None,
    mapping: Mapping[str, str] | None = None,
    batch_size: int = BATCH_SIZE,
    on_batch: BatchHook | None = None,
) -> ImportResult:
    """Validate and upsert `rows` (canonical column → text) of `entity` into the tenant's tables.

    Rows count from 2 (row 1 is a file's header). Bad rows are reported in the result and skipped;
    a missing required column raises `ImportInvalid` before anything is written. Without
    `connection_id` the rows belong to the tenant's "file" connection.
    """
    columns = _columns_of(entity)
    check_mapping(entity, mapping)
    result = ImportResult(entity=entity)
    if connection_id is None:
        async with db.session(tenant_id) as session:
            connection_id = await repository.file_connection_id(session, tenant_id, None)
    batch: Parsed = []
    checked = False
    for number, raw in enumerate(rows, start=2):
        row = apply_mapping(raw, mapping)
        if not checked:
            require_columns(entity, row.keys())
            checked = True
        result.rows_total += 1
        try:
            batch.append((number, columns.parse(row)))
        except RowError as error:
            result.reject(number, error.column, error.message)
        if len(batch) >= batch_size:
            await _import_batch(db, tenant_id, connection_id, entity, batch, result, on_batch)
            batch = []
    if batch or on_batch is not None:
        await _import_batch(db, tenant_id, connection_id, entity, batch, result, on_batch)
    return result


def check_mapping(entity: str, mapping: Mapping[str, str] | None) -> None:
    known = set(_columns_of(entity).all)
    unknown = sorted({target for target in (mapping or {}).values() if target not in known})
    if unknown:
        raise ImportInvalid(
            f"The mapping names fields {entity} do not have: {', '.join(unknown)}.", field="mapping"
        )


def require_columns(entity: str, present: Iterable[str]) -> None:
    missing = [column for column in _columns_of(entity).required if column not in set(present)]
    if missing:
        raise ImportInvalid(
            f"The file has no column for {', '.join(missing)} (required for {entity}); "
            "rename the columns or send a mapping.",
            field="file",
        )


def apply_mapping(row: Mapping[str, str | None], mapping: Mapping[str, str] | None) -> Row:
    if not mapping:
        return row
    mapped: dict[str, str | None] = {key: value for key, value in row.items() if key not in mapping}
    mapped.update({mapping[key]: value for key, value in row.items() if key in mapping})
    return mapped


def _columns_of(entity: str) -> EntityColumns:
    try:
        return ENTITY_COLUMNS[entity]
    except KeyError:
        raise ImportInvalid(
            f"Unknown entity {entity!r}; one of {', '.join(ENTITIES)}.", field="entity"
        ) from None


async def _import_batch(
    db: Database,
    tenant_id: uuid.UUID,
    connection_id: uuid.UUID,
    entity: str,
    batch: Parsed,
    result: ImportResult,
    on_batch: BatchHook | None,
) -> None:
    target = IMPORTERS[entity]
    async with db.session(tenant_id) as session:
        conn = await session.connection()
        if conn.dialect.name == "postgresql":
            # asyncpg prepares each statement once; a generic plan made while the tables were still
            # empty would scan them sequentially for the rest of the import (quadratic in rows).
            await conn.execute(FORCE_CUSTOM_PLAN)
        resolved = await target.resolve(conn, tenant_id, connection_id, batch, result) if batch else []
        records = [strip_references(record) for _number, record in resolved]
        add_content_hashes(records)
        outcome = await repository.upsert(conn, target.table, tenant_id, connection_id, records)
        if target.event is not None:
            events = [target.event(row_id, values) for row_id, values in outcome.created]
            await emit_all(conn, tenant_id, [event for event in events if event is not None])
        if resolved:
            await dataversion.bump(conn, tenant_id)
        result.rows_imported += len(resolved)
        result.rows_created += len(outcome.created)
        result.rows_updated += outcome.updated
        if on_batch is not None:
            await on_batch(session, result)


def strip_references(record: Record) -> Record:
    """A copy without the "_" references the importer resolved."""
    return {key: value for key, value in record.items() if not key.startswith("_")}


def with_content_hash(record: Record) -> Record:
    values = strip_references(record)
    add_content_hashes([values])
    return values


def add_content_hashes(records: list[Record]) -> None:
    """Set each record's `content_hash`: SHA-256 over its column names and values, in name order.

    Records of one batch share their columns, so the order is worked out once per batch (hashing is
    a quarter of a sync's writing time; formatting each "name=value" pair cost half of it again)."""
    layout: tuple[list[str], bytes] | None = None
    for record in records:
        record.pop("content_hash", None)
        if layout is None or len(record) != len(layout[0]) or any(key not in record for key in layout[0]):
            names = sorted(record)
            layout = (names, "\x1f".join(names).encode())
        names, header = layout
        digest = hashlib.sha256(header)
        digest.update("\x1e".join([str(record[name]) for name in names]).encode())
        record["content_hash"] = digest.hexdigest()


# -- foreign keys ---------------------------------------------------------------------------------

Resolver = Callable[[AsyncConnection, uuid.UUID, uuid.UUID, Parsed, ImportResult], Awaitable[Parsed]]
OutboxEvent = tuple[str, dict[str, Any]]  # (type, payload)
EventWriter = Callable[[uuid.UUID, Record], OutboxEvent | None]


async def _as_is(
    _conn: AsyncConnection, _tenant: uuid.UUID, _connection: uuid.UUID, batch: Parsed, _result: ImportResult
) -> Parsed:
    return batch


async def _link_customers(
    conn: AsyncConnection, tenant_id: uuid.UUID, _connection: uuid.UUID, batch: Parsed, _result: ImportResult
) -> Parsed:
    """Orders and invoices link to the customer with their e-mail; an unknown one (a guest) stays unlinked."""
    emails = {record["customer_email"] for _n, record in batch if record["customer_email"]}
    customers = await repository.ids_by(conn, CUSTOMERS, "email", tenant_id, emails)
    for _number, record in batch:
        record["customer_id"] = customers.get(record["customer_email"] or "")
    return batch


async def _link(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    batch: Parsed,
    result: ImportResult,
    *,
    table: Any,
    column: str,
    key: str,
    target: str,
    missing: str,
) -> Parsed:
    """Point each record's `target` at the row of `table` whose `column` equals the record's `key`;
    a record whose parent has not been imported is rejected with `missing` (formatted with the key)."""
    found = await repository.ids_by(conn, table, column, tenant_id, {record[key] for _n, record in batch})
    kept: Parsed = []
    for number, record in batch:
        parent_id = found.get(record[key])
        if parent_id is None:
            result.reject(number, column, missing.format(record[key]))
            continue
        record[target] = parent_id
        kept.append((number, record))
    return kept


async def _link_order(
    conn: AsyncConnection, tenant_id: uuid.UUID, batch: Parsed, result: ImportResult
) -> Parsed:
    return await _link(
        conn,
        tenant_id,
        batch,
        result,
        table=ORDERS,
        column="order_number",
        key="_order_number",
        target="order_id",
        missing="no order {!r} has been imported",
    )


async def _link_order_items(
    conn: AsyncConnection, tenant_id: uuid.UUID, _connection: uuid.UUID, batch: Parsed, result: ImportResult
) -> Parsed:
    with_products = await _link(
        conn,
        tenant_id,
        batch,
        result,
        table=PRODUCTS,
        column="sku",
        key="sku",
        target="product_id",
        missing="no product with SKU {!r} has been imported",
    )
    kept = await _link_order(conn, tenant_id, with_products, result)
    return sorted(kept, key=lambda item: item[0])


async def _link_payments(
    conn: AsyncConnection, tenant_id: uuid.UUID, _connection: uuid.UUID, batch: Parsed, result: ImportResult
) -> Parsed:
    return await _link_order(conn, tenant_id, batch, result)


async def _company_ids(
    conn: AsyncConnection, tenant_id: uuid.UUID, connection_id: uuid.UUID, names: set[str]
) -> dict[str, uuid.UUID]:
    """Company id per lower-cased name, creating the companies the tenant does not have yet."""
    known = await repository.ids_by_lower_name(conn, tenant_id, names)
    missing = {name.lower(): name for name in names if name.lower() not in known}
    if missing:
        records = [
            with_content_hash({"source_id": natural_key(name), "name": name, "domain": None})
            for name in missing.values()
        ]
        await repository.upsert(conn, table_of(Company), tenant_id, connection_id, records)
        known.update(await repository.ids_by_lower_name(conn, tenant_id, missing.values()))
    return known


async def _link_contacts(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    connection_id: uuid.UUID,
    batch: Parsed,
    _result: ImportResult,
) -> Parsed:
    companies = await _company_ids(
        conn, tenant_id, connection_id, {r["_company"] for _n, r in batch if r["_company"]}
    )
    for _number, record in batch:
        record["company_id"] = companies.get((record["_company"] or "").lower())
    return batch


async def _link_deals(
    conn: AsyncConnection, tenant_id: uuid.UUID, connection_id: uuid.UUID, batch: Parsed, result: ImportResult
) -> Parsed:
    batch = await _link_contacts(conn, tenant_id, connection_id, batch, result)
    emails = {record["_contact_email"] for _n, record in batch if record["_contact_email"]}
    contacts = await repository.ids_by(conn, CONTACTS, "email", tenant_id, emails)
    for _number, record in batch:
        record["contact_id"] = contacts.get(record["_contact_email"] or "")
    return batch


# -- events for new records -----------------------------------------------------------------------


async def emit_all(conn: AsyncConnection, tenant_id: uuid.UUID, events: list[OutboxEvent]) -> None:
    """The rows `outbox.emit` writes, in the batch's transaction, as one bulk insert: one ORM
    object per event would cost more than the import itself (100k orders → 100k events)."""
    if events:
        now = utcnow()
        await conn.execute(
            insert(EVENTS),
            [
                {"tenant_id": tenant_id, "type": kind, "payload": payload, "created_at": now}
                for kind, payload in events
            ],
        )


def _customer_created(row_id: uuid.UUID, values: Record) -> OutboxEvent:
    return "customer.created", {"customer_id": str(row_id), "email": values["email"], "name": values["name"]}


def _order_created(row_id: uuid.UUID, values: Record) -> OutboxEvent:
    customer_id = values.get("customer_id")
    return (
        "order.created",
        {
            "order_id": str(row_id),
            "order_number": values["order_number"],
            "customer_id": str(customer_id) if customer_id else None,
            "status": values["status"],
            "currency": values["currency"],
            "total": str(values["total"]),
            "placed_at": values["placed_at"].isoformat(),
        },
    )


def _payment_received(row_id: uuid.UUID, values: Record) -> OutboxEvent | None:
    if values["status"] != "succeeded":
        return None
    return (
        "payment.received",
        {
            "payment_id": str(row_id),
            "order_id": str(values["order_id"]) if values.get("order_id") else None,
            "amount": str(values["amount"]),
            "currency": values["currency"],
            "method": values["method"],
            "paid_at": values["paid_at"].isoformat(),
        },
    )


@dataclass(frozen=True, slots=True)
class Importer:
    table: Table
    resolve: Resolver
    event: EventWriter | None = None


IMPORTERS: dict[str, Importer] = {
    "customers": Importer(table_of(Customer), _as_is, _customer_created),
    "products": Importer(table_of(Product), _as_is),
    "orders": Importer(table_of(Order), _link_customers, _order_created),
    "order_items": Importer(table_of(OrderItem), _link_order_items),
    "payments": Importer(table_of(Payment), _link_payments, _payment_received),
    "invoices": Importer(table_of(Invoice), _link_customers),
    "contacts": Importer(table_of(Contact), _link_contacts),
    "deals": Importer(table_of(Deal), _link_deals),
}


async def emit_overdue_invoices(db: Database, tenant_id: uuid.UUID) -> int:
    """`invoice.overdue` once per invoice whose due date has passed with a balance left; returns how
    many were emitted. Runs after every sync and import, and daily."""
    now = utcnow()
    async with db.session(tenant_id) as session:
        conn = await session.connection()
        rows = (
            await conn.execute(
                select(
                    INVOICES.c.id,
                    INVOICES.c.invoice_number,
                    INVOICES.c.customer_id,
                    INVOICES.c.customer_email,
                    INVOICES.c.balance,
                    INVOICES.c.currency,
                    INVOICES.c.due_at,
                ).where(
                    INVOICES.c.tenant_id == tenant_id,
                    INVOICES.c.overdue_notified_at.is_(None),
                    INVOICES.c.due_at < now,
                    INVOICES.c.balance > 0,
                    INVOICES.c.status.in_(("open", "overdue")),
                )
            )
        ).all()
        if not rows:
            return 0
        ids = [row.id for row in rows]
        for start in range(0, len(ids), 5_000):
            await conn.execute(
                update(INVOICES)
                .where(INVOICES.c.tenant_id == tenant_id, INVOICES.c.id.in_(ids[start : start + 5_000]))
                .values(overdue_notified_at=now)
            )
        await emit_all(conn, tenant_id, [_invoice_overdue(row, now) for row in rows])
    return len(rows)


async def emit_overdue_invoices_everywhere(db: Database) -> int:
    """The daily pass over every tenant (a system job: the tenants come from an unscoped query)."""
    now = utcnow()
    async with db.session() as session:
        tenants = (
            (
                await session.execute(
                    select(INVOICES.c.tenant_id)
                    .where(
                        INVOICES.c.overdue_notified_at.is_(None),
                        INVOICES.c.due_at < now,
                        INVOICES.c.balance > 0,
                        INVOICES.c.status.in_(("open", "overdue")),
                    )
                    .distinct()
                )
            )
            .scalars()
            .all()
        )
    return sum([await emit_overdue_invoices(db, tenant_id) for tenant_id in tenants])


def _invoice_overdue(row: Any, now: datetime) -> OutboxEvent:
    return (
        "invoice.overdue",
        {
            "invoice_id": str(row.id),
            "invoice_number": row.invoice_number,
            "customer_id": str(row.customer_id) if row.customer_id else None,
            "customer_email": row.customer_email,
            "balance": str(row.balance),
            "currency": row.currency,
            "due_at": row.due_at.isoformat(),
            "days_overdue": (now - row.due_at).days,
        },
    )


# -- file uploads ---------------------------------------------------------------------------------


def parse_mapping(text: str | None) -> dict[str, str]:
    if not text or not text.strip():
        return {}
    try:
        mapping = json.loads(text)
    except ValueError:
        raise ImportInvalid("The mapping is not JSON.", field="mapping") from None
    if not isinstance(mapping, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in mapping.items()
    ):
        raise ImportInvalid("The mapping is a JSON object of file column → field.", field="mapping")
    return mapping


def upload_dir(data_dir: Path, tenant_id: uuid.UUID) -> Path:
    return data_dir / IMPORTS_DIR / str(tenant_id)


async def start_file_import(
    session: AsyncSession,
    principal: Principal,
    data_dir: Path,
    upload: UploadFile,
    entity: str,
    mapping_text: str | None,
    meta: RequestMeta,
) -> FileImport:
    """Store the upload, check its header, and record a queued import (the caller enqueues the job)."""
    _columns_of(entity)
    mapping = parse_mapping(mapping_text)
    check_mapping(entity, mapping)
    filename = Path(upload.filename or "upload").name[:255]
    kind = files.format_of(filename)
    if kind is None:
        raise ImportInvalid("Upload a .csv or .xlsx file.", field="file")
    import_id = uuid.uuid4()
    directory = upload_dir(data_dir, principal.tenant_id)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{import_id}.{kind}"
    try:
        await _save_upload(upload, path)
        try:
            header = files.read_header(path, kind)
        except files.UnreadableFile as exc:
            raise ImportInvalid(str(exc), field="file") from None
        require_columns(entity, apply_mapping(dict.fromkeys(header, ""), mapping).keys())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    connection_id = await repository.file_connection_id(session, principal.tenant_id, principal.user_id)
    record = FileImport(
        id=import_id,
        tenant_id=principal.tenant_id,
        connection_id=connection_id,
        entity=entity,
        filename=filename,
        mapping=mapping,
        stored_path=str(path),
        created_by=principal.user_id,
        errors=[],
    )
    session.add(record)
    audit.record_for(
        session,
        principal,
        "connectors.file_import.started",
        meta,
        import_id=str(import_id),
        entity=entity,
        filename=filename,
    )
    await session.flush()
    return record


async def _save_upload(upload: UploadFile, path: Path) -> None:
    written = 0
    with path.open("wb") as out:
        while chunk := await upload.read(UPLOAD_CHUNK):
            written += len(chunk)
            if written > MAX_UPLOAD_BYTES:
                raise UploadTooLarge(f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
            out.write(chunk)


async def get_file_import(session: AsyncSession, import_id: uuid.UUID) -> FileImport:
    return await repository.FileImportRepository(session).get_or_404(import_id)


async def list_file_imports(session: AsyncSession, params: PageParams) -> tuple[list[FileImport], int]:
    imports = repository.FileImportRepository(session)
    return await imports.page(imports.newest_first(), params)


def entity_columns() -> list[tuple[str, EntityColumns]]:
    """Each importable entity and its canonical columns, in the order the API documents them."""
    return list(ENTITY_COLUMNS.items())


async def process_file_import(db: Database, tenant_id: uuid.UUID, import_id: uuid.UUID) -> str:
    """Run a queued import to the end; safe to run again after a crash (the upsert is idempotent)."""
    async with db.session(tenant_id) as session:
        record = await repository.FileImportRepository(session).get(import_id)
        if record is None or record.status in ("completed", "failed"):
            return record.status if record else "missing"
        path = Path(record.stored_path or "")
        kind = files.format_of(path.name) or "csv"
        entity, connection_id, mapping = record.entity, record.connection_id, record.mapping
        record.status, record.rows_imported, record.rows_failed, record.errors = "running", 0, 0, []
        record.errors_omitted = 0
    status, detail, result = "completed", None, None
    try:
        await _set_progress(
            db, tenant_id, import_id, rows_total=await asyncio.to_thread(files.count_rows, path, kind)
        )

        async def progress(session: AsyncSession, partial: ImportResult) -> None:
            await _write_counters(session, tenant_id, import_id, partial)

        result = await import_rows(
            db,
            tenant_id,
            entity,
            files.iter_rows(path, kind),
            connection_id=connection_id,
            mapping=mapping,
            on_batch=progress,
        )
    except (ImportInvalid, files.UnreadableFile, FileNotFoundError) as exc:
        status, detail = "failed", str(exc) if not isinstance(exc, FileNotFoundError) else "The file is gone."
    except Exception:
        log.exception("file_import_failed", import_id=str(import_id))
        status, detail = "failed", "The import stopped on an unexpected error; the rows so far are kept."
    if result is not None and result.rows_imported >= ANALYZE_AFTER_ROWS:
        await refresh_statistics(db, [IMPORTERS[entity].table.name])
    async with db.session(tenant_id) as session:
        if result is not None:
            await _write_counters(session, tenant_id, import_id, result, final=True)
        await session.execute(
            update(FILE_IMPORTS)
            .where(FILE_IMPORTS.c.id == import_id, FILE_IMPORTS.c.tenant_id == tenant_id)
            .values(status=status, detail=detail, finished_at=utcnow(), stored_path=None)
        )
        audit.record(
            session,
            f"connectors.file_import.{status}",
            tenant_id=tenant_id,
            details={"import_id": str(import_id), "entity": entity, **_summary(result)},
        )
    await asyncio.to_thread(path.unlink, missing_ok=True)
    return status


def _summary(result: ImportResult | None) -> dict[str, int]:
    if result is None:
        return {}
    return {
        "rows_total": result.rows_total,
        "rows_imported": result.rows_imported,
        "rows_failed": result.rows_failed,
        "rows_created": result.rows_created,
    }


async def _set_progress(db: Database, tenant_id: uuid.UUID, import_id: uuid.UUID, **values: Any) -> None:
    async with db.session(tenant_id) as session:
        await session.execute(
            update(FILE_IMPORTS)
            .where(FILE_IMPORTS.c.id == import_id, FILE_IMPORTS.c.tenant_id == tenant_id)
            .values(**values)
        )


async def _write_counters(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    import_id: uuid.UUID,
    result: ImportResult,
    *,
    final: bool = False,
) -> None:
    """Progress for the UI, in the batch's own transaction; the total was counted up front."""
    totals = {"rows_total": result.rows_total} if final else {}
    conn = await session.connection()
    await conn.execute(
        update(FILE_IMPORTS)
        .where(FILE_IMPORTS.c.id == import_id, FILE_IMPORTS.c.tenant_id == tenant_id)
        .values(
            **totals,
            rows_imported=result.rows_imported,
            rows_failed=result.rows_failed,
            errors=list(result.errors),
            errors_omitted=result.errors_omitted,
        )
    )


# -- connections ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConnectionSummary:
    connection: Connection
    last_sync_at: datetime | None
    record_counts: dict[str, int]
    last_run: SyncRun | None = None


@dataclass(frozen=True, slots=True)
class CatalogueItem:
    spec: ProviderSpec
    available: bool
    configured: bool
    key_fields: tuple[str, ...]
    account_fields: tuple[str, ...]


def catalogue(settings: Settings) -> list[CatalogueItem]:
    """Every source type, whether it can bring data in, and what connecting it takes."""
    items = []
    for spec in CATALOGUE:
        available = spec.id == FILE.id or adapter_for(spec.id) is not None
        key_fields = KEY_FIELDS.get(spec.id, ())
        configured = spec.auth != "oauth2" or OAuthClientConfig.of(settings, spec.id) is not None
        account = tuple(
            field
            for field in ("shop", "accounts_domain", "tenant")
            if "{" + field + "}" in (spec.authorize_url or "")
        )
        items.append(CatalogueItem(spec, available, configured or bool(key_fields), key_fields, account))
    return items


async def count_connections(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    """Connections to providers that count against the plan: file imports are not connectors, and a
    disconnected connection holds no slot."""
    count = await session.scalar(
        select(func.count())
        .select_from(Connection)
        .where(
            Connection.tenant_id == tenant_id,
            Connection.type != repository.FILE_CONNECTION_TYPE,
            Connection.status != "disconnected",
        )
    )
    return int(count or 0)


async def list_connections(session: AsyncSession, tenant_id: uuid.UUID) -> list[ConnectionSummary]:
    connections = repository.ConnectionRepository(session)
    found = (await session.scalars(connections.oldest_first())).all()
    return await _summarise(session, tenant_id, list(found))


async def get_connection(
    session: AsyncSession, tenant_id: uuid.UUID, connection_id: uuid.UUID
) -> ConnectionSummary:
    connection = await repository.ConnectionRepository(session).get_or_404(connection_id)
    return (await _summarise(session, tenant_id, [connection]))[0]


async def _summarise(
    session: AsyncSession, tenant_id: uuid.UUID, connections: list[Connection]
) -> list[ConnectionSummary]:
    if not connections:
        return []
    counts = await repository.record_counts(session, tenant_id)
    # A file connection's last sync is its last finished import.
    finished = await repository.last_import_finished(session, tenant_id)
    runs = await repository.latest_runs(session, tenant_id, [connection.id for connection in connections])
    return [
        ConnectionSummary(
            connection,
            connection.last_synced_at or finished.get(connection.id),
            counts.get(connection.id, {}),
            runs.get(connection.id),
        )
        for connection in connections
    ]


async def request_sync(
    session: AsyncSession,
    principal: Principal,
    connection_id: uuid.UUID,
    streams: list[str] | None,
    meta: RequestMeta,
) -> tuple[SyncRun, bool]:
    connection = await repository.ConnectionRepository(session).get_or_404(connection_id)
    adapter = adapter_for(connection.type)
    unknown = sorted(set(streams or []) - set(adapter.streams if adapter else ()))
    if unknown:
        raise ValidationFailed(f"Unknown streams: {', '.join(unknown)}.", field="streams")
    run, new = await runs.request_sync(session, connection, "manual", streams)
    if new:
        audit.record_for(
            session,
            principal,
            "connectors.sync.requested",
            meta,
            connection_id=str(connection_id),
            run_id=str(run.id),
        )
    return run, new


async def delete_connection(
    session: AsyncSession,
    principal: Principal,
    connection_id: uuid.UUID,
    keep_data: bool,
    meta: RequestMeta,
) -> None:
    """Remove a connection: with its rows, or keep the rows and mark it disconnected. The caller has
    revoked the grant and purged the credentials first (`connect.revoke_and_purge`)."""
    connection = await repository.ConnectionRepository(session).get_or_404(connection_id)
    rows_deleted = 0
    if keep_data:
        connection.status = "disconnected"
    else:
        rows_deleted = await repository.delete_rows(session, principal.tenant_id, connection_id)
        await session.delete(connection)
        await dataversion.bump(session, principal.tenant_id)
    audit.record_for(
        session,
        principal,
        "connectors.connection.deleted",
        meta,
        connection_id=str(connection_id),
        connection_type=connection.type,
        keep_data=keep_data,
        rows_deleted=rows_deleted,
    )
    await session.flush()
