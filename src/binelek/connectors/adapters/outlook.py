"""Outlook through Microsoft Graph: inbox message metadata into `email_messages`, the primary calendar
into `calendar_events`, both by delta query.

A round starts with the delta function (`mailFolders/inbox/messages/delta` with `$select`, or
`calendarView/delta` with a date window, which takes no `$select`), then follows `@odata.nextLink` until
an answer carries `@odata.deltaLink`. Graph encodes every query parameter of the first request in those
links' state tokens, so the links are stored and fetched as they are: a next link is the checkpoint
inside a round (a crash resumes there), the delta link ends the round and starts the next, which returns
only what changed. `Prefer: odata.maxpagesize` sets the page size. Removed items arrive as
`{"@removed": {"reason": …}, "id": …}` and become deletions; for a calendar view that also covers
events moved out of the window, which then leave the store too.

Graph drops old delta tokens when its cache fills: it answers 410 Gone (a "synchronization reset") or a
4xx with `syncStateNotFound`, and the adapter starts a new round from the beginning; the engine's upserts
make reading everything again safe. The calendar window (a year back and ahead by default) is fixed when
a round starts because it is part of the token, so when its end comes near a new round with a window
around today is started.

Graph answers throttling with 429 and Retry-After, which the client honours. Times come in UTC (no
`Prefer: outlook.timezone` is sent); an event's `{dateTime, timeZone}` is still read in its zone should it
name another.

OAuth: `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/…` with `tenant` from the connection's
config ("common" unless it names a directory), PKCE, client credentials in the form; refresh tokens are
replaced on use. The identity platform has no endpoint that revokes a single grant (only
revokeSignInSessions, which signs the user out everywhere), so `revoke` does nothing; the user removes the
app under "My Apps".

Sending (Ops Copilot's e-mail): `POST /me/sendMail` with the message as JSON, saved to Sent Items;
Graph answers 202 without an id. The grant must hold `Mail.Send`.

Webhooks are Graph change notifications. Creating a subscription makes Graph POST
`?validationToken=…`, to be echoed as text/plain: `verify_webhook` returns it as the challenge. A
notification delivery is accepted only if every notification in it carries the subscription's
clientState (the configured secret, compared in constant time).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog

from binelek.connectors.adapters.base import (
    Adapter,
    Checkpoint,
    ConnectionContext,
    Page,
    Record,
    SignatureInvalid,
    WebhookNotice,
    WebhookRequest,
    WebhookResult,
    signatures_match,
)
from binelek.connectors.api_client import ApiClient, ProviderError, provider_error
from binelek.connectors.providers import OUTLOOK

log = structlog.get_logger(__name__)

GRAPH = "https://graph.microsoft.com/v1.0"
MESSAGES_DELTA = f"{GRAPH}/me/mailFolders/inbox/messages/delta"
EVENTS_DELTA = f"{GRAPH}/me/calendarView/delta"
MESSAGE_FIELDS = (
    "subject",
    "from",
    "toRecipients",
    "ccRecipients",
    "receivedDateTime",
    "conversationId",
    "categories",
    "lastModifiedDateTime",
)
ENTITIES = {"messages": "email_messages", "events": "calendar_events"}
SYNC_RESET_CODES = frozenset({"syncstatenotfound", "syncstateinvalid", "resyncrequired"})
DEFAULT_TENANT = "common"
SEND_SCOPE = "mail.send"  # Graph names scopes bare ("Mail.Send") or as URLs (".../Mail.Send")
SUBJECT_MAX = 1000  # email_messages.subject and calendar_events.title column lengths
LOCATION_MAX = 500


class OutlookAdapter(Adapter):
    spec = OUTLOOK
    streams = ("messages", "events")

    def __init__(
        self,
        *,
        page_size: int = 100,
        days_back: int = 365,
        days_ahead: int = 365,
        renew_within_days: int = 30,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.page_size = page_size
        self.days_back = days_back  # the calendar window around the day a round starts
        self.days_ahead = days_ahead
        self.renew_within_days = renew_within_days  # start a new window when its end is this close
        self.clock = clock

    def base_url(self, config: Mapping[str, Any]) -> str:
        return GRAPH

    async def check(self, api: ApiClient, context: ConnectionContext) -> None:
        await api.get_json(f"{GRAPH}/me", params={"$select": "id"})

    async def after_token(
        self, api: ApiClient, token: Mapping[str, Any], config: dict[str, Any]
    ) -> dict[str, Any]:
        """Record which mailbox was connected as `account_name` (it names the connection), and the tenant."""
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        me = await api.get_json(
            f"{GRAPH}/me", params={"$select": "mail,userPrincipalName"}, headers=headers, authenticated=False
        )
        address = me.get("mail") or me.get("userPrincipalName")
        return {**config, "tenant": tenant(config), "account_name": address.lower() if address else None}

    async def revoke(self, api: ApiClient, context: ConnectionContext, client: Mapping[str, str]) -> None:
        """Nothing to call: Microsoft has no per-grant revocation endpoint (see the module docstring)."""

    # -- sending ----------------------------------------------------------------------------------

    def can_send(self, scope: str | None) -> bool:
        """Whether a grant with these (space-separated) scopes may send mail."""
        names = {item.rsplit("/", 1)[-1].lower() for item in (scope or "").split()}
        return SEND_SCOPE in names

    async def send_message(
        self,
        api: ApiClient,
        context: ConnectionContext,
        *,
        to: Sequence[str],
        subject: str,
        body: str,
        sender: str | None = None,
    ) -> str | None:
        """Send a plain-text message from the connected mailbox; Graph gives no id for it."""
        message = {
            "subject": subject,
            "body": {"contentType": "Text", "content": body},
            "toRecipients": [{"emailAddress": {"address": address}} for address in to],
        }
        await api.request("POST", f"{GRAPH}/me/sendMail", json={"message": message, "saveToSentItems": True})
        return None

    # -- delta rounds -----------------------------------------------------------------------------

    async def fetch(
        self, api: ApiClient, context: ConnectionContext, stream: str, checkpoint: Checkpoint | None
    ) -> Page:
        if stream not in ENTITIES:
            raise ValueError(f"Outlook has no stream {stream!r}")
        checkpoint = checkpoint or {}
        link = checkpoint.get("next_link") or checkpoint.get("delta_link")
        window_end = checkpoint.get("window_end")
        if stream == "events" and "delta_link" in checkpoint and self._window_closing(window_end):
            log.info("outlook_calendar_window_renewed", window_end=window_end)
            link = None
        answer = await self._get(api, link) if link else None
        if answer is None:  # no round yet, a new window, or Graph reset the sync state
            url, params, window_end = self._first_request(stream)
            answer = await self._get(api, url, params)
            if answer is None:
                raise ProviderError(410, f"GET {url}: Graph refused a new delta round")
        return self._page(stream, answer, window_end)

    def _first_request(self, stream: str) -> tuple[str, dict[str, str], str | None]:
        if stream == "messages":
            return MESSAGES_DELTA, {"$select": ",".join(MESSAGE_FIELDS)}, None
        today = datetime.combine(self.clock().astimezone(UTC).date(), time(), tzinfo=UTC)
        start, end = today - timedelta(days=self.days_back), today + timedelta(days=self.days_ahead)
        params = {"startDateTime": graph_instant(start), "endDateTime": graph_instant(end)}
        return EVENTS_DELTA, params, graph_instant(end)

    def _window_closing(self, window_end: str | None) -> bool:
        if window_end is None:
            return True
        end = parse_instant(window_end)
        return end is None or end - self.clock() < timedelta(days=self.renew_within_days)

    async def _get(self, api: ApiClient, url: str, params: Mapping[str, str] | None = None) -> Any:
        """One delta page; None when Graph says the round's state is gone and a new round must start."""
        response = await api.request(
            "GET",
            url,
            params=params,
            headers={"Prefer": f"odata.maxpagesize={self.page_size}"},
            allow=frozenset({400, 404, 410}),
        )
        if response.status_code < 300:
            return response.json()
        if response.status_code == 410 or error_code(response.content) in SYNC_RESET_CODES:
            log.info("outlook_sync_reset", status=response.status_code)
            return None
        raise provider_error("GET", api.url(url), response)

    def _page(self, stream: str, answer: Mapping[str, Any], window_end: str | None) -> Page:
        entity = ENTITIES[stream]
        to_record = message_record if stream == "messages" else event_record
        records: list[Record] = []
        deleted: list[str] = []
        for item in answer.get("value", []):
            if "@removed" in item:
                deleted.append(item["id"])
            else:
                records.append(to_record(item))
        page = Page(records={entity: records}, deleted={entity: deleted} if deleted else {})
        window = {"window_end": window_end} if window_end else {}
        if answer.get("@odata.nextLink"):
            page.checkpoint = {"next_link": answer["@odata.nextLink"], **window}
        elif answer.get("@odata.deltaLink"):
            page.checkpoint = {"delta_link": answer["@odata.deltaLink"], **window}
            page.done = True
        else:
            raise ProviderError(502, f"Graph {stream} delta answer has neither a next nor a delta link")
        return page

    # -- change notifications ---------------------------------------------------------------------

    def verify_webhook(self, request: WebhookRequest, secret: str) -> WebhookResult:
        token = validation_token(request.url)
        if token is not None and request.method.upper() == "POST":
            return WebhookResult(challenge=token)
        if not secret:
            raise SignatureInvalid("no client state is configured for this connection")
        notifications = notification_list(request.body)
        # Every notification must carry the secret: one forged entry taints the whole delivery.
        for notification in notifications:
            if not signatures_match(secret, notification.get("clientState")):
                raise SignatureInvalid("a notification's clientState does not match")
        notices = {notice.event_id: notice for notice in map(notice_for, notifications)}
        return WebhookResult(notices=tuple(notices.values()))


def tenant(config: Mapping[str, Any]) -> str:
    """The directory the OAuth URLs name: the connection's, else "common" (work and personal accounts)."""
    return str(config.get("tenant") or DEFAULT_TENANT)


def validation_token(url: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get("validationToken")
    return values[0] if values else None


def notification_list(body: bytes) -> list[dict[str, Any]]:
    try:
        payload = json.loads(body)
    except ValueError:  # not JSON, or not UTF-8
        raise SignatureInvalid("the body is not a change notification collection") from None
    value = payload.get("value") if isinstance(payload, dict) else None
    if not isinstance(value, list) or not value or not all(isinstance(item, dict) for item in value):
        raise SignatureInvalid("the body is not a change notification collection")
    return value


def notice_for(notification: Mapping[str, Any]) -> WebhookNotice:
    """One notice per notification.

    The event id is a digest of subscriptionId, change type (or lifecycle event), resource and the
    item's version (resourceData's @odata.etag, else its id, else the subscription's expiry for
    lifecycle notifications). Graph re-sends an unacknowledged notification unchanged for up to four
    hours, so a retry gets the same id and is dropped; a later change to the same item has a new etag
    and is not mistaken for a retry. The notification's own optional `id` is not relied on, as Graph
    does not promise it is present or stable across retries.
    """
    data = notification.get("resourceData") or {}
    kind = notification.get("changeType") or f"lifecycle.{notification.get('lifecycleEvent', 'unknown')}"
    version = data.get("@odata.etag") or data.get("id") or notification.get("subscriptionExpirationDateTime")
    parts = (notification.get("subscriptionId"), kind, notification.get("resource"), version)
    digest = hashlib.sha256("\x1f".join(str(part or "") for part in parts).encode()).hexdigest()[:32]
    subscription = str(notification.get("subscriptionId") or "unknown")
    return WebhookNotice(event_id=f"{subscription}:{digest}", type=kind, streams=streams_for(notification))


def streams_for(notification: Mapping[str, Any]) -> tuple[str, ...]:
    if notification.get("lifecycleEvent") in ("reauthorizationRequired", "subscriptionRemoved"):
        return ()  # about the subscription, not the data
    odata_type = str((notification.get("resourceData") or {}).get("@odata.type", "")).lower()
    resource = str(notification.get("resource", "")).lower()
    if odata_type.endswith(".message") or "/messages" in resource:
        return ("messages",)
    if odata_type.endswith(".event") or "/events" in resource or "calendarview" in resource:
        return ("events",)
    return ("messages", "events")  # a "missed" lifecycle event, or a resource we cannot place


def error_code(body: bytes) -> str:
    try:
        payload = json.loads(body)
    except ValueError:  # not JSON, or not UTF-8
        return ""
    error = payload.get("error") if isinstance(payload, dict) else None
    return str(error.get("code", "")).lower() if isinstance(error, dict) else ""


# -- records ---------------------------------------------------------------------------------------


def message_record(item: Mapping[str, Any]) -> Record:
    subject = item.get("subject")
    return {
        "source_id": item["id"],
        "source_updated_at": parse_instant(item.get("lastModifiedDateTime")),
        "thread_id": item.get("conversationId"),
        "from_address": address_of(item.get("from")),
        "to_addresses": addresses_of(item.get("toRecipients")),
        "cc_addresses": addresses_of(item.get("ccRecipients")),
        "subject": subject[:SUBJECT_MAX] if subject else None,
        "labels": list(item.get("categories") or []),
        "sent_at": parse_instant(item.get("receivedDateTime")),
    }


def event_record(item: Mapping[str, Any]) -> Record:
    subject = item.get("subject")
    location = (item.get("location") or {}).get("displayName")
    return {
        "source_id": item["id"],
        "source_updated_at": parse_instant(item.get("lastModifiedDateTime")),
        "title": subject[:SUBJECT_MAX] if subject else None,
        "organizer_email": address_of(item.get("organizer")),
        "attendees": addresses_of(item.get("attendees")),
        "location": location[:LOCATION_MAX] if location else None,
        "starts_at": zoned_time(item.get("start")),
        "ends_at": zoned_time(item.get("end")),
        "status": event_status(item),
    }


def event_status(item: Mapping[str, Any]) -> str:
    if item.get("isCancelled"):
        return "cancelled"
    return "tentative" if item.get("showAs") == "tentative" else "confirmed"


def address_of(recipient: Mapping[str, Any] | None) -> str | None:
    """A recipient's address (`{"emailAddress": {"name", "address"}}`), lower-cased."""
    address = ((recipient or {}).get("emailAddress") or {}).get("address")
    return str(address).strip().lower() if address and "@" in str(address) else None


def addresses_of(recipients: Iterable[Mapping[str, Any]] | None) -> list[str]:
    found = (address_of(recipient) for recipient in recipients or [])
    return [address for address in found if address is not None]


def parse_instant(value: str | None) -> datetime | None:
    """Graph's DateTimeOffset ("2024-05-01T09:30:00Z", up to seven fractional digits) as aware UTC."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def zoned_time(value: Mapping[str, Any] | None) -> datetime | None:
    """A dateTimeTimeZone (`{"dateTime": "2024-05-01T14:00:00.0000000", "timeZone": "UTC"}`) as UTC."""
    if not value or not value.get("dateTime"):
        return None
    moment = datetime.fromisoformat(value["dateTime"])
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    zone_name = value.get("timeZone") or "UTC"
    if zone_name.upper() in ("UTC", "ETC/UTC", "Z"):
        return moment.replace(tzinfo=UTC)
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        # A Windows zone name would only come back if a Prefer: outlook.timezone asked for it, which
        # this adapter never sends; reading it as UTC is the documented default.
        log.warning("outlook_unknown_time_zone", time_zone=zone_name)
        return moment.replace(tzinfo=UTC)
    return moment.replace(tzinfo=zone).astimezone(UTC)


def graph_instant(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


ADAPTER = OutlookAdapter()
