"""Clients for the two business directories competitor discovery searches: Google Places API (New)
and Yelp Fusion. Both speak the providers' real wire protocols; the base URLs can be overridden so
tests run them against local fakes.

Each search returns `PlaceCandidate`s in one shape whatever the provider. Google reports no distance,
so it is computed from the search centre (great-circle). Permanently closed businesses are dropped:
they are nobody's competitor. Errors are typed so the caller can tell a wrong key (ask the owner for
a new one) from a rate limit (come back later) from anything else.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

GOOGLE = "google"
YELP = "yelp"
GOOGLE_BASE_URL = "https://places.googleapis.com"
YELP_BASE_URL = "https://api.yelp.com"
DEFAULT_TIMEOUT_SECONDS = 15.0
USER_AGENT = "Binelek-Marketplace/1.0"

METERS_PER_MILE = 1609.344
MIN_RADIUS_MILES = 1.0
MAX_RADIUS_MILES = 50.0
GOOGLE_MAX_RADIUS_M = 50_000  # locationRestriction / locationBias circles: 0 < radius <= 50,000
YELP_MAX_RADIUS_M = 40_000  # businesses/search: radius <= 40,000

GOOGLE_PAGE_SIZE = 20  # searchText pageSize and searchNearby maxResultCount are both 1..20
GOOGLE_TEXT_MAX_RESULTS = 60  # Text Search returns at most three pages
GOOGLE_MAX_TYPES = 50
YELP_PAGE_SIZE = 50  # limit <= 50
YELP_MAX_DEPTH = 240  # offset + limit <= 240

_PLACE_FIELDS = (
    "places.id",
    "places.displayName",
    "places.formattedAddress",
    "places.location",
    "places.types",
    "places.primaryType",
    "places.websiteUri",
    "places.nationalPhoneNumber",
    "places.rating",
    "places.userRatingCount",
    "places.businessStatus",
)
# Nearby Search has no paging: asking it for nextPageToken is an INVALID_ARGUMENT.
NEARBY_FIELD_MASK = ",".join(_PLACE_FIELDS)
TEXT_FIELD_MASK = ",".join((*_PLACE_FIELDS, "nextPageToken"))


@dataclass(frozen=True)
class PlaceCandidate:
    """One business as one provider describes it. `categories` are the provider's own codes: Google
    place types ("coffee_shop") or Yelp category aliases ("coffeeroasteries")."""

    provider: str  # "google" | "yelp"
    provider_id: str
    name: str
    address: str | None
    latitude: float | None
    longitude: float | None
    categories: list[str]
    website: str | None  # the business's own site; Yelp's search gives only its Yelp page, so None
    phone: str | None
    rating: float | None
    review_count: int | None
    distance_m: float | None  # from the search centre


# -- errors -------------------------------------------------------------------------------------------


class ProviderError(Exception):
    """A provider could not answer a search. `code` is the provider's own error code when it gave one."""

    def __init__(self, provider: str, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.status = status
        self.code = code
        self.detail = message


class ProviderAuthError(ProviderError):
    """The API key is wrong, missing, or not allowed to use this API."""


class ProviderRateLimited(ProviderError):
    """Too many requests; `retry_after` is in seconds when the provider said how long to wait."""

    def __init__(
        self,
        provider: str,
        message: str,
        *,
        status: int | None = 429,
        code: str | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(provider, message, status=status, code=code)
        self.retry_after = retry_after


class ProviderRequestError(ProviderError):
    """The provider refused the request's parameters (a bug on our side, or a limit it changed)."""


class ProviderUnavailable(ProviderError):
    """No usable answer: timeout, connection failure, server error or a body that is not JSON."""


# -- radius and distance ------------------------------------------------------------------------------


def radius_miles_to_meters(miles: float) -> float:
    """The search radius the owner picks (1-50 miles), in meters, before any provider's cap."""
    if not MIN_RADIUS_MILES <= miles <= MAX_RADIUS_MILES:
        raise ValueError(f"the radius must be between {MIN_RADIUS_MILES:g} and {MAX_RADIUS_MILES:g} miles")
    return miles * METERS_PER_MILE


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in meters (mean Earth radius); plenty for a few hundred meters' tolerance."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(a)))


def _check_centre(lat: float, lng: float) -> None:
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lng <= 180.0):
        raise ValueError(f"({lat}, {lng}) is not a latitude/longitude")


def _capped_radius(radius_m: float, cap: int) -> float:
    if radius_m <= 0:
        raise ValueError("the radius must be positive")
    return min(float(radius_m), float(cap))


# -- response parsing helpers --------------------------------------------------------------------------


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _text(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _distance(lat: float, lng: float, place_lat: float | None, place_lng: float | None) -> float | None:
    if place_lat is None or place_lng is None:
        return None
    return round(haversine_m(lat, lng, place_lat, place_lng), 1)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date (RFC 9110 section 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _json_body(provider: str, response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise ProviderUnavailable(
            provider,
            f"answered HTTP {response.status_code} with a body that is not JSON",
            status=response.status_code,
        ) from exc


# -- shared transport ---------------------------------------------------------------------------------


class _ProviderClient:
    provider = ""

    def __init__(self, base_url: str, client: httpx.AsyncClient | None, timeout: float) -> None:
        self._base_url = base_url.rstrip("/")
        self._client = client
        self._timeout = timeout

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[httpx.AsyncClient]:
        """The caller's client when given (never closed here), else one for this search's pages."""
        if self._client is not None:
            yield self._client
            return
        async with httpx.AsyncClient(timeout=self._timeout, headers={"User-Agent": USER_AGENT}) as client:
            yield client

    async def _send(self, client: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
        try:
            return await client.send(request)
        except httpx.TimeoutException as exc:
            raise ProviderUnavailable(self.provider, f"no answer within {self._timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(self.provider, f"could not be reached: {exc}") from exc

    def _timeouts(self) -> httpx.Timeout:
        return httpx.Timeout(self._timeout)


# -- Google Places API (New) --------------------------------------------------------------------------


def _google_error(response: httpx.Response) -> ProviderError:
    """Google's errors are `{"error": {"code", "message", "status", "details"}}`. A wrong key comes back
    as 400 INVALID_ARGUMENT with reason API_KEY_INVALID; a missing, blocked or restricted key as 403
    PERMISSION_DENIED; quota as 429 RESOURCE_EXHAUSTED."""
    try:
        error = _mapping(_mapping(response.json()).get("error"))
    except ValueError:
        error = {}
    status_name = _text(error.get("status"))
    message = _text(error.get("message")) or f"HTTP {response.status_code}"
    reasons = {
        _text(_mapping(item).get("reason")) for item in error.get("details") or [] if isinstance(item, dict)
    }
    code = response.status_code
    if (
        code in (401, 403)
        or status_name in ("UNAUTHENTICATED", "PERMISSION_DENIED")
        or "API_KEY_INVALID" in reasons
    ):
        return ProviderAuthError(GOOGLE, message, status=code, code=status_name)
    if code == 429 or status_name == "RESOURCE_EXHAUSTED":
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return ProviderRateLimited(GOOGLE, message, status=code, code=status_name, retry_after=retry_after)
    if 400 <= code < 500:
        return ProviderRequestError(GOOGLE, message, status=code, code=status_name)
    return ProviderUnavailable(GOOGLE, message, status=code, code=status_name)


def _google_candidate(place: Mapping[str, Any], lat: float, lng: float) -> PlaceCandidate | None:
    place_id = _text(place.get("id"))
    name = _text(_mapping(place.get("displayName")).get("text"))
    if place_id is None or name is None or place.get("businessStatus") == "CLOSED_PERMANENTLY":
        return None
    location = _mapping(place.get("location"))
    place_lat, place_lng = _float(location.get("latitude")), _float(location.get("longitude"))
    types = [value for value in place.get("types") or [] if isinstance(value, str)]
    primary = _text(place.get("primaryType"))
    if primary:  # the most specific type first; `types` repeats it in no particular position
        types = [primary, *(value for value in types if value != primary)]
    return PlaceCandidate(
        provider=GOOGLE,
        provider_id=place_id,
        name=name,
        address=_text(place.get("formattedAddress")),
        latitude=place_lat,
        longitude=place_lng,
        categories=types,
        website=_text(place.get("websiteUri")),
        phone=_text(place.get("nationalPhoneNumber")),
        rating=_float(place.get("rating")),
        review_count=_int(place.get("userRatingCount")),
        distance_m=_distance(lat, lng, place_lat, place_lng),
    )


def _circle(lat: float, lng: float, radius_m: float) -> dict[str, Any]:
    return {"circle": {"center": {"latitude": lat, "longitude": lng}, "radius": radius_m}}


class GooglePlaces(_ProviderClient):
    """Nearby Search (by place type) and Text Search (by words) of Google Places API (New)."""

    provider = GOOGLE

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = GOOGLE_BASE_URL,
        client: httpx.AsyncClient | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        super().__init__(base_url, client, timeout)
        self._api_key = api_key

    async def search_nearby(
        self, lat: float, lng: float, radius_m: float, included_types: list[str] | None = None
    ) -> list[PlaceCandidate]:
        """Up to 20 places inside the circle (Nearby Search has no further pages), optionally only of
        the given place types ("coffee_shop", "bakery"). The radius is capped at 50 km."""
        _check_centre(lat, lng)
        if included_types and len(included_types) > GOOGLE_MAX_TYPES:
            raise ValueError(f"Google accepts at most {GOOGLE_MAX_TYPES} place types")
        body: dict[str, Any] = {
            "maxResultCount": GOOGLE_PAGE_SIZE,
            "locationRestriction": _circle(lat, lng, _capped_radius(radius_m, GOOGLE_MAX_RADIUS_M)),
        }
        if included_types:
            body["includedTypes"] = included_types
        async with self._session() as client:
            data = await self._post(client, "/v1/places:searchNearby", body, NEARBY_FIELD_MASK)
        return self._candidates(data, lat, lng)

    async def search_text(
        self, query: str, lat: float, lng: float, radius_m: float, max_results: int = GOOGLE_TEXT_MAX_RESULTS
    ) -> list[PlaceCandidate]:
        """Places matching `query` ("coffee roaster"), biased towards the circle, following
        nextPageToken until `max_results` (Google stops at 60)."""
        _check_centre(lat, lng)
        if not query.strip():
            raise ValueError("the text query is empty")
        wanted = max(1, min(max_results, GOOGLE_TEXT_MAX_RESULTS))
        # Every page request must repeat the first one's parameters, so the page size stays fixed.
        body: dict[str, Any] = {
            "textQuery": query.strip(),
            "locationBias": _circle(lat, lng, _capped_radius(radius_m, GOOGLE_MAX_RADIUS_M)),
            "pageSize": min(GOOGLE_PAGE_SIZE, wanted),
        }
        found: list[PlaceCandidate] = []
        async with self._session() as client:
            for _ in range(math.ceil(wanted / body["pageSize"])):
                data = await self._post(client, "/v1/places:searchText", body, TEXT_FIELD_MASK)
                found.extend(self._candidates(data, lat, lng))
                token = _text(data.get("nextPageToken"))
                if token is None or len(found) >= wanted:
                    break
                body["pageToken"] = token
        return found[:wanted]

    async def _post(
        self, client: httpx.AsyncClient, path: str, body: dict[str, Any], field_mask: str
    ) -> Mapping[str, Any]:
        headers = {
            "X-Goog-Api-Key": self._api_key,
            "X-Goog-FieldMask": field_mask,
            "User-Agent": USER_AGENT,
        }
        request = client.build_request(
            "POST", self._base_url + path, json=body, headers=headers, timeout=self._timeouts()
        )
        response = await self._send(client, request)
        if response.status_code != 200:
            raise _google_error(response)
        return _mapping(_json_body(GOOGLE, response))

    @staticmethod
    def _candidates(data: Mapping[str, Any], lat: float, lng: float) -> list[PlaceCandidate]:
        # An empty result is `{}`: no "places" key at all.
        places = data.get("places") or []
        parsed = (_google_candidate(_mapping(place), lat, lng) for place in places)
        return [candidate for candidate in parsed if candidate is not None]


# -- Yelp Fusion --------------------------------------------------------------------------------------


def _yelp_error(response: httpx.Response) -> ProviderError:
    """Yelp's errors are `{"error": {"code", "description", "field"?}}`: 401 TOKEN_INVALID for a wrong
    key, 400 VALIDATION_ERROR on field "Authorization" when none is sent, 429 TOO_MANY_REQUESTS_PER_SECOND
    or ACCESS_LIMIT_REACHED for limits."""
    try:
        error = _mapping(_mapping(response.json()).get("error"))
    except ValueError:
        error = {}
    code_name = _text(error.get("code"))
    message = _text(error.get("description")) or f"HTTP {response.status_code}"
    status = response.status_code
    missing_key = code_name == "VALIDATION_ERROR" and error.get("field") == "Authorization"
    if status in (401, 403) or missing_key or code_name in ("TOKEN_INVALID", "UNAUTHORIZED_API_KEY"):
        return ProviderAuthError(YELP, message, status=status, code=code_name)
    if status == 429 or code_name in ("TOO_MANY_REQUESTS_PER_SECOND", "ACCESS_LIMIT_REACHED"):
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return ProviderRateLimited(YELP, message, status=status, code=code_name, retry_after=retry_after)
    if 400 <= status < 500:
        return ProviderRequestError(YELP, message, status=status, code=code_name)
    return ProviderUnavailable(YELP, message, status=status, code=code_name)


def _yelp_address(location: Mapping[str, Any]) -> str | None:
    lines = [line.strip() for line in location.get("display_address") or [] if isinstance(line, str)]
    if any(lines):
        return ", ".join(line for line in lines if line)
    parts = [_text(location.get(key)) for key in ("address1", "city", "state", "zip_code")]
    return ", ".join(part for part in parts if part) or None


def _yelp_candidate(business: Mapping[str, Any], lat: float, lng: float) -> PlaceCandidate | None:
    business_id = _text(business.get("id"))
    name = _text(business.get("name"))
    if business_id is None or name is None or business.get("is_closed") is True:
        return None
    coordinates = _mapping(business.get("coordinates"))
    place_lat, place_lng = _float(coordinates.get("latitude")), _float(coordinates.get("longitude"))
    aliases = [_text(_mapping(category).get("alias")) for category in business.get("categories") or []]
    distance = _float(business.get("distance"))
    return PlaceCandidate(
        provider=YELP,
        provider_id=business_id,
        name=name,
        address=_yelp_address(_mapping(business.get("location"))),
        latitude=place_lat,
        longitude=place_lng,
        categories=[alias for alias in aliases if alias],
        website=None,
        phone=_text(business.get("display_phone")) or _text(business.get("phone")),
        rating=_float(business.get("rating")),
        review_count=_int(business.get("review_count")),
        distance_m=round(distance, 1) if distance is not None else _distance(lat, lng, place_lat, place_lng),
    )


class YelpFusion(_ProviderClient):
    """Yelp Fusion's business search, paged by offset/limit."""

    provider = YELP

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = YELP_BASE_URL,
        client: httpx.AsyncClient | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        super().__init__(base_url, client, timeout)
        self._api_key = api_key

    async def search(
        self,
        lat: float,
        lng: float,
        radius_m: float,
        term: str | None = None,
        categories: list[str] | None = None,
        max_results: int = 100,
    ) -> list[PlaceCandidate]:
        """Businesses inside the circle (capped at 40 km), optionally matching `term` and Yelp category
        aliases, 50 a page until `max_results`, the reported total, or Yelp's depth limit of 240."""
        _check_centre(lat, lng)
        wanted = max(1, min(max_results, YELP_MAX_DEPTH))
        params: dict[str, str | int | float] = {
            "latitude": lat,
            "longitude": lng,
            "radius": int(_capped_radius(radius_m, YELP_MAX_RADIUS_M)),
        }
        if term and term.strip():
            params["term"] = term.strip()
        if categories:
            params["categories"] = ",".join(categories)
        found: list[PlaceCandidate] = []
        offset = 0
        async with self._session() as client:
            while offset < wanted:
                limit = min(YELP_PAGE_SIZE, wanted - offset)
                data = await self._get(client, {**params, "limit": limit, "offset": offset})
                businesses = data.get("businesses") or []
                found.extend(
                    candidate
                    for candidate in (_yelp_candidate(_mapping(item), lat, lng) for item in businesses)
                    if candidate is not None
                )
                offset += len(businesses)
                total = _int(data.get("total")) or 0
                if len(businesses) < limit or offset >= total:
                    break
        return found[:wanted]

    async def _get(
        self, client: httpx.AsyncClient, params: dict[str, str | int | float]
    ) -> Mapping[str, Any]:
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        request = client.build_request(
            "GET",
            self._base_url + "/v3/businesses/search",
            params=params,
            headers=headers,
            timeout=self._timeouts(),
        )
        response = await self._send(client, request)
        if response.status_code != 200:
            raise _yelp_error(response)
        return _mapping(_json_body(YELP, response))
