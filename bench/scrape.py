"""Polite scraping throughput: the product's fetcher and extractor against many local shops.

    .venv/bin/python bench/scrape.py [--hosts 50] [--pages 20] [--delay 1.0]

`--hosts` shops, each an HTTP server on its own loopback address (127.0.3.1, 127.0.3.2, …, so each
is a separate host to the fetcher), serve `--pages` product pages each: generated pages with a
header, navigation, JSON-LD, a visible price (sometimes struck through next to the old one), related
products with their own prices, reviews and a footer, gzip-compressed when asked. The shops run in
a child process, so serving does not compete with the fetcher for the interpreter, and time each
request's arrival with the kernel's receive timestamp.

The fetcher runs with the policy a shop should expect from us: at most 1 request per `--delay`
seconds and 1 in flight per host, 64 in flight overall, robots.txt read first. Each page goes
through `binelek.marketplace.extraction.extract` as it arrives, as a price check does.
1. Throughput: pages/s from the first request to the last page (target ≥ 90% of hosts / delay:
   ≥ 45 pages/s for 50 hosts at 1 s).
2. Politeness as the shops saw it: the shortest gap between two requests to one host.
3. Extraction: p50/p95 time per page, and how many pages gave the price the shop put on them.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import itertools
import json
import multiprocessing
import os
import platform
import random
import socket
import statistics
import struct
import threading
import time
from collections import Counter
from decimal import Decimal
from multiprocessing.connection import Connection
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from binelek.marketplace.fetcher import Fetcher, FetchPolicy

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
USER_AGENT = "BinelekPriceBot/1.0 (+http://127.0.0.1:8000/bot)"
ADJECTIVES = ["Classic", "Ultra", "Compact", "Deluxe", "Eco", "Pro", "Smart", "Vintage", "Rugged", "Slim"]
MATERIALS = ["Oak", "Steel", "Bamboo", "Leather", "Ceramic", "Wool", "Glass", "Cotton", "Copper", "Linen"]
NOUNS = ["Desk Lamp", "Backpack", "Kettle", "Chair", "Headphones", "Water Bottle", "Blanket", "Knife Set"]
CURRENCIES = [("USD", "$", "en-US"), ("EUR", "€", "de-DE"), ("GBP", "£", "en-GB")]
WORDS = [
    "durable", "comfortable", "lightweight", "design", "everyday", "premium", "quality", "finish",
    "warranty", "crafted", "perfect", "gift", "home", "office", "travel", "outdoor", "kitchen", "easy",
    "clean", "sustainable", "materials", "built", "last",
]  # fmt: skip


# -- the shops (child process) ----------------------------------------------------------------------


def _money(symbol: str, amount: Decimal, locale: str) -> str:
    if locale == "de-DE":
        return f"{amount:,.2f} {symbol}".replace(",", "X").replace(".", ",").replace("X", ".")
    return f"{symbol}{amount:,.2f}"


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def product_page(shop: int, number: int) -> tuple[str, Decimal]:
    """A product page and the price it states."""
    rng = random.Random(shop * 1000 + number)
    name = f"{rng.choice(ADJECTIVES)} {rng.choice(MATERIALS)} {rng.choice(NOUNS)}"
    code, symbol, locale = CURRENCIES[shop % len(CURRENCIES)]
    price = Decimal(rng.randrange(499, 49_999)) / 100
    old_price = (price * Decimal("1.25")).quantize(Decimal("0.01")) if rng.random() < 0.3 else None
    sku = f"S{shop:02d}-{number:04d}"
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": name,
        "sku": sku,
        "image": f"/images/{sku}.jpg",
        "brand": {"@type": "Brand", "name": f"Shop {shop} Goods"},
        "description": _sentence(rng, 18),
        "offers": {
            "@type": "Offer",
            "price": str(price),
            "priceCurrency": code,
            "availability": "https://schema.org/InStock",
            "url": f"/product/{number}",
        },
    }
    navigation = "".join(f'<li><a href="/category/{n}">{rng.choice(NOUNS)}s</a></li>' for n in range(40))
    related = "".join(
        f'<li class="card"><a href="/product/{(number + n) % 997}">{rng.choice(ADJECTIVES)} '
        f'{rng.choice(NOUNS)}</a><span class="price">'
        f"{_money(symbol, Decimal(rng.randrange(499, 49_999)) / 100, locale)}</span></li>"
        for n in range(1, 9)
    )
    reviews = "".join(
        f'<div class="review"><b>{rng.choice(["Ann", "Bo", "Chen", "Dee"])}</b> {"★" * rng.randint(3, 5)}'
        f"<p>{_sentence(rng, 25)}</p></div>"
        for _ in range(6)
    )
    specs = "".join(f"<tr><th>Spec {n}</th><td>{_sentence(rng, 3)}</td></tr>" for n in range(8))
    was = f'<s class="was-price">{_money(symbol, old_price, locale)}</s>' if old_price else ""
    page = f"""<!doctype html>
<html lang="{locale}"><head><meta charset="utf-8"><title>{name} | Shop {shop}</title>
<meta property="og:title" content="{name}"><meta property="og:type" content="product">
<link rel="stylesheet" href="/static/site.css">
<script type="application/ld+json">{json.dumps(data)}</script>
<script>window.dataLayer=window.dataLayer||[];dataLayer.push({{"event":"view_item","sku":"{sku}"}});</script>
</head><body>
<header><a class="logo" href="/">Shop {shop}</a><form action="/search"><input name="q"></form>
<nav><ul>{navigation}</ul></nav></header>
<main><ol class="breadcrumbs"><li><a href="/">Home</a></li><li><a href="/category/1">Goods</a></li></ol>
<div class="product"><img src="/images/{sku}.jpg" alt="{name}"><h1>{name}</h1>
<div class="price-box">{was}<span class="price current-price">{_money(symbol, price, locale)}</span></div>
<p class="stock">In stock, ships in 2 days</p><button>Add to cart</button>
<div class="description">{"".join(f"<p>{_sentence(rng, 30)}</p>" for _ in range(4))}</div>
<table class="specs">{specs}</table>
</div><section class="reviews">{reviews}</section>
<section class="related"><h2>You may also like</h2><ul>{related}</ul></section></main>
<footer>{"".join(f'<a href="/page/{n}">{rng.choice(WORDS)}</a>' for n in range(30))}
<p>Free shipping over {_money(symbol, Decimal(50), locale)}</p></footer></body></html>"""
    return page, price


def _documents(shop: int, pages: int) -> dict[str, tuple[int, bytes, bytes]]:
    """path → (status, plain body, gzip body)."""
    documents: dict[str, tuple[int, bytes, bytes]] = {}
    for number in range(pages):
        body = product_page(shop, number)[0].encode()
        documents[f"/product/{number}"] = (200, body, gzip.compress(body, 6))
    if shop % 2 == 0:  # half the shops have a robots.txt, the others answer 404
        robots = b"User-agent: *\nDisallow: /cart\nDisallow: /search\n"
        documents["/robots.txt"] = (200, robots, gzip.compress(robots))
    return documents


class Shop:
    """One shop: a listening socket on its own loopback address and a thread per connection. Request
    arrivals are the kernel's receive timestamps (SO_TIMESTAMPNS), so a busy machine delaying a
    thread does not distort the gaps the shop reports."""

    def __init__(self, number: int, pages: int) -> None:
        self.documents = _documents(number, pages)
        self.arrivals: list[float] = []
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)  # inherited by connections
        self.listener.bind((f"127.0.3.{number + 1}", 0))
        self.listener.listen(128)
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.listener.getsockname()[1])

    def _accept(self) -> None:
        while True:
            connection, _ = self.listener.accept()
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer, arrived = b"", 0.0
        with connection:
            while True:
                try:
                    data, ancillary, _, _ = connection.recvmsg(65536, socket.CMSG_SPACE(16))
                except OSError:
                    return
                if not data:
                    return
                if not buffer:
                    arrived = _kernel_time(ancillary)
                buffer += data
                while b"\r\n\r\n" in buffer:  # GETs, no bodies
                    head, buffer = buffer.split(b"\r\n\r\n", 1)
                    self.arrivals.append(arrived)
                    connection.sendall(self._answer(head))

    def _answer(self, head: bytes) -> bytes:
        path = head.split(b" ", 2)[1].decode()
        status, plain, packed = self.documents.get(path, (404, b"not found", gzip.compress(b"not found")))
        zipped = b"gzip" in head.lower().split(b"accept-encoding:", 1)[-1].split(b"\r\n", 1)[0]
        html = status == 200 and path != "/robots.txt"
        body = packed if zipped else plain
        lines = [
            f"HTTP/1.1 {status} {'OK' if status == 200 else 'Not Found'}",
            f"Content-Type: {'text/html; charset=utf-8' if html else 'text/plain'}",
            f"Content-Length: {len(body)}",
        ]
        if zipped:
            lines.append("Content-Encoding: gzip")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _kernel_time(ancillary: list[tuple[int, int, bytes]]) -> float:
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            seconds, nanoseconds = struct.unpack("qq", data[:16])
            return float(seconds) + float(nanoseconds) / 1e9
    return time.time()


def shops_process(hosts: int, pages: int, connection: Connection) -> None:
    shops = [Shop(number, pages) for number in range(hosts)]
    connection.send([shop.port for shop in shops])
    connection.recv()  # until told to stop
    connection.send([shop.arrivals for shop in shops])


# -- the fetcher (this process) ---------------------------------------------------------------------


def _extractor() -> Any:
    try:
        from binelek.marketplace.extraction import extract
    except ImportError:
        return None
    return extract


async def scrape(urls: list[tuple[str, Decimal]], delay: float) -> dict[str, Any]:
    extract = _extractor()
    expected = dict(urls)
    policy = FetchPolicy(
        user_agent=USER_AGENT,
        min_delay=delay,
        per_host_concurrency=1,
        global_concurrency=64,
        allow_private=True,
    )
    fetcher = Fetcher(policy)
    outcomes: Counter[str] = Counter()
    extraction_ms: list[float] = []
    right_price = 0
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    started = time.perf_counter()
    try:
        with Progress(*columns, transient=True) as progress:
            task = progress.add_task("pages", total=len(urls))
            async for result in fetcher.fetch_many(url for url, _ in urls):
                outcomes[result.outcome] += 1
                if result.outcome == "ok" and result.html is not None and extract is not None:
                    began = time.perf_counter()
                    extraction = extract(result.html, result.final_url)
                    extraction_ms.append((time.perf_counter() - began) * 1000)
                    right_price += extraction.price == expected[result.url]
                progress.advance(task)
        elapsed = time.perf_counter() - started
    finally:
        await fetcher.aclose()
    return {
        "elapsed": elapsed,
        "outcomes": outcomes,
        "extraction_ms": extraction_ms,
        "right_price": right_price,
        "extracted": extract is not None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--delay", type=float, default=1.0)
    args = parser.parse_args()
    if not 1 <= args.hosts <= 250:
        raise SystemExit("--hosts must be between 1 and 250 (one loopback address each)")

    ours, theirs = multiprocessing.Pipe()
    shops = multiprocessing.get_context("spawn").Process(
        target=shops_process, args=(args.hosts, args.pages, theirs), daemon=True
    )
    shops.start()
    try:
        if not ours.poll(60):
            raise SystemExit("the shops did not start")
        ports = ours.recv()
        urls = [
            (f"http://127.0.3.{shop + 1}:{ports[shop]}/product/{number}", product_page(shop, number)[1])
            for number in range(args.pages)
            for shop in range(args.hosts)
        ]
        print(
            f"# bench/scrape.py — {platform.machine()}, {os.cpu_count()} CPUs, {platform.python_version()}; "
            f"{args.hosts} hosts x {args.pages} pages, 1 request per {args.delay:g} s per host"
        )
        report = asyncio.run(scrape(urls, args.delay))
        ours.send("stop")
        arrivals: list[list[float]] = ours.recv()
    finally:
        shops.terminate()
        shops.join()

    pages = len(urls)
    rate = pages / report["elapsed"]
    target = 0.9 * args.hosts / args.delay
    outcomes = ", ".join(f"{name} {count}" for name, count in report["outcomes"].most_common())
    print(
        f"fetched {pages} pages in {report['elapsed']:.1f} s → {rate:.1f} pages/s "
        f"(target ≥ {target:.0f}: 90% of {args.hosts} hosts x {1 / args.delay:g}/s); {outcomes}"
    )
    gaps = [later - earlier for seen in arrivals for earlier, later in itertools.pairwise(sorted(seen))]
    requests = sum(len(seen) for seen in arrivals)
    print(
        f"as the shops saw it: {requests} requests (robots.txt included), "
        f"shortest gap between two requests to one host {min(gaps):.3f} s (policy {args.delay:g} s)"
    )
    if not report["extracted"]:
        print("extraction: binelek.marketplace.extraction is not importable here; extraction not timed")
        return
    samples = report["extraction_ms"]
    if len(samples) >= 2:
        p95 = statistics.quantiles(samples, n=20)[18]
        print(
            f"extraction per page: p50 {statistics.median(samples):.1f} ms, p95 {p95:.1f} ms; "
            f"the shop's price found on {report['right_price']}/{len(samples)} pages"
        )


if __name__ == "__main__":
    main()
