"""The `local` provider's understanding: an offline engine (no LLM, no network) that classifies a
message into a tool among those offered and fills its arguments. See `understand.understand`."""

from binelek.ai.local.understand import Kind, Understanding, understand

__all__ = ["Kind", "Understanding", "understand"]
