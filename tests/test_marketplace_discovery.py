"""Competitor discovery against loopback fakes of Google Places (New) and Yelp Fusion: the clients'
wire protocol (keys, field mask, paging, limits, errors), merging one business found on both, and
ranking a planted look-alike of the owner's business above bakeries, gyms and the like."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from binelek.marketplace.discovery import (
    BusinessProfile,
    MergedCandidate,
    category_label,
    gather_candidates,
    match_strength,
    merge,
    radius_notes,
    rank,
    tfidf_similarities,
)
from binelek.marketplace.places import (
    NEARBY_FIELD_MASK,
    GooglePlaces,
    PlaceCandidate,
    ProviderAuthError,
    ProviderRateLimited,
    ProviderRequestError,
    ProviderUnavailable,
    YelpFusion,
    parse_retry_after,
    radius_miles_to_meters,
)
from tests.marketplace_fake_places import (
    GOOGLE_BLOCKED_KEY,
    GOOGLE_KEY,
    YELP_KEY,
    FakeGooglePlaces,
    FakeYelp,
    google_place,
    yelp_business,
)

CENTRE = (45.5200, -122.6800)  # downtown Portland, where the owner's roastery is
COFFEE_ROASTER = BusinessProfile(
    description=(
        "Driftwood Coffee Roasters is a small-batch specialty coffee roaster. We source single-origin beans "
        "directly from farms, roast them in our own roastery and sell whole-bean coffee, espresso and "
        "pour-over at our cafe."
    ),
    categories=["coffee roaster", "coffee shop"],
    products=["single-origin coffee beans", "espresso blend", "cold brew", "coffee subscription"],
)


def _google_places() -> list[dict[str, object]]:
    return [
        google_place(
            "g-ember",
            "Ember & Oak Coffee Roastery",
            45.5049,
            -122.6404,
            ["coffee_shop", "cafe", "food", "store"],
            address="2314 SE Division St, Portland, OR 97202, USA",
            website="https://emberandoakcoffee.com",
            phone="(503) 555-0142",
            rating=4.8,
            reviews=412,
        ),
        google_place(
            "g-sbux-5th",
            "Starbucks",
            45.5190,
            -122.6790,
            ["coffee_shop", "cafe", "food"],
            address="700 SW 5th Ave, Portland, OR 97204, USA",
            phone="(503) 555-0110",
            rating=4.0,
            reviews=800,
        ),
        google_place(
            "g-sbux-bway",
            "Starbucks",
            45.5226,
            -122.6815,
            ["coffee_shop", "cafe", "food"],
            address="1001 SW Broadway, Portland, OR 97205, USA",
            phone="(503) 555-0111",
            rating=3.9,
            reviews=650,
        ),
        google_place(
            "g-heron",
            "Blue Heron Bakery",
            45.5270,
            -122.6985,
            ["bakery", "cafe", "food"],
            address="415 NW 23rd Ave, Portland, OR 97210, USA",
            phone="(503) 555-0120",
            rating=4.6,
            reviews=300,
        ),
        google_place(
            "g-iron",
            "Iron Temple Gym",
            45.5175,
            -122.6610,
            ["gym", "health"],
            address="88 SE Grand Ave, Portland, OR 97214, USA",
            phone="(503) 555-0130",
            rating=4.4,
            reviews=95,
        ),
        google_place(
            "g-rose", "Rose City Fitness", 45.5350, -122.6500, ["gym"], address="1 NE Broadway, Portland"
        ),
        google_place(
            "g-crumb",
            "Crumb & Co Patisserie",
            45.5230,
            -122.6840,
            ["bakery", "food"],
            address="330 SW Oak St, Portland, OR 97204, USA",
            rating=4.7,
            reviews=210,
        ),
        google_place(
            "g-grind",
            "Daily Grind Café",
            45.5160,
            -122.6720,
            ["cafe", "coffee_shop", "food"],
            address="515 SW Clay St, Portland, OR 97201, USA",
            rating=4.2,
            reviews=120,
        ),
        google_place(
            "g-pearl",
            "Pearl Tea House",
            45.5290,
            -122.6810,
            ["tea_house", "cafe"],
            address="1200 NW Glisan St, Portland, OR 97209, USA",
            rating=4.5,
            reviews=88,
        ),
        google_place(
            "g-yoga", "Sunrise Yoga Studio", 45.5120, -122.6650, ["yoga_studio"], rating=4.9, reviews=60
        ),
        google_place(
            "g-books", "Oak Street Books", 45.5215, -122.6775, ["book_store"], rating=4.8, reviews=150
        ),
        google_place(
            "g-pizza",
            "Bridge City Pizza",
            45.5250,
            -122.6700,
            ["pizza_restaurant", "restaurant"],
            reviews=230,
        ),
        google_place(
            "g-chicken",
            "Roast House Chicken",
            45.5180,
            -122.6900,
            ["american_restaurant", "restaurant"],
            address="900 SW 16th Ave, Portland, OR 97205, USA",
            rating=4.1,
            reviews=140,
        ),
        google_place(
            "g-brew",
            "Burnside Brewing Co",
            45.5230,
            -122.6590,
            ["bar", "restaurant"],
            address="701 E Burnside St, Portland, OR 97214, USA",
            rating=4.3,
            reviews=500,
        ),
        google_place("g-dental", "Cascade Dental", 45.5100, -122.6850, ["dentist", "health"], reviews=40),
        google_place(
            "g-donuts",
            "Division Donuts",
            45.5046,
            -122.6350,
            ["donut_shop", "bakery"],
            address="3000 SE Division St, Portland, OR 97202, USA",
            rating=4.5,
            reviews=700,
        ),
        google_place("g-hardware", "Hawthorne Hardware", 45.5120, -122.6300, ["hardware_store"], reviews=75),
        google_place(
            "g-oldmill",
            "Old Mill Coffee Roasters",
            45.5300,
            -122.6600,
            ["coffee_shop", "cafe"],
            status="CLOSED_PERMANENTLY",
            rating=4.9,
            reviews=900,
        ),
    ]


def _yelp_businesses() -> list[dict[str, object]]:
    return [
        yelp_business(
            "y-ember",
            "Ember and Oak Roastery",
            45.50495,
            -122.64030,
            [("coffeeroasteries", "Coffee Roasteries"), ("coffee", "Coffee & Tea")],
            address1="2314 SE Division Street",
            zip_code="97202",
            phone="+15035550142",
            rating=5.0,
            reviews=236,
        ),
        yelp_business(
            "y-sbux-5th",
            "Starbucks",
            45.51905,
            -122.67895,
            [("coffee", "Coffee & Tea")],
            address1="700 SW 5th Ave",
            zip_code="97204",
            phone="+15035550110",
            rating=3.5,
            reviews=120,
        ),
        yelp_business(
            "y-sbux-bway",
            "Starbucks",
            45.52262,
            -122.68148,
            [("coffee", "Coffee & Tea")],
            address1="1001 SW Broadway",
            zip_code="97205",
            phone="+15035550111",
            rating=3.0,
            reviews=90,
        ),
        yelp_business(
            "y-heron",
            "Blue Heron Bakery & Cafe",
            45.52702,
            -122.69852,
            [("bakeries", "Bakeries"), ("cafes", "Cafes")],
            address1="415 NW 23rd Avenue",
            zip_code="97210",
            phone="+15035550120",
            rating=4.5,
            reviews=180,
        ),
        yelp_business(
            "y-iron",
            "Iron Temple Gym LLC",
            45.51755,
            -122.66095,
            [("gyms", "Gyms")],
            address1="88 Southeast Grand Avenue",
            phone="+15035550130",
            rating=4.0,
            reviews=30,
        ),
        yelp_business("y-loaf", "Little Loaf Bakery", 45.5400, -122.6700, [("bakeries", "Bakeries")]),
        yelp_business(
            "y-juice", "Green Juice Bar", 45.5180, -122.6760, [("juicebars", "Juice Bars & Smoothies")]
        ),
        yelp_business("y-salon", "Luna Hair Salon", 45.5150, -122.6900, [("hair", "Hair Salons")]),
        yelp_business("y-pet", "Powell Pet Supply", 45.4970, -122.6500, [("petstore", "Pet Stores")]),
        yelp_business("y-florist", "Twin Pines Florist", 45.5310, -122.6950, [("florists", "Florists")]),
        yelp_business(
            "y-donuts-82",
            "Division Donuts",
            45.5048,
            -122.5790,
            [("donuts", "Donuts")],
            address1="7900 SE Division St",
            zip_code="97206",
        ),
        yelp_business(
            "y-peak", "Peak Performance Gym", 45.5060, -122.6720, [("gyms", "Gyms"), ("trainers", "Trainers")]
        ),
        yelp_business(
            "y-brew",
            "Burnside Brewing",
            45.52302,
            -122.65905,
            [("breweries", "Breweries"), ("pubs", "Pubs")],
            address1="701 E Burnside St",
        ),
        yelp_business("y-tea", "Pearl Tea House", 45.52905, -122.68095, [("tea", "Tea Rooms")]),
        yelp_business("y-market", "Green Leaf Market", 45.5330, -122.6880, [("grocery", "Grocery")]),
        yelp_business(
            "y-closed", "Bygone Beans", 45.5210, -122.6790, [("coffee", "Coffee & Tea")], is_closed=True
        ),
    ]


@pytest.fixture(scope="module")
def google_fake() -> Iterator[FakeGooglePlaces]:
    with FakeGooglePlaces(_google_places()).running() as fake:
        assert isinstance(fake, FakeGooglePlaces)
        yield fake


@pytest.fixture(scope="module")
def yelp_fake() -> Iterator[FakeYelp]:
    with FakeYelp(_yelp_businesses()).running() as fake:
        assert isinstance(fake, FakeYelp)
        yield fake


def _google(fake: FakeGooglePlaces, key: str = GOOGLE_KEY) -> GooglePlaces:
    return GooglePlaces(key, base_url=fake.base_url, timeout=5)


def _yelp(fake: FakeYelp, key: str = YELP_KEY) -> YelpFusion:
    return YelpFusion(key, base_url=fake.base_url, timeout=5)


async def _discover(google_fake: FakeGooglePlaces, yelp_fake: FakeYelp) -> list[MergedCandidate]:
    gathered = await gather_candidates(
        *CENTRE, 10, google=_google(google_fake), yelp=_yelp(yelp_fake), text_query="coffee roaster"
    )
    assert gathered.errors == {} and gathered.notes == []
    return merge(gathered.candidates)


def _by_ids(merged: list[MergedCandidate]) -> dict[frozenset[str], MergedCandidate]:
    return {frozenset(candidate.provider_ids.values()): candidate for candidate in merged}


# -- the whole flow -------------------------------------------------------------------------------------


async def test_the_planted_roastery_ranks_first_among_bakeries_gyms_and_cafes(google_fake, yelp_fake):
    merged = await _discover(google_fake, yelp_fake)
    ranked = await rank(COFFEE_ROASTER, merged)

    top = ranked[0]
    assert top.candidate.name == "Ember & Oak Coffee Roastery"
    assert top.candidate.provider_ids == {"google": "g-ember", "yelp": "y-ember"}
    assert "same category: coffee, roaster" in top.reasons
    assert any(reason.startswith("shared words: coffee") for reason in top.reasons)
    assert top.score > ranked[1].score + 0.1
    # Plain coffee shops come next; nothing that is not coffee comes before them.
    coffee_ids = {"g-sbux-5th", "g-sbux-bway", "g-grind"}
    next_three = {item.candidate.provider_ids["google"] for item in ranked[1:4]}
    assert next_three == coffee_ids
    scores = {item.candidate.name: item.score for item in ranked}
    assert scores["Iron Temple Gym"] == scores["Cascade Dental"] == 0.0
    assert scores["Roast House Chicken"] < scores["Daily Grind Café"]  # "roast" in a name is not a trade
    assert all(0.0 <= item.score <= 1.0 for item in ranked)
    names = [item.candidate.name for item in ranked]
    assert "Old Mill Coffee Roasters" not in names and "Bygone Beans" not in names  # permanently closed


async def test_the_same_business_on_both_providers_is_merged_once(google_fake, yelp_fake):
    merged = await _discover(google_fake, yelp_fake)
    by_ids = _by_ids(merged)
    assert len(merged) == 17 + 15 - 7  # operational Google places + open Yelp businesses - duplicates
    # Different spellings of name and address, the phone or the coordinates agreeing.
    for google_id, yelp_id in (
        ("g-ember", "y-ember"),  # "Ember & Oak Coffee Roastery" / "Ember and Oak Roastery"
        ("g-heron", "y-heron"),  # "Blue Heron Bakery" / "Blue Heron Bakery & Cafe"
        ("g-iron", "y-iron"),  # "... Gym" / "... Gym LLC", "SE Grand Ave" / "Southeast Grand Avenue"
        ("g-brew", "y-brew"),  # "Burnside Brewing Co" / "Burnside Brewing"
        ("g-pearl", "y-tea"),  # no street address on Yelp: the coordinates decide
        ("g-sbux-5th", "y-sbux-5th"),  # two Starbucks 430 m apart: each pairs with its own
        ("g-sbux-bway", "y-sbux-bway"),
    ):
        assert frozenset({google_id, yelp_id}) in by_ids, (google_id, yelp_id)
    # Same name, other branch (house number 3000 vs 7900): two businesses.
    assert frozenset({"g-donuts"}) in by_ids and frozenset({"y-donuts-82"}) in by_ids
    ember = by_ids[frozenset({"g-ember", "y-ember"})]
    assert ember.website == "https://emberandoakcoffee.com"  # Google's: Yelp only links its own page
    assert ember.review_count == 412 + 236
    assert ember.rating == round((4.8 * 412 + 5.0 * 236) / (412 + 236), 2)
    assert ember.categories == ["coffee shop", "cafe", "coffee roasteries", "coffee"]
    assert ember.distance_m is not None and 3000 < ember.distance_m < 4000


async def test_ranking_with_the_local_embedding_model(google_fake, yelp_fake):
    from binelek.ai.embeddings import get_embedder

    async def embed(texts: list[str]) -> list[list[float]]:
        vectors = await asyncio.to_thread(get_embedder().embed, texts)
        return [list(map(float, vector)) for vector in vectors]

    merged = await _discover(google_fake, yelp_fake)
    ranked = await rank(COFFEE_ROASTER, merged, embed=embed)
    top = ranked[0]
    assert top.candidate.provider_ids["google"] == "g-ember"
    assert set(top.signals) == {"embedding", "category", "tfidf"}
    assert any(reason.startswith("similar description (") for reason in top.reasons)
    by_name = {item.candidate.name: item.signals["embedding"] for item in ranked}
    coffee_shops = min(by_name["Starbucks"], by_name["Daily Grind Café"])
    unrelated = max(by_name[name] for name in ("Iron Temple Gym", "Cascade Dental", "Luna Hair Salon"))
    assert top.signals["embedding"] > coffee_shops + 0.2 and coffee_shops > unrelated + 0.2
    assert top.score > ranked[1].score + 0.15


# -- Google Places (New) wire protocol ------------------------------------------------------------------


async def test_google_nearby_sends_the_field_mask_and_parses_places(google_fake):
    google_fake.requests.clear()
    found = await _google(google_fake).search_nearby(*CENTRE, 16_000, ["bakery"])
    assert {place.provider_id for place in found} == {"g-heron", "g-crumb", "g-donuts"}
    request = google_fake.requests[-1]
    assert request.path == "/v1/places:searchNearby"
    assert request.headers["x-goog-api-key"] == GOOGLE_KEY
    assert request.headers["x-goog-fieldmask"] == NEARBY_FIELD_MASK
    assert request.body == {
        "maxResultCount": 20,
        "includedTypes": ["bakery"],
        "locationRestriction": {
            "circle": {"center": {"latitude": 45.52, "longitude": -122.68}, "radius": 16000.0}
        },
    }
    heron = next(place for place in found if place.provider_id == "g-heron")
    assert heron == PlaceCandidate(
        provider="google",
        provider_id="g-heron",
        name="Blue Heron Bakery",
        address="415 NW 23rd Ave, Portland, OR 97210, USA",
        latitude=45.527,
        longitude=-122.6985,
        categories=["bakery", "cafe", "food", "point_of_interest", "establishment"],
        website=None,
        phone="(503) 555-0120",
        rating=4.6,
        review_count=300,
        distance_m=heron.distance_m,
    )
    assert heron.distance_m is not None and 1600 < heron.distance_m < 1700


async def test_google_fake_refuses_what_google_refuses(google_fake):
    url = google_fake.base_url + "/v1/places:searchNearby"
    circle = {"circle": {"center": {"latitude": 45.52, "longitude": -122.68}, "radius": 1000}}
    async with httpx.AsyncClient() as client:
        no_mask = await client.post(
            url, json={"locationRestriction": circle}, headers={"X-Goog-Api-Key": GOOGLE_KEY}
        )
        paging_mask = await client.post(
            url,
            json={"locationRestriction": circle},
            headers={"X-Goog-Api-Key": GOOGLE_KEY, "X-Goog-FieldMask": "places.id,nextPageToken"},
        )
    assert (
        no_mask.status_code == 400
        and "FieldMask is a required parameter" in no_mask.json()["error"]["message"]
    )
    assert paging_mask.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert "nextPageToken" in paging_mask.json()["error"]["message"]
    with pytest.raises(ProviderRequestError) as unsupported:
        await _google(google_fake).search_nearby(*CENTRE, 1000, ["not_a_place_type"])
    assert unsupported.value.status == 400 and unsupported.value.code == "INVALID_ARGUMENT"


async def test_google_text_search_follows_next_page_token():
    cafes = [
        google_place(f"g-cafe-{n}", f"Corner Cafe {n}", 45.52 + n * 0.0005, -122.68, ["cafe"])
        for n in range(45)
    ]
    with FakeGooglePlaces(cafes).running() as fake:
        assert isinstance(fake, FakeGooglePlaces)
        google = _google(fake)
        everything = await google.search_text("cafe", *CENTRE, 5000)
        assert [place.provider_id for place in everything] == [f"g-cafe-{n}" for n in range(45)]
        tokens = [request.body.get("pageToken") for request in fake.requests]
        assert len(tokens) == 3 and tokens[0] is None and all(tokens[1:])
        assert {request.body["pageSize"] for request in fake.requests} == {20}
        assert {
            request.headers["x-goog-fieldmask"].endswith(",nextPageToken") for request in fake.requests
        } == {True}

        fake.requests.clear()
        first_thirty = await google.search_text("cafe", *CENTRE, 5000, max_results=30)
        assert len(first_thirty) == 30 and len(fake.requests) == 2


async def test_google_bad_or_blocked_key_is_an_auth_error(google_fake):
    with pytest.raises(ProviderAuthError) as wrong:
        await _google(google_fake, key="AIzaSy-wrong").search_nearby(*CENTRE, 1000)
    assert wrong.value.status == 400 and "API key not valid" in str(wrong.value)
    with pytest.raises(ProviderAuthError) as blocked:
        await _google(google_fake, key=GOOGLE_BLOCKED_KEY).search_text("coffee", *CENTRE, 1000)
    assert blocked.value.status == 403 and blocked.value.code == "PERMISSION_DENIED"
    with pytest.raises(ProviderAuthError):
        await _google(google_fake, key="").search_nearby(*CENTRE, 1000)


async def test_google_quota_is_rate_limited_with_retry_after(google_fake):
    google_fake.rate_limit_next, google_fake.retry_after = 1, "7"
    try:
        with pytest.raises(ProviderRateLimited) as limited:
            await _google(google_fake).search_nearby(*CENTRE, 1000)
    finally:
        google_fake.retry_after = None
    assert limited.value.retry_after == 7.0 and limited.value.code == "RESOURCE_EXHAUSTED"
    assert await _google(google_fake).search_nearby(*CENTRE, 1000)  # the next request is answered


# -- Yelp Fusion wire protocol --------------------------------------------------------------------------


async def test_yelp_search_sends_bearer_key_and_parses_businesses(yelp_fake):
    yelp_fake.requests.clear()
    found = await _yelp(yelp_fake).search(*CENTRE, 16_000, term="gym", categories=["gyms", "trainers"])
    assert [place.provider_id for place in found] == ["y-iron", "y-peak"]
    request = yelp_fake.requests[-1]
    assert request.headers["authorization"] == f"Bearer {YELP_KEY}"
    assert request.query == {
        "latitude": "45.52",
        "longitude": "-122.68",
        "radius": "16000",
        "term": "gym",
        "categories": "gyms,trainers",
        "limit": "50",
        "offset": "0",
    }
    iron = found[0]
    assert iron.name == "Iron Temple Gym LLC" and iron.categories == ["gyms"]
    assert iron.address == "88 Southeast Grand Avenue, Portland, OR 97214"
    assert iron.phone == "(503) 555-0130" and iron.website is None
    assert iron.distance_m is not None and 1400 < iron.distance_m < 1600


async def test_yelp_pages_by_offset_within_its_240_result_depth():
    businesses = [
        yelp_business(f"y-{n:03d}", f"Shop {n}", 45.52 + n * 0.0001, -122.68, [("coffee", "Coffee & Tea")])
        for n in range(300)
    ]
    with FakeYelp(businesses).running() as fake:
        assert isinstance(fake, FakeYelp)
        yelp = _yelp(fake)
        hundred = await yelp.search(*CENTRE, 40_000)
        assert len(hundred) == 100
        assert [(r.query["offset"], r.query["limit"]) for r in fake.requests] == [("0", "50"), ("50", "50")]

        fake.requests.clear()
        deepest = await yelp.search(*CENTRE, 40_000, max_results=1000)
        assert [place.provider_id for place in deepest] == [f"y-{n:03d}" for n in range(240)]
        pages = [(int(r.query["offset"]), int(r.query["limit"])) for r in fake.requests]
        assert pages == [(0, 50), (50, 50), (100, 50), (150, 50), (200, 40)]

        fake.requests.clear()
        near = await yelp.search(*CENTRE, 1_000, max_results=1000)  # 90 inside 1 km: stops at the total
        assert len(near) == len({place.provider_id for place in near}) == 90
        assert [(r.query["offset"], r.query["limit"]) for r in fake.requests] == [("0", "50"), ("50", "50")]

    async with httpx.AsyncClient() as client:  # the fake enforces Yelp's limits like Yelp
        with FakeYelp(businesses).running() as strict:
            url, auth = strict.base_url + "/v3/businesses/search", {"Authorization": f"Bearer {YELP_KEY}"}
            too_deep = await client.get(
                url, params={**_at_centre(), "offset": 200, "limit": 50}, headers=auth
            )
            too_wide = await client.get(url, params={**_at_centre(), "radius": 40_001}, headers=auth)
            no_key = await client.get(url, params=_at_centre())
    assert (
        too_deep.status_code == 400
        and "limit+offset must be <= 240" in too_deep.json()["error"]["description"]
    )
    assert too_wide.json()["error"] == {
        "code": "VALIDATION_ERROR",
        "description": "40001 is greater than the maximum of 40000",
        "field": "radius",
        "instance": 40001,
    }
    assert no_key.status_code == 400 and no_key.json()["error"]["field"] == "Authorization"


def _at_centre() -> dict[str, float]:
    return {"latitude": CENTRE[0], "longitude": CENTRE[1]}


async def test_yelp_bad_key_is_an_auth_error(yelp_fake):
    with pytest.raises(ProviderAuthError) as wrong:
        await _yelp(yelp_fake, key="not-the-key").search(*CENTRE, 1000)
    assert wrong.value.status == 401 and wrong.value.code == "TOKEN_INVALID"


async def test_yelp_rate_limit_then_recovery(yelp_fake):
    yelp_fake.rate_limit_next = 1
    with pytest.raises(ProviderRateLimited) as limited:
        await _yelp(yelp_fake).search(*CENTRE, 1000)
    assert limited.value.code == "TOO_MANY_REQUESTS_PER_SECOND" and limited.value.retry_after is None
    assert await _yelp(yelp_fake).search(*CENTRE, 1000)


# -- radius, failures, unreachable providers ------------------------------------------------------------


async def test_a_fifty_mile_radius_is_capped_per_provider_and_said_so(google_fake, yelp_fake):
    google_fake.requests.clear()
    yelp_fake.requests.clear()
    gathered = await gather_candidates(*CENTRE, 50, google=_google(google_fake), yelp=_yelp(yelp_fake))
    assert google_fake.requests[-1].body["locationRestriction"]["circle"]["radius"] == 50_000
    assert yelp_fake.requests[-1].query["radius"] == "40000"
    assert len(gathered.notes) == 2
    assert gathered.notes[0].startswith("Yelp searches at most 40 km (24.9 mi)")
    assert gathered.notes[1].startswith("Google searches at most 50 km (31.1 mi)")
    assert radius_notes(20) == (20 * 1609.344, [])  # 32 km: within both
    assert radius_notes(30)[1][0].startswith("Yelp")
    for miles in (0.5, 51):
        with pytest.raises(ValueError):
            radius_miles_to_meters(miles)


async def test_one_provider_failing_leaves_the_other_results(google_fake, yelp_fake):
    gathered = await gather_candidates(
        *CENTRE, 10, google=_google(google_fake), yelp=_yelp(yelp_fake, key="revoked"), google_types=["cafe"]
    )
    assert gathered.candidates and {c.provider for c in gathered.candidates} == {"google"}
    assert isinstance(gathered.errors["yelp"], ProviderAuthError)
    assert gathered.notes == ["Yelp gave no results: Invalid access token or authorization header."]


async def test_an_unreachable_provider_is_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(ProviderUnavailable):
        await GooglePlaces(GOOGLE_KEY, base_url=f"http://127.0.0.1:{closed_port}", timeout=2).search_nearby(
            *CENTRE, 1000
        )
    with pytest.raises(ProviderUnavailable):
        await YelpFusion(YELP_KEY, base_url=f"http://127.0.0.1:{closed_port}", timeout=2).search(
            *CENTRE, 1000
        )


# -- merge and rank details -----------------------------------------------------------------------------


def _candidate(provider: str, provider_id: str, name: str, **fields: object) -> PlaceCandidate:
    values: dict[str, object] = {
        "address": None, "latitude": None, "longitude": None, "categories": [], "website": None,
        "phone": None, "rating": None, "review_count": None, "distance_m": None,
    }  # fmt: skip
    values.update(fields)
    return PlaceCandidate(provider, provider_id, name, **values)  # type: ignore[arg-type]


def test_merge_thresholds():
    here = {"latitude": 45.52, "longitude": -122.68}
    far = {"latitude": 45.53, "longitude": -122.68}  # 1.1 km north
    # A similar name alone is not enough: a chain's branches share it.
    assert (
        match_strength(
            _candidate("google", "a", "Starbucks", **here), _candidate("yelp", "b", "Starbucks", **far)
        )
        == 0
    )
    assert match_strength(
        _candidate("google", "a", "Starbucks", **here), _candidate("yelp", "b", "Starbucks", **here)
    )
    # A name that only contains the other needs stronger evidence: the same phone will do.
    cafe = _candidate("google", "a", "Blue Heron Bakery", phone="(503) 555-0120", **here)
    cafe_on_yelp = _candidate("yelp", "b", "Blue Heron Bakery & Cafe", phone="+1 503-555-0120", **far)
    assert match_strength(cafe, cafe_on_yelp) > 0
    assert match_strength(cafe, _candidate("yelp", "c", "Blue Heron Bakery & Cafe", **far)) == 0
    # One provider never lists one business twice.
    assert (
        match_strength(_candidate("google", "a", "Twin", **here), _candidate("google", "b", "Twin", **here))
        == 0
    )
    # Merging keeps one id per provider even when two Yelp records both resemble one Google place.
    merged = merge(
        [
            _candidate("google", "g", "Pearl Tea House", **here),
            _candidate("yelp", "y1", "Pearl Tea House", latitude=45.52001, longitude=-122.68),
            _candidate("yelp", "y2", "Pearl Tea Houses", latitude=45.5203, longitude=-122.68),
        ]
    )
    assert sorted(tuple(sorted(m.provider_ids.values())) for m in merged) == [("g", "y1"), ("y2",)]


def test_category_labels_and_tfidf():
    assert category_label("yelp", "coffeeroasteries") == "coffee roasteries"
    assert category_label("yelp", "petgroomers") == "pet groomers"  # not in the table: split into words
    assert category_label("google", "coffee_shop") == "coffee shop"
    assert category_label("google", "point_of_interest") is None
    similarities, shared = tfidf_similarities(
        "specialty coffee roaster", ["Ember Coffee Roastery", "Iron Gym", "coffee"]
    )
    assert similarities[0] > similarities[2] > similarities[1] == 0.0
    assert set(shared[0]) == {"coffee", "roast"}


def test_retry_after_accepts_seconds_and_http_dates():
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("Wed, 01 Jan 2025 12:01:00 GMT", now=now) == 60.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
