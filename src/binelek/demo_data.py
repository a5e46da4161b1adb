"""Two years of business data for the demo tenant, Northwind Coffee Roasters, generated from a seed.

The roaster sells online (web shop, subscriptions), at a Saturday farmers' market stall in Portland,
and wholesale to cafés on net-30 invoices. Everything here is invented: names come from the small
word lists below, e-mail addresses use the reserved `example.*` domains (RFC 2606) so no real person
is addressed, and phone numbers use the fictional 555-01xx range.

The rows are `dict[str, str]` in the file importer's canonical CSV columns (`COLUMNS`), so the demo
loads through the same path as a customer's own file. Conventions the importer relies on:

- Money is a decimal string with two decimals; all arithmetic happens in integer cents, so
  `total = subtotal - discount + tax + shipping` holds exactly.
- Timestamps are ISO 8601 with the shop's local (Portland) UTC offset, so the weekday and hour in
  the string are the ones the business experienced; plain dates (invoice dates, close dates) are
  ISO dates.
- A refund is a second payment row for the same order with status `refunded`, dated when the money
  went back, and a positive `amount` (the money returned, as payment providers report refunds; the
  importer rejects negative amounts). The original charge stays as a `succeeded` row, so net
  takings are succeeded minus refunded. A partially refunded order's refund is less than its
  total, a refunded order's is exactly its total.
- Wholesale orders are paid through their invoice (one invoice per order, net 30): the payment
  rows of a wholesale order are the invoice's payments (`ach` or `check`), possibly partial.
- `scale` multiplies volumes (customers, orders, cafés, contacts, deals); the catalogue of 150
  products is the business itself and stays the same at every scale.

Same seed and `today` give byte-identical rows: one `random.Random`, consumed in a fixed order, and
no iteration over sets or hash-ordered containers.
"""

from __future__ import annotations

import csv
import io
import math
import random
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate

from binelek.demo import DEMO_PEOPLE

DEFAULT_SEED = 20261125
CURRENCY = "USD"
HISTORY_DAYS = 730
ANNUAL_GROWTH = 1.45
ORDERS_AT_SCALE_1 = 20_000
CUSTOMERS_AT_SCALE_1 = 3_000
CAFES_AT_SCALE_1 = 90
LOST_DEALS_AT_SCALE_1 = 110
OPEN_DEALS_AT_SCALE_1 = 100

# Dependency order: each entity only references entities listed before it.
ENTITIES = ("products", "customers", "orders", "order_items", "payments", "invoices", "contacts", "deals")
COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("email", "name", "country", "city", "created_at"),
    "products": ("sku", "name", "category", "price", "cost", "currency", "inventory"),
    "orders": (
        "order_number",
        "customer_email",
        "placed_at",
        "status",
        "currency",
        "subtotal",
        "discount",
        "tax",
        "shipping",
        "total",
        "channel",
    ),
    "order_items": ("order_number", "sku", "quantity", "unit_price"),
    "payments": ("order_number", "amount", "currency", "status", "method", "paid_at"),
    "invoices": ("invoice_number", "customer_email", "issued_at", "due_at", "total", "balance", "status"),
    "contacts": ("email", "first_name", "last_name", "company", "phone", "created_at"),
    "deals": (
        "deal_name",
        "company",
        "contact_email",
        "pipeline",
        "stage",
        "amount",
        "currency",
        "close_date",
        "owner_email",
        "created_at",
    ),
}
ORDER_STATUSES = ("pending", "paid", "fulfilled", "partially_refunded", "refunded", "cancelled")
INVOICE_STATUSES = ("draft", "open", "paid", "overdue", "void")
CHANNELS = ("web", "subscription", "wholesale", "market")

Row = dict[str, str]


@dataclass
class DemoData:
    """Generated rows per entity, each a `dict[str, str]` in that entity's canonical columns."""

    customers: list[Row] = field(default_factory=list)
    products: list[Row] = field(default_factory=list)
    orders: list[Row] = field(default_factory=list)
    order_items: list[Row] = field(default_factory=list)
    payments: list[Row] = field(default_factory=list)
    invoices: list[Row] = field(default_factory=list)
    contacts: list[Row] = field(default_factory=list)
    deals: list[Row] = field(default_factory=list)

    def rows(self, entity: str) -> list[Row]:
        if entity not in COLUMNS:
            raise KeyError(entity)
        rows: list[Row] = getattr(self, entity)
        return rows

    def to_csv(self, entity: str) -> str:
        """The entity as a CSV file with canonical headers (what the file importer accepts as is)."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS[entity], lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows(entity))
        return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Word lists (invented for the demo)
# ---------------------------------------------------------------------------------------------

# (origin, region/farm, process, 12 oz price in cents)
SINGLE_ORIGINS = (
    ("Ethiopia", "Yirgacheffe Kochere", "Washed", 2200),
    ("Ethiopia", "Guji Hambela", "Natural", 2300),
    ("Ethiopia", "Sidama Bensa", "Honey", 2400),
    ("Kenya", "Nyeri Gatomboya AA", "Washed", 2500),
    ("Kenya", "Kirinyaga Kii AB", "Washed", 2400),
    ("Colombia", "Huila El Paraíso", "Washed", 1900),
    ("Colombia", "Nariño La Esperanza", "Washed", 2000),
    ("Colombia", "Tolima Planadas", "Honey", 2100),
    ("Guatemala", "Huehuetenango La Libertad", "Washed", 1900),
    ("Guatemala", "Antigua San Miguel", "Washed", 1850),
    ("Costa Rica", "Tarrazú Las Lajas", "Honey", 2200),
    ("Honduras", "Santa Bárbara El Cedro", "Washed", 1800),
    ("El Salvador", "Santa Ana Finca Kilimanjaro", "Natural", 2300),
    ("Peru", "Cajamarca Las Flores", "Washed", 1800),
    ("Brazil", "Cerrado Mineiro Fazenda Rio Verde", "Natural", 1700),
    ("Rwanda", "Nyamasheke Gitesi", "Washed", 2100),
    ("Burundi", "Kayanza Heza", "Washed", 2100),
    ("Papua New Guinea", "Eastern Highlands Kainantu", "Washed", 1900),
    ("Sumatra", "Aceh Gayo", "Wet-hulled", 1900),
    ("Panama", "Boquete Finca Lérida", "Washed", 2600),
)
BLENDS = (
    ("Harbor Street Espresso", 1700),
    ("Morning Fog Breakfast Blend", 1600),
    ("Cascadia House Blend", 1600),
    ("Burnside Dark Roast", 1650),
    ("Willamette Valley Medium", 1650),
    ("Forest Park French Roast", 1650),
    ("Rose City Espresso", 1800),
    ("Tilikum Crossing Blend", 1700),
    ("Hawthorne Holiday Blend", 1850),
    ("Mt. Hood Winter Blend", 1850),
)
DECAFS = (
    ("Swiss Water Decaf Colombia", 1800),
    ("Mountain Water Decaf Mexico", 1800),
    ("Sugarcane Decaf Espresso", 1850),
    ("Decaf Night Owl Blend", 1750),
    ("Swiss Water Decaf Peru", 1800),
)
COLD_BREWS = (
    ("Cold Brew Concentrate 32 oz", 1600),
    ("Cold Brew Concentrate 64 oz", 2800),
    ("Nitro Cold Brew Cans, 4-pack", 1400),
    ("Nitro Cold Brew Cans, 12-pack", 3900),
    ("Oat Milk Cold Brew Cans, 4-pack", 1500),
    ("Vanilla Cold Brew Concentrate 32 oz", 1750),
    ("Cold Brew Pitcher Packs, 4 count", 1300),
    ("Cold Brew Pitcher Packs, 12 count", 3400),
    ("Cold Brew Coarse Grind 2 lb", 3200),
    ("Decaf Cold Brew Concentrate 32 oz", 1700),
    ("Cold Brew Tea Blend Pitcher Packs", 1200),
    ("Summer Cold Brew Sampler", 3600),
    ("Cold Brew Bottle 1 L", 2400),
    ("Cold Brew Maker 1.5 qt", 3900),
    ("Cold Brew Filters, 50 count", 900),
)
EQUIPMENT = (
    ("Ceramic Pour-Over Dripper", 2800),
    ("Glass Pour-Over Carafe 600 ml", 3400),
    ("Paper Filters, 100 count", 900),
    ("Gooseneck Kettle 1 L", 7900),
    ("Electric Gooseneck Kettle", 15900),
    ("Conical Burr Grinder", 22900),
    ("Hand Burr Grinder", 12900),
    ("French Press 8-cup", 4400),
    ("French Press 3-cup", 3400),
    ("Travel Press Tumbler", 3900),
    ("Stovetop Espresso Maker 6-cup", 4900),
    ("Digital Brew Scale", 5900),
    ("Milk Frothing Pitcher 12 oz", 2400),
    ("Espresso Tamper 58 mm", 4500),
    ("Knock Box", 3600),
    ("Siphon Brewer", 10900),
    ("Batch Drip Brewer", 19900),
    ("Airtight Coffee Canister", 3200),
    ("Cupping Spoon Set", 2800),
    ("Espresso Cleaning Tablets", 1800),
    ("Descaling Solution", 1600),
    ("Reusable Metal Filter", 2600),
    ("Insulated Server 1 L", 4800),
    ("Pour-Over Starter Kit", 8900),
    ("Espresso Dosing Cup", 2200),
)
SUBSCRIPTION_PLANS = (
    ("Roaster's Choice, 1 bag", 1900),
    ("Roaster's Choice, 2 bags", 3600),
    ("Espresso Lover's, 1 bag", 1900),
    ("Single-Origin Explorer, 2 bags", 4200),
    ("Decaf Club, 1 bag", 1900),
    ("Office Pack, 5 lb", 7900),
)
MERCHANDISE = (
    ("Northwind Logo Mug 12 oz", 1800),
    ("Stoneware Mug, Harbor Blue", 2400),
    ("Enamel Camp Mug", 2000),
    ("Insulated Travel Tumbler 16 oz", 3200),
    ("Canvas Tote Bag", 1800),
    ("Roastery T-shirt, S", 2800),
    ("Roastery T-shirt, M", 2800),
    ("Roastery T-shirt, L", 2800),
    ("Roastery T-shirt, XL", 2800),
    ("Pullover Hoodie, S", 5800),
    ("Pullover Hoodie, M", 5800),
    ("Pullover Hoodie, L", 5800),
    ("Pullover Hoodie, XL", 5800),
    ("Knit Beanie", 2600),
    ("Baseball Cap", 2800),
    ("Enamel Pin Set", 1200),
    ("Sticker Pack", 600),
    ("Coffee Origins Poster", 2200),
    ("Tasting Journal", 1600),
    ("Gift Box: Three Origins", 5400),
    ("Gift Box: Espresso Trio", 5200),
    ("Gift Box: Brew Kit", 8900),
    ("Holiday Ornament", 1400),
    ("Barista Apron", 4200),
    ("Tea Towel", 1200),
    ("Coaster Set", 1600),
    ("Wooden Scoop", 1400),
    ("Greeting Card Set", 1200),
)

_FIRST_NAMES_TEXT = (
    "Maya Liam Olivia Noah Ava Ethan Sofia Lucas Isabella Mason Mia Logan Amelia James Harper "
    "Benjamin Evelyn Elijah Abigail Oliver Emily Daniel Ella Henry Grace Samuel Chloe David Zoe "
    "Joseph Nora Carter Hannah Owen Aria Wyatt Layla Jack Riley Leo Priya Arjun Mei Hiroshi Yuki Chen "
    "Aisha Omar Fatima Tariq Lucía Mateo Camila Diego Valentina Javier Ngozi Kwame Amara Tunde "
    "Siobhan Declan Freya Astrid Lars Ingrid Anika Jonas Elena Marco Giulia Pierre Camille Hana Minh "
    "Linh Tomás Rosa Keanu Leilani"
)
FIRST_NAMES = tuple(_FIRST_NAMES_TEXT.split())
_LAST_NAMES_TEXT = (
    "Okafor Nguyen Smith Johnson Garcia Martinez Brown Davis Lopez Wilson Anderson Thomas Taylor "
    "Moore Jackson Martin Lee Thompson White Harris Clark Lewis Robinson Walker Young Allen King "
    "Wright Scott Hill Green Adams Baker Nelson Carter Mitchell Roberts Turner Phillips Campbell "
    "Patel Shah Kim Park Chen Wang Tanaka Sato Haddad Rahman Fernández Reyes Morales Ortiz Mensah "
    "Adeyemi O'Brien Murphy Kelly Byrne Johansson Lindqvist Müller Schmidt Rossi Bianchi Dubois "
    "Moreau Novak Kowalski Tran Pham Kealoha Yazzie Begay Holloway Whitaker Ramsey Sutton Fairbanks"
)
LAST_NAMES = tuple(_LAST_NAMES_TEXT.split())
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")

# (city, country, weight, sales-tax rate in basis points). The roaster is in Oregon (no sales tax);
# it collects destination tax only in the states where its sales create nexus.
US_CITIES = (
    ("Portland", 3200, 0),
    ("Beaverton", 350, 0),
    ("Lake Oswego", 200, 0),
    ("Eugene", 300, 0),
    ("Salem", 200, 0),
    ("Bend", 250, 0),
    ("Vancouver, WA", 300, 870),
    ("Seattle", 900, 1025),
    ("Tacoma", 250, 1030),
    ("Spokane", 150, 900),
    ("San Francisco", 500, 863),
    ("Oakland", 250, 1025),
    ("Los Angeles", 450, 950),
    ("San Diego", 200, 775),
    ("Sacramento", 150, 875),
    ("Boise", 150, 0),
    ("Denver", 250, 0),
    ("Salt Lake City", 120, 0),
    ("Phoenix", 150, 0),
    ("Austin", 200, 0),
    ("Chicago", 250, 0),
    ("Minneapolis", 150, 0),
    ("Brooklyn", 250, 0),
    ("New York", 300, 0),
    ("Boston", 200, 0),
    ("Philadelphia", 150, 0),
    ("Atlanta", 120, 0),
)
INTERNATIONAL_CITIES = (
    ("CA", "Vancouver", 200),
    ("CA", "Toronto", 180),
    ("CA", "Montréal", 100),
    ("CA", "Calgary", 60),
    ("GB", "London", 200),
    ("GB", "Manchester", 60),
    ("GB", "Edinburgh", 50),
    ("GB", "Bristol", 40),
    ("DE", "Berlin", 90),
    ("NL", "Amsterdam", 80),
    ("FR", "Paris", 70),
    ("IE", "Dublin", 60),
    ("DK", "Copenhagen", 40),
    ("SE", "Stockholm", 30),
)
INTERNATIONAL_SHARE = 0.18

_CAFE_WORDS_TEXT = (
    "Little Bird|Fern & Fir|Alder Street|Copper Kettle|Driftwood|Morning Tide|Two Rivers|"
    "Lantern|Salt & Sparrow|Blue Heron|Cedar Grove|Foxglove|Pine Needle|Steel Bridge|Wild Plum|"
    "North Star|Quiet Corner|Old Mill|Red Door|Sunday Slow|Tidewater|Hollow Oak|Paper Lantern|"
    "Juniper|Rainshadow|Moss & Stone|Kestrel|Larkspur|Ironwood|Wanderlust|Half Moon|"
    "Ferry Landing|Sawtooth|Bramble|Goldfinch|Sellwood"
)
CAFE_WORDS = tuple(_CAFE_WORDS_TEXT.split("|"))
CAFE_KINDS = (
    "Coffee",
    "Café",
    "Espresso Bar",
    "Coffee House",
    "Bakery & Café",
    "Roasting Co. Café",
    "Bistro",
)
PROSPECT_KINDS = ("Café", "Coffee", "Bakery", "Deli", "Restaurant", "Market", "Hotel", "Co-op")
OFFICE_NAMES = (
    "Lumen Architecture",
    "Pearl District Dental",
    "Riverbend Law Group",
    "Cascade Health Partners",
    "Brightline Software",
    "Rosewood Realty",
    "Fieldnote Design",
    "Harborview Accounting",
    "Summit Physical Therapy",
    "Greenleaf Insurance",
    "Pixelforge Studios",
    "Northgate Logistics",
    "Clearwater Engineering",
    "Maple & Main Coworking",
    "Orchard Veterinary Clinic",
    "Ridgeline Capital",
)
CAFE_CITIES = (
    ("Portland", 60),
    ("Beaverton", 8),
    ("Lake Oswego", 5),
    ("Vancouver, WA", 8),
    ("Salem", 5),
    ("Eugene", 6),
    ("Bend", 5),
    ("Seattle", 10),
    ("Hood River", 3),
)
CONTACT_ROLES_FIRST = ("owner", "manager", "buyer", "headbarista")

WHOLESALE_STAGES_OPEN = ("lead", "qualified", "tasting", "proposal", "negotiation")
OPEN_STAGE_WEIGHTS = (30, 25, 20, 15, 10)
DEAL_OWNERS = tuple(email for role, email, _ in DEMO_PEOPLE if role != "viewer")

# Relative order volume per month (Jan..Dec): holiday peak, a post-holiday lull, a mild summer bump.
MONTH_SEASONALITY = (0.82, 0.80, 0.88, 0.92, 0.97, 1.04, 1.10, 1.06, 0.95, 1.00, 1.35, 1.65)
# Relative volume per weekday (Mon..Sun) per channel; cafés restock on Mondays and barely on weekends.
WEEKDAY_WEIGHTS = {
    "web": (1.05, 1.0, 1.0, 1.0, 0.95, 0.85, 1.05),
    "subscription": (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
    "wholesale": (1.35, 1.05, 1.0, 1.05, 0.95, 0.22, 0.08),
    "market": (0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0),
}
CHANNEL_SHARE = {"web": 0.55, "subscription": 0.24, "wholesale": 0.13, "market": 0.08}
# Portland's Saturday market runs April to December (the December one is the holiday market).
MARKET_MONTHS = frozenset(range(4, 13))
PORTLAND_AREA = ("Portland", "Beaverton", "Lake Oswego")
# Local hour weights (0..23) per channel.
HOUR_WEIGHTS = {
    "web": (2, 1, 1, 1, 1, 2, 4, 7, 8, 7, 6, 6, 7, 6, 5, 5, 5, 6, 7, 9, 10, 9, 6, 3),
    "subscription": (0, 0, 0, 6, 10, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    "wholesale": (0, 0, 0, 0, 0, 3, 8, 10, 10, 8, 6, 4, 3, 3, 2, 2, 1, 0, 0, 0, 0, 0, 0, 0),
    "market": (0, 0, 0, 0, 0, 0, 0, 0, 6, 10, 10, 9, 8, 5, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0),
}


# ---------------------------------------------------------------------------------------------
# Formatting helpers
# ---------------------------------------------------------------------------------------------


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def _pacific_offset(moment: datetime) -> str:
    """US Pacific offset: daylight time from the second Sunday of March to the first of November."""
    year = moment.year
    march_first = date(year, 3, 1)
    dst_start = march_first + timedelta(days=(6 - march_first.weekday()) % 7 + 7)
    november_first = date(year, 11, 1)
    dst_end = november_first + timedelta(days=(6 - november_first.weekday()) % 7)
    starts = datetime(dst_start.year, dst_start.month, dst_start.day, 2)
    ends = datetime(dst_end.year, dst_end.month, dst_end.day, 2)
    return "-07:00" if starts <= moment < ends else "-08:00"


def local_timestamp(moment: datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%S}{_pacific_offset(moment)}"


def _ascii_slug(text: str, separator: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = "".join(ch if ch.isalnum() else " " for ch in plain).split()
    return separator.join(words)


def _round_half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


# ---------------------------------------------------------------------------------------------
# Catalogue
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    category: str
    price: int
    cost: int
    inventory: int
    wholesale_price: int  # cents; 0 when cafés do not buy it
    popularity: float


def _product(
    rng: random.Random, sku: str, name: str, category: str, price: int, margin: tuple[float, float]
) -> Product:
    cost = _round_half_up(price * int(rng.uniform(*margin) * 1000), 1000)
    inventory = 0 if category == "subscriptions" else rng.randint(12, 420)
    if category != "subscriptions" and rng.random() < 0.05:
        inventory = rng.randint(0, 8)  # a few items running low, for the inventory questions
    wholesale = 0
    if category in {"single-origin beans", "blends", "decaf", "cold brew"} and (
        "lb" in name or category == "cold brew"
    ):
        wholesale = _round_half_up(price * 68, 100)
    return Product(sku, name, category, price, cost, inventory, wholesale, rng.paretovariate(1.6))


def _catalogue(rng: random.Random) -> list[Product]:
    products: list[Product] = []
    for index, (origin, region, process, price) in enumerate(SINGLE_ORIGINS, start=1):
        name = f"{origin} {region}, {process}"
        products.append(
            _product(
                rng, f"SO-{index:03d}-12OZ", f"{name}, 12 oz", "single-origin beans", price, (0.36, 0.44)
            )
        )
        two_pound = int(round(price * 2.45, -2))
        products.append(
            _product(
                rng, f"SO-{index:03d}-2LB", f"{name}, 2 lb", "single-origin beans", two_pound, (0.38, 0.46)
            )
        )
    for index, (name, price) in enumerate(BLENDS, start=1):
        products.append(
            _product(rng, f"BL-{index:03d}-12OZ", f"{name}, 12 oz", "blends", price, (0.33, 0.40))
        )
        five_pound = int(round(price * 5.6, -2))
        products.append(
            _product(rng, f"BL-{index:03d}-5LB", f"{name}, 5 lb", "blends", five_pound, (0.36, 0.42))
        )
    for index, (name, price) in enumerate(DECAFS, start=1):
        products.append(_product(rng, f"DC-{index:03d}-12OZ", f"{name}, 12 oz", "decaf", price, (0.38, 0.45)))
        two_pound = int(round(price * 2.45, -2))
        products.append(
            _product(rng, f"DC-{index:03d}-2LB", f"{name}, 2 lb", "decaf", two_pound, (0.40, 0.47))
        )
    for index, (name, price) in enumerate(COLD_BREWS, start=1):
        products.append(_product(rng, f"CB-{index:03d}", name, "cold brew", price, (0.28, 0.36)))
    for index, (name, price) in enumerate(EQUIPMENT, start=1):
        products.append(_product(rng, f"EQ-{index:03d}", name, "equipment", price, (0.55, 0.66)))
    for index, (plan, price) in enumerate(SUBSCRIPTION_PLANS, start=1):
        for cadence, code in (("every month", "M"), ("every two weeks", "2W")):
            name = f"Subscription: {plan} {cadence}"
            products.append(
                _product(rng, f"SUB-{index:03d}-{code}", name, "subscriptions", price, (0.38, 0.44))
            )
    for index, (name, price) in enumerate(MERCHANDISE, start=1):
        products.append(_product(rng, f"MER-{index:03d}", name, "merchandise", price, (0.32, 0.45)))
    return products


def _product_row(product: Product) -> Row:
    return {
        "sku": product.sku,
        "name": product.name,
        "category": product.category,
        "price": money(product.price),
        "cost": money(product.cost),
        "currency": CURRENCY,
        "inventory": str(product.inventory),
    }


class WeightedPicker:
    """Weighted choice by bisecting prefix sums: O(log n) per pick, and items can be appended."""

    def __init__(self) -> None:
        self.items: list[int] = []
        self.cumulative: list[float] = []

    def add(self, item: int, weight: float) -> None:
        total = self.cumulative[-1] if self.cumulative else 0.0
        self.items.append(item)
        self.cumulative.append(total + weight)

    def pick(self, rng: random.Random) -> int:
        point = rng.random() * self.cumulative[-1]
        return self.items[min(bisect_right(self.cumulative, point), len(self.items) - 1)]

    def __len__(self) -> int:
        return len(self.items)


def _category_month_factor(category: str, month: int) -> float:
    if category == "cold brew":
        return {6: 3.0, 7: 3.6, 8: 3.2, 9: 1.6, 5: 1.6}.get(month, 0.45)
    if category in {"equipment", "merchandise"}:
        return {11: 2.6, 12: 3.2}.get(month, 1.0)
    return 1.0


@dataclass
class ProductTables:
    """Per-month cumulative weights over the products a retail or wholesale basket can hold."""

    retail: list[tuple[list[Product], list[float]]]
    market: tuple[list[Product], list[float]]
    wholesale: tuple[list[Product], list[float]]
    subscriptions: list[Product]


def _product_tables(products: list[Product]) -> ProductTables:
    retail_products = [p for p in products if p.category != "subscriptions" and "5 lb" not in p.name]
    base_weight = {
        "single-origin beans": 1.0,
        "blends": 2.2,
        "decaf": 0.8,
        "cold brew": 1.0,
        "equipment": 0.15,
        "merchandise": 0.35,
    }
    retail = []
    for month in range(1, 13):
        weights = [
            p.popularity * base_weight[p.category] * _category_month_factor(p.category, month)
            for p in retail_products
        ]
        retail.append((retail_products, list(accumulate(weights))))
    market_products = [p for p in retail_products if p.category not in {"equipment"} and "2 lb" not in p.name]
    market = (market_products, list(accumulate(p.popularity for p in market_products)))
    wholesale_products = [p for p in products if p.wholesale_price > 0]
    wholesale_weights = [p.popularity * (3.0 if p.category == "blends" else 1.0) for p in wholesale_products]
    wholesale = (wholesale_products, list(accumulate(wholesale_weights)))
    subscriptions = [p for p in products if p.category == "subscriptions"]
    return ProductTables(retail, market, wholesale, subscriptions)


# ---------------------------------------------------------------------------------------------
# Calendar: how many orders each channel gets on each day
# ---------------------------------------------------------------------------------------------


def _holiday_factor(day: date, channel: str) -> float:
    if channel != "web":
        return 1.0
    thanksgiving = date(day.year, 11, 1) + timedelta(days=(3 - date(day.year, 11, 1).weekday()) % 7 + 21)
    if thanksgiving + timedelta(days=1) <= day <= thanksgiving + timedelta(days=4):
        return 2.6  # Black Friday through Cyber Monday
    if date(day.year, 12, 8) <= day <= date(day.year, 12, 19):
        return 1.5  # last shipping days before Christmas
    if date(day.year, 12, 24) <= day <= date(day.year, 12, 26):
        return 0.5
    return 1.0


def _day_weight(day: date, start: date, channel: str) -> float:
    if channel == "market" and day.month not in MARKET_MONTHS:
        return 0.0
    years = (day - start).days / 365.0
    growth = math.exp(math.log(ANNUAL_GROWTH) * years)
    return (
        growth
        * MONTH_SEASONALITY[day.month - 1]
        * WEEKDAY_WEIGHTS[channel][day.weekday()]
        * _holiday_factor(day, channel)
    )


def _order_slots(rng: random.Random, start: date, days: int, total_orders: int) -> list[tuple[date, str]]:
    """(day, channel) per order, in calendar order, from each channel's share and the day weights."""
    per_day: list[list[str]] = [[] for _ in range(days)]
    for channel in CHANNELS:
        target = total_orders * CHANNEL_SHARE[channel]
        weights = [_day_weight(start + timedelta(days=offset), start, channel) for offset in range(days)]
        weight_sum = sum(weights)
        for offset, weight in enumerate(weights):
            expected = target * weight / weight_sum
            count = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
            per_day[offset].extend([channel] * count)
    slots: list[tuple[date, str]] = []
    for offset, channels in enumerate(per_day):
        day = start + timedelta(days=offset)
        slots.extend((day, channel) for channel in channels)
    return slots


def _time_of_day(rng: random.Random, day: date, channel: str) -> datetime:
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS[channel])[0]
    return datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60))


# ---------------------------------------------------------------------------------------------
# People and companies
# ---------------------------------------------------------------------------------------------


@dataclass
class Customer:
    email: str
    name: str
    country: str
    city: str
    created_at: datetime
    tax_bp: int
    slow_payer: bool = False


class NameBook:
    """Hands out plausible, unique person names and e-mail addresses."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used_emails: dict[str, int] = {}

    def person(self) -> tuple[str, str]:
        return self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)

    def unique_email(self, local: str, domain: str) -> str:
        candidate = f"{local}@{domain}"
        seen = self.used_emails.get(candidate, 0)
        self.used_emails[candidate] = seen + 1
        if seen == 0:
            return candidate
        return self.unique_email(f"{local}{seen + 1}", domain)

    def personal_email(self, first: str, last: str) -> str:
        style = self.rng.random()
        first_slug, last_slug = _ascii_slug(first, ""), _ascii_slug(last, "")
        if style < 0.5:
            local = f"{first_slug}.{last_slug}"
        elif style < 0.75:
            local = f"{first_slug[0]}{last_slug}"
        else:
            local = f"{first_slug}{last_slug}{self.rng.randint(1, 99)}"
        return self.unique_email(local, self.rng.choice(EMAIL_DOMAINS))


def _retail_location(rng: random.Random, channel: str) -> tuple[str, str, int]:
    if channel == "market":
        return "US", "Portland", 0
    if channel == "web" and rng.random() < INTERNATIONAL_SHARE:
        country, city, _ = rng.choices(INTERNATIONAL_CITIES, weights=[c[2] for c in INTERNATIONAL_CITIES])[0]
        return country, city, 0
    city, _, tax_bp = rng.choices(US_CITIES, weights=[c[1] for c in US_CITIES])[0]
    return "US", city, tax_bp


def _cafe_names(rng: random.Random, count: int) -> list[str]:
    names = [f"{word} {kind}" for word in CAFE_WORDS for kind in CAFE_KINDS]
    rng.shuffle(names)
    return names[:count]


def _cafes(rng: random.Random, count: int, start: date, names: NameBook) -> list[Customer]:
    """Wholesale accounts sorted by opening; the first and about a third were accounts before the history."""
    cafes: list[Customer] = []
    for index, cafe_name in enumerate(_cafe_names(rng, count)):
        city = rng.choices([c[0] for c in CAFE_CITIES], weights=[c[1] for c in CAFE_CITIES])[0]
        if index == 0 or rng.random() < 0.35:
            opened = start - timedelta(days=rng.randint(30, 700))
        else:
            opened = start + timedelta(days=rng.randint(0, HISTORY_DAYS - 45))
        created = datetime(opened.year, opened.month, opened.day, rng.randint(9, 16), rng.randrange(60))
        domain = f"{_ascii_slug(cafe_name, '-')}.example"
        email = names.unique_email("orders", domain)
        cafes.append(Customer(email, cafe_name, "US", city, created, 0))
    cafes.sort(key=lambda cafe: cafe.created_at)
    for index, cafe in enumerate(cafes):
        # Every sixth café (the second included, so small scales have one) pays late habitually.
        cafe.slow_payer = index % 6 == 1
    return cafes


# ---------------------------------------------------------------------------------------------
# Orders
# ---------------------------------------------------------------------------------------------


@dataclass
class Line:
    product: Product
    quantity: int
    unit_price: int


@dataclass
class Order:
    number: str
    customer: Customer
    placed_at: datetime
    channel: str
    lines: list[Line]
    subtotal: int = 0
    discount: int = 0
    tax: int = 0
    shipping: int = 0
    status: str = "fulfilled"

    @property
    def total(self) -> int:
        return self.subtotal - self.discount + self.tax + self.shipping


def _pick(rng: random.Random, table: tuple[list[Product], list[float]]) -> Product:
    products, cumulative = table
    return products[min(bisect_right(cumulative, rng.random() * cumulative[-1]), len(products) - 1)]


def _basket(rng: random.Random, tables: ProductTables, channel: str, month: int) -> list[Line]:
    if channel == "subscription":
        plan = rng.choices(tables.subscriptions, weights=[p.popularity for p in tables.subscriptions])[0]
        return [Line(plan, 1, plan.price)]
    if channel == "wholesale":
        chosen = _distinct(
            rng, tables.wholesale, rng.choices((1, 2, 3, 4, 5), weights=(10, 30, 30, 20, 10))[0]
        )
        return [Line(p, rng.choice((2, 2, 3, 4, 4, 5, 6, 8, 10, 12)), p.wholesale_price) for p in chosen]
    table = tables.market if channel == "market" else tables.retail[month - 1]
    if channel == "market":
        count = rng.choices((1, 2, 3), weights=(70, 24, 6))[0]
    else:
        count = rng.choices((1, 2, 3, 4, 5), weights=(55, 27, 11, 5, 2))[0]
    return [
        Line(p, rng.choices((1, 2, 3), weights=(84, 13, 3))[0], p.price) for p in _distinct(rng, table, count)
    ]


def _distinct(rng: random.Random, table: tuple[list[Product], list[float]], count: int) -> list[Product]:
    chosen: list[Product] = []
    for _ in range(count * 3):
        product = _pick(rng, table)
        if product not in chosen:
            chosen.append(product)
        if len(chosen) == count:
            break
    return chosen


def _black_friday(day: date) -> date:
    november_first = date(day.year, 11, 1)
    return november_first + timedelta(days=(3 - november_first.weekday()) % 7 + 22)


def _discount_percent(rng: random.Random, order: Order, first_order: bool) -> int:
    if order.channel != "web":
        return 0
    black_friday = _black_friday(order.placed_at.date())
    if black_friday <= order.placed_at.date() <= black_friday + timedelta(days=3) and rng.random() < 0.7:
        return 20
    if first_order and rng.random() < 0.35:
        return 10  # the welcome code from the newsletter sign-up
    if rng.random() < 0.06:
        return rng.choice((10, 15))
    return 0


def _shipping(order: Order) -> int:
    if order.channel in {"market", "subscription"}:
        return 0
    if order.channel == "wholesale":
        return 0 if order.subtotal >= 25000 else 1800
    if order.customer.country == "US":
        return 0 if order.subtotal - order.discount >= 5000 else 695
    return 1495 if order.customer.country == "CA" else 2495


def _price(rng: random.Random, order: Order, first_order: bool) -> None:
    order.subtotal = sum(line.quantity * line.unit_price for line in order.lines)
    order.discount = _round_half_up(order.subtotal * _discount_percent(rng, order, first_order), 100)
    order.shipping = _shipping(order)
    # Cafés buy for resale (exempt); the market stall and exports carry no tax; US orders carry the
    # destination's rate where the roaster has nexus.
    taxable = order.channel in {"web", "subscription"} and order.customer.country == "US"
    order.tax = (
        _round_half_up((order.subtotal - order.discount) * order.customer.tax_bp, 10_000) if taxable else 0
    )


class CustomerPools:
    """Chooses the customer of each order: new arrivals spread over the orders, then repeat buyers
    with heavy-tailed loyalty (a few regulars, many one-time buyers)."""

    def __init__(
        self, rng: random.Random, names: NameBook, retail_customers: int, retail_orders: int
    ) -> None:
        self.rng = rng
        self.names = names
        self.remaining_new = retail_customers
        self.remaining_orders = retail_orders
        self.customers: list[Customer] = []
        self.retail = WeightedPicker()
        self.subscribers = WeightedPicker()
        self.locals = WeightedPicker()  # Portland-area buyers: the market stall's regulars

    def _pool(self, channel: str) -> WeightedPicker:
        return {"subscription": self.subscribers, "market": self.locals}.get(channel, self.retail)

    def retail_customer(self, channel: str, moment: datetime) -> tuple[Customer, bool]:
        pool = self._pool(channel)
        arrive = self.rng.random() * self.remaining_orders < self.remaining_new or len(pool) == 0
        self.remaining_orders -= 1
        if not arrive:
            return self.customers[pool.pick(self.rng)], False
        self.remaining_new -= 1
        first, last = self.names.person()
        country, city, tax_bp = _retail_location(self.rng, channel)
        signed_up = moment - timedelta(minutes=self.rng.randint(1, 25))
        customer = Customer(
            self.names.personal_email(first, last), f"{first} {last}", country, city, signed_up, tax_bp
        )
        index = len(self.customers)
        self.customers.append(customer)
        loyalty = min(self.rng.paretovariate(1.25), 40.0)
        self.retail.add(index, loyalty if channel != "market" else loyalty * 0.5)
        if city in PORTLAND_AREA:
            self.locals.add(index, loyalty)
        if channel == "subscription" or (country == "US" and self.rng.random() < 0.06):
            self.subscribers.add(index, self.rng.uniform(0.6, 1.4))
        return customer, True


def _status(rng: random.Random, order: Order, today: date) -> str:
    age = (today - order.placed_at.date()).days
    if rng.random() < 0.012:
        return "cancelled"
    if age <= 1:
        if order.channel == "wholesale":
            return "pending"
        return "pending" if rng.random() < 0.15 else "paid"
    if order.channel in {"web", "market"} and age > 7:
        roll = rng.random()
        if roll < 0.022:
            return "refunded"
        if roll < 0.052:
            return "partially_refunded"
    return "fulfilled"


# ---------------------------------------------------------------------------------------------
# Payments and invoices
# ---------------------------------------------------------------------------------------------


def _payment(order: Order, amount: int, status: str, method: str, moment: datetime) -> Row:
    return {
        "order_number": order.number,
        "amount": money(amount),
        "currency": CURRENCY,
        "status": status,
        "method": method,
        "paid_at": local_timestamp(moment),
    }


def _retail_payments(rng: random.Random, order: Order, today: date) -> list[Row]:
    if order.status in {"pending", "cancelled"}:
        return []
    if order.channel == "market":
        method = "cash" if rng.random() < 0.18 else "card_present"
    elif order.channel == "subscription":
        method = "card"
    else:
        method = rng.choices(("card", "apple_pay", "paypal", "google_pay"), weights=(62, 18, 14, 6))[0]
    charged_at = order.placed_at + timedelta(seconds=rng.randint(2, 40))
    rows = [_payment(order, order.total, "succeeded", method, charged_at)]
    if order.status in {"refunded", "partially_refunded"}:
        latest = max(1, min(21, (today - order.placed_at.date()).days - 1))
        refunded_at = order.placed_at + timedelta(days=rng.randint(1, latest), minutes=rng.randint(0, 600))
        if order.status == "refunded":
            amount = order.total
        else:
            # One item came back damaged or was the wrong grind: refund that line (capped below the total).
            line = rng.choice(order.lines)
            amount = min(line.unit_price, order.total - 1)
        rows.append(_payment(order, amount, "refunded", method, refunded_at))
    return rows


@dataclass
class InvoiceResult:
    invoice: Row
    payments: list[Row]


def _invoice(rng: random.Random, order: Order, number: str, today: date) -> InvoiceResult:
    issued = order.placed_at.date() + timedelta(days=1)
    due = issued + timedelta(days=30)
    total = order.total
    row = {
        "invoice_number": number,
        "customer_email": order.customer.email,
        "issued_at": issued.isoformat(),
        "due_at": due.isoformat(),
        "total": money(total),
        "balance": money(total),
        "status": "open",
    }
    if order.status == "cancelled":
        row.update(balance=money(0), status="void")
        return InvoiceResult(row, [])
    if issued >= today:
        row["status"] = "draft"
        return InvoiceResult(row, [])
    delay = rng.gauss(48, 16) if order.customer.slow_payer else rng.gauss(24, 7)
    if not order.customer.slow_payer and rng.random() < 0.04:
        delay += rng.randint(25, 60)  # the occasional invoice that slips through the cracks
    paid_on = issued + timedelta(days=max(3, int(delay)))
    method = "check" if rng.random() < 0.25 else "ach"
    payments: list[Row] = []
    balance = total
    if paid_on < today:
        payments.append(_payment(order, total, "succeeded", method, _business_moment(rng, paid_on)))
        balance = 0
    elif rng.random() < 0.3 and issued + timedelta(days=10) < today:
        # A partial payment: the café paid what it could and owes the rest.
        part = _round_half_up(total * rng.choice((30, 40, 50, 60)), 100)
        partial_on = issued + timedelta(days=rng.randint(5, max(5, (today - issued).days - 1)))
        payments.append(_payment(order, part, "succeeded", method, _business_moment(rng, partial_on)))
        balance = total - part
    row["balance"] = money(balance)
    row["status"] = "paid" if balance == 0 else ("overdue" if due < today else "open")
    return InvoiceResult(row, payments)


def _business_moment(rng: random.Random, day: date) -> datetime:
    return datetime(day.year, day.month, day.day, rng.randint(8, 16), rng.randrange(60), rng.randrange(60))


# ---------------------------------------------------------------------------------------------
# CRM
# ---------------------------------------------------------------------------------------------


def _phone(rng: random.Random, city: str) -> str:
    area = {
        "Seattle": "206",
        "Vancouver, WA": "360",
        "Eugene": "541",
        "Bend": "541",
        "Hood River": "541",
    }.get(city, rng.choice(("503", "971")))
    return f"+1 {area}-555-01{rng.randint(0, 99):02d}"


def _contact(
    rng: random.Random, names: NameBook, company: str, domain: str, city: str, created: datetime
) -> Row:
    first, last = names.person()
    local = _ascii_slug(first, "") if rng.random() < 0.6 else rng.choice(CONTACT_ROLES_FIRST)
    return {
        "email": names.unique_email(local, domain),
        "first_name": first,
        "last_name": last,
        "company": company,
        "phone": _phone(rng, city),
        "created_at": local_timestamp(created),
    }


def _deal(
    rng: random.Random, company: str, contact: Row, pipeline: str, stage: str, close: date, created: datetime
) -> Row:
    if pipeline == "Office coffee":
        amount = int(round(rng.lognormvariate(math.log(4200), 0.45), -1)) * 100
        name = f"{company}: office coffee program"
    else:
        amount = int(round(rng.lognormvariate(math.log(18000), 0.55), -2)) * 100
        name = f"{company}: wholesale account"
    return {
        "deal_name": name,
        "company": company,
        "contact_email": contact["email"],
        "pipeline": pipeline,
        "stage": stage,
        "amount": money(amount),
        "currency": CURRENCY,
        "close_date": close.isoformat(),
        "owner_email": rng.choice(DEAL_OWNERS),
        "created_at": local_timestamp(created),
    }


def _crm(
    rng: random.Random, names: NameBook, cafes: list[Customer], today: date, scale: float
) -> tuple[list[Row], list[Row]]:
    contacts: list[Row] = []
    deals: list[Row] = []
    for cafe in cafes:
        domain = cafe.email.split("@", 1)[1]
        met = cafe.created_at - timedelta(days=rng.randint(20, 120))
        people = [
            _contact(rng, names, cafe.name, domain, cafe.city, met) for _ in range(rng.choice((1, 1, 2)))
        ]
        contacts.extend(people)
        deals.append(_deal(rng, cafe.name, people[0], "Wholesale", "closed_won", cafe.created_at.date(), met))
    taken = {cafe.name for cafe in cafes}
    prospects = _prospect_names(rng, taken)
    lost = max(1, round(LOST_DEALS_AT_SCALE_1 * scale))
    open_deals = max(1, round(OPEN_DEALS_AT_SCALE_1 * scale))
    for index in range(lost + open_deals):
        company, pipeline = prospects[index % len(prospects)]
        if index >= len(prospects):
            company = f"{company} #{index // len(prospects) + 1}"
        city = rng.choices([c[0] for c in CAFE_CITIES], weights=[c[1] for c in CAFE_CITIES])[0]
        if index < lost:
            close = today - timedelta(days=rng.randint(5, HISTORY_DAYS))
            created_day = close - timedelta(days=rng.randint(10, 100))
            stage = "closed_lost"
        else:
            created_day = today - timedelta(days=rng.randint(1, 120))
            stage = rng.choices(WHOLESALE_STAGES_OPEN, weights=OPEN_STAGE_WEIGHTS)[0]
            close = today + timedelta(days=rng.randint(7, 100))
        created = _business_moment(rng, created_day)
        contact = _contact(rng, names, company, f"{_ascii_slug(company, '-')}.example", city, created)
        contacts.append(contact)
        deals.append(_deal(rng, company, contact, pipeline, stage, close, created))
    return contacts, deals


def _prospect_names(rng: random.Random, taken: set[str]) -> list[tuple[str, str]]:
    names = [
        (f"{word} {kind}", "Wholesale")
        for word in CAFE_WORDS
        for kind in PROSPECT_KINDS
        if f"{word} {kind}" not in taken
    ]
    names.extend((office, "Office coffee") for office in OFFICE_NAMES)
    rng.shuffle(names)
    return names


# ---------------------------------------------------------------------------------------------
# Assembly
# ---------------------------------------------------------------------------------------------


def _order_row(order: Order) -> Row:
    return {
        "order_number": order.number,
        "customer_email": order.customer.email,
        "placed_at": local_timestamp(order.placed_at),
        "status": order.status,
        "currency": CURRENCY,
        "subtotal": money(order.subtotal),
        "discount": money(order.discount),
        "tax": money(order.tax),
        "shipping": money(order.shipping),
        "total": money(order.total),
        "channel": order.channel,
    }


def _customer_row(customer: Customer) -> Row:
    return {
        "email": customer.email,
        "name": customer.name,
        "country": customer.country,
        "city": customer.city,
        "created_at": local_timestamp(customer.created_at),
    }


def generate(seed: int = DEFAULT_SEED, *, today: date, scale: float = 1.0) -> DemoData:
    """Northwind's last two years (up to the day before `today`), the same for the same arguments."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    rng = random.Random(seed)
    names = NameBook(rng)
    products = _catalogue(rng)
    tables = _product_tables(products)
    start = today - timedelta(days=HISTORY_DAYS)
    slots = _order_slots(rng, start, HISTORY_DAYS, max(20, round(ORDERS_AT_SCALE_1 * scale)))

    cafes = _cafes(rng, max(2, round(CAFES_AT_SCALE_1 * scale)), start, names)
    cafe_picker = WeightedPicker()
    retail_orders = sum(1 for _, channel in slots if channel != "wholesale")
    retail_customers = max(5, round(CUSTOMERS_AT_SCALE_1 * scale) - len(cafes))
    pools = CustomerPools(rng, names, min(retail_customers, retail_orders), retail_orders)

    data = DemoData(products=[_product_row(p) for p in products])
    for sequence, (day, channel) in enumerate(slots, start=1):
        moment = _time_of_day(rng, day, channel)
        first_order = False
        if channel == "wholesale":
            cafe_picker = _open_cafes(rng, cafes, cafe_picker, moment)
            customer = cafes[cafe_picker.pick(rng)]
        else:
            customer, first_order = pools.retail_customer(channel, moment)
        order = Order(
            f"NW-{100000 + sequence}", customer, moment, channel, _basket(rng, tables, channel, day.month)
        )
        _price(rng, order, first_order)
        order.status = _status(rng, order, today)
        data.orders.append(_order_row(order))
        data.order_items.extend(
            {
                "order_number": order.number,
                "sku": line.product.sku,
                "quantity": str(line.quantity),
                "unit_price": money(line.unit_price),
            }
            for line in order.lines
        )
        if channel == "wholesale":
            result = _invoice(rng, order, f"INV-{len(data.invoices) + 10001}", today)
            data.invoices.append(result.invoice)
            data.payments.extend(result.payments)
        else:
            data.payments.extend(_retail_payments(rng, order, today))

    data.customers = [_customer_row(c) for c in sorted(cafes + pools.customers, key=lambda c: c.created_at)]
    data.contacts, data.deals = _crm(rng, names, cafes, today, scale)
    return data


def _open_cafes(
    rng: random.Random, cafes: list[Customer], picker: WeightedPicker, moment: datetime
) -> WeightedPicker:
    """Adds the cafés (sorted by account opening) that have become accounts by `moment`."""
    while len(picker) < len(cafes) and cafes[len(picker)].created_at <= moment:
        picker.add(len(picker), rng.uniform(0.5, 2.0))
    return picker
