"""Declarative descriptions of the providers a connection can come from, as their public docs state them.

A spec is data, not behaviour: the OAuth flow, the sync engine and the webhook receiver read it to know
where to authorize, how a provider pages and paces its API, and how it signs what it sends. URL
templates use `{shop}`, `{accounts_domain}` style placeholders filled per connection. "file" (CSV/XLSX
upload) is the built-in source and needs no credentials.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Category = Literal["commerce", "payments", "crm", "accounting", "email", "files"]
AuthKind = Literal["oauth2", "api_key", "none"]
PaginationStyle = Literal["cursor", "page", "offset", "page_token", "next_link", "none"]


@dataclass(frozen=True, slots=True)
class TokenPolicy:
    access_token_seconds: int | None  # None: the token does not expire
    refresh_token_seconds: int | None  # None: no refresh token, or it does not expire
    rotates_refresh_token: bool  # the provider returns a new refresh token and retires the old one


@dataclass(frozen=True, slots=True)
class RateLimit:
    requests: int
    window_seconds: int
    scope: str  # what the budget is counted per: app, shop, account, realm, tenant, …
    note: str = ""


@dataclass(frozen=True, slots=True)
class WebhookSignature:
    header: str  # where the proof travels; for Microsoft Graph, the clientState field of each notification
    algorithm: Literal["hmac-sha256", "client-state"]
    encoding: Literal["base64", "hex", "none"]
    signed_content: str  # what the HMAC covers, in the provider's words
    tolerance_seconds: int | None  # the timestamp window, where the provider signs a timestamp


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    id: str
    name: str
    category: Category
    auth: AuthKind
    authorize_url: str | None
    token_url: str | None
    scopes: tuple[str, ...]
    pkce: bool
    tokens: TokenPolicy | None
    pagination: PaginationStyle
    pagination_detail: str
    incremental: str
    rate_limit: RateLimit | None
    webhook: WebhookSignature | None
    streams: tuple[str, ...]  # the common-schema tables it fills
    docs_url: str


SHOPIFY = ProviderSpec(
    id="shopify",
    name="Shopify",
    category="commerce",
    auth="oauth2",
    authorize_url="https://{shop}.myshopify.com/admin/oauth/authorize",
    token_url="https://{shop}.myshopify.com/admin/oauth/access_token",
    scopes=("read_products", "read_orders", "read_customers", "read_inventory"),
    pkce=False,
    # Expiring offline tokens: access 1 h, refresh 90 days, each refresh returns a new refresh token.
    tokens=TokenPolicy(3600, 90 * 86400, rotates_refresh_token=True),
    pagination="cursor",
    pagination_detail="GraphQL connections: first/after with pageInfo { hasNextPage endCursor }",
    incremental="query filter updated_at:>'{cursor}' sorted by UPDATED_AT",
    # No request-count limit: the GraphQL Admin API meters calculated query cost in a leaky bucket
    # per app and shop, restoring 100 points/s (Standard), 200 (Advanced), 1,000 (Plus); one query may
    # cost at most 1,000. The adapter paces itself on the bucket each answer reports.
    rate_limit=None,
    webhook=WebhookSignature(
        "X-Shopify-Hmac-Sha256", "hmac-sha256", "base64", "raw request body, keyed by the app secret", None
    ),
    streams=("products", "orders", "order_items", "customers", "refunds"),
    docs_url="https://shopify.dev/docs/api/admin-graphql",
)

STRIPE = ProviderSpec(
    id="stripe",
    name="Stripe",
    category="payments",
    auth="api_key",  # a restricted key (rk_live_…) with read permissions, sent as a Bearer token
    authorize_url=None,
    token_url=None,
    scopes=(),
    pkce=False,
    tokens=None,
    pagination="cursor",
    pagination_detail="limit (max 100) with starting_after=<last object id> while has_more is true",
    incremental="GET /v1/events (kept 30 days) after the last seen event id",
    # A sync lists one endpoint at a time, and each endpoint allows 25 requests/s by default (within
    # the account's 100/s in live mode, 25/s in a sandbox).
    rate_limit=RateLimit(25, 1, "endpoint", "25 requests/s per endpoint; 100/s per account live, 25 sandbox"),
    webhook=WebhookSignature(
        "Stripe-Signature", "hmac-sha256", "hex", "'{t}.{raw body}'; header is t=<unix>,v1=<hex>", 300
    ),
    streams=("customers", "payments", "refunds", "invoices"),
    docs_url="https://docs.stripe.com/api",
)

SQUARE = ProviderSpec(
    id="square",
    name="Square",
    category="commerce",
    auth="oauth2",
    authorize_url="https://connect.squareup.com/oauth2/authorize",
    token_url="https://connect.squareup.com/oauth2/token",
    scopes=(
        "ORDERS_READ",
        "PAYMENTS_READ",
        "CUSTOMERS_READ",
        "ITEMS_READ",
        "INVENTORY_READ",
        "MERCHANT_PROFILE_READ",
    ),
    pkce=True,
    # Access tokens last 30 days; code-flow refresh tokens do not expire and come back unchanged, PKCE
    # ones last 90 days and are single-use (each refresh returns a new one). With PKCE on, plan for
    # the rotating kind.
    tokens=TokenPolicy(30 * 86400, 90 * 86400, rotates_refresh_token=True),
    pagination="cursor",
    pagination_detail="cursor in the body/query, next page's cursor returned as `cursor`",
    incremental="SearchOrders / ListPayments filtered by updated_at / begin_time from the last cursor",
    rate_limit=None,  # Square publishes no fixed number; it answers 429 RATE_LIMITED
    webhook=WebhookSignature(
        "x-square-hmacsha256-signature",
        "hmac-sha256",
        "base64",
        "notification URL + raw body, keyed by the subscription's signature key",
        None,
    ),
    streams=("orders", "order_items", "payments", "refunds", "customers", "products"),
    docs_url="https://developer.squareup.com/reference/square",
)

HUBSPOT = ProviderSpec(
    id="hubspot",
    name="HubSpot",
    category="crm",
    auth="oauth2",
    authorize_url="https://app.hubspot.com/oauth/authorize",
    token_url="https://api.hubapi.com/oauth/v1/token",
    scopes=("oauth", "crm.objects.contacts.read", "crm.objects.companies.read", "crm.objects.deals.read"),
    pkce=False,
    tokens=TokenPolicy(1800, None, rotates_refresh_token=False),
    pagination="cursor",
    pagination_detail="limit (max 100) with after=paging.next.after",
    incremental="CRM search API: hs_lastmodifieddate GT the last cursor, sorted ascending",
    rate_limit=RateLimit(100, 10, "app per account", "public apps 100 requests/10 s; search 5 requests/s"),
    webhook=WebhookSignature(
        "X-HubSpot-Signature-v3",
        "hmac-sha256",
        "base64",
        "method + URI + raw body + X-HubSpot-Request-Timestamp, keyed by the client secret",
        300,
    ),
    streams=("contacts", "companies", "deals"),
    docs_url="https://developers.hubspot.com/docs/api/crm/understanding-the-crm",
)

ZOHO_CRM = ProviderSpec(
    id="zoho_crm",
    name="Zoho CRM",
    category="crm",
    auth="oauth2",
    # {accounts_domain}: accounts.zoho.com | .eu | .in | .com.au | .jp; the token answer names api_domain.
    authorize_url="https://{accounts_domain}/oauth/v2/auth",
    token_url="https://{accounts_domain}/oauth/v2/token",
    scopes=(
        "ZohoCRM.modules.contacts.READ",
        "ZohoCRM.modules.accounts.READ",
        "ZohoCRM.modules.deals.READ",
        "ZohoCRM.org.READ",  # the home currency of deal amounts
    ),
    pkce=False,
    tokens=TokenPolicy(3600, None, rotates_refresh_token=False),
    pagination="page_token",
    pagination_detail="page/per_page (max 200) up to 2,000 records, then info.next_page_token",
    incremental="If-Modified-Since header with the last Modified_Time",
    rate_limit=None,  # credit-based per organisation and edition, not a fixed request count
    # Notifications are not signed: they carry the token the subscriber chose for the channel.
    webhook=WebhookSignature(
        "token", "client-state", "none", "the body's `token`, chosen when the channel was set up", None
    ),
    streams=("contacts", "companies", "deals"),
    docs_url="https://www.zoho.com/crm/developer/docs/api/v6/",
)

QUICKBOOKS = ProviderSpec(
    id="quickbooks",
    name="QuickBooks Online",
    category="accounting",
    auth="oauth2",
    authorize_url="https://appcenter.intuit.com/connect/oauth2",
    token_url="https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
    scopes=("com.intuit.quickbooks.accounting",),
    pkce=False,
    tokens=TokenPolicy(3600, 100 * 86400, rotates_refresh_token=True),
    pagination="offset",
    pagination_detail="query ... STARTPOSITION n MAXRESULTS m (max 1,000), per realmId",
    incremental="GET /v3/company/{realmId}/cdc?entities=…&changedSince= (last 30 days)",
    rate_limit=RateLimit(500, 60, "realm", "and 10 concurrent requests per realm and app"),
    webhook=WebhookSignature(
        "intuit-signature", "hmac-sha256", "base64", "raw body, keyed by the webhook verifier token", None
    ),
    streams=("customers", "invoices", "payments"),
    docs_url="https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/account",
)

XERO = ProviderSpec(
    id="xero",
    name="Xero",
    category="accounting",
    auth="oauth2",
    authorize_url="https://login.xero.com/identity/connect/authorize",
    token_url="https://identity.xero.com/connect/token",
    scopes=(
        "openid",
        "offline_access",
        "accounting.contacts.read",
        "accounting.transactions.read",
    ),
    pkce=True,
    tokens=TokenPolicy(1800, 60 * 86400, rotates_refresh_token=True),
    pagination="page",
    pagination_detail="page=n with pageSize (100 by default, up to 1,000) and the xero-tenant-id header",
    incremental="If-Modified-Since header with the last UpdatedDateUTC, order=UpdatedDateUTC ASC",
    rate_limit=RateLimit(60, 60, "tenant", "and 5,000 calls/day per tenant, 5 concurrent calls"),
    webhook=WebhookSignature(
        "x-xero-signature", "hmac-sha256", "base64", "raw body, keyed by the webhook key", None
    ),
    streams=("customers", "invoices", "payments"),
    docs_url="https://developer.xero.com/documentation/api/accounting/overview",
)

GMAIL = ProviderSpec(
    id="gmail",
    name="Gmail",
    category="email",
    auth="oauth2",
    authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
    token_url="https://oauth2.googleapis.com/token",
    # gmail.readonly only if bodies are wanted; gmail.send lets Ops Copilot send from the mailbox.
    scopes=("https://www.googleapis.com/auth/gmail.metadata", "https://www.googleapis.com/auth/gmail.send"),
    pkce=True,
    tokens=TokenPolicy(3600, None, rotates_refresh_token=False),
    pagination="page_token",
    pagination_detail="maxResults with pageToken=nextPageToken",
    incremental="users.history.list with startHistoryId (a full sync again when it answers 404)",
    # 15,000 quota units per user per minute; the pacer counts requests, so it assumes the 5 units of
    # messages.get/messages.list for each (history.list costs 2, getProfile 1).
    rate_limit=RateLimit(
        3000, 60, "user", "15,000 quota units per user per minute; messages.get and messages.list cost 5"
    ),
    webhook=None,  # push goes through Cloud Pub/Sub, authenticated by the subscription, not an HMAC
    streams=("email_messages",),
    docs_url="https://developers.google.com/gmail/api/reference/rest",
)

OUTLOOK = ProviderSpec(
    id="outlook",
    name="Outlook",
    category="email",
    auth="oauth2",
    authorize_url="https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
    token_url="https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
    scopes=("offline_access", "User.Read", "Mail.ReadBasic", "Mail.Send", "Calendars.Read"),
    pkce=True,
    # Access tokens last 60 to 90 minutes; refresh tokens are replaced on use and last 90 days.
    tokens=TokenPolicy(3600, 90 * 86400, rotates_refresh_token=True),
    pagination="next_link",
    pagination_detail="follow @odata.nextLink until @odata.deltaLink is returned",
    incremental="Graph delta queries (messages/delta, calendarView/delta) from the stored @odata.deltaLink",
    rate_limit=RateLimit(10_000, 600, "mailbox", "Outlook service limit per app per mailbox"),
    webhook=WebhookSignature(
        "clientState",
        "client-state",
        "none",
        "subscription validationToken echoed as text/plain; each notification's clientState compared",
        None,
    ),
    streams=("email_messages", "calendar_events"),
    docs_url="https://learn.microsoft.com/en-us/graph/api/resources/webhooks",
)

FILE = ProviderSpec(
    id="file",
    name="File import (CSV/XLSX)",
    category="files",
    auth="none",
    authorize_url=None,
    token_url=None,
    scopes=(),
    pkce=False,
    tokens=None,
    pagination="none",
    pagination_detail="",
    incremental="re-importing a file updates changed rows by their natural key",
    rate_limit=None,
    webhook=None,
    streams=("customers", "products", "orders", "order_items", "payments", "invoices", "contacts", "deals"),
    docs_url="",
)

PROVIDERS: tuple[ProviderSpec, ...] = (
    SHOPIFY,
    STRIPE,
    SQUARE,
    HUBSPOT,
    ZOHO_CRM,
    QUICKBOOKS,
    XERO,
    GMAIL,
    OUTLOOK,
)
CATALOGUE: tuple[ProviderSpec, ...] = (*PROVIDERS, FILE)
BY_ID: dict[str, ProviderSpec] = {spec.id: spec for spec in CATALOGUE}
# Providers that also take a key (or a custom app's token) instead of OAuth, and its fields.
KEY_FIELDS: dict[str, tuple[str, ...]] = {"stripe": ("api_key",), "shopify": ("shop", "access_token")}
