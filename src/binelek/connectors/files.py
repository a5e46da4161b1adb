"""Reading uploaded CSV and XLSX files as rows of text keyed by header, streaming (XLSX read-only)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

FORMATS = ("csv", "xlsx")


class UnreadableFile(ValueError):
    """The file is not the CSV or XLSX it claims to be."""


def format_of(filename: str) -> str | None:
    suffix = Path(filename).suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else None


def read_header(path: Path, kind: str) -> list[str]:
    for header, _rows in _open(path, kind):
        return header
    return []


def iter_rows(path: Path, kind: str) -> Iterator[dict[str, str]]:
    """Each data row as {header: text}; blank rows are skipped (they are not counted as rows)."""
    for header, rows in _open(path, kind):
        for values in rows:
            if any(values):
                # A short row (trailing empty cells left out) still has every column.
                yield {
                    name: values[index] if index < len(values) else "" for index, name in enumerate(header)
                }


def count_rows(path: Path, kind: str) -> int:
    return sum(1 for _ in iter_rows(path, kind))


def _open(path: Path, kind: str) -> Iterator[tuple[list[str], Iterator[list[str]]]]:
    try:
        if kind == "csv":
            yield from _csv(path)
        else:
            yield from _xlsx(path)
    except UnicodeDecodeError:
        raise UnreadableFile("The file is not UTF-8 text.") from None
    except csv.Error as exc:
        raise UnreadableFile(f"The CSV file cannot be read: {exc}") from None


def _csv(path: Path) -> Iterator[tuple[list[str], Iterator[list[str]]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return
        yield [name.strip() for name in header], reader


def _xlsx(path: Path) -> Iterator[tuple[list[str], Iterator[list[str]]]]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors on a broken file
        raise UnreadableFile(f"The XLSX file cannot be read: {type(exc).__name__}") from None
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        first = next(rows, None)
        if first is None:
            return
        header = [_cell_text(value).strip() for value in first]
        yield header, ([_cell_text(value) for value in row] for row in rows)
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    """A cell as the text a CSV would hold: ISO dates, decimals without float noise."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value)
