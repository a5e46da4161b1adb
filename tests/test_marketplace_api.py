"""Marketplace Intel through its API: competitors, tracked products with listings (private targets
refused unless allowed), and discovery against fake Google Places and Yelp servers that speak the
real protocols — the planted look-alike ranks first and accepting it makes a competitor."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import add_member, assert_problem, register
from tests.marketplace_fake_places import GOOGLE_KEY, YELP_KEY, FakeGooglePlaces, FakeYelp
from tests.test_marketplace_discovery import CENTRE, COFFEE_ROASTER, _google_places, _yelp_businesses

BASE = "/api/modules/marketplace-intel"


@pytest.fixture(scope="module")
def providers() -> Iterator[tuple[FakeGooglePlaces, FakeYelp]]:
    with (
        FakeGooglePlaces(_google_places()).running() as google,
        FakeYelp(_yelp_businesses()).running() as yelp,
    ):
        assert isinstance(google, FakeGooglePlaces) and isinstance(yelp, FakeYelp)
        yield google, yelp


@pytest.fixture
def provider_endpoints(state: Any, providers: tuple[FakeGooglePlaces, FakeYelp]) -> Iterator[None]:
    google, yelp = providers
    before = dict(state.settings.connector_endpoints)
    state.settings.connector_endpoints = {**before, "google_places": google.base_url, "yelp": yelp.base_url}
    yield
    state.settings.connector_endpoints = before


@pytest.fixture
def allow_private(state: Any) -> Iterator[None]:
    state.settings.binelek_allow_private_targets = True
    yield
    state.settings.binelek_allow_private_targets = False


async def test_competitors_are_kept_per_tenant(client: Any) -> None:
    owner = await register(client, "Competing Co")
    created = await client.post(
        f"{BASE}/competitors",
        json={"name": "Rival Roasters", "website": "https://rival.example.com", "category": "coffee"},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    competitor = created.json()
    assert competitor["source"] == "manual" and competitor["website"] == "https://rival.example.com/"
    listed = await client.get(f"{BASE}/competitors", headers=owner.headers)
    assert [c["name"] for c in listed.json()] == ["Rival Roasters"]
    other = await register(client, "Other Co")
    assert (await client.get(f"{BASE}/competitors", headers=other.headers)).json() == []
    assert_problem(
        await client.get(f"{BASE}/competitors/{competitor['id']}", headers=other.headers),
        404,
        "RESOURCE_NOT_FOUND",
    )
    bad = await client.post(f"{BASE}/competitors", json={"name": ""}, headers=owner.headers)
    assert_problem(bad, 422, "VALIDATION_ERROR")
    viewer = await add_member(client, owner, "viewer")
    assert_problem(
        await client.post(f"{BASE}/competitors", json={"name": "X"}, headers=viewer.headers),
        403,
        "PERMISSION_DENIED",
    )


async def test_tracked_products_refuse_private_targets_unless_allowed(client: Any, state: Any) -> None:
    owner = await register(client, "Tracking Co")
    body = {
        "name": "House blend 1 kg",
        "my_price": "24.50",
        "currency": "usd",
        "listings": [{"url": "http://127.0.0.1:9/house-blend"}],
    }
    refused = await client.post(f"{BASE}/products", json=body, headers=owner.headers)
    assert_problem(refused, 422, "VALIDATION_ERROR")
    state.settings.binelek_allow_private_targets = True
    try:
        created = await client.post(f"{BASE}/products", json=body, headers=owner.headers)
    finally:
        state.settings.binelek_allow_private_targets = False
    assert created.status_code == 201, created.text
    product = created.json()
    assert product["currency"] == "USD" and product["check_every_minutes"] == 1440  # the free plan: daily
    assert [listing["status"] for listing in product["listings"]] == ["pending"]
    twice = {**body, "listings": [{"url": "https://a.example.com/p"}, {"url": "https://a.example.com/p"}]}
    assert_problem(
        await client.post(f"{BASE}/products", json=twice, headers=owner.headers), 422, "VALIDATION_ERROR"
    )
    pricing = await client.get(f"{BASE}/pricing", headers=owner.headers)
    assert pricing.status_code == 200 and pricing.json()[0]["position"] == "no_data"
    history = await client.get(f"{BASE}/products/{product['id']}/history", headers=owner.headers)
    assert history.status_code == 200 and history.json()["points"] == []


async def test_discovery_ranks_the_planted_look_alike_first_and_accepting_makes_a_competitor(
    client: Any, provider_endpoints: None, providers: tuple[FakeGooglePlaces, FakeYelp]
) -> None:
    owner = await register(client, "Driftwood Coffee Roasters")
    no_profile = await client.post(f"{BASE}/discover", json={}, headers=owner.headers)
    assert_problem(no_profile, 422, "VALIDATION_ERROR")
    profile = {
        "description": COFFEE_ROASTER.description,
        "categories": COFFEE_ROASTER.categories,
        "latitude": CENTRE[0],
        "longitude": CENTRE[1],
        "radius_miles": 10,
    }
    assert (await client.put(f"{BASE}/profile", json=profile, headers=owner.headers)).status_code == 200
    no_keys = await client.post(f"{BASE}/discover", json={}, headers=owner.headers)
    assert_problem(no_keys, 422, "VALIDATION_ERROR")
    for provider, key in (("google", GOOGLE_KEY), ("yelp", YELP_KEY)):
        saved = await client.put(
            f"{BASE}/provider-keys/{provider}", json={"api_key": key}, headers=owner.headers
        )
        assert saved.status_code == 200 and saved.json()["last4"] == key[-4:]
    keys = (await client.get(f"{BASE}/provider-keys", headers=owner.headers)).json()
    assert {k["provider"] for k in keys} == {"google", "yelp"} and all("api_key" not in k for k in keys)

    found = await client.post(f"{BASE}/discover", json={"query": "coffee roaster"}, headers=owner.headers)
    assert found.status_code == 200, found.text
    answer = found.json()
    assert answer["providers"] == {"google": "ok", "yelp": "ok"}
    top = answer["candidates"][0]
    assert top["name"] == "Ember & Oak Coffee Roastery"
    assert top["provider_ids"] == {"google": "g-ember", "yelp": "y-ember"}
    assert top["score"] > answer["candidates"][1]["score"] and top["reasons"]

    accepted = await client.post(f"{BASE}/candidates/{top['id']}/accept", headers=owner.headers)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["source"] == "discovered"
    competitors = (await client.get(f"{BASE}/competitors", headers=owner.headers)).json()
    assert [c["name"] for c in competitors] == ["Ember & Oak Coffee Roastery"]
    second = answer["candidates"][1]
    assert (
        await client.post(f"{BASE}/candidates/{second['id']}/dismiss", headers=owner.headers)
    ).status_code == 204
    again = (
        await client.post(f"{BASE}/discover", json={"query": "coffee roaster"}, headers=owner.headers)
    ).json()
    ids = {frozenset(c["provider_ids"].items()) for c in again["candidates"]}
    assert frozenset(top["provider_ids"].items()) not in ids  # accepted: not suggested again
    assert frozenset(second["provider_ids"].items()) not in ids  # dismissed: not suggested again


async def test_a_bad_provider_key_is_reported_not_a_500(
    client: Any, provider_endpoints: None, providers: tuple[FakeGooglePlaces, FakeYelp]
) -> None:
    owner = await register(client, "Bad Key Co")
    profile = {
        "description": "bakery",
        "categories": ["bakery"],
        "latitude": CENTRE[0],
        "longitude": CENTRE[1],
    }
    await client.put(f"{BASE}/profile", json=profile, headers=owner.headers)
    await client.put(
        f"{BASE}/provider-keys/google", json={"api_key": "AIza-wrong-key-123"}, headers=owner.headers
    )
    failed = await client.post(f"{BASE}/discover", json={"providers": ["google"]}, headers=owner.headers)
    body = assert_problem(failed, 502, "LOCATION_PROVIDER_FAILED")
    assert "google" in body["detail"]
    assert_problem(
        await client.put(
            f"{BASE}/provider-keys/bing", json={"api_key": "whatever-123"}, headers=owner.headers
        ),
        404,
        "PROVIDER_NOT_FOUND",
    )


class _Shop:
    """A competitor's product page whose price and stock the test changes."""

    price = "19.99"
    availability = "InStock"


def _shop_page() -> bytes:
    import json

    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": "Ethiopia Yirgacheffe 1 kg",
        "sku": "ETH-1KG",
        "offers": {
            "@type": "Offer",
            "price": _Shop.price,
            "priceCurrency": "USD",
            "availability": f"https://schema.org/{_Shop.availability}",
        },
    }
    return (
        "<!doctype html><html lang='en'><head><title>Ethiopia Yirgacheffe 1 kg</title>"
        f"<script type='application/ld+json'>{json.dumps(data)}</script></head><body>"
        f"<h1>Ethiopia Yirgacheffe 1 kg</h1><p class='price'>${_Shop.price}</p>"
        "<button>Add to cart</button></body></html>"
    ).encode()


@pytest.fixture(scope="module")
def shop() -> Iterator[str]:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/robots.txt":
                body, kind = b"User-agent: *\nDisallow: /private\n", "text/plain"
            else:
                body, kind = _shop_page(), "text/html; charset=utf-8"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


async def _wait_checked(
    client: Any, owner: Any, product_id: str, checks: int, timeout: float = 30
) -> dict[str, Any]:
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while True:
        history = (await client.get(f"{BASE}/products/{product_id}/history", headers=owner.headers)).json()
        if len(history["checks"]) >= checks:
            return history  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, history
        await asyncio.sleep(0.2)


async def test_a_listing_is_checked_its_price_stored_and_a_drop_alerted(
    client: Any, shop: str, allow_private: None
) -> None:
    owner = await register(client, "Price Watch Co")
    _Shop.price, _Shop.availability = "19.99", "InStock"
    preview = await client.post(
        f"{BASE}/products/preview", json={"url": f"{shop}/eth"}, headers=owner.headers
    )
    assert preview.status_code == 200, preview.text
    assert (preview.json()["price"], preview.json()["currency"], preview.json()["method"]) == (
        "19.99",
        "USD",
        "json-ld",
    )
    body = {
        "name": "Ethiopia Yirgacheffe 1 kg",
        "my_price": "21.50",
        "alert_threshold_pct": "5",
        "listings": [{"url": f"{shop}/eth"}, {"url": f"{shop}/private/eth"}],
    }
    product = (await client.post(f"{BASE}/products", json=body, headers=owner.headers)).json()
    assert (
        await client.post(f"{BASE}/products/{product['id']}/check", headers=owner.headers)
    ).status_code == 202
    history = await _wait_checked(client, owner, product["id"], 2)
    outcomes = sorted(check["outcome"] for check in history["checks"])
    assert outcomes == ["blocked_by_robots", "ok"]  # robots.txt disallows /private: never fetched
    [point] = history["points"]
    assert (Decimal(point["price"]), point["currency"], point["kind"]) == (Decimal("19.99"), "USD", "first")
    listings = {listing["url"]: listing for listing in history["listings"]}
    assert listings[f"{shop}/private/eth"]["status"] == "blocked"

    _Shop.price, _Shop.availability = "17.49", "OutOfStock"
    await client.post(f"{BASE}/products/{product['id']}/check", headers=owner.headers)
    history = await _wait_checked(client, owner, product["id"], 4)
    assert [Decimal(p["price"]) for p in history["points"]] == [Decimal("19.99"), Decimal("17.49")]
    alerts = (await client.get(f"{BASE}/alerts", headers=owner.headers)).json()["items"]
    kinds = sorted(alert["kind"] for alert in alerts)
    assert kinds == ["availability.changed", "price.dropped"]  # one alert for one drop
    drop = next(alert for alert in alerts if alert["kind"] == "price.dropped")
    assert [Decimal(drop[key]) for key in ("old_price", "new_price", "change_pct")] == [
        Decimal("19.99"),
        Decimal("17.49"),
        Decimal("-12.51"),
    ]
    notes = (await client.get("/api/notifications", headers=owner.headers)).json()["items"]
    assert any(
        "dropped the price of Ethiopia Yirgacheffe 1 kg to USD 17.49 (-12.51%)" in n["title"] for n in notes
    )
    pricing = (
        await client.get(f"{BASE}/pricing", params={"product_id": product["id"]}, headers=owner.headers)
    ).json()
    assert Decimal(pricing[0]["my_price"]) == Decimal("21.50")


async def test_a_page_that_needs_javascript_is_tracked_through_chromium(
    client: Any, allow_private: None
) -> None:
    """The price exists only after the page's script runs: tracked with `render_js`, read by the
    extractor from what Debian's chromium rendered, stored like any other price."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from binelek.marketplace.render import chromium_available

    if not chromium_available():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    page = (
        b"<!doctype html><html lang='en'><head><title>Moka pot 6 cups</title></head><body>"
        b"<h1>Moka pot 6 cups</h1><div id='buy'></div><script>setTimeout(function () {"
        b"document.getElementById('buy').innerHTML = \"<span class='price'>$34.90</span>"
        b'<button>Add to cart</button>"; }, 300);</script></body></html>'
    )

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"User-agent: *\nAllow: /\n" if self.path == "/robots.txt" else page
            self.send_response(200)
            self.send_header("Content-Type", "text/plain" if self.path == "/robots.txt" else "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/moka"
    try:
        owner = await register(client, "Script Shop Watchers")
        plain = await client.post(f"{BASE}/products/preview", json={"url": url}, headers=owner.headers)
        assert plain.json()["price"] is None and plain.json()["outcome"] == "extraction_failed"
        body = {"name": "Moka pot", "listings": [{"url": url, "render_js": True}]}
        product = (await client.post(f"{BASE}/products", json=body, headers=owner.headers)).json()
        await client.post(f"{BASE}/products/{product['id']}/check", headers=owner.headers)
        history = await _wait_checked(client, owner, product["id"], 1, timeout=60)
    finally:
        server.shutdown()
    assert [check["outcome"] for check in history["checks"]] == ["ok"], history["checks"]
    [point] = history["points"]
    assert Decimal(point["price"]) == Decimal("34.90") and point["currency"] == "USD"


async def test_digest_alerts_wait_for_the_daily_digest(
    client: Any, shop: str, allow_private: None, state: Any
) -> None:
    from binelek.marketplace.alerts import send_digests

    owner = await register(client, "Digest Co")
    _Shop.price, _Shop.availability = "19.99", "InStock"
    body = {"name": "Digest blend", "alert_mode": "digest", "listings": [{"url": f"{shop}/digest"}]}
    product = (await client.post(f"{BASE}/products", json=body, headers=owner.headers)).json()
    await client.post(f"{BASE}/products/{product['id']}/check", headers=owner.headers)
    await _wait_checked(client, owner, product["id"], 1)
    _Shop.price = "18.99"
    await client.post(f"{BASE}/products/{product['id']}/check", headers=owner.headers)
    await _wait_checked(client, owner, product["id"], 2)
    before = (await client.get("/api/notifications", headers=owner.headers)).json()["items"]
    assert not any(n["kind"] == "marketplace" for n in before)
    assert await send_digests(state.db) >= 1
    after = (await client.get("/api/notifications", headers=owner.headers)).json()["items"]
    [digest] = [n for n in after if n["kind"] == "marketplace"]
    assert (
        digest["title"].startswith("Price watch: 1 change") and "Digest blend to USD 18.99" in digest["body"]
    )
    await send_digests(state.db)  # nothing of ours is left to send
    again = (await client.get("/api/notifications", headers=owner.headers)).json()["items"]
    assert len([n for n in again if n["kind"] == "marketplace"]) == 1


async def test_a_configured_model_explains_the_pricing_position(
    client: Any, shop: str, allow_private: None
) -> None:
    from tests.fake_llm import FakeLLM, Script

    owner = await register(client, "Explained Prices Co")
    _Shop.price, _Shop.availability = "19.99", "InStock"
    body = {"name": "Explained blend", "my_price": "24.99", "listings": [{"url": f"{shop}/explained"}]}
    product = (await client.post(f"{BASE}/products", json=body, headers=owner.headers)).json()
    await client.post(f"{BASE}/products/{product['id']}/check", headers=owner.headers)
    await _wait_checked(client, owner, product["id"], 1)
    local = (await client.get(f"{BASE}/pricing", params={"explain": True}, headers=owner.headers)).json()
    assert local[0]["explanation"] is None and local[0]["recommendations"]  # no model: the rules speak
    with FakeLLM("openai") as fake:
        key = {"provider": "openai", "api_key": fake.api_key, "base_url": fake.base_url}
        assert (await client.post("/api/llm/api-keys", json=key, headers=owner.headers)).status_code == 201
        settings = {"default_provider": "openai", "default_model": fake.model}
        assert (
            await client.put("/api/llm/settings", json=settings, headers=owner.headers)
        ).status_code == 200
        fake.script = Script(tool="none", plain_reply="You are 25% above the only competitor.")
        explained = (
            await client.get(f"{BASE}/pricing", params={"explain": True}, headers=owner.headers)
        ).json()
        sent = str([r for r in fake.requests if r["method"] == "POST"][-1]["body"])
    assert explained[0]["explanation"] == "You are 25% above the only competitor."
    assert explained[0]["explained_by"] == "openai"
    assert "24.99" in sent and "19.99" in sent  # the model saw the numbers, and only those
