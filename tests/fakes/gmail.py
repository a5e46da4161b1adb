"""A fake Gmail API (users.getProfile, messages.list/get, history.list) with Google's OAuth endpoints.

What it reproduces from the real service:
- `messages.list`: newest first, `maxResults` (default 100, at most 500), opaque `pageToken`/
  `nextPageToken`, spam and trash left out unless `includeSpamTrash=true`, no `messages` key when empty;
- `messages.get`: `format=metadata` with repeated `metadataHeaders`; FULL and RAW are refused with 403
  because the connection only holds the `gmail.metadata` scope; ids, internalDate and historyId as strings;
- `history.list`: records newer than `startHistoryId` (repeated `historyTypes` filter), paged, with the
  mailbox's current `historyId`; 404 when `startHistoryId` is older than the retained history;
- `messages.send`: a base64url RFC 822 `raw` message, refused with 403 `insufficientPermissions` unless
  the token's grant holds a send scope (`gmail.send`, `gmail.compose`, `gmail.modify`, full access);
  the sent message joins the mailbox with the SENT label (and a history record), and is kept in `sent`;
- errors in Google's shape; over the rate limit either 429 with Retry-After or 403 `rateLimitExceeded`
  (`quota_status`);
- OAuth: authorize at /o/oauth2/v2/auth, token at /token (client credentials in the form, no refresh
  token rotation), revoke at /revoke (form `token=`; revoking any token of the grant ends the grant).
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.utils import format_datetime, getaddresses
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes.base import FakeProvider, OAuthPolicy, RateLimit

MAILBOX = "maria.okafor@lumenbakery.co"
METADATA_SCOPE = "https://www.googleapis.com/auth/gmail.metadata"
SEND_SCOPE = "https://www.googleapis.com/auth/gmail.send"
SEND_SCOPES = frozenset(
    {
        SEND_SCOPE,
        "https://www.googleapis.com/auth/gmail.compose",
        "https://www.googleapis.com/auth/gmail.modify",
        "https://mail.google.com/",
    }
)
FIRST_HISTORY_ID = 4_211_000
USER_LABELS = ("Label_1", "Label_2", "Label_3")  # "Wholesale", "Suppliers", "Accounting" in the UI
FIRST_NAMES = (
    "Amara",
    "Jonas",
    "Priya",
    "Tomás",
    "Chen",
    "Fatima",
    "Liam",
    "Sofia",
    "Kwame",
    "Elena",
    "Noah",
)
LAST_NAMES = ("Mensah", "Schmidt", "Patel", "García", "Wei", "Haddad", "Murphy", "Rossi", "Boateng", "Novak")
COMPANIES = (
    ("Harvest Mill Supply", "harvestmill.com"),
    ("Copper Kettle Café", "copperkettle.cafe"),
    ("Northwind Packaging", "northwindpack.co.uk"),
    ("Bluebird Events", "bluebirdevents.com"),
    ("Greenleaf Grocers", "greenleafgrocers.com"),
    ("Atlas Logistics", "atlaslogistics.eu"),
)
SUBJECTS = (
    "Order #{n} confirmation",
    "Invoice INV-{n} from {company}",
    "Re: Wholesale pricing for spring",
    "Delivery window for order #{n}",
    "Quote request: 40 sourdough loaves weekly",
    "Your flour shipment has left the warehouse",
    "Catering for our team lunch on Friday",
    "Re: Re: Allergen sheet for the rye range",
    "Payment received — thank you",
    "Café résumé & tasting notes",
)


@dataclass
class Message:
    id: str
    thread_id: str
    internal_ms: int
    headers: list[dict[str, str]]
    labels: list[str]
    history_id: int
    size: int = 4096

    def resource(self, wanted: list[str] | None, form: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "threadId": self.thread_id,
            "labelIds": list(self.labels),
            "historyId": str(self.history_id),
            "internalDate": str(self.internal_ms),
            "sizeEstimate": self.size,
        }
        if form == "metadata":
            names = {name.lower() for name in wanted} if wanted else None
            headers = [h for h in self.headers if names is None or h["name"].lower() in names]
            body["payload"] = {
                "partId": "",
                "mimeType": "multipart/alternative",
                "filename": "",
                "headers": headers,
            }
        return body

    def stub(self) -> dict[str, Any]:
        return {"id": self.id, "threadId": self.thread_id}


@dataclass
class HistoryRecord:
    id: int
    kind: str  # messageAdded | messageDeleted | labelAdded | labelRemoved
    message: dict[str, Any]  # id, threadId, labelIds at the time
    label_ids: list[str] = field(default_factory=list)

    KEYS = {
        "messageAdded": "messagesAdded",
        "messageDeleted": "messagesDeleted",
        "labelAdded": "labelsAdded",
        "labelRemoved": "labelsRemoved",
    }

    def resource(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"message": self.message}
        if self.kind in ("labelAdded", "labelRemoved"):
            entry["labelIds"] = self.label_ids
        stub = {"id": self.message["id"], "threadId": self.message["threadId"]}
        return {"id": str(self.id), "messages": [stub], self.KEYS[self.kind]: [entry]}


class FakeGmail(FakeProvider):
    name = "gmail"
    oauth = OAuthPolicy(
        authorize_path="/o/oauth2/v2/auth",
        token_path="/token",
        revoke_path="/revoke",
        client_auth="post",
        access_seconds=3599,
        rotates_refresh_token=False,
        token_extras={"token_type": "Bearer"},
    )
    webhook_secret = ""  # Gmail signs nothing we could verify: push comes through Pub/Sub

    def __init__(
        self, *, count: int = 300, rate_limit: RateLimit | None = None, seed: int = 1, quota_status: int = 429
    ) -> None:
        super().__init__(rate_limit=rate_limit)
        self.random = random.Random(seed)
        self.quota_status = quota_status  # 429, or 403 rateLimitExceeded as Gmail also answers
        self.messages: dict[str, Message] = {}
        self.history: list[HistoryRecord] = []
        self.history_id = FIRST_HISTORY_ID
        self.history_floor = FIRST_HISTORY_ID  # history.list with an older startHistoryId answers 404
        self.now = datetime.now(UTC).replace(microsecond=0)
        self._sequence = 0
        self.token_scopes: dict[str, str] = {}  # access token -> its grant's scopes (metadata if unknown)
        self.refresh_scopes: dict[str, str] = {}
        self.sent: list[dict[str, Any]] = []  # what messages.send accepted, decoded
        self._generate(count)

    # -- data -------------------------------------------------------------------------------------

    def _generate(self, count: int) -> None:
        start = self.now - timedelta(days=180)
        moments = sorted(start + timedelta(seconds=self.random.randrange(180 * 86400)) for _ in range(count))
        threads: list[str] = []
        for moment in moments:
            thread = self.random.choice(threads) if threads and self.random.random() < 0.3 else None
            message = self._new_message(moment, thread)
            threads.append(message.thread_id)
            self.messages[message.id] = message
        # A little spam and trash, which a sync leaves out.
        for message in self.random.sample(list(self.messages.values()), max(1, count // 40)):
            message.labels = [self.random.choice(("SPAM", "TRASH"))]

    def _new_message(self, moment: datetime, thread: str | None) -> Message:
        self._sequence += 1
        self.history_id += self.random.randint(1, 40)
        internal_ms = int(moment.timestamp() * 1000)
        message_id = f"{internal_ms:011x}{self._sequence:05x}"
        first, last = self.random.choice(FIRST_NAMES), self.random.choice(LAST_NAMES)
        company, domain = self.random.choice(COMPANIES)
        outgoing = self.random.random() < 0.25
        contact = f'"{first} {last}" <{ascii_name(first)}.{ascii_name(last)}@{domain}>'
        owner = f"Maria Okafor <{MAILBOX}>"
        subject = self.random.choice(SUBJECTS).format(n=self.random.randint(1000, 9999), company=company)
        headers = [
            {"name": "Received", "value": f"from mail.{domain} by mx.google.com; {format_datetime(moment)}"},
            {"name": "Date", "value": format_datetime(moment)},
            {"name": "From", "value": owner if outgoing else contact},
            {"name": "To", "value": contact if outgoing else owner},
            {"name": "Subject", "value": subject},
            {"name": "Message-ID", "value": f"<{message_id}@mail.{domain}>"},
            {"name": "Content-Type", "value": 'multipart/alternative; boundary="000000000000b1"'},
        ]
        if self.random.random() < 0.3:
            headers.insert(4, {"name": "Cc", "value": f"accounts@{domain}, Sam Lee <sam@lumenbakery.co>"})
        if outgoing:
            labels = ["SENT"]
        else:
            labels = ["INBOX", "CATEGORY_PERSONAL"]
            labels += ["UNREAD"] if self.random.random() < 0.3 else []
            labels += ["IMPORTANT"] if self.random.random() < 0.2 else []
            labels += [self.random.choice(USER_LABELS)] if self.random.random() < 0.4 else []
        return Message(message_id, thread or message_id, internal_ms, headers, labels, self.history_id)

    def _record(self, kind: str, message: Message, label_ids: list[str] | None = None) -> None:
        self.history_id += 1
        message.history_id = self.history_id
        snapshot = {"id": message.id, "threadId": message.thread_id, "labelIds": list(message.labels)}
        self.history.append(HistoryRecord(self.history_id, kind, snapshot, label_ids or []))

    def live(self) -> list[Message]:
        return [m for m in self.messages.values() if not {"SPAM", "TRASH"} & set(m.labels)]

    # -- what tests drive -------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        return {}

    def authorize_extras(self) -> dict[str, str]:
        return {}

    def redirect_extras(self) -> dict[str, str]:
        return {"scope": "https://www.googleapis.com/auth/gmail.metadata"}

    def totals(self) -> dict[str, int]:
        return {"email_messages": len(self.live())}

    def add_message(self) -> Message:
        with self.lock:
            self.now += timedelta(minutes=7)
            message = self._new_message(self.now, None)
            message.labels = ["INBOX", "UNREAD", "CATEGORY_PERSONAL"]
            self.messages[message.id] = message
            self._record("messageAdded", message)
        return message

    def relabel(self, message_id: str, *, add: tuple[str, ...] = (), remove: tuple[str, ...] = ()) -> None:
        with self.lock:
            message = self.messages[message_id]
            if remove:
                message.labels = [label for label in message.labels if label not in remove]
                self._record("labelRemoved", message, list(remove))
            if add:
                message.labels += [label for label in add if label not in message.labels]
                self._record("labelAdded", message, list(add))

    def delete(self, message_id: str) -> None:
        """messages.delete: permanent, unlike trash."""
        with self.lock:
            message = self.messages.pop(message_id)
            self._record("messageDeleted", message)

    def mutate(self) -> dict[str, str]:
        """A new message arrives, one is read (UNREAD removed, a label added), one is deleted; returns
        their ids by kind."""
        live = sorted(self.live(), key=lambda m: m.internal_ms)
        changed, removed = live[len(live) // 2], live[len(live) // 3]
        added = self.add_message()
        self.relabel(changed.id, add=("Label_2",), remove=("UNREAD",))
        self.delete(removed.id)
        return {"added": added.id, "changed": changed.id, "deleted": removed.id}

    def forget_history(self) -> None:
        """Gmail keeps history for about a week: any earlier startHistoryId now answers 404."""
        with self.lock:
            self.history_floor = self.history_id
            self.history.clear()

    def send_token(self, scope: str = f"{METADATA_SCOPE} {SEND_SCOPE}") -> str:
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
        """Google's refresh answer names the grant's scopes, as its first answer did."""
        scope = self.refresh_scopes.get(form.get("refresh_token", ""))
        response = super()._refresh(form)
        if scope is None or response.status_code != 200:
            return response
        answer = {**json.loads(bytes(response.body)), "scope": scope}
        self.token_scopes[answer["access_token"]] = scope
        return JSONResponse(answer)

    def webhook(self, url: str) -> tuple[bytes, dict[str, str]]:
        """A Cloud Pub/Sub push as Gmail's watch() produces it. It carries no HMAC (Pub/Sub
        authenticates pushes with a Google-signed OIDC token), so the adapter rejects it."""
        data = base64.b64encode(json.dumps({"emailAddress": MAILBOX, "historyId": self.history_id}).encode())
        body = {
            "message": {
                "data": data.decode(),
                "messageId": "2070443601311540",
                "publishTime": self.now.isoformat(),
            },
            "subscription": "projects/binelek-test/subscriptions/gmail-push",
        }
        return json.dumps(body).encode(), {"content-type": "application/json"}

    # -- routes -----------------------------------------------------------------------------------

    def api_routes(self) -> list[BaseRoute]:
        prefix = "/gmail/v1/users/{user_id}"
        return [
            Route(prefix + "/profile", self._profile, methods=["GET"]),
            Route(prefix + "/messages", self._list, methods=["GET"]),
            Route(prefix + "/messages/send", self._send, methods=["POST"]),
            Route(prefix + "/messages/{message_id}", self._get, methods=["GET"]),
            Route(prefix + "/history", self._history, methods=["GET"]),
        ]

    def _refuse(self, request: Request) -> Response | None:
        refused = self.guard(request)
        if refused is not None:
            return refused
        if request.path_params["user_id"] not in ("me", MAILBOX):
            return google_error(403, "Delegation denied for " + MAILBOX, "forbidden", "PERMISSION_DENIED")
        return None

    async def _profile(self, request: Request) -> Response:
        if (refused := self._refuse(request)) is not None:
            return refused
        with self.lock:
            return JSONResponse(
                {
                    "emailAddress": MAILBOX,
                    "messagesTotal": len(self.messages),
                    "threadsTotal": len({m.thread_id for m in self.messages.values()}),
                    "historyId": str(self.history_id),
                }
            )

    async def _list(self, request: Request) -> Response:
        if (refused := self._refuse(request)) is not None:
            return refused
        query = request.query_params
        size = page_size(query.get("maxResults"))
        if size is None:
            return google_error(400, "Invalid maxResults", "invalidArgument", "INVALID_ARGUMENT")
        with self.lock:
            pool = self.messages.values() if query.get("includeSpamTrash") == "true" else self.live()
            ordered = sorted(pool, key=lambda m: (m.internal_ms, m.id), reverse=True)
        after = decode_token(query.get("pageToken"))
        if after is not None:
            ordered = [m for m in ordered if (m.internal_ms, m.id) < (after[0], after[1])]
        chunk = ordered[:size]
        body: dict[str, Any] = {"resultSizeEstimate": len(chunk)}
        if chunk:
            body["messages"] = [m.stub() for m in chunk]
        if len(ordered) > size:
            body["nextPageToken"] = encode_token(chunk[-1].internal_ms, chunk[-1].id)
        return JSONResponse(body)

    async def _get(self, request: Request) -> Response:
        if (refused := self._refuse(request)) is not None:
            return refused
        form = request.query_params.get("format", "full").lower()
        if form in ("full", "raw"):
            return google_error(
                403, f"Metadata scope doesn't allow format {form.upper()}", "forbidden", "PERMISSION_DENIED"
            )
        with self.lock:
            message = self.messages.get(request.path_params["message_id"])
            if message is None:
                return google_error(404, "Requested entity was not found.", "notFound", "NOT_FOUND")
            return JSONResponse(message.resource(request.query_params.getlist("metadataHeaders"), form))

    async def _send(self, request: Request) -> Response:
        if (refused := self._refuse(request)) is not None:
            return refused
        scopes = set(self.token_scopes.get(self.bearer(request) or "", METADATA_SCOPE).split())
        if not scopes & SEND_SCOPES:
            return google_error(
                403,
                "Request had insufficient authentication scopes.",
                "insufficientPermissions",
                "PERMISSION_DENIED",
            )
        try:
            raw = str((await request.json())["raw"])
            data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        except (ValueError, KeyError, TypeError, binascii.Error):
            return google_error(400, "Invalid value at 'message.raw'", "invalidArgument", "INVALID_ARGUMENT")
        parsed = message_from_bytes(data, policy=email_policy.default)
        fields = ("To", "Cc", "Bcc")
        recipients = [
            address for _, address in getaddresses([str(v) for f in fields for v in parsed.get_all(f, [])])
        ]
        if not recipients:
            return google_error(400, "Recipient address required", "invalidArgument", "INVALID_ARGUMENT")
        body = parsed.get_body(preferencelist=("plain",))
        with self.lock:
            self.now += timedelta(minutes=1)
            self._sequence += 1
            internal_ms = int(self.now.timestamp() * 1000)
            message_id = f"{internal_ms:011x}{self._sequence:05x}"
            headers = [
                {"name": "Date", "value": format_datetime(self.now)},
                {"name": "From", "value": str(parsed.get("From") or f"Maria Okafor <{MAILBOX}>")},
                {"name": "To", "value": str(parsed.get("To", ""))},
                {"name": "Subject", "value": str(parsed.get("Subject", ""))},
                {"name": "Message-ID", "value": f"<{message_id}@mail.gmail.com>"},
            ]
            message = Message(message_id, message_id, internal_ms, headers, ["SENT"], self.history_id)
            self.messages[message.id] = message
            self._record("messageAdded", message)
            self.sent.append(
                {
                    "id": message_id,
                    "to": recipients,
                    "from": str(parsed.get("From") or ""),
                    "subject": str(parsed.get("Subject", "")),
                    "body": body.get_content() if body is not None else "",
                }
            )
        return JSONResponse({"id": message_id, "threadId": message_id, "labelIds": ["SENT"]})

    async def _history(self, request: Request) -> Response:
        if (refused := self._refuse(request)) is not None:
            return refused
        query = request.query_params
        size = page_size(query.get("maxResults"))
        start = query.get("startHistoryId", "")
        if size is None or not start.isdigit():
            return google_error(400, "Invalid startHistoryId", "invalidArgument", "INVALID_ARGUMENT")
        with self.lock:
            if int(start) < self.history_floor:
                return google_error(404, "Requested entity was not found.", "notFound", "NOT_FOUND")
            kinds = set(query.getlist("historyTypes")) or set(HistoryRecord.KEYS)
            records = [r for r in self.history if r.id > int(start) and r.kind in kinds]
            current = self.history_id
        after = decode_token(query.get("pageToken"))
        if after is not None:
            records = [r for r in records if r.id > after[0]]
        chunk = records[:size]
        body: dict[str, Any] = {"historyId": str(current)}
        if chunk:
            body["history"] = [r.resource() for r in chunk]
        if len(records) > size:
            body["nextPageToken"] = encode_token(chunk[-1].id, "")
        return JSONResponse(body)

    # -- Google's answers -------------------------------------------------------------------------

    def unauthorized(self) -> Response:
        return google_error(
            401,
            "Request had invalid authentication credentials. Expected OAuth 2 access token.",
            "authError",
            "UNAUTHENTICATED",
            headers={
                "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
            },
        )

    def too_many(self, wait: float) -> Response:
        if self.quota_status == 403:
            # The per-user quota answer: no Retry-After, the client backs off on its own.
            return google_error(
                403,
                "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user'",
                "rateLimitExceeded",
                "PERMISSION_DENIED",
                domain="usageLimits",
            )
        return google_error(
            429,
            "Too many concurrent requests for user.",
            "rateLimitExceeded",
            "RESOURCE_EXHAUSTED",
            domain="usageLimits",
            headers={"Retry-After": str(max(1, round(wait + 0.5)))},
        )

    async def _revoke(self, request: Request) -> Response:
        token = (await request.form()).get("token", "")
        with self.lock:
            known = token in self.access_tokens or token in self.refresh_tokens
            if not known:
                return JSONResponse(
                    {"error": "invalid_token", "error_description": "Token expired or revoked"}, 400
                )
            self.revoked.append(str(token))
            # One grant per fake mailbox: revoking any of its tokens ends all of them.
            self.access_tokens.clear()
            self.revoke_all_refresh_tokens()
        return Response(status_code=200)


def google_error(
    code: int,
    message: str,
    reason: str,
    status: str,
    *,
    domain: str = "global",
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    error = {
        "code": code,
        "message": message,
        "errors": [{"message": message, "domain": domain, "reason": reason}],
        "status": status,
    }
    return JSONResponse({"error": error}, status_code=code, headers=headers)


def ascii_name(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


def page_size(raw: str | None) -> int | None:
    if raw is None:
        return 100
    if not raw.isdigit() or int(raw) < 1:
        return None
    return min(int(raw), 500)


def encode_token(number: int, key: str) -> str:
    return base64.urlsafe_b64encode(f"{number}:{key}".encode()).decode().rstrip("=")


def decode_token(token: str | None) -> tuple[int, str] | None:
    if not token:
        return None
    number, _, key = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().partition(":")
    return int(number), key
