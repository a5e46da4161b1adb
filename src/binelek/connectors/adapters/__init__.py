"""Provider adapters, one module per provider id, each exposing `ADAPTER`."""

from __future__ import annotations

import importlib
from functools import cache

from binelek.connectors.adapters.base import Adapter


@cache
def adapter_for(provider_id: str) -> Adapter | None:
    """The provider's adapter, or None when there is no module for it."""
    try:
        module = importlib.import_module(f"binelek.connectors.adapters.{provider_id}")
    except ModuleNotFoundError as exc:
        if exc.name == f"binelek.connectors.adapters.{provider_id}":
            return None
        raise
    adapter: Adapter = module.ADAPTER
    return adapter
