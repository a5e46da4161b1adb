"""A fake Zoho CRM organisation (EU data centre) behind Zoho's real REST API v6 wire protocol.

Accounts server: `/oauth/v2/auth` (a refresh token only with `access_type=offline`; the redirect adds
`location` and `accounts-server`), `/oauth/v2/token` (form, client credentials in the form, `api_domain`
in the answer, refresh answers without a refresh token), `/oauth/v2/token/revoke?token=`.
API: `/crm/v6/{module}` with the mandatory `fields`, `per_page` ≤ 200, `page` only up to record 2,000
(`DISCRETE_PAGINATION_LIMIT_EXCEEDED` beyond) and `page_token` from `info.next_page_token`,
`If-Modified-Since` (304 when nothing changed, 204 for an empty module), `/crm/v6/{module}/deleted`,
`/crm/v6/org`; `Authorization: Zoho-oauthtoken …`; errors as `{"code", "details", "message", "status"}`.
Times are written in the organisation's zone (+01:00) with whole seconds, and some records share a
second, as bulk edits do.

Zoho documents no Retry-After on 429 TOO_MANY_REQUESTS; the fake sends one so the client's honouring
of it is exercised (without it the client backs off exponentially).
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes.base import FakeProvider, OAuthPolicy, RateLimit

Json = dict[str, Any]

ORG_ZONE = timezone(timedelta(hours=1))
ACCOUNTS_DOMAIN = "accounts.zoho.eu"
API_DOMAIN = "https://www.zohoapis.eu"
PAGE_NUMBER_LIMIT = 2000
FIRST_NAMES = [
    "Anna",
    "Jonas",
    "Lea",
    "Matteo",
    "Sofie",
    "Paul",
    "Clara",
    "Emil",
    "Marta",
    "Luca",
    "Ida",
    "Felix",
    "Nina",
    "Oskar",
    "Elena",
    "Timo",
    "Greta",
    "Jan",
    "Mila",
    "Henrik",
]
LAST_NAMES = [
    "Schneider",
    "Keller",
    "Rossi",
    "Jansen",
    "Dupont",
    "Nowak",
    "Lindqvist",
    "Moreno",
    "Weber",
    "Bauer",
    "Ricci",
    "De Vries",
    "Horvat",
    "Costa",
    "Berg",
    "Fontaine",
]
COMPANY_NAMES = [
    "Kranich Werkstatt",
    "Nordlicht Solar",
    "Atelier Lumière",
    "Bergblick Hotels",
    "Havn Logistik",
    "Verde Cucina",
    "Ostsee Marine",
    "Alpenrad",
    "Tulip Analytics",
    "Praha Print",
    "Baltic Timber",
    "Iberia Foods",
    "Rhein Dental",
    "Fjord Textiles",
    "Donau Consulting",
]
SUFFIXES = ["GmbH", "AG", "B.V.", "S.r.l.", "SAS", "ApS", "s.r.o."]
STAGES = [
    ("Qualification", 10),
    ("Needs Analysis", 20),
    ("Value Proposition", 40),
    ("Identify Decision Makers", 60),
    ("Proposal/Price Quote", 75),
    ("Negotiation/Review", 90),
    ("Closed Won", 100),
    ("Closed Lost", 0),
    ("Closed Lost to Competition", 0),
]
FIELDS = {
    "Accounts": {
        "Account_Name",
        "Website",
        "Industry",
        "Billing_City",
        "Billing_Country",
        "Owner",
        "Created_Time",
        "Modified_Time",
        "Phone",
    },
    "Contacts": {
        "First_Name",
        "Last_Name",
        "Email",
        "Phone",
        "Mobile",
        "Account_Name",
        "Owner",
        "Created_Time",
        "Modified_Time",
        "Lead_Source",
        "Mailing_City",
    },
    "Deals": {
        "Deal_Name",
        "Stage",
        "Pipeline",
        "Amount",
        "Closing_Date",
        "Owner",
        "Account_Name",
        "Contact_Name",
        "Probability",
        "Created_Time",
        "Modified_Time",
    },
}
KINDS = ["Rollout", "Pilot", "Renewal", "Upgrade"]
SORTABLE = {"id", "Created_Time", "Modified_Time"}


def zoho_time(moment: datetime) -> str:
    return moment.astimezone(ORG_ZONE).replace(microsecond=0).isoformat()


def parse(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def zoho_error(status: int, code: str, message: str, **details: Any) -> JSONResponse:
    return JSONResponse(
        {"code": code, "details": details, "message": message, "status": "error"}, status_code=status
    )


class FakeZohoCrm(FakeProvider):
    name = "zoho_crm"
    oauth = OAuthPolicy(
        authorize_path="/oauth/v2/auth",
        token_path="/oauth/v2/token",
        access_seconds=3600,
        token_extras={"api_domain": API_DOMAIN, "token_type": "Bearer"},
    )
    webhook_secret = "zoho-channel-token-5d1e8a"  # the token chosen when the channel was set up

    def __init__(
        self,
        *,
        count: int = 300,
        rate_limit: RateLimit | None = None,
        seed: int = 1,
        multi_currency: bool = False,
    ) -> None:
        super().__init__(rate_limit=rate_limit)
        self.rng = random.Random(seed)
        self.multi_currency = multi_currency
        self.clock = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        self.offline_codes: set[str] = set()
        self.changed: dict[str, set[str]] = {}
        self.removed: dict[str, set[str]] = {}
        self.requests_seen: list[tuple[str, dict[str, str], str | None]] = []  # (path, query, IMS)
        self._serial = 5725767000000000000 + self.rng.randint(0, 10**9) * 1000
        self.users = [self._user() for _ in range(4)]
        self.records: dict[str, dict[str, Json]] = {"Accounts": {}, "Contacts": {}, "Deals": {}}
        self.deleted: dict[str, list[Json]] = {"Accounts": [], "Contacts": [], "Deals": []}
        fields = set(FIELDS["Deals"]) | ({"Currency", "Exchange_Rate"} if multi_currency else set())
        self.fields = {**FIELDS, "Deals": fields}
        for _ in range(max(3, count // 3)):
            self._add_account(self._past())
        for _ in range(count):
            self._add_contact(self._past())
        self._contacts_of: dict[str, list[Json]] = {}
        for contact in self.records["Contacts"].values():
            if contact["Account_Name"]:
                self._contacts_of.setdefault(contact["Account_Name"]["id"], []).append(contact)
        for _ in range(max(3, count // 2)):
            self._add_deal(self._past())
        for module in self.records:  # some deleted long ago
            for record in self.rng.sample(
                list(self.records[module].values()), max(1, len(self.records[module]) // 25)
            ):
                self._delete(module, record, self._past())

    # -- what the tests read ----------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        return {"accounts_domain": ACCOUNTS_DOMAIN, "api_domain": API_DOMAIN, "currency": "EUR",
                "multi_currency": self.multi_currency}  # fmt: skip

    def authorize_extras(self) -> dict[str, str]:
        return {"accounts_domain": ACCOUNTS_DOMAIN}

    def redirect_extras(self) -> dict[str, str]:
        return {"location": "eu", "accounts-server": f"https://{ACCOUNTS_DOMAIN}"}

    def totals(self) -> dict[str, int]:
        return {"companies": len(self.records["Accounts"]), "contacts": len(self.records["Contacts"]),
                "deals": len(self.records["Deals"])}  # fmt: skip

    def deleted_ids(self, module: str) -> set[str]:
        return {entry["id"] for entry in self.deleted[module]}

    def mutate(self) -> None:
        """A new contact, an account's website changed, a deal won, a contact and a deal deleted."""
        now = datetime.now(UTC)
        self.changed, self.removed = {}, {}
        contact = self._add_contact(now)
        self.changed["contacts"] = {contact["id"]}
        account = next(iter(self.records["Accounts"].values()))
        account.update(Website="https://www.example-relaunch.eu", Modified_Time=zoho_time(now))
        self.changed["companies"] = {account["id"]}
        deal = next(d for d in self.records["Deals"].values() if not d["Stage"].startswith("Closed"))
        deal.update(Stage="Closed Won", Probability=100, Modified_Time=zoho_time(now))
        self.changed["deals"] = {deal["id"]}
        for module, entity in (("Contacts", "contacts"), ("Deals", "deals")):
            gone = next(r for r in self.records[module].values() if r["id"] not in self.changed[entity])
            self._delete(module, gone, now)
            self.removed[entity] = {gone["id"]}

    def mass_update(self, module: str, count: int) -> None:
        """A mass update: `count` records stamped with one and the same second."""
        stamp = zoho_time(datetime.now(UTC))
        touched = list(self.records[module].values())[:count]
        for record in touched:
            record["Modified_Time"] = stamp
        self.changed = {module.lower(): {record["id"] for record in touched}}

    def webhook(self, url: str) -> tuple[bytes, dict[str, str]]:
        contact = next(iter(self.records["Contacts"].values()))
        notification = {
            "server_time": int(datetime.now(UTC).timestamp() * 1000),
            "query_params": {},
            "module": "Contacts",
            "resource_uri": f"{API_DOMAIN}/crm/v6/Contacts",
            "ids": [contact["id"]],
            "affected_fields": [{contact["id"]: ["Email"]}],
            "operation": "update",
            "channel_id": "1000000068001",
            "token": self.webhook_secret,
        }
        return json.dumps(notification).encode(), {"content-type": "application/json"}

    # -- routes -----------------------------------------------------------------------------------

    def api_routes(self) -> Sequence[BaseRoute]:
        return [
            Route("/oauth/v2/token/revoke", self._revoke_token, methods=["POST"]),
            Route("/crm/v6/org", self._org, methods=["GET"]),
            Route("/crm/v6/{module}", self._list, methods=["GET"]),
            Route("/crm/v6/{module}/deleted", self._list_deleted, methods=["GET"]),
        ]

    def bearer(self, request: Request, header: str = "authorization") -> str | None:
        value = request.headers.get(header, "")
        return value[len("Zoho-oauthtoken ") :] if value.startswith("Zoho-oauthtoken ") else None

    def unauthorized(self) -> Response:
        return zoho_error(401, "INVALID_TOKEN", "invalid oauth token")

    def too_many(self, wait: float) -> Response:
        response = zoho_error(429, "TOO_MANY_REQUESTS", "concurrency limit exceeded")
        response.headers["Retry-After"] = str(max(1, round(wait + 0.5)))
        return response

    async def _authorize(self, request: Request) -> Response:
        """Zoho issues a refresh token only for `access_type=offline`."""
        response = await super()._authorize(request)
        if isinstance(response, RedirectResponse) and request.query_params.get("access_type") == "offline":
            query = parse_qs(urlsplit(response.headers["location"]).query)
            self.offline_codes.add(query["code"][0])
        return response

    def _exchange_code(self, form: dict[str, str]) -> Response:
        offline = form.get("code") in self.offline_codes
        response = super()._exchange_code(form)
        if response.status_code != 200 or offline:
            return response
        body = json.loads(bytes(response.body))
        self.refresh_tokens.pop(body.pop("refresh_token"))
        return JSONResponse(body)

    async def _revoke_token(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        if token not in self.refresh_tokens and token not in self.access_tokens:
            return JSONResponse({"error": "invalid_token"}, status_code=400)
        self.revoked.append(token)
        self.refresh_tokens.pop(token, None)
        self.access_tokens.pop(token, None)
        return JSONResponse({"status": "success"})

    async def _org(self, request: Request) -> Response:
        if denied := self.guard(request):
            return denied
        org = {
            "id": "20012345000000", "zgid": "20012345", "company_name": "Kranich Werkstatt GmbH",
            "country": "Germany", "country_code": "DE", "city": "Berlin", "time_zone": "Europe/Berlin",
            "currency": "Euro - EUR", "iso_code": "EUR", "currency_symbol": "€", "currency_locale": "de_DE",
            "mc_status": self.multi_currency, "type": "production", "primary_email": "admin@kranich.example",
        }  # fmt: skip
        return JSONResponse({"org": [org]})

    async def _list(self, request: Request) -> Response:
        if denied := self.guard(request):
            return denied
        module = request.path_params["module"]
        if module not in self.records:
            return zoho_error(
                400, "INVALID_MODULE", "the module name given seems to be invalid", resource_path_index=0
            )
        query = request.query_params
        since = request.headers.get("if-modified-since")
        self.requests_seen.append((f"/crm/v6/{module}", dict(query), since))
        if not query.get("fields"):
            return zoho_error(
                400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", param="fields"
            )
        fields = query["fields"].split(",")
        unknown = [name for name in fields if name not in self.fields[module] and name != "id"]
        if unknown or len(fields) > 50:
            return zoho_error(
                400, "INVALID_DATA", "the field name given seems to be invalid", api_name=unknown[:1]
            )
        per_page = int(query.get("per_page", "200"))
        if not 1 <= per_page <= 200:
            return zoho_error(400, "INVALID_DATA", "invalid data", param_name="per_page")
        if "page" in query and "page_token" in query:
            return zoho_error(400, "INVALID_REQUEST", "page and page_token cannot be used together")
        sort_by = query.get("sort_by", "id")
        if sort_by not in SORTABLE:
            return zoho_error(400, "INVALID_DATA", "invalid data", param_name="sort_by")
        records = list(self.records[module].values())
        if not records:
            return Response(status_code=204)
        if since:
            boundary = parse(since)
            records = [r for r in records if parse(r["Modified_Time"]) > boundary]
            if not records:
                return Response(status_code=304)
        records.sort(
            key=lambda r: (parse(r[sort_by]) if sort_by != "id" else 0, int(r["id"])),
            reverse=query.get("sort_order", "desc") == "desc",
        )
        fingerprint = _fingerprint(query, since)
        if "page_token" in query:
            offset = _token_offset(query["page_token"], fingerprint)
            if offset is None:
                return zoho_error(400, "INVALID_DATA", "invalid page token", param_name="page_token")
            page = offset // per_page + 1
        else:
            page = int(query.get("page", "1"))
            if page * per_page > PAGE_NUMBER_LIMIT:
                return zoho_error(
                    400,
                    "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                    "Cannot fetch more than 2000 records using page. Use page_token instead.",
                )
            offset = (page - 1) * per_page
        chunk = records[offset : offset + per_page]
        if not chunk:
            return Response(status_code=204)
        more = offset + per_page < len(records)
        info = {
            "per_page": per_page, "count": len(chunk), "page": page, "sort_by": sort_by,
            "sort_order": query.get("sort_order", "desc"), "more_records": more,
            "next_page_token": _token(offset + per_page, fingerprint) if more else None,
            "previous_page_token": _token(max(0, offset - per_page), fingerprint) if offset else None,
            "page_token_expiry": zoho_time(datetime.now(UTC) + timedelta(days=1)) if more else None,
        }  # fmt: skip
        data = [{"id": r["id"], **{name: r.get(name) for name in fields}} for r in chunk]
        return JSONResponse({"data": data, "info": info})

    async def _list_deleted(self, request: Request) -> Response:
        if denied := self.guard(request):
            return denied
        module = request.path_params["module"]
        if module not in self.records:
            return zoho_error(
                400, "INVALID_MODULE", "the module name given seems to be invalid", resource_path_index=0
            )
        query = request.query_params
        since = request.headers.get("if-modified-since")
        self.requests_seen.append((f"/crm/v6/{module}/deleted", dict(query), since))
        kind = query.get("type", "all")
        entries = [e for e in self.deleted[module] if kind == "all" or e["type"] == kind]
        if not entries:
            return Response(status_code=204)
        if since:
            entries = [e for e in entries if parse(e["deleted_time"]) > parse(since)]
            if not entries:
                return Response(status_code=304)
        per_page = min(int(query.get("per_page", "200")), 200)
        page = int(query.get("page", "1"))
        chunk = entries[(page - 1) * per_page : page * per_page]
        if not chunk:
            return Response(status_code=204)
        info = {
            "per_page": per_page,
            "count": len(chunk),
            "page": page,
            "more_records": page * per_page < len(entries),
        }
        return JSONResponse({"data": chunk, "info": info})

    # -- data -------------------------------------------------------------------------------------

    def _id(self) -> str:
        self._serial += self.rng.randint(1, 30)
        return str(self._serial)

    def _past(self) -> datetime:
        return self.clock - timedelta(seconds=self.rng.randint(3600, 700 * 86400))

    def _stamps(self, module: str, created: datetime) -> Json:
        """Created and modified times; now and then a record shares the previous one's second."""
        modified = min(created + timedelta(seconds=self.rng.randint(0, 90 * 86400)), max(self.clock, created))
        existing = list(self.records[module].values())
        if existing and created < self.clock and self.rng.random() < 0.08:
            modified = max(parse(existing[-1]["Modified_Time"]), created)
        return {"Created_Time": zoho_time(created), "Modified_Time": zoho_time(modified)}

    def _user(self) -> Json:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        email = f"{first}.{last.replace(' ', '')}@kranich.example".lower()
        return {"name": f"{first} {last}", "id": self._id(), "email": email}

    def _add_account(self, created: datetime) -> Json:
        name = f"{self.rng.choice(COMPANY_NAMES)} {self.rng.choice(SUFFIXES)}"
        slug = name.split()[0].lower().replace("è", "e")
        website = self.rng.choice(
            [f"https://www.{slug}.eu", f"{slug}.de", f"http://{slug}.com/kontakt", None]
        )
        record = {"id": self._id(), "Account_Name": name, "Website": website,
                  "Industry": self.rng.choice(["Manufacturing", "Hospitality", "Retail", "Services", None]),
                  "Billing_City": self.rng.choice(["Berlin", "Hamburg", "Amsterdam", "Milano", "Lyon"]),
                  "Billing_Country": self.rng.choice(["Germany", "Netherlands", "Italy", "France"]),
                  "Phone": f"+49 30 {self.rng.randint(1000000, 9999999)}",
                  "Owner": self.rng.choice(self.users), **self._stamps("Accounts", created)}  # fmt: skip
        self.records["Accounts"][record["id"]] = record
        return record

    def _add_contact(self, created: datetime) -> Json:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        accounts = list(self.records["Accounts"].values())
        account = self.rng.choice(accounts) if accounts and self.rng.random() < 0.8 else None
        email = f"{first}.{last.replace(' ', '')}{self.rng.randint(1, 99)}@mail.example".lower()
        record = {
            "id": self._id(), "First_Name": first if self.rng.random() < 0.95 else None, "Last_Name": last,
            "Email": email if self.rng.random() < 0.9 else None,
            "Phone": f"+49 40 {self.rng.randint(1000000, 9999999)}" if self.rng.random() < 0.5 else None,
            "Mobile": f"+49 171 {self.rng.randint(1000000, 9999999)}" if self.rng.random() < 0.4 else None,
            "Account_Name": {"name": account["Account_Name"], "id": account["id"]} if account else None,
            "Lead_Source": self.rng.choice(["Web Download", "Trade Show", "Cold Call", None]),
            "Mailing_City": self.rng.choice(["Berlin", "Köln", "Utrecht", None]),
            "Owner": self.rng.choice(self.users), **self._stamps("Contacts", created),
        }  # fmt: skip
        self.records["Contacts"][record["id"]] = record
        return record

    def _add_deal(self, created: datetime) -> Json:
        account = self.rng.choice(list(self.records["Accounts"].values()))
        contacts = self._contacts_of.get(account["id"], [])
        contact = self.rng.choice(contacts) if contacts else None
        stage, probability = self.rng.choice(STAGES)
        renewal = self.rng.random() < 0.2
        amount: Any = self.rng.choice(
            [self.rng.randint(20, 900) * 100, round(self.rng.uniform(1000, 90000), 2)]
        )
        closing: date = (created + timedelta(days=self.rng.randint(10, 150))).date()
        record = {
            "id": self._id(), "Deal_Name": f"{account['Account_Name'].split()[0]} - {self.rng.choice(KINDS)}",
            "Stage": stage, "Probability": probability,
            "Amount": amount if self.rng.random() < 0.93 else None,
            "Pipeline": "Renewals" if renewal else "Standard (Standard)", "Closing_Date": closing.isoformat(),
            "Owner": self.rng.choice(self.users),
            "Account_Name": {"name": account["Account_Name"], "id": account["id"]},
            "Contact_Name": {"name": f"{contact['First_Name']} {contact['Last_Name']}", "id": contact["id"]}
            if contact else None,
            **self._stamps("Deals", created),
        }  # fmt: skip
        if self.multi_currency:
            record["Currency"] = self.rng.choice(["EUR", "EUR", "CHF", "GBP"])
            record["Exchange_Rate"] = 1
        self.records["Deals"][record["id"]] = record
        return record

    def _delete(self, module: str, record: Json, when: datetime) -> None:
        del self.records[module][record["id"]]
        name_field = {"Accounts": "Account_Name", "Contacts": "Last_Name", "Deals": "Deal_Name"}[module]
        self.deleted[module].append({
            "deleted_by": self.users[0], "id": record["id"], "display_name": record[name_field],
            "type": self.rng.choice(["recycle", "permanent"]), "created_by": record["Owner"],
            "deleted_time": zoho_time(when),
        })  # fmt: skip


def _fingerprint(query: Any, since: str | None) -> str:
    fields = {k: v for k, v in dict(query).items() if k not in ("page", "page_token")}
    return hashlib.sha256(json.dumps([fields, since], sort_keys=True).encode()).hexdigest()[:12]


def _token(offset: int, fingerprint: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "q": fingerprint}).encode()).decode().rstrip("=")


def _token_offset(token: str, fingerprint: str) -> int | None:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        return None
    return int(decoded["o"]) if decoded.get("q") == fingerprint else None
