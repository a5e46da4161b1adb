"""The common business schema: one set of tenant-scoped tables every source writes into.

Every business row keeps its provenance — the connection it came from, the source's own id, when the
source last changed it and a hash of its content — unique per (tenant, connection, source id), so a
re-sync or re-import updates in place and the AI layer can cite where a number came from.
Money is `Numeric(18, 4)` (Python `Decimal`), currency an ISO 4217 code.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from binelek.kit.crypto import encrypted_column
from binelek.kit.db import Base, IdMixin, JSONType, TenantMixin, TimestampMixin, utcnow

MONEY = Numeric(18, 4)
EMAIL_MAX = 320
ERRORS_KEPT = 1000  # a file import stores its first 1,000 row errors and counts the rest


class Connection(IdMixin, TimestampMixin, TenantMixin, Base):
    """A source of business data: a provider account, or "file" for uploaded CSV/XLSX files."""

    __tablename__ = "connections"
    __table_args__ = (Index("ix_connections_tenant_type", "tenant_id", "type"),)

    type: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | error | disconnected
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Non-secret settings of the provider account: shop, realm_id, api_domain, Xero tenant id, …
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_error: Mapped[str | None] = mapped_column(String(1000))
    last_synced_at: Mapped[datetime | None] = mapped_column()  # the end of the last completed sync


class ConnectionCredential(IdMixin, TenantMixin, Base):
    """A connection's tokens or key, Fernet-encrypted as one JSON document; never returned by the API."""

    __tablename__ = "connection_credentials"

    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # oauth2 | api_key
    secret_encrypted: Mapped[str] = mapped_column(Text())
    access_expires_at: Mapped[datetime | None] = mapped_column()
    refresh_expires_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer(), default=1)  # +1 on every refresh
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


encrypted_column(ConnectionCredential.secret_encrypted)


class OAuthState(IdMixin, TenantMixin, Base):
    """A pending authorization: one-time, bound to the user and tenant that started it, short-lived."""

    __tablename__ = "oauth_states"

    state_digest: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the state sent out
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(40))
    verifier_encrypted: Mapped[str | None] = mapped_column(Text())  # the PKCE code verifier
    redirect_uri: Mapped[str] = mapped_column(String(1000))
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()


class SyncRun(IdMixin, TimestampMixin, TenantMixin, Base):
    """One sync of a connection: what started it, how it went, what it wrote per stream."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_connection_created", "connection_id", "created_at"),)

    connection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(20))  # initial | manual | schedule | webhook
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued | running | completed | failed
    streams: Mapped[list[str]] = mapped_column(default=list)  # empty: every stream
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    duration_ms: Mapped[int | None] = mapped_column(Integer())
    # stream → {"pages", "fetched", "created", "updated", "deleted", "failed"}
    records: Mapped[dict[str, Any]] = mapped_column(default=dict)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(default=list)  # [{stream, message}]
    requests: Mapped[int] = mapped_column(Integer(), default=0)
    throttled: Mapped[int] = mapped_column(Integer(), default=0)
    detail: Mapped[str | None] = mapped_column(String(1000))


class SyncState(IdMixin, TenantMixin, Base):
    """Where each stream of a connection stands: the checkpoint written with every page."""

    __tablename__ = "sync_states"
    __table_args__ = (UniqueConstraint("connection_id", "stream", name="uq_sync_states_stream"),)

    connection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    stream: Mapped[str] = mapped_column(String(60))
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    full_sync_done: Mapped[bool] = mapped_column(Boolean(), default=False)
    run_id: Mapped[uuid.UUID | None] = mapped_column()  # the run the current pass belongs to
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebhookEvent(IdMixin, TenantMixin, Base):
    """A verified incoming webhook delivery, kept to drop the provider's retries of it."""

    __tablename__ = "connector_webhook_events"
    __table_args__ = (
        UniqueConstraint("connection_id", "event_id", name="uq_connector_webhook_events_event"),
    )

    connection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProvenanceMixin:
    """Where a business row came from; (tenant, connection, source_id) is unique per table."""

    source_id: Mapped[str] = mapped_column(String(255))
    source_updated_at: Mapped[datetime | None] = mapped_column()
    content_hash: Mapped[str] = mapped_column(String(64))

    @declared_attr
    def connection_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))

    @declared_attr
    def connection(cls) -> Mapped[Connection]:
        return relationship(Connection, lazy="raise")


def _parent(target: str) -> Any:
    """A many-to-one link; besides navigation it tells the unit of work to write parents first.
    Never loaded implicitly (async sessions cannot lazy-load): use selectinload/joinedload."""
    return relationship(target, lazy="raise")


def _provenance(table: str, *indexes: Index) -> tuple[Any, ...]:
    return (
        UniqueConstraint("tenant_id", "connection_id", "source_id", name=f"uq_{table}_source"),
        *indexes,
    )


class Customer(ProvenanceMixin, IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "customers"
    __table_args__ = _provenance("customers", Index("ix_customers_tenant_email", "tenant_id", "email"))

    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))  # stored lower-case
    name: Mapped[str] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(50))
    country: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(200))
    source_created_at: Mapped[datetime | None] = mapped_column()  # when the source first saw them


class Product(ProvenanceMixin, IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "products"
    __table_args__ = _provenance("products", Index("ix_products_tenant_sku", "tenant_id", "sku"))

    sku: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    category: Mapped[str | None] = mapped_column(String(200))
    price: Mapped[Decimal] = mapped_column(MONEY)
    cost: Mapped[Decimal | None] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    inventory: Mapped[int | None] = mapped_column(Integer())


class Order(ProvenanceMixin, IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "orders"
    __table_args__ = _provenance(
        "orders",
        Index("ix_orders_tenant_placed", "tenant_id", "placed_at"),
        Index("ix_orders_tenant_number", "tenant_id", "order_number"),
        # With placed_at: "had this customer ordered before?" is one index probe (returning customers).
        Index("ix_orders_tenant_customer", "tenant_id", "customer_id", "placed_at"),
        Index("ix_orders_tenant_status", "tenant_id", "status"),
    )

    order_number: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    customer: Mapped[Customer | None] = _parent("Customer")
    customer_email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    # pending | paid | fulfilled | partially_refunded | refunded | cancelled
    status: Mapped[str] = mapped_column(String(30))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal] = mapped_column(MONEY)
    discount: Mapped[Decimal] = mapped_column(MONEY)
    tax: Mapped[Decimal] = mapped_column(MONEY)
    shipping: Mapped[Decimal] = mapped_column(MONEY)
    total: Mapped[Decimal] = mapped_column(MONEY)
    placed_at: Mapped[datetime] = mapped_column()
    channel: Mapped[str | None] = mapped_column(String(50))


class OrderItem(ProvenanceMixin, IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "order_items"
    __table_args__ = _provenance(
        "order_items",
        # Covering on PostgreSQL: reports join a period's orders to their lines, index-only.
        Index(
            "ix_order_items_order",
            "order_id",
            postgresql_include=["tenant_id", "product_id", "sku", "quantity", "line_total"],
        ),
        Index("ix_order_items_tenant_product", "tenant_id", "product_id"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    order: Mapped[Order] = _parent("Order")
    product_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    product: Mapped[Product | None] = _parent("Product")
    sku: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer())
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    line_total: Mapped[Decimal] = mapped_column(MONEY)


class Payment(ProvenanceMixin, IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "payments"
    __table_args__ = _provenance(
        "payments",
        Index("ix_payments_tenant_paid", "tenant_id", "paid_at"),
        Index("ix_payments_order", "order_id"),
    )

    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    order: Mapped[Order | None] = _parent("Order")
    status: Mapped[str] = mapped_column(String(20))  # pending | succeeded | failed | refunded
    method: Mapped[str | None] = mapped_column(String(40))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    fee: Mapped[Decimal | None] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    paid_at: Mapped[datetime] = mapped_column()


class Refund(ProvenanceMixin, IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "refunds"
    __table_args__ = _provenance(
        "refunds",
        Index("ix_refunds_tenant_refunded", "tenant_id", "refunded_at"),
        Index("ix_refunds_order", "order_id"),
    )

    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    order: Mapped[Order | None] = _parent("Order")
    payment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"))
    payment: Mapped[Payment | None] = _parent("Payment")
    reason: Mapped[str | None] = mapped_column(String(300))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    refunded_at: Mapped[datetime] = mapped_column()


class Invoice(ProvenanceMixin, IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "invoices"
    __table_args__ = _provenance(
        "invoices",
        Index("ix_invoices_tenant_issued", "tenant_id", "issued_at"),
        Index("ix_invoices_tenant_status_due", "tenant_id", "status", "due_at"),
        Index("ix_invoices_tenant_customer", "tenant_id", "customer_id"),
    )

    invoice_number: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    customer: Mapped[Customer | None] = _parent("Customer")
    customer_email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    currency: Mapped[str | None] = mapped_column(String(3))
    issued_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column()
    total: Mapped[Decimal] = mapped_column(MONEY)
    balance: Mapped[Decimal] = mapped_column(MONEY)
    status: Mapped[str] = mapped_column(String(20))  # draft | open | paid | overdue | void
    overdue_notified_at: Mapped[datetime | None] = mapped_column()  # when invoice.overdue was emitted


class Company(ProvenanceMixin, IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "companies"
    __table_args__ = _provenance("companies", Index("ix_companies_tenant_name", "tenant_id", "name"))

    name: Mapped[str] = mapped_column(String(300))
    domain: Mapped[str | None] = mapped_column(String(255))


class Contact(ProvenanceMixin, IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "contacts"
    __table_args__ = _provenance("contacts", Index("ix_contacts_tenant_email", "tenant_id", "email"))

    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    company_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"))
    company: Mapped[Company | None] = _parent("Company")
    phone: Mapped[str | None] = mapped_column(String(50))
    source_created_at: Mapped[datetime | None] = mapped_column()


class Deal(ProvenanceMixin, IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "deals"
    __table_args__ = _provenance(
        "deals",
        Index("ix_deals_tenant_stage", "tenant_id", "pipeline", "stage"),
        Index("ix_deals_tenant_close", "tenant_id", "close_date"),
    )

    name: Mapped[str] = mapped_column(String(300))
    company_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"))
    company: Mapped[Company | None] = _parent("Company")
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    contact: Mapped[Contact | None] = _parent("Contact")
    pipeline: Mapped[str] = mapped_column(String(100))
    stage: Mapped[str] = mapped_column(String(100))  # free text from the CRM ("Qualified", "Won", …)
    amount: Mapped[Decimal | None] = mapped_column(MONEY)
    currency: Mapped[str | None] = mapped_column(String(3))
    close_date: Mapped[date | None] = mapped_column(Date())
    owner_email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    source_created_at: Mapped[datetime | None] = mapped_column()


class EmailMessage(ProvenanceMixin, IdMixin, TimestampMixin, TenantMixin, Base):
    """Metadata only: no body is stored by default."""

    __tablename__ = "email_messages"
    __table_args__ = _provenance(
        "email_messages", Index("ix_email_messages_tenant_sent", "tenant_id", "sent_at")
    )

    thread_id: Mapped[str | None] = mapped_column(String(255))
    from_address: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    to_addresses: Mapped[list[str]] = mapped_column(default=list)
    cc_addresses: Mapped[list[str]] = mapped_column(default=list)
    subject: Mapped[str | None] = mapped_column(String(1000))
    labels: Mapped[list[str]] = mapped_column(default=list)
    sent_at: Mapped[datetime | None] = mapped_column()


class CalendarEvent(ProvenanceMixin, IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "calendar_events"
    __table_args__ = _provenance(
        "calendar_events", Index("ix_calendar_events_tenant_starts", "tenant_id", "starts_at")
    )

    title: Mapped[str | None] = mapped_column(String(1000))
    organizer_email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    attendees: Mapped[list[str]] = mapped_column(default=list)
    location: Mapped[str | None] = mapped_column(String(500))
    starts_at: Mapped[datetime | None] = mapped_column()
    ends_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[str | None] = mapped_column(String(20))  # confirmed | tentative | cancelled


class FileImport(IdMixin, TimestampMixin, TenantMixin, Base):
    """One uploaded CSV/XLSX file and its progress; the file itself lives until it is processed."""

    __tablename__ = "file_imports"
    __table_args__ = (Index("ix_file_imports_tenant_created", "tenant_id", "created_at"),)

    connection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    connection: Mapped[Connection] = _parent("Connection")
    entity: Mapped[str] = mapped_column(String(30))
    filename: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued | running | completed | failed
    rows_total: Mapped[int] = mapped_column(Integer(), default=0)
    rows_imported: Mapped[int] = mapped_column(Integer(), default=0)
    rows_failed: Mapped[int] = mapped_column(Integer(), default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(default=list)  # the first ERRORS_KEPT
    errors_omitted: Mapped[int] = mapped_column(Integer(), default=0)
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    detail: Mapped[str | None] = mapped_column(String(1000))  # why a whole file failed
    stored_path: Mapped[str | None] = mapped_column(String(1000))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    finished_at: Mapped[datetime | None] = mapped_column()
