"""What a provider adapter is: how to read one provider's API into the common schema.

An adapter is stateless. The sync engine owns credentials, checkpoints, rate limits, retries and
writing; an adapter only knows its provider's URLs, paging, incremental mechanism, record shapes and
webhook signature. `fetch` is called once per page with the stream's last checkpoint and returns the
page's records already mapped to the common schema (typed values: `Decimal` money, aware or naive-UTC
`datetime`s, ISO 4217 currencies), the source ids the provider reports deleted, and the checkpoint to
store; the engine writes records and checkpoint together, so a crash resumes at the page after the
last one written and re-reading a page never duplicates anything.

Records are dicts of the target table's business columns plus:
- `source_id` (required): the provider's id for the object, unique within the entity;
- `source_updated_at` (optional): when the provider last changed it;
- references the engine resolves to foreign keys within the same connection, by the parent's
  `source_id`: `_customer`, `_order`, `_product`, `_payment`, `_company`, `_contact`. A reference that
  is not found is left empty (order items, whose order is required, are dropped and counted as failed).
  Orders and invoices without `_customer` are linked to the tenant's customer with `customer_email`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from binelek.connectors.api_client import ApiClient
from binelek.connectors.providers import ProviderSpec

Record = dict[str, Any]
Checkpoint = dict[str, Any]


@dataclass(slots=True)
class Page:
    # entity → records, written in this order (put parents before children: orders before order_items)
    records: dict[str, list[Record]] = field(default_factory=dict)
    deleted: dict[str, list[str]] = field(default_factory=dict)  # entity → source ids
    checkpoint: Checkpoint = field(default_factory=dict)  # passed back to the next `fetch` of this stream
    done: bool = False  # this pass over the stream is complete; `checkpoint` then starts the next pass


@dataclass(frozen=True, slots=True)
class ConnectionContext:
    """What an adapter knows about the connection it reads."""

    config: Mapping[str, Any]  # non-secret, per connection: shop, realm_id, api_domain, xero tenant id, …
    access_token: str  # the OAuth access token or the API key


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    method: str
    url: str  # the full URL the provider called, as it sees it (HubSpot and Square sign it)
    headers: Mapping[str, str]  # lower-case names
    body: bytes  # raw, exactly as received: signatures cover these bytes


@dataclass(frozen=True, slots=True)
class WebhookNotice:
    event_id: str  # the provider's id for the delivery, for de-duplication
    type: str  # the provider's event type ("orders/create", "invoice.paid", …)
    streams: tuple[str, ...]  # streams to sync incrementally because of it


@dataclass(frozen=True, slots=True)
class WebhookResult:
    notices: tuple[WebhookNotice, ...] = ()
    # A handshake answer instead of processing (Microsoft Graph's validationToken): the receiver
    # answers 200 text/plain with exactly this text.
    challenge: str | None = None


class SignatureInvalid(Exception):
    """The webhook's signature, timestamp or client state does not verify; nothing is stored."""


class Adapter:
    """Base class: override what the provider needs; the defaults suit a Bearer-token JSON API."""

    spec: ClassVar[ProviderSpec]
    # Streams in sync order (parents first). Each names the entities its pages carry.
    streams: ClassVar[tuple[str, ...]]
    # How the token endpoint wants the client authenticated and the body encoded (Shopify takes JSON).
    token_auth: ClassVar[str] = "client_secret_post"  # or "client_secret_basic"
    token_json: ClassVar[bool] = False

    def base_url(self, config: Mapping[str, Any]) -> str:
        """The API's origin and path prefix for this connection (the engine may redirect the origin)."""
        raise NotImplementedError

    def auth_headers(self, context: ConnectionContext) -> dict[str, str]:
        return {"Authorization": f"Bearer {context.access_token}"}

    async def fetch(
        self, api: ApiClient, context: ConnectionContext, stream: str, checkpoint: Checkpoint | None
    ) -> Page:
        """One page of `stream` after `checkpoint` (None: the first full pass)."""
        raise NotImplementedError

    async def check(self, api: ApiClient, context: ConnectionContext) -> None:
        """One cheap authenticated call, to reject a wrong key before a connection is saved;
        raises `ProviderError` (from the client) when the provider refuses."""

    # -- OAuth specifics ------------------------------------------------------------------------

    def authorize_params(self, config: Mapping[str, Any]) -> dict[str, str]:
        """Extra query parameters for the authorization URL (access_type=offline, …)."""
        return {}

    def check_callback(self, extras: Mapping[str, str], client_secret: str) -> None:
        """Verify what the provider added to the redirect (Shopify's hmac); raise SignatureInvalid."""

    async def after_token(
        self, api: ApiClient, token: Mapping[str, Any], config: dict[str, Any]
    ) -> dict[str, Any]:
        """Complete the connection's config once tokens exist (Xero's tenant id, Zoho's api_domain)."""
        return config

    async def revoke(self, api: ApiClient, context: ConnectionContext, client: Mapping[str, str]) -> None:
        """Revoke the grant at the provider, where it supports that."""

    # -- webhooks -------------------------------------------------------------------------------

    def verify_webhook(self, request: WebhookRequest, secret: str) -> WebhookResult:
        raise SignatureInvalid(f"{self.spec.name} does not send webhooks")


def hmac_sha256(key: str | bytes, message: bytes, encoding: str) -> str:
    key_bytes = key.encode() if isinstance(key, str) else key
    digest = hmac.new(key_bytes, message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode() if encoding == "base64" else digest.hex()


def signatures_match(expected: str, received: str | None) -> bool:
    """Constant-time comparison; a missing signature never matches."""
    return received is not None and hmac.compare_digest(expected.encode(), received.strip().encode())
