"""robots.txt rules as RFC 9309 reads them, parsed by Protego.

What a fetch of `/robots.txt` means for the site (RFC 9309 §2.3.1):
- a 2xx answer: its rules (only the first 500 KiB are read, as the RFC allows);
- "unavailable", a 4xx other than 429: there are no rules, everything may be fetched;
- "unreachable", a 5xx, a 429, a timeout or a network failure: the site is treated as completely
  disallowed until robots.txt can be fetched;
- more than five redirects: unavailable, so everything may be fetched.

Fetching it (pacing, redirects, the address guard) is the fetcher's job; this module only decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from protego import Protego

ROBOTS_MAX_BYTES = 500 * 1024
MAX_ROBOTS_REDIRECTS = 5

RobotsKind = Literal["rules", "allow_all", "disallow_all"]


@dataclass(frozen=True, slots=True)
class RobotsRules:
    """What one site's robots.txt allows. `detail` says where the decision came from."""

    kind: RobotsKind
    detail: str
    parser: Protego | None = None

    def allows(self, url: str, product_token: str) -> bool:
        if self.kind == "allow_all":
            return True
        if self.kind == "disallow_all" or self.parser is None:
            return False
        return bool(self.parser.can_fetch(url, product_token))

    def delay(self, product_token: str) -> float | None:
        """The seconds between two requests the site asks of us: the larger of its Crawl-delay and
        its Request-rate (n requests per m seconds → m/n), or None when it asks nothing."""
        if self.parser is None:
            return None
        delays: list[float] = []
        crawl_delay = self.parser.crawl_delay(product_token)
        if crawl_delay is not None:
            delays.append(float(crawl_delay))
        rate = self.parser.request_rate(product_token)
        if rate is not None and rate.requests > 0:
            delays.append(rate.seconds / rate.requests)
        return max(delays) if delays else None

    @property
    def is_failure(self) -> bool:
        """A complete disallow because robots.txt could not be fetched (worth retrying sooner)."""
        return self.kind == "disallow_all"


def product_token(user_agent: str) -> str:
    """The token robots.txt groups name a crawler by: "BinelekPriceBot/1.0 (+https://…)" →
    "BinelekPriceBot"."""
    token = user_agent.strip().split("/", 1)[0].split(None, 1)
    return token[0] if token else user_agent


def parse_robots(body: bytes) -> RobotsRules:
    """Rules from a robots.txt body; anything past the size cap is ignored, not an error."""
    text = body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace").lstrip("\ufeff")
    return RobotsRules("rules", "robots.txt rules", Protego.parse(text))


def rules_for_status(status: int, body: bytes) -> RobotsRules:
    if 200 <= status < 300:
        return parse_robots(body)
    if 400 <= status < 500 and status != 429:
        return RobotsRules("allow_all", f"robots.txt answered HTTP {status}: no rules, everything allowed")
    return unreachable(f"HTTP {status}")


def unreachable(reason: str) -> RobotsRules:
    return RobotsRules(
        "disallow_all",
        f"robots.txt could not be fetched ({reason}): the site is treated as disallowed until it can be",
    )


def too_many_redirects() -> RobotsRules:
    return RobotsRules(
        "allow_all", f"robots.txt redirected more than {MAX_ROBOTS_REDIRECTS} times: treated as absent"
    )
