"""Competitor discovery: search both directories, merge the same business found on both, and rank
what is left by how much it resembles the owner's business.

Merging (`merge`). Two records are one business when their names match and something about where
they are agrees. Names are compared after normalisation (accents, case, "&" -> "and", punctuation
and legal suffixes such as "LLC" removed):

- token_sort_ratio >= 88 (word order ignored, a letter or two of difference tolerated) together with
  the same street address, the same phone number, or coordinates less than 150 m apart; or
- token_set_ratio >= 95 (one name is the other plus words: "Ember & Oak Roastery" and "Ember & Oak
  Coffee Roastery") together with the same address or phone, or coordinates less than 50 m apart,
  because a name that only contains the other one is weaker evidence.

Addresses "agree" when their house numbers are equal and token_set_ratio of the normalised address
(street, city, postcode; "Street" -> "st" and the like) is >= 85. Two different house numbers veto a
merge unless the phone numbers are equal: two branches of a chain on one street stay two branches.
Only records from different providers are merged (each provider already lists a business once), and a
merged business holds at most one id per provider; the strongest pairs are joined first.

Ranking (`rank`). The score (0..1) is a weighted mix of three similarities between the business and a
candidate's name, categories and website words:

- category overlap: Jaccard over plain category words (Google types and Yelp aliases translated,
  "coffeeroasteries" -> "coffee roasteries", words stemmed so "roastery" meets "roaster"; words that
  say nothing about the trade, "shop" or "store", left out);
- TF-IDF cosine: sublinear term frequency, smoothed IDF over the business and all candidates;
- embedding cosine, when an embedding function is given (the platform's offline MiniLM model): it
  knows that an "espresso bar" is close to a "coffee roaster" even with no word in common. Cosines
  are rescaled, (cosine - 0.2) / 0.5 clamped to 0..1, because MiniLM rates unrelated short texts
  about 0.1-0.25: unscaled, a florist would collect a fifth of the embedding weight.

Weights: with embeddings 0.45 embedding, 0.30 category, 0.25 TF-IDF; without, 0.55 category and 0.45
TF-IDF. Categories weigh most among the word signals because the directories assign them with care;
TF-IDF catches what categories miss (a roastery filed only as "cafe" but named "... Roasters").
"""

from __future__ import annotations

import asyncio
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import numpy as np
from rapidfuzz import fuzz

from binelek.marketplace.places import (
    GOOGLE,
    GOOGLE_MAX_RADIUS_M,
    METERS_PER_MILE,
    YELP,
    YELP_MAX_RADIUS_M,
    GooglePlaces,
    PlaceCandidate,
    ProviderError,
    YelpFusion,
    haversine_m,
    radius_miles_to_meters,
)

Embed = Callable[[list[str]], Awaitable[list[list[float]]]]

NAME_MATCH = 88  # token_sort_ratio of normalised names
NAME_SUBSET_MATCH = 95  # token_set_ratio: one name contains the other
ADDRESS_MATCH = 85  # token_set_ratio of normalised addresses (house numbers must be equal too)
NEAR_M = 150.0  # with a matching name, closer than this is the same place
VERY_NEAR_M = 50.0  # with a name that only contains the other

WEIGHTS_WITH_EMBEDDING = {"embedding": 0.45, "category": 0.30, "tfidf": 0.25}
WEIGHTS_WITHOUT_EMBEDDING = {"category": 0.55, "tfidf": 0.45}
# MiniLM puts unrelated short business texts at a cosine of about 0.1-0.25 and close ones at 0.5-0.8:
# the embedding signal is (cosine - 0.2) / 0.5, clamped to 0..1, so "unrelated" scores about nothing.
EMBEDDING_FLOOR = 0.2
EMBEDDING_SPAN = 0.5
EMBEDDING_REASON_AT = 0.5
TFIDF_REASON_AT = 0.08
SHARED_WORDS_SHOWN = 4

PROVIDER_PREFERENCE = (GOOGLE, YELP)  # Google's name, address and website are the business's own

# -- words ----------------------------------------------------------------------------------------------

_STOPWORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "in", "into",
        "is", "it", "its", "of", "on", "or", "our", "ours", "so", "than", "that", "the", "their", "them",
        "they", "this", "to", "us", "we", "with", "you", "your", "yours", "all", "also", "any", "each",
        "more", "most", "other", "own", "same", "such", "very", "can", "will", "just", "over", "only", "out",
        "up", "about", "after", "before", "while", "where", "which", "who", "whom", "what", "when", "how",
        "off", "per", "via", "llc", "inc", "ltd", "co", "corp", "company", "est", "since",
    }
)  # fmt: skip
# Words that say where something is sold, not what: two businesses sharing only these share nothing.
_GENERIC_CATEGORY_WORDS = frozenset(
    {"shop", "store", "service", "center", "centre", "place", "establishment", "point", "interest",
     "business", "local", "general"}
)  # fmt: skip
# Google types that describe almost everything.
_GENERIC_GOOGLE_TYPES = frozenset(
    {"point_of_interest", "establishment", "food", "store", "premise", "health", "finance", "geocode"}
)
_SUFFIX_RULES = (("eries", ""), ("ery", ""), ("ers", ""), ("er", ""), ("ies", "y"), ("ing", ""), ("s", ""))
_MIN_STEM = 3


def _ascii_lower(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()


def stem(word: str) -> str:
    """A deliberately small suffix stripper: enough that "roastery", "roasters" and "roasting" meet,
    and "bakeries" meets "bakery", without a dependency."""
    for suffix, replacement in _SUFFIX_RULES:
        if word.endswith(suffix) and not word.endswith("ss"):
            candidate = word[: len(word) - len(suffix)] + replacement
            if len(candidate) >= _MIN_STEM:
                return candidate
            return word
    return word


def words(text: str) -> list[str]:
    """Lower-case ASCII words of `text` without stopwords; apostrophes join ("Powell's" -> "powells")."""
    flat = _ascii_lower(text).replace("'", "").replace("\u2019", "")
    return [word for word in re.findall(r"[a-z0-9]+", flat) if len(word) > 1 and word not in _STOPWORDS]


def terms(text: str) -> list[str]:
    return [stem(word) for word in words(text)]


# -- category labels ------------------------------------------------------------------------------------

# Yelp category aliases a small business is likely to meet, in plain words. Others are split into
# known words when possible ("coffeeroasteries" -> "coffee roasteries"), else shown as they are.
YELP_ALIAS_LABELS: dict[str, str] = {
    "coffee": "coffee", "coffeeroasteries": "coffee roasteries", "cafes": "cafe", "tea": "tea room",
    "bubbletea": "bubble tea", "juicebars": "juice bar smoothies", "bakeries": "bakery", "donuts": "donuts",
    "bagels": "bagels", "desserts": "desserts", "icecream": "ice cream frozen yogurt", "cupcakes": "cupcakes",
    "patisserie": "patisserie cake", "chocolate": "chocolatier", "creperies": "creperie",
    "breakfast_brunch": "breakfast brunch", "sandwiches": "sandwiches", "delis": "deli", "pizza": "pizza",
    "burgers": "burgers", "mexican": "mexican restaurant", "italian": "italian restaurant",
    "chinese": "chinese restaurant", "japanese": "japanese restaurant", "sushi": "sushi bar",
    "thai": "thai restaurant", "indpak": "indian restaurant", "vietnamese": "vietnamese restaurant",
    "korean": "korean restaurant", "mediterranean": "mediterranean restaurant", "seafood": "seafood",
    "steak": "steakhouse", "bbq": "barbeque", "chicken_wings": "chicken wings",
    "tradamerican": "american restaurant", "newamerican": "american restaurant", "vegan": "vegan",
    "vegetarian": "vegetarian", "foodtrucks": "food truck", "catering": "caterer", "bars": "bar",
    "wine_bars": "wine bar", "breweries": "brewery", "cocktailbars": "cocktail bar", "pubs": "pub",
    "beer_and_wine": "beer wine", "grocery": "grocery", "convenience": "convenience",
    "butcher": "butcher", "farmersmarket": "farmers market", "gyms": "gym", "yoga": "yoga",
    "pilates": "pilates", "martialarts": "martial arts", "trainers": "personal trainer",
    "hair": "hair salon", "barbers": "barber", "othersalons": "nail salon", "skincare": "skin care",
    "massage": "massage", "spas": "day spa", "dentists": "dentist", "chiropractors": "chiropractor",
    "physicaltherapy": "physical therapy", "optometrists": "optometrist", "vet": "veterinarian",
    "petstore": "pet supplies", "groomer": "pet groomer", "florists": "florist", "bookstores": "bookstore",
    "giftshops": "gifts", "jewelry": "jewelry", "womenscloth": "womens clothing",
    "menscloth": "mens clothing", "shoes": "shoes", "furniture": "furniture", "hardware": "hardware",
    "electronics": "electronics", "mobilephones": "mobile phones", "autorepair": "auto repair",
    "carwash": "car wash", "plumbing": "plumber", "electricians": "electrician",
    "hvac": "heating air conditioning", "contractors": "contractor", "landscaping": "landscaping",
    "homecleaning": "home cleaning", "drycleaninginlaundry": "dry cleaning laundry",
    "laundromat": "laundromat", "accountants": "accountant", "lawyers": "lawyer",
    "realestateagents": "real estate agent", "insurance": "insurance", "photographers": "photographer",
    "printingservices": "printing", "itservices": "it computer repair", "hotels": "hotel",
    "wineries": "winery", "distilleries": "distillery", "kitchenandbath": "kitchen bath",
}  # fmt: skip

_SEGMENT_EXTRA_WORDS = (
    "and", "shop", "shops", "store", "stores", "services", "repair", "supplies", "rooms", "bar", "bars",
    "house",
)  # fmt: skip
_SEGMENT_VOCABULARY = frozenset(
    word for label in YELP_ALIAS_LABELS.values() for word in label.split() if len(word) >= 3
) | frozenset(_SEGMENT_EXTRA_WORDS)
_SEGMENT_STEMS = frozenset(stem(word) for word in _SEGMENT_VOCABULARY)


def _segment(alias: str) -> str | None:
    """Split a run-together alias into known words ("coffeeroasteries" -> "coffee roasteries"), or None."""
    best: list[list[str] | None] = [[]] + [None] * len(alias)
    for end in range(1, len(alias) + 1):
        for start in range(max(0, end - 16), end):
            head = best[start]
            piece = alias[start:end]
            known = piece in _SEGMENT_VOCABULARY or stem(piece) in _SEGMENT_STEMS
            current = best[end]
            if head is not None and known and (current is None or len(head) + 1 < len(current)):
                best[end] = [*head, piece]
    found = best[len(alias)]
    return " ".join(found) if found else None


def category_label(provider: str, code: str) -> str | None:
    """The category in plain words, or None for the ones that describe almost everything."""
    if provider == GOOGLE:
        return None if code in _GENERIC_GOOGLE_TYPES else code.replace("_", " ")
    if code in YELP_ALIAS_LABELS:
        return YELP_ALIAS_LABELS[code]
    flat = code.replace("_", " ")
    return flat if " " in flat else (_segment(flat) or flat)


def _labels(candidate: PlaceCandidate) -> list[str]:
    labels = (category_label(candidate.provider, code) for code in candidate.categories)
    return [label for label in labels if label]


def category_terms(labels: Iterable[str]) -> dict[str, str]:
    """Stemmed category words, each with the word it came from (for the reasons shown to people)."""
    found: dict[str, str] = {}
    for label in labels:
        for word in words(label):
            if word not in _GENERIC_CATEGORY_WORDS:
                found.setdefault(stem(word), word)
    return found


# -- merge ----------------------------------------------------------------------------------------------


@dataclass
class MergedCandidate:
    """One business, as found on one or more providers. `categories` are plain-word labels."""

    name: str
    address: str | None
    latitude: float | None
    longitude: float | None
    categories: list[str]
    website: str | None
    phone: str | None
    rating: float | None  # review-count-weighted across providers
    review_count: int | None  # summed: different people review on each site
    distance_m: float | None
    provider_ids: dict[str, str]
    sources: list[PlaceCandidate] = field(default_factory=list)

    @classmethod
    def from_sources(cls, sources: Sequence[PlaceCandidate]) -> MergedCandidate:
        ordered = sorted(sources, key=_provider_order)

        def first(values: Iterable[str | None]) -> str | None:
            return next((value for value in values if value), None)

        located = next((source for source in ordered if source.latitude is not None), None)
        labels = list(dict.fromkeys(label for source in ordered for label in _labels(source)))
        distances = [source.distance_m for source in ordered if source.distance_m is not None]
        rating, reviews = _combined_rating(ordered)
        return cls(
            name=ordered[0].name,
            address=first(source.address for source in ordered),
            latitude=located.latitude if located else None,
            longitude=located.longitude if located else None,
            categories=labels,
            website=first(source.website for source in ordered),
            phone=first(source.phone for source in ordered),
            rating=rating,
            review_count=reviews,
            distance_m=min(distances) if distances else None,
            provider_ids={source.provider: source.provider_id for source in ordered},
            sources=list(ordered),
        )


def _provider_order(candidate: PlaceCandidate) -> int:
    try:
        return PROVIDER_PREFERENCE.index(candidate.provider)
    except ValueError:
        return len(PROVIDER_PREFERENCE)


def _combined_rating(sources: Sequence[PlaceCandidate]) -> tuple[float | None, int | None]:
    rated = [(source.rating, source.review_count or 0) for source in sources if source.rating is not None]
    counts = [source.review_count for source in sources if source.review_count is not None]
    total_reviews = sum(counts) if counts else None
    if not rated:
        return None, total_reviews
    weight = sum(count for _, count in rated)
    if weight == 0:
        return round(sum(rating for rating, _ in rated) / len(rated), 2), total_reviews
    return round(sum(rating * count for rating, count in rated) / weight, 2), total_reviews


_LEGAL_SUFFIXES = frozenset({"llc", "inc", "ltd", "co", "corp", "company", "the", "limited", "gmbh"})
_ADDRESS_ABBREVIATIONS = {
    "street": "st", "avenue": "ave", "road": "rd", "boulevard": "blvd", "drive": "dr", "lane": "ln",
    "court": "ct", "place": "pl", "square": "sq", "highway": "hwy", "parkway": "pkwy", "suite": "ste",
    "north": "n", "south": "s", "east": "e", "west": "w", "northeast": "ne", "northwest": "nw",
    "southeast": "se", "southwest": "sw", "floor": "fl", "building": "bldg", "unit": "ste", "apt": "ste",
}  # fmt: skip
_COUNTRY_WORDS = frozenset({"usa", "us", "united", "states", "america", "uk", "kingdom", "canada"})


def normalise_name(name: str) -> str:
    flat = (
        _ascii_lower(name).replace("&", " and ").replace("+", " and ").replace("'", "").replace("\u2019", "")
    )
    tokens = re.findall(r"[a-z0-9]+", flat)
    return " ".join(token for token in tokens if token not in _LEGAL_SUFFIXES)


def normalise_address(address: str) -> str:
    tokens = re.findall(r"[a-z0-9]+", _ascii_lower(address).replace("#", " "))
    return " ".join(
        _ADDRESS_ABBREVIATIONS.get(token, token) for token in tokens if token not in _COUNTRY_WORDS
    )


def _house_number(normalised_address: str) -> str | None:
    match = re.match(r"(\d+)[a-z]?\b", normalised_address)
    return match.group(1) if match else None


def _phone_key(phone: str | None) -> str | None:
    digits = re.sub(r"\D", "", phone or "")
    return digits[-10:] if len(digits) >= 7 else None


@dataclass(frozen=True)
class _Record:
    candidate: PlaceCandidate
    name: str
    address: str | None
    house_number: str | None
    phone: str | None

    @classmethod
    def of(cls, candidate: PlaceCandidate) -> _Record:
        address = normalise_address(candidate.address) if candidate.address else None
        return cls(
            candidate=candidate,
            name=normalise_name(candidate.name),
            address=address or None,
            house_number=_house_number(address) if address else None,
            phone=_phone_key(candidate.phone),
        )


def match_strength(a: PlaceCandidate, b: PlaceCandidate) -> float:
    """How sure we are that two records are one business: 0 when they are not, else a strength used
    to join the surest pairs first (name similarity plus a bonus per agreeing fact)."""
    return _match_strength(_Record.of(a), _Record.of(b))


def _match_strength(a: _Record, b: _Record) -> float:
    if a.candidate.provider == b.candidate.provider:
        return 100.0 if a.candidate.provider_id == b.candidate.provider_id else 0.0
    if not a.name or not b.name:
        return 0.0
    same_phone = a.phone is not None and a.phone == b.phone
    if a.house_number and b.house_number and a.house_number != b.house_number and not same_phone:
        return 0.0
    same_address = (
        a.address is not None
        and b.address is not None
        and fuzz.token_set_ratio(a.address, b.address) >= ADDRESS_MATCH
        and (a.house_number == b.house_number or not (a.house_number and b.house_number))
    )
    distance = _distance_between(a.candidate, b.candidate)
    sorted_ratio = fuzz.token_sort_ratio(a.name, b.name)
    evidence = 10.0 * same_phone + 10.0 * same_address
    if sorted_ratio >= NAME_MATCH and (
        same_phone or same_address or (distance is not None and distance < NEAR_M)
    ):
        return sorted_ratio + evidence
    set_ratio = fuzz.token_set_ratio(a.name, b.name)
    if set_ratio >= NAME_SUBSET_MATCH and (
        same_phone or same_address or (distance is not None and distance < VERY_NEAR_M)
    ):
        return sorted_ratio + evidence
    return 0.0


def _distance_between(a: PlaceCandidate, b: PlaceCandidate) -> float | None:
    if a.latitude is None or a.longitude is None or b.latitude is None or b.longitude is None:
        return None
    return haversine_m(a.latitude, a.longitude, b.latitude, b.longitude)


def merge(candidates: Iterable[PlaceCandidate]) -> list[MergedCandidate]:
    """One `MergedCandidate` per business, in the order each business was first seen."""
    unique = list(
        {(candidate.provider, candidate.provider_id): candidate for candidate in candidates}.values()
    )
    records = [_Record.of(candidate) for candidate in unique]
    pairs: list[tuple[float, int, int]] = []
    for i, first in enumerate(records):
        for j in range(i + 1, len(records)):
            strength = _match_strength(first, records[j])
            if strength > 0:
                pairs.append((strength, i, j))
    # Union-find where a group may hold one record per provider: the surest pairs join first, so a
    # weaker look-alike cannot take a place that a better match already holds.
    parent = list(range(len(records)))
    providers: list[set[str]] = [{record.candidate.provider} for record in records]

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for _, i, j in sorted(pairs, key=lambda pair: (-pair[0], pair[1], pair[2])):
        root_i, root_j = root(i), root(j)
        if root_i != root_j and not providers[root_i] & providers[root_j]:
            parent[root_j] = root_i
            providers[root_i] |= providers[root_j]
    groups: dict[int, list[PlaceCandidate]] = {}
    for index, record in enumerate(records):
        groups.setdefault(root(index), []).append(record.candidate)
    return [MergedCandidate.from_sources(group) for group in groups.values()]


# -- rank -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BusinessProfile:
    """The owner's business as discovery compares it: what it does, in its own words."""

    description: str
    categories: list[str]
    products: list[str] = field(default_factory=list)

    def text(self) -> str:
        parts = [self.description.strip()]
        if self.categories:
            parts.append("Categories: " + ", ".join(self.categories) + ".")
        if self.products:
            parts.append("Products: " + ", ".join(self.products) + ".")
        return " ".join(part for part in parts if part)


@dataclass(frozen=True)
class Ranked:
    candidate: MergedCandidate
    score: float  # 0..1
    reasons: list[str]  # why it looks like a competitor, for people
    signals: dict[str, float]  # each similarity on its own, 0..1


def _website_words(website: str | None, vocabulary: frozenset[str]) -> list[str]:
    """Words of the site's host name. Hosts run words together ("emberandoakcoffee"), so besides the
    labels themselves the business's own words (four letters or more) found inside them count."""
    if not website:
        return []
    host = urlsplit(website if "//" in website else f"//{website}").hostname or ""
    labels = [
        label for label in re.split(r"[.\-]", host) if label and label not in ("www", "com", "net", "org")
    ]
    found: list[str] = []
    for label in labels:
        found.extend(words(label))
        found.extend(word for word in vocabulary if len(word) >= 4 and word in label and word != label)
    return found


def _candidate_text(candidate: MergedCandidate, vocabulary: frozenset[str]) -> str:
    parts = [
        candidate.name,
        ", ".join(candidate.categories),
        " ".join(_website_words(candidate.website, vocabulary)),
    ]
    return ". ".join(part for part in parts if part)


def tfidf_similarities(query: str, documents: Sequence[str]) -> tuple[list[float], list[dict[str, float]]]:
    """Cosine similarity of `query` to each document under TF-IDF weights (1 + ln tf; smoothed idf,
    ln((1 + n) / (1 + df)) + 1, over the query and the documents), and per document the weight each
    shared term contributed, for explanations."""
    bags = [Counter(terms(text)) for text in (query, *documents)]
    vocabulary = sorted({term for bag in bags for term in bag})
    if not vocabulary:
        return [0.0] * len(documents), [{} for _ in documents]
    index = {term: position for position, term in enumerate(vocabulary)}
    matrix = np.zeros((len(bags), len(vocabulary)), dtype=np.float64)
    for row, bag in enumerate(bags):
        for term, count in bag.items():
            matrix[row, index[term]] = 1.0 + math.log(count)
    document_frequency = (matrix > 0).sum(axis=0)
    matrix *= np.log((1 + len(bags)) / (1 + document_frequency)) + 1.0
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    contributions = matrix[1:] * matrix[0]
    similarities = contributions.sum(axis=1)
    shared = [
        {vocabulary[column]: float(row[column]) for column in np.nonzero(row > 0)[0]} for row in contributions
    ]
    return [float(value) for value in similarities], shared


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    left, right = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    norm = float(np.linalg.norm(left) * np.linalg.norm(right))
    return float(left @ right) / norm if norm else 0.0


def _jaccard(left: Iterable[str], right: Iterable[str]) -> float:
    a, b = set(left), set(right)
    return len(a & b) / len(a | b) if a | b else 0.0


async def rank(
    business: BusinessProfile,
    candidates: Sequence[MergedCandidate | PlaceCandidate],
    *,
    embed: Embed | None = None,
) -> list[Ranked]:
    """Candidates from most to least similar to `business`, each with a 0..1 score and its reasons."""
    merged = [c if isinstance(c, MergedCandidate) else MergedCandidate.from_sources([c]) for c in candidates]
    if not merged:
        return []
    business_text = business.text()
    vocabulary = frozenset(words(business_text))
    texts = [_candidate_text(candidate, vocabulary) for candidate in merged]
    tfidf, shared_terms = tfidf_similarities(business_text, texts)
    # Products are what is sold, not the trade: they feed TF-IDF and embeddings, not categories.
    business_categories = category_terms(business.categories)
    embedding = await _embedding_similarities(embed, business_text, texts) if embed else None
    weights = WEIGHTS_WITH_EMBEDDING if embedding is not None else WEIGHTS_WITHOUT_EMBEDDING
    ranked: list[Ranked] = []
    for position, candidate in enumerate(merged):
        candidate_categories = category_terms(candidate.categories)
        signals = {
            "category": _jaccard(business_categories, candidate_categories),
            "tfidf": max(0.0, min(1.0, tfidf[position])),
        }
        if embedding is not None:
            signals["embedding"] = embedding[position]
        score = sum(weights[name] * signals[name] for name in weights)
        common = [business_categories[term] for term in business_categories if term in candidate_categories]
        reasons = _reasons(common, signals, shared_terms[position], business_categories)
        rounded = {name: round(value, 4) for name, value in signals.items()}
        ranked.append(Ranked(candidate, round(min(1.0, score), 4), reasons, rounded))
    ranked.sort(key=lambda item: (-item.score, _sort_distance(item.candidate), item.candidate.name.lower()))
    return ranked


def _sort_distance(candidate: MergedCandidate) -> float:
    return candidate.distance_m if candidate.distance_m is not None else math.inf


async def _embedding_similarities(embed: Embed, business_text: str, texts: list[str]) -> list[float]:
    vectors = await embed([business_text, *texts])
    if len(vectors) != len(texts) + 1:
        raise ValueError(f"the embedding function returned {len(vectors)} vectors for {len(texts) + 1} texts")
    rescaled = ((_cosine(vectors[0], vector) - EMBEDDING_FLOOR) / EMBEDDING_SPAN for vector in vectors[1:])
    return [max(0.0, min(1.0, value)) for value in rescaled]


def _reasons(
    common_categories: list[str],
    signals: dict[str, float],
    shared_terms: dict[str, float],
    business_categories: dict[str, str],
) -> list[str]:
    reasons: list[str] = []
    if common_categories:
        reasons.append("same category: " + ", ".join(common_categories))
    if signals.get("embedding", 0.0) >= EMBEDDING_REASON_AT:
        reasons.append(f"similar description ({signals['embedding']:.2f})")
    if signals["tfidf"] >= TFIDF_REASON_AT:
        strongest = sorted(shared_terms, key=lambda term: -shared_terms[term])
        shown = [business_categories.get(term, term) for term in strongest[:SHARED_WORDS_SHOWN]]
        reasons.append(f"shared words: {', '.join(shown)} ({signals['tfidf']:.2f})")
    return reasons


# -- search both providers ------------------------------------------------------------------------------


@dataclass
class Gathered:
    candidates: list[PlaceCandidate]
    notes: list[str]  # for the owner: radius reductions, a provider that failed
    errors: dict[str, ProviderError]  # provider -> why it gave nothing


def radius_notes(radius_miles: float) -> tuple[float, list[str]]:
    """The radius in meters and what each provider will actually search."""
    radius_m = radius_miles_to_meters(radius_miles)
    notes: list[str] = []
    for provider, cap in ((YELP, YELP_MAX_RADIUS_M), (GOOGLE, GOOGLE_MAX_RADIUS_M)):
        if radius_m > cap:
            cap_miles = cap / METERS_PER_MILE
            notes.append(
                f"{provider.capitalize()} searches at most {cap / 1000:g} km ({cap_miles:.1f} mi) around a "
                f"point; its results cover {cap_miles:.1f} of the {radius_miles:g} miles."
            )
    return radius_m, notes


async def gather_candidates(
    lat: float,
    lng: float,
    radius_miles: float,
    *,
    google: GooglePlaces | None = None,
    yelp: YelpFusion | None = None,
    text_query: str | None = None,
    google_types: list[str] | None = None,
    yelp_term: str | None = None,
    yelp_categories: list[str] | None = None,
) -> Gathered:
    """Search every configured provider at once: Google with Nearby Search (only `google_types` when
    given, else every type) and, when `text_query` is given, Text Search as well; Yelp by `yelp_term`
    and `yelp_categories`. A provider that fails (bad key, rate limit, outage) is reported in `errors`
    and `notes`; the others' results are still returned."""
    radius_m, notes = radius_notes(radius_miles)
    searches: dict[str, Awaitable[list[PlaceCandidate]]] = {}
    if google is not None:
        searches[GOOGLE] = _google_search(google, lat, lng, radius_m, text_query, google_types)
    if yelp is not None:
        searches[YELP] = yelp.search(lat, lng, radius_m, yelp_term, yelp_categories)
    outcomes = await asyncio.gather(*searches.values(), return_exceptions=True)
    candidates: list[PlaceCandidate] = []
    errors: dict[str, ProviderError] = {}
    for provider, outcome in zip(searches, outcomes, strict=True):
        if isinstance(outcome, ProviderError):
            errors[provider] = outcome
            notes.append(f"{provider.capitalize()} gave no results: {outcome.detail}")
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            candidates.extend(outcome)
    return Gathered(candidates, notes, errors)


async def _google_search(
    google: GooglePlaces,
    lat: float,
    lng: float,
    radius_m: float,
    text_query: str | None,
    google_types: list[str] | None,
) -> list[PlaceCandidate]:
    found = await google.search_nearby(lat, lng, radius_m, google_types)
    if text_query:
        # Text Search only leans towards the circle; what lies outside the owner's radius is dropped.
        matches = await google.search_text(text_query, lat, lng, radius_m)
        found.extend(match for match in matches if match.distance_m is None or match.distance_m <= radius_m)
    return found
