"""A fake Microsoft Graph (inbox messages delta, calendarView delta, /me) with the Microsoft identity
platform's OAuth endpoints.

What it reproduces from the real service:
- delta rounds: the first request's query ($select, startDateTime/endDateTime) is encoded in opaque
  state tokens; pages end with `@odata.nextLink` (`$skiptoken`) and the last with `@odata.deltaLink`
  (`$deltatoken`), both absolute https://graph.microsoft.com URLs — the message links name the folder by
  id (`mailfolders('…')`) as Graph does, so a client must follow them rather than rebuild them;
- a round lists what changed after the previous round's token and up to the moment the round started,
  removed items as `{"@odata.type", "id", "@removed": {"reason": "deleted"}}`; events changed to fall
  outside the window come back as removed too, as the event delta docs say;
- `Prefer: odata.maxpagesize=n` (default 10) answered with `Preference-Applied`; `$select` honoured
  (id and @odata.etag always present); calendarView/delta refuses `$select` and a missing window;
- `reset_sync()`: older tokens answer 410 Gone with a Location header, or 400 `syncStateNotFound`;
- `POST /me/sendMail`: the message as JSON, 202 without a body; 403 ErrorAccessDenied unless the token's
  grant holds Mail.Send; 400 ErrorInvalidRecipients without recipients; accepted messages kept in `sent`;
- errors in Graph's `{"error": {"code", "message", "innerError"}}` shape; throttling as 429 + Retry-After;
- OAuth at /{tenant}/oauth2/v2.0/authorize and /token: client credentials in the form, PKCE, refresh
  tokens replaced on every refresh; no revocation endpoint.
"""

from __future__ import annotations

import base64
import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes.base import FakeProvider, OAuthPolicy, RateLimit

GRAPH = "https://graph.microsoft.com/v1.0"
AUTHORIZE = "https://login.microsoftonline.com/common/oauth2/authorize"
MAILBOX = "daniel.brooks@harbourlightdesign.com"
USER_ID = "87d349ed-44d7-43e1-9a83-5f2406dee5bd"
TENANT_ID = "84bd8158-6d4d-4958-8b9f-9d6445542f95"
INBOX_ID = (
    "AQMkADAwATM0MDAAMS1iNTcwLWI2NTEtMDACLTAwCgAuAAADiBA5eyY9dUO7jDCHA5PyPAEAbnb0bcmN_0i4ouU7cH8nWAAAAgEMAAAA"
)
DEFAULT_PAGE_SIZE = 10
PEOPLE = (
    ("Aisha Rahman", "aisha.rahman@coastalhomes.com"),
    ("Marco Bianchi", "marco@bianchi-studio.it"),
    ("Grace O'Neill", "grace.oneill@fernhillcafe.ie"),
    ("Hiroshi Tanaka", "h.tanaka@kumo-retail.jp"),
    ("Olivia Martin", "olivia.martin@brightpathlegal.com"),
    ("Samuel Adeyemi", "samuel@adeyemi-builders.ng"),
    ("Lena Vogel", "lena.vogel@vogel-immobilien.de"),
    ("Carlos Ruiz", "carlos.ruiz@ruizfoods.mx"),
)
DEFAULT_SCOPE = "offline_access User.Read Mail.ReadBasic Calendars.Read"
SEND_SCOPE = f"{DEFAULT_SCOPE} Mail.Send"
COLLEAGUES = (("Priya Shah", "priya@harbourlightdesign.com"), ("Tom Evans", "tom@harbourlightdesign.com"))
MESSAGE_SUBJECTS = (
    "Proposal for the new storefront signage",
    "RE: Invoice 2024-{n} overdue",
    "Brand refresh — first concepts",
    "Site visit on Thursday?",
    "FW: Print proof for the spring catalogue",
    "Your order #{n} has shipped",
    "Question about the retainer",
)
EVENT_SUBJECTS = (
    "Client call: {who}",
    "Design review",
    "Site visit — {who}",
    "Quarterly planning",
    "Lunch with {who}",
    "Print vendor walkthrough",
)
LOCATIONS = ("Microsoft Teams Meeting", "Studio, 14 Harbour St", "Client office", "", "Café Nero, Quay Rd")
InWindow = Callable[[dict[str, Any]], bool]
CATEGORIES = ("Clients", "Invoices", "Red category", "Follow up")


@dataclass
class Collection:
    """Items with the sequence number of their last change, and tombstones of removed ones."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)

    def changes(self, since: int, until: int) -> list[tuple[int, str]]:
        """(version, id) of what changed in (since, until], in order; a first round (since 0) lists
        only what exists."""
        changed = [(version, key) for key, version in self.versions.items() if since < version <= until]
        if since:
            changed += [(version, key) for key, version in self.removed.items() if since < version <= until]
        return sorted(changed)


class FakeOutlook(FakeProvider):
    name = "outlook"
    oauth = OAuthPolicy(
        authorize_path="/{tenant}/oauth2/v2.0/authorize",
        token_path="/{tenant}/oauth2/v2.0/token",
        revoke_path=None,  # Microsoft has none for a single grant
        client_auth="post",
        access_seconds=3599,
        rotates_refresh_token=True,
        token_extras={"token_type": "Bearer", "ext_expires_in": 3599},
    )
    webhook_secret = "binelek-graph-client-state-7c1d0b2e"
    subscription_id = "7f105c7d-2dc5-4530-97cd-4e7ae6534c07"

    def __init__(self, *, count: int = 300, rate_limit: RateLimit | None = None, seed: int = 1) -> None:
        super().__init__(rate_limit=rate_limit)
        self.random = random.Random(seed)
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.sequence = 0
        self.generation = 0  # bumped by reset_sync: tokens of an earlier generation are gone
        self.reset_status = 410
        self.messages = Collection()
        self.events = Collection()
        self.token_scopes: dict[str, str] = {}  # access token -> its grant's scopes (read-only if unknown)
        self.refresh_scopes: dict[str, str] = {}
        self.sent: list[dict[str, Any]] = []  # what sendMail accepted
        for _ in range(count):
            self._put(
                self.messages, self._message(self.now - timedelta(seconds=self.random.randrange(150 * 86400)))
            )
        for _ in range(max(5, count // 3)):
            self._put(
                self.events,
                self._event(self.now + timedelta(hours=self.random.randrange(-120 * 24, 60 * 24))),
            )

    # -- data -------------------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        raw = self.random.getrandbits(256).to_bytes(32, "big")
        return prefix + base64.urlsafe_b64encode(raw).decode()

    def _put(self, collection: Collection, item: dict[str, Any]) -> None:
        self.sequence += 1
        item["@odata.etag"] = f'W/"CQAAABYAAAB{self.sequence:08d}"'
        item["changeKey"] = item["@odata.etag"][3:-1]
        collection.items[item["id"]] = item
        collection.versions[item["id"]] = self.sequence
        collection.removed.pop(item["id"], None)

    def _remove(self, collection: Collection, item_id: str) -> None:
        self.sequence += 1
        del collection.items[item_id]
        del collection.versions[item_id]
        collection.removed[item_id] = self.sequence

    def _message(self, received: datetime) -> dict[str, Any]:
        name, address = self.random.choice(PEOPLE)
        cc = [person(*self.random.choice(COLLEAGUES))] if self.random.random() < 0.3 else []
        subject = self.random.choice(MESSAGE_SUBJECTS).format(n=self.random.randint(100, 999))
        stamp = graph_time(received)
        return {
            "@odata.type": "#microsoft.graph.message",
            "id": self._new_id("AAMkADAwATM0MDAAMS1iNTcwLWI2NTEtMDACLTAwCgBGAAAD"),
            "createdDateTime": stamp,
            "lastModifiedDateTime": stamp,
            "categories": [self.random.choice(CATEGORIES)] if self.random.random() < 0.35 else [],
            "receivedDateTime": stamp,
            "sentDateTime": graph_time(received - timedelta(seconds=self.random.randint(2, 90))),
            "hasAttachments": self.random.random() < 0.2,
            "internetMessageId": f"<{uuid.UUID(int=self.random.getrandbits(128))}@{address.split('@')[1]}>",
            "subject": subject,
            "bodyPreview": "Hi Daniel, following up on our conversation…",
            "importance": "normal",
            "parentFolderId": INBOX_ID,
            "conversationId": self._new_id("AAQkADAwATM0MDAAMS1iNTcwLWI2NTEtMDACLTAwCgAQA"),
            "isRead": self.random.random() < 0.7,
            "isDraft": False,
            "webLink": "https://outlook.office365.com/owa/?ItemID=…&viewmodel=ReadMessageItem",
            "from": person(name, address),
            "sender": person(name, address),
            "toRecipients": [person("Daniel Brooks", MAILBOX)],
            "ccRecipients": cc,
            "bccRecipients": [],
            "body": {"contentType": "html", "content": "<html><body><p>Hi Daniel…</p></body></html>"},
        }

    def _event(self, start: datetime) -> dict[str, Any]:
        start = start.replace(minute=self.random.choice((0, 30)), second=0)
        name, address = self.random.choice(PEOPLE)
        organised = self.random.random() < 0.6
        organizer = person("Daniel Brooks", MAILBOX) if organised else person(name, address)
        guests = [person(name, address), person(*self.random.choice(COLLEAGUES))]
        attendees = [
            attendee(guest, self.random.choice(("accepted", "tentativelyAccepted", "none")))
            for guest in guests
        ]
        if not organised:
            attendees.insert(0, attendee(person("Daniel Brooks", MAILBOX), "accepted"))
        show_as = self.random.choices(("busy", "tentative", "free", "oof"), weights=(7, 2, 1, 1))[0]
        stamp = graph_time(start - timedelta(days=self.random.randint(1, 20)))
        return {
            "@odata.type": "#microsoft.graph.event",
            "id": self._new_id("AAMkADAwATM0MDAAMS1iNTcwLWI2NTEtMDACLTAwCgBGAAAE"),
            "createdDateTime": stamp,
            "lastModifiedDateTime": stamp,
            "categories": [],
            "originalStartTimeZone": "GMT Standard Time",
            "originalEndTimeZone": "GMT Standard Time",
            "iCalUId": f"040000008200E00074C5B7101A82E00800000000{self.random.getrandbits(128):032X}",
            "reminderMinutesBeforeStart": 15,
            "isAllDay": False,
            "isCancelled": False,
            "isOrganizer": organised,
            "showAs": show_as,
            "type": "singleInstance",
            "subject": self.random.choice(EVENT_SUBJECTS).format(who=name.split()[0]),
            "bodyPreview": "",
            "start": {"dateTime": graph_local(start), "timeZone": "UTC"},
            "end": {
                "dateTime": graph_local(start + timedelta(minutes=self.random.choice((30, 60, 90)))),
                "timeZone": "UTC",
            },
            "location": {"displayName": self.random.choice(LOCATIONS), "locationType": "default"},
            "attendees": attendees,
            "organizer": organizer,
            "responseStatus": {"response": "organizer" if organised else "accepted", "time": stamp},
        }

    # -- what tests drive -------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        return {"tenant": "common"}

    def authorize_extras(self) -> dict[str, str]:
        return {"tenant": "common"}

    def redirect_extras(self) -> dict[str, str]:
        return {"session_state": "5f1a1f8e-6d2c-4a38-9d8f-1f7bc0d3c9a1"}

    def totals(self) -> dict[str, int]:
        return {"email_messages": len(self.messages.items), "calendar_events": len(self.events.items)}

    def change_message(self, message_id: str) -> None:
        with self.lock:
            item = dict(self.messages.items[message_id])
            item["isRead"] = True
            item["categories"] = ["Follow up"]
            item["lastModifiedDateTime"] = graph_time(self.now)
            self._put(self.messages, item)

    def mutate(self) -> dict[str, str]:
        """A message arrives, one is categorised, one deleted; an event is booked, one cancelled, one
        deleted. Returns the ids by kind."""
        with self.lock:
            self.now += timedelta(minutes=5)
            messages, events = sorted(self.messages.items), sorted(self.events.items)
            new_message = self._message(self.now)
            self._put(self.messages, new_message)
            new_event = self._event(self.now + timedelta(days=3))
            self._put(self.events, new_event)
            cancelled = dict(self.events.items[events[1]], isCancelled=True)
            cancelled["subject"] = "Canceled: " + cancelled["subject"]
            cancelled["lastModifiedDateTime"] = graph_time(self.now)
            self._put(self.events, cancelled)
            self._remove(self.messages, messages[2])
            self._remove(self.events, events[2])
        self.change_message(messages[1])
        return {
            "message_added": new_message["id"],
            "message_changed": messages[1],
            "message_deleted": messages[2],
            "event_added": new_event["id"],
            "event_changed": events[1],
            "event_deleted": events[2],
        }

    def move_event(self, event_id: str, start: datetime) -> None:
        with self.lock:
            item = dict(self.events.items[event_id])
            item["start"] = {"dateTime": graph_local(start), "timeZone": "UTC"}
            item["end"] = {"dateTime": graph_local(start + timedelta(hours=1)), "timeZone": "UTC"}
            self._put(self.events, item)

    def send_token(self, scope: str = SEND_SCOPE) -> str:
        """An access token of a grant that may send mail."""
        token = self.issue_access_token()
        self.token_scopes[token] = scope
        return token

    def token_body(self, scope: str) -> dict[str, Any]:
        body = super().token_body(scope)
        self.token_scopes[body["access_token"]] = scope
        if body.get("refresh_token"):
            self.refresh_scopes[body["refresh_token"]] = scope
        return body

    def _refresh(self, form: dict[str, str]) -> Response:
        """A rotated refresh token keeps its grant's scopes."""
        scope = self.refresh_scopes.get(form.get("refresh_token", ""))
        response = super()._refresh(form)
        if scope is None or response.status_code != 200:
            return response
        answer = {**json.loads(bytes(response.body)), "scope": scope}  # Graph names the scopes again
        self.token_scopes[answer["access_token"]] = scope
        if answer.get("refresh_token"):
            self.refresh_scopes[answer["refresh_token"]] = scope
        return JSONResponse(answer)

    def reset_sync(self, status: int = 410) -> None:
        """Graph dropped every state token issued so far (its token cache filled, or the mailbox moved)."""
        with self.lock:
            self.generation += 1
            self.reset_status = status

    def webhook(self, url: str, *, kind: str = "messages") -> tuple[bytes, dict[str, str]]:
        """A change notification delivery for a new message (or event), as Graph POSTs it."""
        with self.lock:
            collection = self.messages if kind == "messages" else self.events
            item_id = sorted(collection.items)[0]
            etag = collection.items[item_id]["@odata.etag"]
        segment = "Messages" if kind == "messages" else "Events"
        odata_type = f"#Microsoft.Graph.{segment[:-1]}"
        resource = f"Users/{USER_ID}/{segment}/{item_id}"
        notification = {
            "id": "lsgTZMr9KwAAA",
            "subscriptionId": self.subscription_id,
            "subscriptionExpirationDateTime": graph_time(self.now + timedelta(days=2)),
            "clientState": self.webhook_secret,
            "changeType": "created",
            "resource": resource,
            "tenantId": TENANT_ID,
            "resourceData": {
                "@odata.type": odata_type,
                "@odata.id": resource,
                "@odata.etag": etag,
                "id": item_id,
            },
        }
        body = json.dumps({"value": [notification]}).encode()
        return body, {"content-type": "application/json; charset=utf-8"}

    def validation(self, url: str) -> tuple[str, bytes, dict[str, str]]:
        """The request Graph sends to a notification URL when a subscription is created."""
        token = (
            f"Validation: Testing client application reachability for subscription Request-Id: {uuid.uuid4()}"
        )
        return f"{url}?validationToken={quote(token)}", b"", {"content-type": "text/plain; charset=utf-8"}

    # -- routes -----------------------------------------------------------------------------------

    def api_routes(self) -> list[BaseRoute]:
        return [
            Route("/v1.0/me", self._me, methods=["GET"]),
            Route("/v1.0/me/mailFolders/{folder}/messages/delta", self._messages_delta, methods=["GET"]),
            Route("/v1.0/me/{folder_ref}/messages/delta", self._messages_delta, methods=["GET"]),
            Route("/v1.0/me/calendarView/delta", self._events_delta, methods=["GET"]),
            Route("/v1.0/me/sendMail", self._send_mail, methods=["POST"]),
        ]

    async def _send_mail(self, request: Request) -> Response:
        if (refused := self.guard(request)) is not None:
            return refused
        granted = self.token_scopes.get(self.bearer(request) or "", DEFAULT_SCOPE)
        if "mail.send" not in {scope.rsplit("/", 1)[-1].lower() for scope in granted.split()}:
            return graph_error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
        try:
            body = await request.json()
        except ValueError:
            return graph_error(400, "RequestBodyRead", "Invalid JSON in the request body.")
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, dict):
            return graph_error(400, "ErrorInvalidRequest", "The message to send is missing.")
        to = [
            (item.get("emailAddress") or {}).get("address")
            for item in message.get("toRecipients") or []
            if isinstance(item, dict)
        ]
        if not to or not all(isinstance(address, str) and "@" in address for address in to):
            return graph_error(
                400,
                "ErrorInvalidRecipients",
                "At least one recipient isn't valid. A message can't be sent without one.",
            )
        content = message.get("body") or {}
        with self.lock:
            self.sent.append(
                {
                    "to": to,
                    "subject": message.get("subject", ""),
                    "body": content.get("content", ""),
                    "content_type": content.get("contentType", "Text"),
                    "save_to_sent_items": body.get("saveToSentItems", True),
                }
            )
        return Response(status_code=202)

    async def _me(self, request: Request) -> Response:
        if (refused := self.guard(request)) is not None:
            return refused
        me = {
            "id": USER_ID,
            "displayName": "Daniel Brooks",
            "mail": "Daniel.Brooks@harbourlightdesign.com",
            "userPrincipalName": MAILBOX,
        }
        wanted = request.query_params.get("$select")
        if wanted:
            me = {key: value for key, value in me.items() if key in wanted.split(",") or key == "id"}
        return JSONResponse({"@odata.context": f"{GRAPH}/$metadata#users/$entity", **me})

    async def _messages_delta(self, request: Request) -> Response:
        if (refused := self.guard(request)) is not None:
            return refused
        folder = request.path_params.get("folder") or request.path_params.get("folder_ref", "")
        if folder.lower() not in ("inbox", f"mailfolders('{INBOX_ID.lower()}')"):
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        query = request.query_params
        path = f"{GRAPH}/me/mailfolders('{INBOX_ID}')/messages/delta"
        with self.lock:
            state = self._state(query, f"{GRAPH}/me/mailFolders/inbox/messages/delta")
            if isinstance(state, Response):
                return state
            if state is None:
                select = query.get("$select")
                state = first_state(self.sequence, self.generation, select.split(",") if select else None)
            return self._round(request, self.messages, state, path, in_window=lambda item: True)

    async def _events_delta(self, request: Request) -> Response:
        if (refused := self.guard(request)) is not None:
            return refused
        query = request.query_params
        if "$select" in query:
            return graph_error(
                400,
                "ErrorInvalidUrlQuery",
                "The following parameters are not supported with change tracking over the 'CalendarView' "
                "resource: '$select'.",
            )
        path = f"{GRAPH}/me/calendarView/delta"
        with self.lock:
            state = self._state(query, path)
            if isinstance(state, Response):
                return state
            if state is None:
                window = [query.get("startDateTime"), query.get("endDateTime")]
                if not all(window):
                    return graph_error(
                        400,
                        "ErrorInvalidParameter",
                        "This request requires a time window specified by the query string parameters "
                        "StartDateTime and EndDateTime.",
                    )
                state = {**first_state(self.sequence, self.generation, None), "window": window}
            start, end = (parse(value) for value in state["window"])

            def in_window(item: dict[str, Any]) -> bool:
                return parse(item["start"]["dateTime"]) < end and parse(item["end"]["dateTime"]) > start

            return self._round(request, self.events, state, path, in_window)

    def _state(self, query: Any, first_url: str) -> dict[str, Any] | Response | None:
        """The decoded $skiptoken/$deltatoken, None for a first request, or the reset answer."""
        token = query.get("$skiptoken") or query.get("$deltatoken")
        if not token:
            return None
        state: dict[str, Any] = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if state["generation"] != self.generation:
            message = (
                "The sync state generation is not found. The delta token is expired and data must be "
                "synchronized again."
            )
            if self.reset_status == 410:
                return graph_error(
                    410, "SyncStateNotFound", message, headers={"Location": f"{first_url}?$deltatoken="}
                )
            return graph_error(400, "syncStateNotFound", message)
        if "$deltatoken" in query:  # a delta link starts the next round: what changed since, up to now
            state = {**state, "since": state["until"], "until": self.sequence, "after": None}
        return state

    def _round(
        self, request: Request, collection: Collection, state: dict[str, Any], path: str, in_window: InWindow
    ) -> Response:
        size = page_size(request.headers.get("prefer", ""))
        since, until = state["since"], state["until"]
        changes = collection.changes(since, until)
        after = tuple(state["after"]) if state["after"] else None
        pending = [change for change in changes if after is None or change > after]
        chunk = pending[:size]
        value = [
            self._entry(collection, item_id, state, in_window, initial=since == 0) for _, item_id in chunk
        ]
        body: dict[str, Any] = {
            "@odata.context": f"{GRAPH}/$metadata#Collection(item)",
            "value": [v for v in value if v],
        }
        if len(pending) > size:
            body["@odata.nextLink"] = f"{path}?$skiptoken={encode({**state, 'after': list(chunk[-1])})}"
        else:
            body["@odata.deltaLink"] = f"{path}?$deltatoken={encode({**state, 'after': None})}"
        return JSONResponse(body, headers={"Preference-Applied": f"odata.maxpagesize={size}"})

    def _entry(
        self,
        collection: Collection,
        item_id: str,
        state: dict[str, Any],
        in_window: InWindow,
        *,
        initial: bool,
    ) -> dict[str, Any] | None:
        item = collection.items.get(item_id)
        if item is None or not in_window(item):
            if initial:
                return None  # a first round lists what is there, nothing removed
            odata_type = (
                "#microsoft.graph.message" if collection is self.messages else "#microsoft.graph.event"
            )
            return {"@odata.type": odata_type, "id": item_id, "@removed": {"reason": "deleted"}}
        select = state.get("select")
        if not select:
            return dict(item)
        return {
            key: value
            for key, value in item.items()
            if key in select or key in ("id", "@odata.etag", "@odata.type")
        }

    # -- Graph's answers --------------------------------------------------------------------------

    def unauthorized(self) -> Response:
        return graph_error(
            401,
            "InvalidAuthenticationToken",
            "Access token has expired or is not yet valid.",
            headers={"WWW-Authenticate": f'Bearer realm="", authorization_uri="{AUTHORIZE}"'},
        )

    def too_many(self, wait: float) -> Response:
        return graph_error(
            429,
            "ApplicationThrottled",
            "Application is over its MailboxConcurrency limit.",
            headers={"Retry-After": str(max(1, round(wait + 0.5)))},
        )


def person(name: str, address: str) -> dict[str, Any]:
    return {"emailAddress": {"name": name, "address": address}}


def attendee(who: dict[str, Any], response: str) -> dict[str, Any]:
    return {"type": "required", "status": {"response": response, "time": "0001-01-01T00:00:00Z"}, **who}


def graph_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def graph_local(moment: datetime) -> str:
    """A dateTimeTimeZone's dateTime: no offset, seven fractional digits."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000")


def parse(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def first_state(sequence: int, generation: int, select: list[str] | None) -> dict[str, Any]:
    """A round's state: changes after `since` up to `until` (sequence numbers), paged after `after`."""
    return {"since": 0, "until": sequence, "after": None, "select": select, "generation": generation}


def page_size(prefer: str) -> int:
    for part in prefer.split(","):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "odata.maxpagesize" and value.strip().isdigit():
            return max(1, int(value))
    return DEFAULT_PAGE_SIZE


def encode(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def graph_error(
    code: int, error: str, message: str, *, headers: dict[str, str] | None = None
) -> JSONResponse:
    inner = {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "request-id": str(uuid.uuid4())}
    inner["client-request-id"] = inner["request-id"]
    return JSONResponse(
        {"error": {"code": error, "message": message, "innerError": inner}}, status_code=code, headers=headers
    )
