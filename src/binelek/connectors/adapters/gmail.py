"""Gmail: message metadata (never bodies) into `email_messages`.

Full pass (the first one, and again whenever history is gone): the mailbox's `historyId` is read from
`users/me/profile` BEFORE listing, then `messages.list` is paged with `maxResults`/`pageToken` and every
listed id is fetched with `messages.get?format=metadata` (From, To, Cc, Subject, Date headers only),
a few at a time. Anything that changes while the pass runs is newer than that `historyId`, so the
incremental pass that follows sees it: nothing is missed, at worst something is read twice.

Incremental pass: `users/me/history?startHistoryId=…` for added, deleted and relabelled messages,
paged with `pageToken`; changed messages are fetched again (labels are the part that changes), deleted
ones are reported as deletions, and the answer's `historyId` starts the next pass. History is kept for
about a week: a 404 means the id is too old, and the pass turns into a full one (the engine's upserts
make reading everything again safe; messages deleted in the gap stay stored until the user deletes the
connection's data).

Spam and trash are left out as `messages.list` leaves them out by default; a message moved there later is
reported deleted, so both kinds of pass agree on what the mailbox holds.

Quota: Google answers 429, or 403 with reason `rateLimitExceeded`/`userRateLimitExceeded`. The client
retries 429 itself; the 403 form is retried here with the same backoff, since a 403 otherwise means a
real refusal (a scope the user did not grant).

Sending (Ops Copilot's e-mail): `messages.send` with the RFC 822 message base64url-encoded as `raw`;
Google fills in From for the authenticated mailbox. It needs a send-capable scope (`gmail.send`,
`gmail.compose`, `gmail.modify` or full mail access) that the connection's grant must hold.

Webhooks: Gmail push goes through Cloud Pub/Sub, whose push requests are authenticated with a Google-
signed OIDC token, not an HMAC shared with us, so `verify_webhook` keeps the base refusal and deliveries
are not accepted; the scheduled incremental sync covers changes.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

import httpx
import structlog

from binelek.connectors.adapters.base import Adapter, Checkpoint, ConnectionContext, Page, Record
from binelek.connectors.api_client import (
    ApiClient,
    ProviderError,
    backoff_seconds,
    provider_error,
    retry_after_seconds,
)
from binelek.connectors.providers import GMAIL

log = structlog.get_logger(__name__)

API = "https://gmail.googleapis.com/gmail/v1/users/me"
REVOKE_URL = "https://oauth2.googleapis.com/revoke"
METADATA_HEADERS = ("From", "To", "Cc", "Subject", "Date")
HISTORY_TYPES = ("messageAdded", "messageDeleted", "labelAdded", "labelRemoved")
QUOTA_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
EXCLUDED_LABELS = frozenset({"SPAM", "TRASH"})  # what messages.list leaves out unless includeSpamTrash
ENTITY = "email_messages"
SUBJECT_MAX = 1000  # email_messages.subject's column length
PHASE_FULL = "full"
PHASE_HISTORY = "history"
# Scopes that allow messages.send (https://developers.google.com/gmail/api/auth/scopes).
SEND_SCOPES = frozenset(
    {
        "https://www.googleapis.com/auth/gmail.send",
        "https://www.googleapis.com/auth/gmail.compose",
        "https://www.googleapis.com/auth/gmail.modify",
        "https://mail.google.com/",
    }
)


class GmailAdapter(Adapter):
    spec = GMAIL
    streams = ("messages",)

    def __init__(self, *, page_size: int = 100, concurrency: int = 10, quota_attempts: int = 6) -> None:
        self.page_size = page_size  # messages.list and history.list allow up to 500
        self.concurrency = (
            concurrency  # messages.get in flight at once: Google limits concurrent calls per user
        )
        self.quota_attempts = quota_attempts

    def base_url(self, config: Mapping[str, Any]) -> str:
        return API

    async def check(self, api: ApiClient, context: ConnectionContext) -> None:
        await self._get_json(api, f"{API}/profile")

    def authorize_params(self, config: Mapping[str, Any]) -> dict[str, str]:
        # offline + consent: Google only returns a refresh token on a consent screen; incremental
        # authorization keeps scopes the user granted this app before.
        return {"access_type": "offline", "prompt": "consent", "include_granted_scopes": "true"}

    async def after_token(
        self, api: ApiClient, token: Mapping[str, Any], config: dict[str, Any]
    ) -> dict[str, Any]:
        """Record which mailbox was connected as `account_name`, which names the connection."""
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        profile = await api.get_json(f"{API}/profile", headers=headers, authenticated=False)
        return {**config, "account_name": str(profile.get("emailAddress", "")).lower() or None}

    async def revoke(self, api: ApiClient, context: ConnectionContext, client: Mapping[str, str]) -> None:
        """Revoking either token ends the whole grant; the refresh token is preferred because the access
        token may already have expired. An unknown token (400 invalid_token) is already revoked."""
        token = client.get("refresh_token") or context.access_token
        await api.request(
            "POST", REVOKE_URL, data={"token": token}, authenticated=False, allow=frozenset({400})
        )

    async def fetch(
        self, api: ApiClient, context: ConnectionContext, stream: str, checkpoint: Checkpoint | None
    ) -> Page:
        if stream != "messages":
            raise ValueError(f"Gmail has no stream {stream!r}")
        if checkpoint and checkpoint.get("phase") == PHASE_HISTORY:
            return await self._history_page(api, checkpoint)
        return await self._full_page(api, checkpoint or {})

    # -- sending --------------------------------------------------------------------------------

    def can_send(self, scope: str | None) -> bool:
        """Whether a grant with these (space-separated) scopes may send mail."""
        return bool(scope) and bool(SEND_SCOPES.intersection((scope or "").split()))

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
        """Send a plain-text message; returns Gmail's id of the sent message. A quota refusal is
        raised as a 429 `ProviderError` (worth retrying later), any other refusal as it came."""
        message = EmailMessage()
        if sender:
            message["From"] = sender
        message["To"] = ", ".join(to)
        message["Subject"] = subject
        message.set_content(body)
        raw = base64.urlsafe_b64encode(message.as_bytes()).decode()
        url = f"{API}/messages/send"
        response = await api.request("POST", url, json={"raw": raw}, allow=frozenset({403}))
        if response.status_code == 403:
            error = provider_error("POST", api.url(url), response)
            if is_quota_error(response):
                raise ProviderError(429, str(error), code="rateLimitExceeded")
            raise error
        answer = response.json()
        return str(answer["id"]) if isinstance(answer, dict) and answer.get("id") else None

    # -- full pass --------------------------------------------------------------------------------

    async def _full_page(self, api: ApiClient, checkpoint: Checkpoint) -> Page:
        history_id = checkpoint.get("history_id")
        if history_id is None:
            # Before listing: changes made while the pass runs are then newer than this id.
            profile = await self._get_json(api, f"{API}/profile")
            history_id = str(profile["historyId"])
        params: dict[str, Any] = {"maxResults": self.page_size}
        if checkpoint.get("page_token"):
            params["pageToken"] = checkpoint["page_token"]
        listing = await self._get_json(api, f"{API}/messages", params=params)
        ids = [entry["id"] for entry in listing.get("messages", [])]
        page = await self._messages_page(api, ids, already_deleted=())
        next_token = listing.get("nextPageToken")
        if next_token:
            page.checkpoint = {"phase": PHASE_FULL, "history_id": history_id, "page_token": next_token}
        else:
            page.checkpoint = {"phase": PHASE_HISTORY, "history_id": history_id}
            page.done = True
        return page

    # -- incremental pass -------------------------------------------------------------------------

    async def _history_page(self, api: ApiClient, checkpoint: Checkpoint) -> Page:
        start = str(checkpoint["history_id"])
        params: dict[str, Any] = {
            "startHistoryId": start,
            "historyTypes": list(HISTORY_TYPES),
            "maxResults": self.page_size,
        }
        if checkpoint.get("page_token"):
            params["pageToken"] = checkpoint["page_token"]
        response = await self._get(api, f"{API}/history", params=params, allow_missing=True)
        if response is None:
            log.info("gmail_history_expired", start_history_id=start)
            return await self._full_page(api, {})
        answer = response.json()
        deleted, changed = history_changes(answer.get("history", []))
        page = await self._messages_page(
            api, [i for i in changed if i not in deleted], already_deleted=deleted
        )
        next_token = answer.get("nextPageToken")
        if next_token:
            # The same startHistoryId goes with every page token of one listing.
            page.checkpoint = {"phase": PHASE_HISTORY, "history_id": start, "page_token": next_token}
        else:
            page.checkpoint = {"phase": PHASE_HISTORY, "history_id": str(answer.get("historyId", start))}
            page.done = True
        return page

    # -- messages ---------------------------------------------------------------------------------

    async def _messages_page(
        self, api: ApiClient, ids: Sequence[str], already_deleted: Iterable[str]
    ) -> Page:
        """Fetch `ids` and map them; those gone since, or now in spam or trash, count as deleted."""
        fetched = await self._get_messages(api, ids)
        records: list[Record] = []
        deleted = list(already_deleted)
        for message_id, message in zip(ids, fetched, strict=True):
            if message is None or EXCLUDED_LABELS.intersection(message.get("labelIds", [])):
                deleted.append(message_id)
            else:
                records.append(message_record(message))
        page = Page(records={ENTITY: records})
        if deleted:
            page.deleted = {ENTITY: deleted}
        return page

    async def _get_messages(self, api: ApiClient, ids: Sequence[str]) -> list[dict[str, Any] | None]:
        """messages.get for each id, at most `concurrency` at a time; None for a message gone since."""
        gate = asyncio.Semaphore(self.concurrency)
        params = {"format": "metadata", "metadataHeaders": list(METADATA_HEADERS)}

        async def one(message_id: str) -> dict[str, Any] | None:
            async with gate:
                response = await self._get(
                    api, f"{API}/messages/{message_id}", params=params, allow_missing=True
                )
            return None if response is None else dict(response.json())

        async with asyncio.TaskGroup() as group:  # one failure cancels the rest instead of orphaning them
            tasks = [group.create_task(one(message_id)) for message_id in ids]
        return [task.result() for task in tasks]

    # -- requests with Google's quota answers -----------------------------------------------------

    async def _get_json(self, api: ApiClient, url: str, *, params: Mapping[str, Any] | None = None) -> Any:
        response = await self._get(api, url, params=params)
        assert response is not None  # only None when allow_missing
        return response.json()

    async def _get(
        self,
        api: ApiClient,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        allow_missing: bool = False,
    ) -> httpx.Response | None:
        """GET, retrying 403 rateLimitExceeded like the client retries 429; None for a 404 when allowed."""
        allowed = frozenset({403, 404}) if allow_missing else frozenset({403})
        for attempt in range(1, self.quota_attempts + 1):
            response = await api.request("GET", url, params=params, allow=allowed)
            if response.status_code == 404:
                return None
            if response.status_code != 403:
                return response
            if not is_quota_error(response) or attempt == self.quota_attempts:
                raise provider_error("GET", api.url(url), response)
            wait = retry_after_seconds(response)
            wait = backoff_seconds(attempt) if wait is None else wait
            api.stats.throttled += 1
            if api.limiter is not None:
                api.limiter.pause(wait)
            log.info("gmail_quota_retry", wait_seconds=round(wait, 2))
            await asyncio.sleep(wait)
        raise ProviderError(403, f"GET {url}: quota retries exhausted")  # unreachable: the loop raises


def is_quota_error(response: httpx.Response) -> bool:
    """Google's quota refusals: `{"error": {"errors": [{"reason": "rateLimitExceeded"}]}}`."""
    try:
        error = response.json().get("error", {})
    except ValueError:
        return False
    reasons = {item.get("reason") for item in error.get("errors", []) if isinstance(item, dict)}
    return bool(reasons & QUOTA_REASONS)


def history_changes(history: Iterable[Mapping[str, Any]]) -> tuple[set[str], list[str]]:
    """Deleted ids, and the other ids touched (added or relabelled) in first-seen order."""
    deleted: set[str] = set()
    changed: dict[str, None] = {}
    for record in history:
        for entry in record.get("messagesDeleted", []):
            deleted.add(entry["message"]["id"])
        for key in ("messagesAdded", "labelsAdded", "labelsRemoved"):
            for entry in record.get(key, []):
                changed.setdefault(entry["message"]["id"], None)
    return deleted, list(changed)


def message_record(message: Mapping[str, Any]) -> Record:
    headers = header_values(message.get("payload", {}).get("headers", []))
    senders = addresses(headers.get("from", []))
    subject = headers.get("subject")
    return {
        "source_id": message["id"],
        "thread_id": message.get("threadId"),
        "from_address": senders[0] if senders else None,
        "to_addresses": addresses(headers.get("to", [])),
        "cc_addresses": addresses(headers.get("cc", [])),
        "subject": decoded(subject[0])[:SUBJECT_MAX] if subject else None,
        "labels": list(message.get("labelIds", [])),
        "sent_at": sent_at(message, headers.get("date", [])),
    }


def header_values(headers: Iterable[Mapping[str, str]]) -> dict[str, list[str]]:
    """Header name (lower-case; names are case-insensitive) → its values, in order."""
    values: dict[str, list[str]] = {}
    for header in headers:
        values.setdefault(header["name"].lower(), []).append(header.get("value", ""))
    return values


def addresses(values: Sequence[str]) -> list[str]:
    """The lower-cased addresses of address headers, display names dropped."""
    return [address.lower() for _, address in getaddresses(list(values)) if "@" in address]


def decoded(value: str) -> str:
    """RFC 2047 encoded-words decoded, should a header arrive undecoded."""
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError):
        return value


def sent_at(message: Mapping[str, Any], dates: Sequence[str]) -> datetime | None:
    """internalDate (epoch ms, when Google accepted the message), else the Date header."""
    internal = message.get("internalDate")
    if internal is not None:
        return datetime.fromtimestamp(int(internal) / 1000, tz=UTC)
    if dates:
        try:
            moment = parsedate_to_datetime(dates[0])
        except (TypeError, ValueError):
            return None
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


ADAPTER = GmailAdapter()
