"""A fake HubSpot account behind HubSpot's real CRM v3 wire protocol.

Objects list (`limit` ≤ 100, `after`, `properties`, `associations`, `archived`), CRM search
(`filterGroups`, `sorts`, `limit` ≤ 200, offset `after`, and the 10,000-result ceiling answered with
a 400), v4 batch association reads (207 with `errors` for objects without associations), owners,
deal pipelines, account details, the OAuth v1 token endpoint (form body, client credentials in the
form, 30-minute access tokens, the same refresh token returned on refresh), refresh-token deletion,
and 429s shaped like HubSpot's (`policyName`, `X-HubSpot-RateLimit-*` headers, no Retry-After).

Every property value is a string, as HubSpot sends them; timestamps are ISO 8601 in UTC with
milliseconds. `search_cap` lowers the 10,000-result ceiling so a test can reach it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes.base import CLIENT_SECRET, FakeProvider, OAuthPolicy, RateLimit

Json = dict[str, Any]

FIRST_NAMES = [
    "Olivia",
    "James",
    "Amara",
    "Lukas",
    "Sana",
    "Diego",
    "Freya",
    "Tomás",
    "Yuki",
    "Nadia",
    "Elliot",
    "Chloe",
    "Arjun",
    "Ingrid",
    "Malik",
    "Rosa",
    "Felix",
    "Hana",
    "Owen",
    "Leila",
]
LAST_NAMES = [
    "Bennett",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Gupta",
    "Hoffman",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Nakamura",
    "O'Brien",
    "Park",
    "Quinn",
    "Rahman",
    "Santos",
]
COMPANY_WORDS = [
    "Northwind",
    "Bluepeak",
    "Cedar",
    "Lumen",
    "Ironbridge",
    "Brightwave",
    "Quarry",
    "Harbor",
    "Summit",
    "Keystone",
    "Redwood",
    "Atlas",
    "Pinecrest",
    "Silverline",
    "Copperleaf",
    "Meridian",
]
COMPANY_KINDS = [
    ("Logistics", "LOGISTICS_AND_SUPPLY_CHAIN"),
    ("Dental", "HOSPITAL_HEALTH_CARE"),
    ("Bakery", "FOOD_BEVERAGES"),
    ("Consulting", "MANAGEMENT_CONSULTING"),
    ("Outfitters", "RETAIL"),
    ("Software", "COMPUTER_SOFTWARE"),
    ("Builders", "CONSTRUCTION"),
]
PRODUCTS = [
    "Annual plan",
    "Onboarding package",
    "Support renewal",
    "Pilot",
    "Expansion seats",
    "Hardware bundle",
]
SALES_STAGES = [
    ("appointmentscheduled", "Appointment Scheduled", "0.2"),
    ("qualifiedtobuy", "Qualified To Buy", "0.4"),
    ("presentationscheduled", "Presentation Scheduled", "0.6"),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8"),
    ("contractsent", "Contract Sent", "0.9"),
    ("closedwon", "Closed Won", "1.0"),
    ("closedlost", "Closed Lost", "0.0"),
]
RENEWAL_STAGES = [
    ("74839202", "Up for renewal", "0.5"),
    ("74839203", "Renewed", "1.0"),
    ("74839204", "Churned", "0.0"),
]
MODIFIED = {
    "contacts": "lastmodifieddate",
    "companies": "hs_lastmodifieddate",
    "deals": "hs_lastmodifieddate",
}
# (v3 association type name, v4 typeId) of each HubSpot-defined association we generate.
PRIMARY = {
    ("contacts", "companies"): ("contact_to_company", 1),
    ("deals", "companies"): ("deal_to_company", 5),
}
UNLABELED = {
    ("contacts", "companies"): ("contact_to_company_unlabeled", 279),
    ("deals", "companies"): ("deal_to_company_unlabeled", 341),
    ("deals", "contacts"): ("deal_to_contact", 3),
    ("companies", "contacts"): ("company_to_contact_unlabeled", 280),
    ("companies", "deals"): ("company_to_deal_unlabeled", 342),
    ("contacts", "deals"): ("contact_to_deal", 4),
}
OBJECT_TYPES = ("companies", "contacts", "deals")
URI_UNESCAPES = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_moment(value: str) -> datetime:
    if value.lstrip("-").isdigit():
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def hubspot_error(status: int, category: str, message: str, **extra: Any) -> JSONResponse:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category}
    return JSONResponse({**body, **extra}, status_code=status)


class FakeHubSpot(FakeProvider):
    name = "hubspot"
    oauth = OAuthPolicy(authorize_path="/oauth/authorize", token_path="/oauth/v1/token", access_seconds=1800)
    webhook_secret = CLIENT_SECRET  # v3 signatures are keyed by the app's client secret

    def __init__(
        self,
        *,
        count: int = 300,
        rate_limit: RateLimit | None = None,
        seed: int = 1,
        search_cap: int = 10_000,
    ) -> None:
        super().__init__(rate_limit=rate_limit)
        self.rng = random.Random(seed)
        self.search_cap = search_cap
        self.portal_id = 20_000_000 + self.rng.randint(0, 9_999_999)
        self.clock = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        self.changed: dict[str, set[str]] = {}
        self.removed: dict[str, set[str]] = {}
        self.search_bodies: list[Json] = []
        self._next_id = 1000 + self.rng.randint(0, 500)
        self.objects: dict[str, dict[str, Json]] = {kind: {} for kind in OBJECT_TYPES}
        self.owners = [self._owner(archived=index == 5) for index in range(6)]
        for _ in range(max(3, count // 3)):
            self._add_company(self._past())
        for _ in range(count):
            self._add_contact(self._past())
        for _ in range(max(3, count // 2)):
            self._add_deal(self._past())
        for kind in OBJECT_TYPES:  # a few removed long ago
            for obj in self.rng.sample(
                list(self.objects[kind].values()), max(1, len(self.objects[kind]) // 30)
            ):
                obj["archived"], obj["archivedAt"] = True, iso(self._past())

    # -- what the tests read ----------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        return {"hub_id": str(self.portal_id), "currency": "USD", "time_zone": "America/New_York"}

    def authorize_extras(self) -> dict[str, str]:
        return {}

    def redirect_extras(self) -> dict[str, str]:
        return {}

    def totals(self) -> dict[str, int]:
        return {kind: len(self.live(kind)) for kind in OBJECT_TYPES}

    def live(self, kind: str) -> list[Json]:
        return [obj for obj in self.objects[kind].values() if not obj["archived"]]

    def archived_ids(self, kind: str) -> set[str]:
        return {obj["id"] for obj in self.objects[kind].values() if obj["archived"]}

    def mutate(self) -> None:
        """A new contact, a renamed company, a deal won, and a contact and a deal deleted (archived)."""
        now = datetime.now(UTC)
        self.changed, self.removed = {}, {}
        contact = self._add_contact(now)
        self.changed["contacts"] = {contact["id"]}
        company = self.live("companies")[0]
        company["properties"]["name"] += " Group"
        self._touch(company, now)
        self.changed["companies"] = {company["id"]}
        deal = next(d for d in self.live("deals") if d["properties"]["dealstage"] != "closedwon")
        deal["properties"].update(dealstage="closedwon", pipeline="default", amount="18250.00")
        self._touch(deal, now)
        self.changed["deals"] = {deal["id"]}
        for kind in ("contacts", "deals"):
            gone = next(o for o in self.live(kind) if o["id"] not in self.changed.get(kind, set()))
            gone["archived"], gone["archivedAt"] = True, iso(now)
            self.removed[kind] = {gone["id"]}

    def bulk_edit(self, kind: str, count: int, *, per_millisecond: int = 3) -> None:
        """An import touching `count` objects now, several sharing each millisecond."""
        start = datetime.now(UTC)
        edited = self.live(kind)[:count]
        for index, obj in enumerate(edited):
            self._touch(obj, start + timedelta(milliseconds=index // per_millisecond))
        self.changed[kind] = {obj["id"] for obj in edited}

    def webhook(self, url: str) -> tuple[bytes, dict[str, str]]:
        now_ms = int(time.time() * 1000)
        contact, deal = self.live("contacts")[0], self.live("deals")[0]
        events = [
            {"eventId": self.rng.randint(10**8, 10**9), "subscriptionId": 1843, "portalId": self.portal_id,
             "appId": 2456, "occurredAt": now_ms - 1500, "subscriptionType": "contact.propertyChange",
             "attemptNumber": 0, "objectId": int(contact["id"]), "changeSource": "CRM_UI",
             "propertyName": "email", "propertyValue": contact["properties"]["email"]},
            {"eventId": self.rng.randint(10**8, 10**9), "subscriptionId": 1851, "portalId": self.portal_id,
             "appId": 2456, "occurredAt": now_ms - 900, "subscriptionType": "deal.creation",
             "attemptNumber": 0, "objectId": int(deal["id"]), "changeSource": "CRM_UI"},
        ]  # fmt: skip
        body = json.dumps(events).encode()
        return body, {"content-type": "application/json", **self.sign("POST", url, body, now_ms)}

    def sign(
        self, method: str, url: str, body: bytes, timestamp_ms: int, secret: str | None = None
    ) -> dict[str, str]:
        key = (secret or self.webhook_secret).encode()
        # HubSpot signs the URI with a set of percent-escapes decoded.
        for escaped, character in URI_UNESCAPES.items():
            url = url.replace(escaped, character)
        source = method.encode() + url.encode() + body + str(timestamp_ms).encode()
        v3 = base64.b64encode(hmac.new(key, source, hashlib.sha256).digest()).decode()
        v1 = hashlib.sha256(key + body).hexdigest()  # the legacy signature HubSpot still sends alongside
        return {
            "x-hubspot-signature-v3": v3,
            "x-hubspot-request-timestamp": str(timestamp_ms),
            "x-hubspot-signature": v1,
            "x-hubspot-signature-version": "v1",
        }

    # -- routes -----------------------------------------------------------------------------------

    def api_routes(self) -> Sequence[BaseRoute]:
        return [
            Route("/crm/v3/objects/{kind}", self._list, methods=["GET"]),
            Route("/crm/v3/objects/{kind}/search", self._search, methods=["POST"]),
            Route(
                "/crm/v4/associations/{from_kind}/{to_kind}/batch/read", self._associations, methods=["POST"]
            ),
            Route("/crm/v3/owners", self._owners, methods=["GET"]),
            Route("/crm/v3/pipelines/deals", self._pipelines, methods=["GET"]),
            Route("/account-info/v3/details", self._account, methods=["GET"]),
            Route("/oauth/v1/refresh-tokens/{token}", self._delete_refresh_token, methods=["DELETE"]),
        ]

    def unauthorized(self) -> Response:
        return hubspot_error(
            401,
            "INVALID_AUTHENTICATION",
            "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
        )

    def too_many(self, wait: float) -> Response:
        assert self.rate_limit is not None
        response = hubspot_error(
            429,
            "RATE_LIMITS",
            "You have reached your ten_secondly_rolling limit.",
            errorType="RATE_LIMIT",
            policyName="TEN_SECONDLY_ROLLING",
        )
        response.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] = str(
            int(self.rate_limit.window_seconds * 1000)
        )
        response.headers["X-HubSpot-RateLimit-Max"] = str(self.rate_limit.requests)
        response.headers["X-HubSpot-RateLimit-Remaining"] = "0"
        return response

    async def _list(self, request: Request) -> Response:
        if denied := self.guard(request):
            return denied
        kind = request.path_params["kind"]
        if kind not in self.objects:
            return hubspot_error(400, "VALIDATION_ERROR", f"Unable to infer object type from: {kind}")
        query = request.query_params
        limit = int(query.get("limit", "10"))
        if not 1 <= limit <= 100:
            return hubspot_error(400, "VALIDATION_ERROR", "limit must be between 1 and 100")
        archived = query.get("archived", "false") == "true"
        properties = _names(query.getlist("properties"))
        associations = _names(query.getlist("associations"))
        after = int(query.get("after", "0"))
        chosen = sorted(
            (o for o in self.objects[kind].values() if o["archived"] == archived and int(o["id"]) >= after),
            key=lambda o: int(o["id"]),
        )
        results = [self._view(kind, obj, properties, associations) for obj in chosen[:limit]]
        answer: Json = {"results": results}
        if len(chosen) > limit:
            next_after = chosen[limit]["id"]
            answer["paging"] = {
                "next": {
                    "after": next_after,
                    "link": f"https://api.hubapi.com/crm/v3/objects/{kind}?after={next_after}",
                }
            }
        return JSONResponse(answer)

    async def _search(self, request: Request) -> Response:
        if denied := self.guard(request):
            return denied
        kind = request.path_params["kind"]
        body = await request.json()
        self.search_bodies.append(body)
        limit = int(body.get("limit") or 10)
        if not 1 <= limit <= 200:
            return hubspot_error(400, "VALIDATION_ERROR", "limit must be between 1 and 200")
        offset = int(body.get("after") or 0)
        if offset + limit > self.search_cap:
            return hubspot_error(
                400,
                "VALIDATION_ERROR",
                f"Paging beyond {self.search_cap} results is not supported for search.",
            )
        groups = body.get("filterGroups") or []
        matches = [o for o in self.live(kind) if not groups or any(_matches(o, g["filters"]) for g in groups)]
        for sort in reversed(
            body.get("sorts") or [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]
        ):
            name = sort["propertyName"]
            matches.sort(key=lambda o: _sort_key(o, name), reverse=sort.get("direction") == "DESCENDING")
        properties = body.get("properties") or []
        page = matches[offset : offset + limit]
        answer: Json = {"total": len(matches), "results": [self._view(kind, o, properties, []) for o in page]}
        if offset + limit < len(matches):
            answer["paging"] = {"next": {"after": str(offset + limit)}}
        return JSONResponse(answer)

    async def _associations(self, request: Request) -> Response:
        if denied := self.guard(request):
            return denied
        from_kind, to_kind = request.path_params["from_kind"], request.path_params["to_kind"]
        inputs = (await request.json()).get("inputs") or []
        if len(inputs) > 1000:
            return hubspot_error(400, "VALIDATION_ERROR", "at most 1000 inputs")
        results, missing = [], []
        for item in inputs:
            obj = self.objects[from_kind].get(str(item["id"]))
            links = (obj or {}).get("links", {}).get(to_kind, [])
            if not links:
                missing.append(str(item["id"]))
                continue
            targets = []
            for target_id, primary in links:
                types = [
                    {
                        "category": "HUBSPOT_DEFINED",
                        "typeId": UNLABELED[(from_kind, to_kind)][1],
                        "label": None,
                    }
                ]
                if primary:
                    types.insert(
                        0,
                        {
                            "category": "HUBSPOT_DEFINED",
                            "typeId": PRIMARY[(from_kind, to_kind)][1],
                            "label": "Primary",
                        },
                    )
                targets.append({"toObjectId": int(target_id), "associationTypes": types})
            results.append({"from": {"id": str(item["id"])}, "to": targets})
        now = iso(datetime.now(UTC))
        answer: Json = {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
        if missing:
            answer["numErrors"] = len(missing)
            answer["errors"] = [
                {
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                    "message": f"No {to_kind} is associated with {from_kind} {object_id}.",
                    "context": {"fromObjectId": [object_id]},
                }
                for object_id in missing
            ]
        return JSONResponse(answer, status_code=207 if missing else 200)

    async def _owners(self, request: Request) -> Response:
        if denied := self.guard(request):
            return denied
        query = request.query_params
        archived = query.get("archived", "false") == "true"
        limit = min(int(query.get("limit", "100")), 500)
        chosen = [o for o in self.owners if o["archived"] == archived]
        start = int(query.get("after", "0"))
        answer: Json = {"results": chosen[start : start + limit]}
        if start + limit < len(chosen):
            answer["paging"] = {"next": {"after": str(start + limit)}}
        return JSONResponse(answer)

    async def _pipelines(self, request: Request) -> Response:
        if denied := self.guard(request):
            return denied
        created = iso(self.clock - timedelta(days=900))

        def stages(rows: list[tuple[str, str, str]]) -> list[Json]:
            return [
                {
                    "id": sid,
                    "label": label,
                    "displayOrder": order,
                    "archived": False,
                    "createdAt": created,
                    "updatedAt": created,
                    "metadata": {"isClosed": "true" if p in ("1.0", "0.0") else "false", "probability": p},
                }
                for order, (sid, label, p) in enumerate(rows)
            ]

        return JSONResponse({"results": [
            {"id": "default", "label": "Sales Pipeline", "displayOrder": 0, "archived": False,
             "createdAt": created, "updatedAt": created, "stages": stages(SALES_STAGES)},
            {"id": "74839201", "label": "Renewals", "displayOrder": 1, "archived": False,
             "createdAt": created, "updatedAt": created, "stages": stages(RENEWAL_STAGES)},
        ]})  # fmt: skip

    async def _account(self, request: Request) -> Response:
        if denied := self.guard(request):
            return denied
        return JSONResponse({
            "portalId": self.portal_id, "accountType": "STANDARD", "timeZone": "America/New_York",
            "companyCurrency": "USD", "additionalCurrencies": ["EUR"], "utcOffset": "-05:00",
            "utcOffsetMilliseconds": -18000000, "uiDomain": "app.hubspot.com", "dataHostingLocation": "na1",
        })  # fmt: skip

    async def _delete_refresh_token(self, request: Request) -> Response:
        token = request.path_params["token"]
        if token not in self.refresh_tokens:
            return hubspot_error(404, "OBJECT_NOT_FOUND", "refresh token not found")
        self.revoked.append(token)
        self.refresh_tokens.pop(token)
        return Response(status_code=204)

    def _refresh(self, form: dict[str, str]) -> Response:
        """HubSpot answers a refresh with the same refresh token beside the new access token."""
        response = super()._refresh(form)
        if response.status_code != 200:
            return response
        body = json.loads(bytes(response.body))
        return JSONResponse({**body, "refresh_token": form["refresh_token"]})

    # -- views ------------------------------------------------------------------------------------

    def _view(self, kind: str, obj: Json, properties: Sequence[str], associations: Sequence[str]) -> Json:
        """An object as the API shows it: the requested properties (null when unset) plus the ones
        HubSpot always returns, and, when asked, its associations in the v3 shape."""
        props = obj["properties"]
        always = ("hs_object_id", "createdate", MODIFIED[kind])
        shown = {name: props.get(name) for name in [*properties, *always]}
        view: Json = {
            "id": obj["id"],
            "properties": shown,
            "createdAt": props["createdate"],
            "updatedAt": props[MODIFIED[kind]],
            "archived": obj["archived"],
        }
        if obj["archived"]:
            view["archivedAt"] = obj["archivedAt"]
        linked: Json = {}
        for to_kind in associations:
            entries = []
            for target_id, primary in obj["links"].get(to_kind, []):
                if primary:  # a primary association is listed twice: as primary and as unlabeled
                    entries.append({"id": target_id, "type": PRIMARY[(kind, to_kind)][0]})
                entries.append({"id": target_id, "type": UNLABELED[(kind, to_kind)][0]})
            if entries:
                linked[to_kind] = {"results": entries}
        if linked:
            view["associations"] = linked
        return view

    # -- data -------------------------------------------------------------------------------------

    def _new_id(self) -> str:
        self._next_id += self.rng.randint(1, 40)
        return str(self._next_id)

    def _past(self) -> datetime:
        return self.clock - timedelta(
            seconds=self.rng.randint(3600, 700 * 86400), milliseconds=self.rng.randint(0, 999)
        )

    def _touched(self, created: datetime) -> datetime:
        return min(
            created + timedelta(days=self.rng.randint(0, 120), seconds=self.rng.randint(0, 86400)),
            max(self.clock, created),
        )

    def _touch(self, obj: Json, moment: datetime) -> None:
        kind = next(k for k, objects in self.objects.items() if obj["id"] in objects)
        obj["properties"][MODIFIED[kind]] = iso(moment)

    def _store(self, kind: str, properties: Json, created: datetime) -> Json:
        object_id = self._new_id()
        props = {name: (None if value is None else str(value)) for name, value in properties.items()}
        props.update(
            hs_object_id=object_id, createdate=iso(created), **{MODIFIED[kind]: iso(self._touched(created))}
        )
        obj: Json = {"id": object_id, "properties": props, "archived": False, "links": {}}
        self.objects[kind][object_id] = obj
        return obj

    def _link(self, from_kind: str, from_obj: Json, to_kind: str, to_id: str, *, primary: bool) -> None:
        from_obj["links"].setdefault(to_kind, []).append((to_id, primary))
        self.objects[to_kind][to_id]["links"].setdefault(from_kind, []).append((from_obj["id"], False))

    def _owner(self, *, archived: bool) -> Json:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        created = iso(self.clock - timedelta(days=self.rng.randint(300, 900)))
        return {
            "id": str(self.rng.randint(10**7, 10**8)),
            "email": f"{first}.{last}@northwindsales.example".lower(),
            "type": "PERSON",
            "firstName": first,
            "lastName": last,
            "userId": self.rng.randint(10**6, 10**7),
            "createdAt": created,
            "updatedAt": created,
            "archived": archived,
            "teams": [],
        }

    def _add_company(self, created: datetime) -> Json:
        word, (kind, industry) = self.rng.choice(COMPANY_WORDS), self.rng.choice(COMPANY_KINDS)
        name = f"{word} {kind}"
        domain = f"{word}{kind}".lower().replace(" ", "") + self.rng.choice([".com", ".io", ".co", ".de"])
        return self._store(
            "companies",
            {
                "name": name,
                "domain": domain if self.rng.random() < 0.92 else None,
                "industry": industry,
                "city": self.rng.choice(["Boston", "Austin", "Berlin", "Toronto", "Leeds"]),
            },
            created,
        )

    def _add_contact(self, created: datetime) -> Json:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        companies = self.live("companies")
        company = self.rng.choice(companies) if companies and self.rng.random() < 0.8 else None
        domain = (
            company["properties"]["domain"] if company and company["properties"]["domain"] else "gmail.com"
        )
        email = (
            f"{first}.{last}".lower().replace("'", "").replace("á", "a")
            + f"{self.rng.randint(1, 99)}@{domain}"
        )
        contact = self._store("contacts", {
            "email": email.upper() if self.rng.random() < 0.05 else email,
            "firstname": first, "lastname": last,
            "phone": f"+1 617 555 {self.rng.randint(0, 9999):04d}" if self.rng.random() < 0.6 else None,
            "mobilephone": f"+1 857 555 {self.rng.randint(0, 9999):04d}" if self.rng.random() < 0.3 else None,
            "lifecyclestage": self.rng.choice(["lead", "marketingqualifiedlead", "customer"]),
        }, created)  # fmt: skip
        if company:
            self._link("contacts", contact, "companies", company["id"], primary=True)
            if self.rng.random() < 0.1:  # a second, non-primary company
                other = self.rng.choice(companies)
                if other is not company:
                    self._link("contacts", contact, "companies", other["id"], primary=False)
        return contact

    def _add_deal(self, created: datetime) -> Json:
        rng = self.rng
        companies, contacts = self.live("companies"), self.live("contacts")
        company = rng.choice(companies)
        renewal = rng.random() < 0.25
        stage = rng.choice(RENEWAL_STAGES if renewal else SALES_STAGES)[0]
        amount = None if rng.random() < 0.08 else f"{rng.randint(5, 900) * 50}.{rng.choice(['00', '50'])}"
        closes = created + timedelta(days=rng.randint(7, 120))
        deal = self._store("deals", {
            "dealname": f"{company['properties']['name']} - {rng.choice(PRODUCTS)}",
            "pipeline": "74839201" if renewal else "default",
            "dealstage": stage,
            "amount": amount,
            "deal_currency_code": "EUR" if rng.random() < 0.2 else None,
            "closedate": iso(closes.replace(hour=0, minute=0, second=0, microsecond=0)),
            "hubspot_owner_id": rng.choice(self.owners)["id"] if rng.random() < 0.9 else None,
        }, created)  # fmt: skip
        self._link("deals", deal, "companies", company["id"], primary=True)
        if contacts and rng.random() < 0.85:
            self._link("deals", deal, "contacts", rng.choice(contacts)["id"], primary=False)
        return deal


def _names(values: list[str]) -> list[str]:
    """`properties=a,b` and `properties=a&properties=b` are both accepted."""
    return [name for value in values for name in value.split(",") if name]


def _sort_key(obj: Json, name: str) -> tuple[int, Any]:
    value = obj["properties"].get(name)
    if name in ("createdate", "lastmodifieddate", "hs_lastmodifieddate", "closedate") and value:
        return (0, parse_moment(value))
    if name == "hs_object_id":
        return (0, int(obj["id"]))
    return (0 if value is not None else 1, value or "")


def _matches(obj: Json, filters: list[Json]) -> bool:
    for rule in filters:
        name, operator = rule["propertyName"], rule["operator"]
        value = obj["properties"].get(name)
        if operator == "HAS_PROPERTY":
            ok = value is not None
        elif value is None:
            ok = operator == "NOT_HAS_PROPERTY"
        elif name in ("createdate", "lastmodifieddate", "hs_lastmodifieddate", "closedate"):
            ok = _compare(parse_moment(value), operator, parse_moment(str(rule["value"])))
        else:
            ok = _compare(str(value), operator, str(rule["value"]))
        if not ok:
            return False
    return True


def _compare(left: Any, operator: str, right: Any) -> bool:
    return {
        "EQ": left == right, "NEQ": left != right, "GT": left > right,
        "GTE": left >= right, "LT": left < right, "LTE": left <= right,
    }[operator]  # fmt: skip
