"""Serve one fake provider in its own process (benchmarks: the fake must not share the benchmark's
interpreter lock). Prints the origin and the fake's key on stdout, then serves until stdin closes.

    python -m tests.fakes.serve shopify --count 20000 [--restore-rate 100] [--rate-limit 100/1]
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Any

from tests.fakes.base import RateLimit

CLASSES = {"shopify": "FakeShopify", "stripe": "FakeStripe"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("provider", choices=sorted(CLASSES))
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--restore-rate", type=float, default=None)
    parser.add_argument("--rate-limit", default=None, help="requests/seconds, e.g. 100/1")
    args = parser.parse_args()
    options: dict[str, Any] = {"count": args.count}
    if args.restore_rate is not None:
        options["restore_rate"] = args.restore_rate
    if args.rate_limit:
        requests, seconds = args.rate_limit.split("/")
        options["rate_limit"] = RateLimit(int(requests), float(seconds))
    fake_class = getattr(importlib.import_module(f"tests.fakes.{args.provider}"), CLASSES[args.provider])
    with fake_class(**options) as fake:
        config = fake.config() if hasattr(fake, "config") else {}
        print(json.dumps({"origin": fake.origin, "key": fake.GOOD_KEY, "config": config}), flush=True)
        sys.stdin.read()  # until the parent closes our stdin


if __name__ == "__main__":
    main()
