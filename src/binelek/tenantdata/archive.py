"""The export archive: every tenant-owned table of the metadata as JSON, business tables also as
CSV, the organization and its people, and a manifest. Secrets never leave the database.

Tables are discovered from the metadata (every table with a tenant_id column), so a table added
tomorrow is exported without touching this file. Rows are read in keyset-paginated batches, each in
its own short tenant-scoped transaction, and written straight into the ZIP: memory stays flat
whatever the table's size.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import uuid
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Column, Table, select

from binelek.kit.crypto import ENCRYPTED_COLUMNS
from binelek.kit.db import Database, utcnow
from binelek.kit.models import metadata

FORMAT_VERSION = 1
BATCH_ROWS = 1000
# The tabular business data, also given as CSV for spreadsheets.
CSV_TABLES = frozenset(
    {
        "customers",
        "products",
        "orders",
        "order_items",
        "payments",
        "refunds",
        "invoices",
        "companies",
        "contacts",
        "deals",
        "tasks",
        "documents",
        "competitors",
        "tracked_products",
        "price_observations",
        "security_assets",
        "security_issues",
        "audit_logs",
    }
)
# Secrets: ciphertext, password and token digests, MFA material, plaintext tokens. Never exported.
_SECRET_NAME = re.compile(
    r"(^|_)(password|secret|verifier|otp)(_|$)|(^|_)token$|_encrypted$|_hash(es)?$",
)
_FERNET_TOKEN = re.compile(r"^gAAAAA[A-Za-z0-9_=-]{40,}$")
# Digests that fingerprint content, not credentials: kept.
_CONTENT_DIGESTS = frozenset({"content_hash", "packages_hash", "state_hash", "sha256"})
SECRETS_NOTE = (
    "Secrets are not exported: encrypted columns (provider keys, OAuth credentials, webhook and "
    "MFA secrets), password hashes, API-key, invitation and token digests and backup codes. The "
    "columns left out are listed per table under excluded_columns; inside JSON values, keys named "
    "like secrets and encrypted strings are removed too."
)
PEOPLE_COLUMNS = ("id", "email", "full_name", "is_active", "mfa_enabled", "last_login_at", "created_at")

Progress = Callable[[str, int, int], Awaitable[None]]  # (table, tables done, tables in all)


def exported_tables() -> list[Table]:
    """Every tenant-owned table, parents before children."""
    return [table for table in metadata.sorted_tables if "tenant_id" in table.c]


def _encrypted_names() -> set[tuple[str, str]]:
    return {(attribute.class_.__tablename__, attribute.key) for attribute in ENCRYPTED_COLUMNS}


def is_secret(table: Table, column: Column[Any]) -> bool:
    if (table.name, column.name) in _encrypted_names():
        return True
    return secret_key(column.name)


def exported_columns(table: Table) -> tuple[list[Column[Any]], list[str]]:
    """(the columns written, the names of those left out as secrets)."""
    kept: list[Column[Any]] = []
    excluded: list[str] = []
    for column in table.columns:
        if is_secret(table, column):
            excluded.append(column.name)
        else:
            kept.append(column)
    return kept, excluded


def secret_key(name: str) -> bool:
    return name not in _CONTENT_DIGESTS and bool(_SECRET_NAME.search(name))


def scrub(value: Any) -> Any:
    """JSON data without secrets nested in it: keys named like secrets (an event's
    `accept_url_encrypted`) go, and so does any string that is Fernet ciphertext."""
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items() if not secret_key(str(key))}
    if isinstance(value, list):
        return [scrub(item) for item in value]
    if isinstance(value, str) and _FERNET_TOKEN.match(value):
        return None
    return value


def plain(value: Any) -> Any:
    """A JSON value for a column value."""
    if isinstance(value, dict | list | str):
        return scrub(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return str(value)


def _csv_cell(value: Any) -> Any:
    value = plain(value)
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"), default=str)
    return "" if value is None else value


async def table_rows(
    db: Database, tenant_id: uuid.UUID, table: Table, columns: list[Column[Any]]
) -> AsyncIterator[list[dict[str, Any]]]:
    """The tenant's rows of `table` in batches, keyset-paginated on the primary key (one short
    transaction per batch: no long-running snapshot, no whole table in memory)."""
    keys = list(table.primary_key.columns)
    names = [column.name for column in columns]
    if len(keys) != 1:
        async with db.session(tenant_id=tenant_id) as session:
            result = await session.execute(select(*columns).where(table.c.tenant_id == tenant_id))
            rows = [dict(zip(names, row, strict=True)) for row in result]
        for start in range(0, len(rows), BATCH_ROWS):
            yield rows[start : start + BATCH_ROWS]
        return
    key = keys[0]
    selected = columns if key in columns else [*columns, key]
    last: Any = None
    while True:
        statement = select(*selected).where(table.c.tenant_id == tenant_id).order_by(key).limit(BATCH_ROWS)
        if last is not None:
            statement = statement.where(key > last)
        async with db.session(tenant_id=tenant_id) as session:
            batch = (await session.execute(statement)).all()
        if not batch:
            return
        last = batch[-1]._mapping[key.name]
        yield [{name: row._mapping[name] for name in names} for row in batch]
        if len(batch) < BATCH_ROWS:
            return


@dataclass
class ArchiveResult:
    counts: dict[str, int] = field(default_factory=dict)
    excluded: dict[str, list[str]] = field(default_factory=dict)
    size_bytes: int = 0


async def _write_json_table(
    db: Database, tenant_id: uuid.UUID, table: Table, columns: list[Column[Any]], out: IO[bytes]
) -> int:
    count = 0
    out.write(b"[")
    async for batch in table_rows(db, tenant_id, table, columns):
        for row in batch:
            out.write(b"\n" if count == 0 else b",\n")
            out.write(json.dumps({k: plain(v) for k, v in row.items()}, ensure_ascii=False).encode())
            count += 1
    out.write(b"\n]\n")
    return count


async def _write_csv_table(
    db: Database, tenant_id: uuid.UUID, table: Table, columns: list[Column[Any]], out: IO[bytes]
) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow([column.name for column in columns])
    async for batch in table_rows(db, tenant_id, table, columns):
        writer.writerows([[_csv_cell(row[column.name]) for column in columns] for row in batch])
    text.flush()
    text.detach()


async def _organization(db: Database, tenant_id: uuid.UUID) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The tenant's own row and its people (profile columns only: no credentials)."""
    tenants, users, memberships = (metadata.tables[name] for name in ("tenants", "users", "memberships"))
    people_columns = [users.c[name] for name in PEOPLE_COLUMNS]
    async with db.session(tenant_id=tenant_id) as session:
        tenant = (await session.execute(select(tenants).where(tenants.c.id == tenant_id))).one_or_none()
        if tenant is None:
            raise LookupError(f"tenant {tenant_id} does not exist")
        people = (
            await session.execute(
                select(*people_columns, memberships.c.role)
                .join(memberships, memberships.c.user_id == users.c.id)
                .where(memberships.c.tenant_id == tenant_id)
                .order_by(users.c.email)
            )
        ).all()
    organization = {key: plain(value) for key, value in tenant._mapping.items()}
    return organization, [{key: plain(value) for key, value in row._mapping.items()} for row in people]


async def write_archive(
    db: Database, tenant_id: uuid.UUID, path: Path, *, progress: Progress | None = None
) -> ArchiveResult:
    """Write the tenant's archive to `path` (via a temporary file: a crash never leaves half an
    archive under the final name, and a re-run starts over)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    tables = exported_tables()
    result = ArchiveResult()
    organization, people = await _organization(db, tenant_id)
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr("organization.json", json.dumps(organization, indent=2, ensure_ascii=False))
        archive.writestr("people.json", json.dumps(people, indent=2, ensure_ascii=False))
        for done, table in enumerate(tables):
            if progress:
                await progress(table.name, done, len(tables))
            columns, excluded = exported_columns(table)
            if excluded:
                result.excluded[table.name] = excluded
            with archive.open(f"tables/{table.name}.json", "w", force_zip64=True) as out:
                result.counts[table.name] = await _write_json_table(db, tenant_id, table, columns, out)
            if table.name in CSV_TABLES:
                with archive.open(f"csv/{table.name}.csv", "w", force_zip64=True) as out:
                    await _write_csv_table(db, tenant_id, table, columns, out)
        manifest = {
            "format_version": FORMAT_VERSION,
            "tenant": {"id": str(tenant_id), "name": organization.get("name")},
            "generated_at": utcnow().isoformat(),
            "tables": {
                name: {
                    "rows": count,
                    "json": f"tables/{name}.json",
                    **({"csv": f"csv/{name}.csv"} if name in CSV_TABLES else {}),
                }
                for name, count in result.counts.items()
            },
            "people": len(people),
            "secrets_excluded": True,
            "secrets_note": SECRETS_NOTE,
            "excluded_columns": result.excluded,
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    if progress:
        await progress("manifest", len(tables), len(tables))
    result.size_bytes = _publish(partial, path)
    return result


def _publish(partial: Path, path: Path) -> int:
    """Give the finished archive its final name (atomic); answers its size."""
    partial.replace(path)
    return os.path.getsize(path)
