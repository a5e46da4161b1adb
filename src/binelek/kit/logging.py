"""JSON logs with request id, tenant and user; secrets are dropped before anything is written."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

SECRET_FIELD = re.compile(
    r"(password|secret|token|authorization|api_key|apikey|cookie|encryption_key|totp)", re.I
)
BEARER_VALUE = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+|bnk_[A-Za-z0-9_-]+")


def _redact(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    for key in list(event):
        if SECRET_FIELD.search(key):
            event[key] = "[redacted]"
        elif isinstance(event[key], str):
            event[key] = BEARER_VALUE.sub(lambda m: (m.group(1) or "") + "[redacted]", event[key])
    return event


class _StderrLogger:
    """Writes each line to whatever sys.stderr is at that moment (test capture included)."""

    def msg(self, message: str) -> None:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()

    log = debug = info = warning = warn = error = critical = exception = fatal = msg


def _stderr_logger_factory(*_args: Any) -> _StderrLogger:
    return _StderrLogger()


def configure_logging(level: str = "INFO", *, json: bool = True) -> None:
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
        structlog.processors.format_exc_info,
        renderer,
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=_stderr_logger_factory,
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format="%(message)s")
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).setLevel(logging.WARNING)
