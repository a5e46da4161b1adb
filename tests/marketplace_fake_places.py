"""Loopback fakes of Google Places API (New) and Yelp Fusion business search, for discovery tests.

Each is a real HTTP server on 127.0.0.1 answering the provider's real paths with its real request
checks and error bodies: Google wants `X-Goog-Api-Key` and `X-Goog-FieldMask` (unknown paths in the
mask are refused, the answer holds only the masked fields), validates the circle and page size, and
pages Text Search with an opaque `nextPageToken` tied to the request; Yelp wants a bearer key, caps
the radius at 40,000 m, `limit` at 50 and `offset + limit` at 240. `rate_limit_next` answers the next
N requests with the provider's 429 instead. Every request is recorded for assertions.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

HOST = "127.0.0.1"
GOOGLE_KEY = "AIzaSy-fake-google-places-key"
GOOGLE_BLOCKED_KEY = "AIzaSy-fake-key-without-places"  # a real key with Places API (New) not enabled
YELP_KEY = "fake-yelp-fusion-api-key"

PLACE_FIELDS = frozenset(
    {
        "id", "name", "displayName", "formattedAddress", "shortFormattedAddress", "location", "types",
        "primaryType", "primaryTypeDisplayName", "websiteUri", "nationalPhoneNumber",
        "internationalPhoneNumber", "rating", "userRatingCount", "businessStatus", "priceLevel",
        "googleMapsUri", "regularOpeningHours", "addressComponents", "viewport", "photos",
    }
)  # fmt: skip
GOOGLE_MAX_RESULTS = 60
YELP_MAX_DEPTH = 240


def _distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(a)))


def _query_words(text: str) -> list[str]:
    """Crude matching the way a search engine would forgive: "roasters" finds "roastery"."""
    found = []
    for word in text.lower().split():
        for suffix in ("eries", "ery", "ers", "er", "ies", "s"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
        found.append(word)
    return found


# -- records -------------------------------------------------------------------------------------------


def google_place(
    place_id: str,
    name: str,
    lat: float,
    lng: float,
    types: list[str],
    *,
    address: str = "",
    website: str | None = None,
    phone: str | None = None,
    rating: float | None = None,
    reviews: int | None = None,
    status: str = "OPERATIONAL",
) -> dict[str, Any]:
    """A Place resource as Places API (New) returns it (all fields; the field mask trims them)."""
    place: dict[str, Any] = {
        "name": f"places/{place_id}",
        "id": place_id,
        "displayName": {"text": name, "languageCode": "en"},
        "formattedAddress": address,
        "location": {"latitude": lat, "longitude": lng},
        "types": [*types, "point_of_interest", "establishment"],
        "primaryType": types[0],
        "businessStatus": status,
        "googleMapsUri": f"https://maps.google.com/?cid={abs(hash(place_id)) % 10**12}",
    }
    if website:
        place["websiteUri"] = website
    if phone:
        place["nationalPhoneNumber"] = phone
        place["internationalPhoneNumber"] = "+1 " + phone.replace("(", "").replace(")", "").replace(
            " ", "-", 1
        )
    if rating is not None:
        place["rating"] = rating
    if reviews is not None:
        place["userRatingCount"] = reviews
    return place


def yelp_business(
    business_id: str,
    name: str,
    lat: float,
    lng: float,
    categories: list[tuple[str, str]],
    *,
    address1: str = "",
    city: str = "Portland",
    zip_code: str = "97214",
    phone: str = "",
    rating: float = 4.0,
    reviews: int = 10,
    is_closed: bool = False,
) -> dict[str, Any]:
    """A business as Yelp's search returns it, minus `distance`, which depends on the search."""
    display_phone = f"({phone[2:5]}) {phone[5:8]}-{phone[8:]}" if phone.startswith("+1") else phone
    return {
        "id": business_id,
        "alias": business_id.lower(),
        "name": name,
        "image_url": "",
        "is_closed": is_closed,
        "url": f"https://www.yelp.com/biz/{business_id.lower()}",
        "review_count": reviews,
        "categories": [{"alias": alias, "title": title} for alias, title in categories],
        "rating": rating,
        "coordinates": {"latitude": lat, "longitude": lng},
        "transactions": [],
        "price": "$$",
        "location": {
            "address1": address1,
            "address2": "",
            "address3": "",
            "city": city,
            "zip_code": zip_code,
            "country": "US",
            "state": "OR",
            "display_address": [address1, f"{city}, OR {zip_code}"]
            if address1
            else [f"{city}, OR {zip_code}"],
        },
        "phone": phone,
        "display_phone": display_phone,
    }


# -- server plumbing -----------------------------------------------------------------------------------


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    body: Any


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        query = {name: values[-1] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
        request = Recorded(method, parts.path, {k.lower(): v for k, v in self.headers.items()}, query, body)
        answer = self.server.fake.answer(request)
        payload = json.dumps(answer.body).encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeProvider


class FakeProvider:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.rate_limit_next = 0  # answer this many of the next requests with 429
        self.retry_after: str | None = None  # the Retry-After header those 429s carry
        self._lock = threading.Lock()
        self._server: _Server | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "not started"
        return f"http://{HOST}:{self._server.server_address[1]}"

    @contextmanager
    def running(self) -> Iterator[FakeProvider]:
        self._server = _Server((HOST, 0), _Handler)
        self._server.fake = self
        thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join(timeout=5)

    def answer(self, request: Recorded) -> Answer:
        with self._lock:
            self.requests.append(request)
            limited = self.rate_limit_next > 0
            if limited:
                self.rate_limit_next -= 1
        if limited:
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            return Answer(429, self.rate_limit_body(), headers)
        return self.route(request)

    def rate_limit_body(self) -> Any:
        raise NotImplementedError

    def route(self, request: Recorded) -> Answer:
        raise NotImplementedError


# -- Google Places API (New) ---------------------------------------------------------------------------


def google_error(code: int, status: str, message: str, *, reason: str | None = None) -> Answer:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if reason:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": "googleapis.com",
                "metadata": {"service": "places.googleapis.com"},
            }
        ]
    return Answer(code, {"error": error})


class _GoogleInvalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FakeGooglePlaces(FakeProvider):
    def __init__(self, places: list[dict[str, Any]], *, key: str = GOOGLE_KEY) -> None:
        super().__init__()
        self.places = places
        self.key = key
        self.supported_types = {t for place in places for t in place["types"]} | {
            "restaurant", "cafe", "coffee_shop", "bakery", "gym", "store", "book_store", "bar",
        }  # fmt: skip

    def rate_limit_body(self) -> Any:
        return google_error(
            429,
            "RESOURCE_EXHAUSTED",
            "Quota exceeded for quota metric 'SearchNearbyRequest' and limit 'SearchNearbyRequest per "
            "minute' of service 'places.googleapis.com' for consumer 'project_number:123456789'.",
            reason="RATE_LIMIT_EXCEEDED",
        ).body

    def route(self, request: Recorded) -> Answer:
        method_name = {"/v1/places:searchNearby": "SearchNearby", "/v1/places:searchText": "SearchText"}.get(
            request.path
        )
        if method_name is None or request.method != "POST":
            return google_error(404, "NOT_FOUND", "Method not found.")
        key = request.headers.get("x-goog-api-key")
        if not key:
            return google_error(
                403, "PERMISSION_DENIED", "The request is missing a valid API key.", reason="API_KEY_MISSING"
            )
        if key == GOOGLE_BLOCKED_KEY:
            return google_error(
                403,
                "PERMISSION_DENIED",
                "Requests to this API places.googleapis.com method "
                f"google.maps.places.v1.Places.{method_name} are blocked.",
                reason="API_KEY_SERVICE_BLOCKED",
            )
        if key != self.key:
            return google_error(
                400,
                "INVALID_ARGUMENT",
                "API key not valid. Please pass a valid API key.",
                reason="API_KEY_INVALID",
            )
        if not isinstance(request.body, dict):
            return google_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        try:
            mask = self._field_mask(
                request.headers.get("x-goog-fieldmask"), paging=method_name == "SearchText"
            )
            if method_name == "SearchNearby":
                places, token = self._nearby(request.body), None
            else:
                places, token = self._text(request.body)
        except _GoogleInvalid as exc:
            return google_error(400, "INVALID_ARGUMENT", exc.message)
        body: dict[str, Any] = {}
        if places:  # an empty result is `{}`
            body["places"] = [self._masked(place, mask) for place in places]
        if token and ("*" in mask or "nextPageToken" in mask):
            body["nextPageToken"] = token
        return Answer(200, body)

    @staticmethod
    def _field_mask(header: str | None, *, paging: bool) -> set[str]:
        if not header:
            raise _GoogleInvalid(
                "FieldMask is a required parameter. See "
                "https://cloud.google.com/apis/docs/system-parameters on how to provide it. As an example, "
                "you can set the header 'X-Goog-FieldMask' to value 'places.displayName', 'places.id' to ask "
                "for the display name and the place id of a place."
            )
        paths = {path.strip() for path in header.split(",") if path.strip()}
        for path in paths:
            known = (
                path in ("*", "places")
                or (path.startswith("places.") and path.split(".")[1] in PLACE_FIELDS)
                or (paging and path == "nextPageToken")
            )
            if not known:
                raise _GoogleInvalid(
                    f"Error expanding 'fields' parameter. Cannot find matching fields for path '{path}'."
                )
        return paths

    @staticmethod
    def _masked(place: dict[str, Any], mask: set[str]) -> dict[str, Any]:
        if "*" in mask or "places" in mask:
            return dict(place)
        wanted = {path.split(".")[1] for path in mask if path.startswith("places.")}
        return {name: value for name, value in place.items() if name in wanted}

    @staticmethod
    def _circle(area: Any, name: str) -> tuple[float, float, float]:
        circle = area.get("circle") if isinstance(area, dict) else None
        if not isinstance(circle, dict):
            raise _GoogleInvalid(f"{name}.circle is required.")
        center = circle.get("center") or {}
        lat, lng, radius = center.get("latitude"), center.get("longitude"), circle.get("radius", 0)
        if not isinstance(lat, int | float) or not isinstance(lng, int | float):
            raise _GoogleInvalid(f"{name}.circle.center must be a LatLng.")
        if not isinstance(radius, int | float) or not 0 < radius <= 50_000:
            raise _GoogleInvalid(f"Invalid {name}.circle.radius: must be greater than 0 and at most 50000.")
        return float(lat), float(lng), float(radius)

    def _nearby(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        lat, lng, radius = self._circle(body.get("locationRestriction"), "locationRestriction")
        count = body.get("maxResultCount", 20)
        if not isinstance(count, int) or not 1 <= count <= 20:
            raise _GoogleInvalid("maxResultCount must be between 1 and 20.")
        types = body.get("includedTypes") or []
        if len(types) > 50:
            raise _GoogleInvalid("includedTypes accepts at most 50 types.")
        unsupported = [t for t in types if t not in self.supported_types]
        if unsupported:
            raise _GoogleInvalid(f"Unsupported types: {', '.join(unsupported)}.")
        inside = [
            place
            for place in self.places
            if _distance_m(lat, lng, place["location"]["latitude"], place["location"]["longitude"]) <= radius
            and (not types or set(types) & set(place["types"]))
        ]
        inside.sort(key=lambda place: -place.get("userRatingCount", 0))  # rankPreference POPULARITY
        return inside[:count]

    def _text(self, body: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
        query = body.get("textQuery")
        if not isinstance(query, str) or not query.strip():
            raise _GoogleInvalid("textQuery is required.")
        page_size = body.get("pageSize", 20)
        if not isinstance(page_size, int) or not 1 <= page_size <= 20:
            raise _GoogleInvalid("pageSize must be between 1 and 20.")
        lat, lng, _ = self._circle(body.get("locationBias"), "locationBias")
        fingerprint = hashlib.sha256(
            json.dumps({k: v for k, v in body.items() if k != "pageToken"}, sort_keys=True).encode()
        ).hexdigest()[:16]
        offset = self._page_offset(body.get("pageToken"), fingerprint)
        wanted = _query_words(query)

        def matches(place: dict[str, Any]) -> bool:
            text = (place["displayName"]["text"] + " " + " ".join(place["types"])).lower().replace("_", " ")
            return any(word in text for word in wanted)

        found = [place for place in self.places if matches(place)]
        # Bias, not restriction: nearer first, farther ones still returned.
        found.sort(key=lambda p: _distance_m(lat, lng, p["location"]["latitude"], p["location"]["longitude"]))
        found = found[:GOOGLE_MAX_RESULTS]
        page = found[offset : offset + page_size]
        next_offset = offset + page_size
        token = None
        if next_offset < len(found):
            token = base64.urlsafe_b64encode(json.dumps([fingerprint, next_offset]).encode()).decode()
        return page, token

    @staticmethod
    def _page_offset(token: Any, fingerprint: str) -> int:
        if token is None:
            return 0
        try:
            token_fingerprint, offset = json.loads(base64.urlsafe_b64decode(str(token)))
        except (ValueError, TypeError) as exc:
            raise _GoogleInvalid("Invalid page token.") from exc
        if token_fingerprint != fingerprint:
            raise _GoogleInvalid(
                "The request parameters must match the ones of the request that returned pageToken."
            )
        return int(offset)


# -- Yelp Fusion ---------------------------------------------------------------------------------------


def yelp_error(status: int, code: str, description: str, **extra: Any) -> Answer:
    return Answer(status, {"error": {"code": code, "description": description, **extra}})


class FakeYelp(FakeProvider):
    def __init__(self, businesses: list[dict[str, Any]], *, key: str = YELP_KEY) -> None:
        super().__init__()
        self.businesses = businesses
        self.key = key

    def rate_limit_body(self) -> Any:
        return yelp_error(
            429,
            "TOO_MANY_REQUESTS_PER_SECOND",
            "You have exceeded the queries-per-second limit for this endpoint. "
            "Try reducing the rate at which you make queries.",
        ).body

    def route(self, request: Recorded) -> Answer:
        if request.path != "/v3/businesses/search" or request.method != "GET":
            return yelp_error(404, "NOT_FOUND", "Resource could not be found.")
        authorization = request.headers.get("authorization")
        if not authorization:
            return yelp_error(
                400,
                "VALIDATION_ERROR",
                "Authorization is a required parameter.",
                field="Authorization",
                instance=None,
            )
        if authorization != f"Bearer {self.key}":
            return yelp_error(401, "TOKEN_INVALID", "Invalid access token or authorization header.")
        return self._search(request.query)

    def _search(self, query: dict[str, str]) -> Answer:
        try:
            lat, lng = float(query["latitude"]), float(query["longitude"])
        except (KeyError, ValueError):
            return yelp_error(
                400, "VALIDATION_ERROR", "Please specify a location or a latitude and longitude"
            )
        checked: dict[str, int] = {}
        for name, default, maximum in (("radius", 40_000, 40_000), ("limit", 20, 50), ("offset", 0, 1000)):
            raw = query.get(name, str(default))
            if not raw.isdigit():
                return yelp_error(
                    400, "VALIDATION_ERROR", f"'{raw}' is not of type 'integer'", field=name, instance=raw
                )
            value = int(raw)
            if value > maximum:
                return yelp_error(
                    400,
                    "VALIDATION_ERROR",
                    f"{value} is greater than the maximum of {maximum}",
                    field=name,
                    instance=value,
                )
            checked[name] = value
        if checked["limit"] + checked["offset"] > YELP_MAX_DEPTH:
            return yelp_error(
                400, "VALIDATION_ERROR", "Too many results requested, limit+offset must be <= 240."
            )
        term_words = _query_words(query.get("term", ""))
        categories = {alias for alias in query.get("categories", "").split(",") if alias}
        found = []
        for business in self.businesses:
            coordinates = business["coordinates"]
            distance = _distance_m(lat, lng, coordinates["latitude"], coordinates["longitude"])
            aliases = {category["alias"] for category in business["categories"]}
            text = " ".join(
                [business["name"], *aliases, *(c["title"] for c in business["categories"])]
            ).lower()
            if distance > checked["radius"] or (categories and not categories & aliases):
                continue
            if term_words and not any(word in text for word in term_words):
                continue
            found.append({**business, "distance": distance})
        found.sort(key=lambda business: business["distance"])  # best_match, as far as a fake can tell
        page = found[checked["offset"] : checked["offset"] + checked["limit"]]
        region = {"center": {"latitude": lat, "longitude": lng}}
        return Answer(200, {"businesses": page, "total": len(found), "region": region})
