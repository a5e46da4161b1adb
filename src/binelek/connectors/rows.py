"""Canonical import columns per entity, and turning one text row into validated column values.

A row is a mapping of canonical column name → text (as read from CSV/XLSX). `parse` returns the
values the entity's table stores plus its natural key as `source_id`; keys starting with "_" are
references the importer resolves to foreign keys (an order number, a SKU, a company name).
A bad value raises `RowError` naming the column.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from binelek.connectors.currencies import is_currency
from binelek.connectors.models import EMAIL_MAX

Row = Mapping[str, str | None]
Record = dict[str, Any]

ORDER_STATUSES = ("pending", "paid", "fulfilled", "partially_refunded", "refunded", "cancelled")
PAYMENT_STATUSES = ("pending", "succeeded", "failed", "refunded")
INVOICE_STATUSES = ("draft", "open", "paid", "overdue", "void")
MONEY_LIMIT = Decimal(10) ** 14  # Numeric(18, 4): 14 digits before the point
DEFAULT_PIPELINE = "default"


class RowError(Exception):
    def __init__(self, column: str | None, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def text(row: Row, column: str, max_length: int, *, required: bool = False) -> str | None:
    value = (row.get(column) or "").strip()
    if not value:
        if required:
            raise RowError(column, "is required")
        return None
    if len(value) > max_length:
        raise RowError(column, f"is longer than {max_length} characters")
    return value


def required_text(row: Row, column: str, max_length: int) -> str:
    value = text(row, column, max_length, required=True)
    assert value is not None
    return value


def email(row: Row, column: str, *, required: bool = False) -> str | None:
    value = text(row, column, EMAIL_MAX, required=required)
    if value is None:
        return None
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or " " in value:
        raise RowError(column, f"{value!r} is not an e-mail address")
    return value.lower()


def money(row: Row, column: str, *, required: bool = False, signed: bool = False) -> Decimal | None:
    value = text(row, column, 40, required=required)
    if value is None:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise RowError(column, f"{value!r} is not a decimal number") from None
    if not amount.is_finite() or abs(amount) >= MONEY_LIMIT:
        raise RowError(column, f"{value!r} is out of range")
    if amount.as_tuple().exponent < -4:  # type: ignore[operator]
        raise RowError(column, f"{value!r} has more than 4 decimal places")
    if amount < 0 and not signed:
        raise RowError(column, "must not be negative")
    return amount


def required_money(row: Row, column: str) -> Decimal:
    value = money(row, column, required=True)
    assert value is not None
    return value


def integer(row: Row, column: str, *, required: bool = False, minimum: int = 0) -> int | None:
    value = text(row, column, 20, required=required)
    if value is None:
        return None
    try:
        number = int(Decimal(value)) if value.endswith((".0", ".00")) else int(value)
    except (ValueError, InvalidOperation):
        raise RowError(column, f"{value!r} is not a whole number") from None
    if number < minimum:
        raise RowError(column, f"must be at least {minimum}")
    if number > 2**31 - 1:
        raise RowError(column, "is too large")
    return number


def timestamp(row: Row, column: str, *, required: bool = False) -> datetime | None:
    """ISO 8601; a date alone means midnight UTC, and a time without an offset is taken as UTC."""
    value = text(row, column, 40, required=required)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise RowError(column, f"{value!r} is not an ISO 8601 date or time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def required_timestamp(row: Row, column: str) -> datetime:
    value = timestamp(row, column, required=True)
    assert value is not None
    return value


def day(row: Row, column: str) -> date | None:
    value = text(row, column, 40)
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10]) if len(value) > 10 else date.fromisoformat(value)
    except ValueError:
        raise RowError(column, f"{value!r} is not an ISO 8601 date") from None


def currency(row: Row, column: str, *, required: bool = False) -> str | None:
    value = text(row, column, 10, required=required)
    if value is None:
        return None
    code = value.upper()
    if not is_currency(code):
        raise RowError(column, f"{value!r} is not an ISO 4217 currency code")
    return code


def required_currency(row: Row, column: str) -> str:
    value = currency(row, column, required=True)
    assert value is not None
    return value


def choice(row: Row, column: str, allowed: tuple[str, ...]) -> str:
    value = required_text(row, column, 40).lower().replace(" ", "_").replace("-", "_")
    if value not in allowed:
        raise RowError(column, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def natural_key(*parts: str) -> str:
    """A source id from a natural key: case-insensitive, at most 255 characters."""
    return "|".join(part.strip().lower() for part in parts)[:255]


# -- entities -------------------------------------------------------------------------------------


def parse_customer(row: Row) -> Record:
    address = email(row, "email", required=True)
    assert address is not None
    return {
        "source_id": natural_key(address),
        "email": address,
        "name": required_text(row, "name", 300),
        "phone": text(row, "phone", 50),
        "country": text(row, "country", 100),
        "city": text(row, "city", 200),
        "source_created_at": timestamp(row, "created_at"),
    }


def parse_product(row: Row) -> Record:
    sku = required_text(row, "sku", 100)
    return {
        "source_id": natural_key(sku),
        "sku": sku,
        "name": required_text(row, "name", 300),
        "category": text(row, "category", 200),
        "price": required_money(row, "price"),
        "cost": money(row, "cost"),
        "currency": required_currency(row, "currency"),
        "inventory": integer(row, "inventory", minimum=-(2**31)),
    }


def parse_order(row: Row) -> Record:
    number = required_text(row, "order_number", 100)
    total = required_money(row, "total")
    discount = money(row, "discount") or Decimal(0)
    tax = money(row, "tax") or Decimal(0)
    shipping = money(row, "shipping") or Decimal(0)
    subtotal = money(row, "subtotal")
    return {
        "source_id": natural_key(number),
        "order_number": number,
        "customer_email": email(row, "customer_email"),
        "status": choice(row, "status", ORDER_STATUSES),
        "currency": required_currency(row, "currency"),
        "subtotal": subtotal if subtotal is not None else total - tax - shipping + discount,
        "discount": discount,
        "tax": tax,
        "shipping": shipping,
        "total": total,
        "placed_at": required_timestamp(row, "placed_at"),
        "channel": text(row, "channel", 50),
    }


def parse_order_item(row: Row) -> Record:
    number = required_text(row, "order_number", 100)
    sku = required_text(row, "sku", 100)
    quantity = integer(row, "quantity", required=True, minimum=1)
    assert quantity is not None
    unit_price = required_money(row, "unit_price")
    return {
        "source_id": natural_key(number, sku),
        "_order_number": number,
        "sku": sku,
        "quantity": quantity,
        "unit_price": unit_price,
        "line_total": unit_price * quantity,
    }


def parse_payment(row: Row) -> Record:
    number = required_text(row, "order_number", 100)
    amount = required_money(row, "amount")
    paid_at = required_timestamp(row, "paid_at")
    payment_id = text(row, "payment_id", 200)
    key = natural_key(payment_id) if payment_id else natural_key(number, paid_at.isoformat(), str(amount))
    return {
        "source_id": key,
        "_order_number": number,
        "amount": amount,
        "fee": money(row, "fee"),
        "currency": required_currency(row, "currency"),
        "status": choice(row, "status", PAYMENT_STATUSES),
        "method": text(row, "method", 40),
        "paid_at": paid_at,
    }


def parse_invoice(row: Row) -> Record:
    number = required_text(row, "invoice_number", 100)
    total = required_money(row, "total")
    status = choice(row, "status", INVOICE_STATUSES)
    balance = money(row, "balance")
    if balance is None:
        balance = Decimal(0) if status in ("paid", "void") else total
    return {
        "source_id": natural_key(number),
        "invoice_number": number,
        "customer_email": email(row, "customer_email"),
        "currency": currency(row, "currency"),
        "issued_at": required_timestamp(row, "issued_at"),
        "due_at": timestamp(row, "due_at"),
        "total": total,
        "balance": balance,
        "status": status,
    }


def parse_contact(row: Row) -> Record:
    address = email(row, "email", required=True)
    assert address is not None
    return {
        "source_id": natural_key(address),
        "email": address,
        "first_name": text(row, "first_name", 200),
        "last_name": text(row, "last_name", 200),
        "_company": text(row, "company", 300),
        "phone": text(row, "phone", 50),
        "source_created_at": timestamp(row, "created_at"),
    }


def parse_deal(row: Row) -> Record:
    name = required_text(row, "deal_name", 300)
    company = text(row, "company", 300)
    amount = money(row, "amount")
    deal_currency = currency(row, "currency")
    if amount is not None and deal_currency is None:
        raise RowError("currency", "is required with an amount")
    return {
        "source_id": natural_key(company or "", name),
        "name": name,
        "_company": company,
        "_contact_email": email(row, "contact_email"),
        "pipeline": text(row, "pipeline", 100) or DEFAULT_PIPELINE,
        "stage": required_text(row, "stage", 100),
        "amount": amount,
        "currency": deal_currency,
        "close_date": day(row, "close_date"),
        "owner_email": email(row, "owner_email"),
        "source_created_at": timestamp(row, "created_at"),
    }


@dataclass(frozen=True, slots=True)
class EntityColumns:
    required: tuple[str, ...]
    optional: tuple[str, ...]
    parse: Callable[[Row], Record]

    @property
    def all(self) -> tuple[str, ...]:
        return (*self.required, *self.optional)


ENTITY_COLUMNS: dict[str, EntityColumns] = {
    "customers": EntityColumns(("email", "name"), ("country", "city", "created_at", "phone"), parse_customer),
    "products": EntityColumns(
        ("sku", "name", "price", "currency"), ("category", "cost", "inventory"), parse_product
    ),
    "orders": EntityColumns(
        ("order_number", "placed_at", "status", "currency", "total"),
        ("customer_email", "subtotal", "discount", "tax", "shipping", "channel"),
        parse_order,
    ),
    "order_items": EntityColumns(("order_number", "sku", "quantity", "unit_price"), (), parse_order_item),
    "payments": EntityColumns(
        ("order_number", "amount", "currency", "status", "paid_at"),
        ("method", "fee", "payment_id"),
        parse_payment,
    ),
    "invoices": EntityColumns(
        ("invoice_number", "issued_at", "total", "status"),
        ("customer_email", "due_at", "balance", "currency"),
        parse_invoice,
    ),
    "contacts": EntityColumns(
        ("email",), ("first_name", "last_name", "company", "phone", "created_at"), parse_contact
    ),
    "deals": EntityColumns(
        ("deal_name", "stage"),
        (
            "company",
            "contact_email",
            "pipeline",
            "amount",
            "currency",
            "close_date",
            "owner_email",
            "created_at",
        ),
        parse_deal,
    ),
}
ENTITIES = tuple(ENTITY_COLUMNS)
