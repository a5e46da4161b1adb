"""RFC 9457 problem details with stable machine-readable codes."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import structlog
from asyncpg.exceptions import InterfaceError as AsyncpgInterfaceError
from asyncpg.exceptions import OperatorInterventionError, PostgresConnectionError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://binelek.dev/problems/"

log = structlog.get_logger(__name__)


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldError] | None = None
    cause: str | None = None  # a stable sub-code where one code covers several causes (AI_QUERY_FAILED)

    # RFC 9457 extension members (e.g. PLAN_LIMIT_REACHED's limit and usage) are part of the body.
    model_config = ConfigDict(extra="allow")


class ProblemError(Exception):
    """Raise anywhere to answer with a problem+json response."""

    status: int = 400
    code: str = "BAD_REQUEST"

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
        cause: str | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.cause = cause
        self.extensions = extensions
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.headers = headers
        self.errors = errors


class InvalidCredentials(ProblemError):
    status, code = 401, "AUTH_INVALID_CREDENTIALS"


class MfaRequired(ProblemError):
    status, code = 401, "AUTH_MFA_REQUIRED"


class InvalidToken(ProblemError):
    status, code = 401, "AUTH_INVALID_TOKEN"


class TokenExpired(ProblemError):
    status, code = 401, "AUTH_TOKEN_EXPIRED"


class NotAuthenticated(ProblemError):
    status, code = 401, "AUTH_REQUIRED"


class TenantNotFound(ProblemError):
    status, code = 404, "TENANT_NOT_FOUND"


class TenantAccessDenied(ProblemError):
    status, code = 403, "TENANT_ACCESS_DENIED"


class PermissionDenied(ProblemError):
    status, code = 403, "PERMISSION_DENIED"


class ModuleDisabled(ProblemError):
    status, code = 403, "MODULE_DISABLED"


class ResourceNotFound(ProblemError):
    status, code = 404, "RESOURCE_NOT_FOUND"


class Conflict(ProblemError):
    status, code = 409, "CONFLICT"


class ValidationFailed(ProblemError):
    status, code = 422, "VALIDATION_ERROR"

    def __init__(self, detail: str, *, field: str | None = None, errors: list[dict[str, Any]] | None = None):
        if field is not None and errors is None:
            errors = [{"loc": ["body", field], "msg": detail, "type": "value_error"}]
        super().__init__(detail, errors=errors)


class AiBudgetExceeded(ProblemError):
    status, code = 429, "AI_BUDGET_EXCEEDED"


class AiQueryFailed(ProblemError):
    status, code = 502, "AI_QUERY_FAILED"


class AiProviderNotConfigured(ProblemError):
    status, code = 409, "AI_PROVIDER_NOT_CONFIGURED"


class SqlRejected(ProblemError):
    """SQL (from a model) that the guard refuses to run; `cause` says why, e.g. "table_not_allowed"."""

    status, code = 422, "SQL_REJECTED"

    def __init__(self, detail: str, *, reason: str) -> None:
        super().__init__(detail, cause=reason)
        self.reason = reason


class SqlFailed(ProblemError):
    """Guarded SQL the database stopped or refused; `cause`: timeout | read_only | database_error."""

    status, code = 422, "SQL_FAILED"

    def __init__(self, detail: str, *, reason: str) -> None:
        super().__init__(detail, cause=reason)
        self.reason = reason


class RateLimited(ProblemError):
    status, code = 429, "RATE_LIMIT_EXCEEDED"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many requests; try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )


def _problem_response_doc(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {PROBLEM_MEDIA_TYPE: {}}}


# Documented on every router, so the OpenAPI schema (and the typed web client) knows error bodies.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem_response_doc("Bad request"),
    401: _problem_response_doc("Not authenticated, or the token is invalid or expired"),
    403: _problem_response_doc("Tenant, permission or module not allowed"),
    404: _problem_response_doc("Not found (or belongs to another tenant)"),
    409: _problem_response_doc("Conflicts with existing data"),
    422: _problem_response_doc("Validation error, with field paths in `errors`"),
    429: _problem_response_doc("Rate limit exceeded; see Retry-After"),
}
AI_PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    502: _problem_response_doc("The AI provider failed; `cause` says why"),
}


_CODE_BY_STATUS = {
    400: "BAD_REQUEST",
    401: "AUTH_REQUIRED",
    403: "PERMISSION_DENIED",
    404: "RESOURCE_NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMIT_EXCEEDED",
}


def problem_body(problem: ProblemError) -> dict[str, Any]:
    """A problem as a JSON-ready dict, for channels other than an HTTP response (e.g. an SSE event)."""
    return _problem_dict(
        problem.status, problem.code, problem.detail, problem.errors, problem.cause, problem.extensions
    )


def _problem_dict(
    status: int,
    code: str,
    detail: str,
    errors: list[dict[str, Any]] | None,
    cause: str | None,
    extensions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        **(extensions or {}),  # first: an extension never overrides a standard member
        "type": PROBLEM_TYPE_BASE + code.lower().replace("_", "-"),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    if cause is not None:
        body["cause"] = cause
    return body


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
    cause: str | None = None,
    extensions: dict[str, Any] | None = None,
) -> JSONResponse:
    body = _problem_dict(status, code, detail, errors, cause, extensions)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "loc": [str(part) if not isinstance(part, int) else part for part in error.get("loc", ())],
            "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors()
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(_request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.code,
            exc.detail,
            headers=exc.headers,
            errors=exc.errors,
            cause=exc.cause,
            extensions=exc.extensions,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc)
        first = errors[0] if errors else None
        detail = (
            f"{'.'.join(str(p) for p in first['loc'][1:]) or 'request'}: {first['msg']}"
            if first
            else "The request is not valid."
        )
        return problem_response(422, "VALIDATION_ERROR", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _CODE_BY_STATUS.get(exc.status_code, "HTTP_ERROR")
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return problem_response(exc.status_code, code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity_error", error=type(exc.orig).__name__)
        return problem_response(409, "CONFLICT", "The change conflicts with existing data.")

    async def _unavailable(_request: Request, exc: Exception) -> JSONResponse:
        log.warning("dependency_unavailable", error=type(exc).__name__)
        return unavailable_response()

    for unavailable in UNAVAILABLE_ERRORS:
        app.add_exception_handler(unavailable, _unavailable)

    @app.exception_handler(DBAPIError)
    async def _database(_request: Request, exc: DBAPIError) -> JSONResponse:
        # "the database system is shutting down / starting up" reaches us as a bare DBAPIError
        if exc.connection_invalidated or dependency_unavailable(exc):
            log.warning("dependency_unavailable", error=type(exc).__name__)
            return unavailable_response()
        log.exception("unhandled_error", error=type(exc).__name__)
        return problem_response(500, "INTERNAL_ERROR", "An unexpected error occurred.")

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        if dependency_unavailable(exc):  # wrapped by a library on the way up
            log.warning("dependency_unavailable", error=type(exc).__name__)
            return unavailable_response()
        log.exception("unhandled_error", error=type(exc).__name__)
        return problem_response(500, "INTERNAL_ERROR", "An unexpected error occurred.")


# PostgreSQL or Redis out of reach (restarting, failing over, network): the request may well succeed
# in a moment, so it is a 503 with Retry-After, not a 500. OperationalError and InterfaceError are
# what SQLAlchemy raises for a refused or dropped connection (and for PostgreSQL shutting down or
# starting up); the pool's TimeoutError when every connection is stuck; ConnectionError (OSError)
# when asyncpg's connect is refused before SQLAlchemy can wrap it; asyncpg's own connection and
# shutdown errors when SQLAlchemy wraps them in a bare DBAPIError.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    PoolTimeoutError,
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionError,
    PostgresConnectionError,  # SQLSTATE class 08
    OperatorInterventionError,  # 57P0x: admin/crash shutdown, cannot connect now
    AsyncpgInterfaceError,  # e.g. the connection was closed under a query
)
UNAVAILABLE_RETRY_AFTER = "5"


def dependency_unavailable(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, UNAVAILABLE_ERRORS):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def unavailable_response() -> JSONResponse:
    return problem_response(
        503,
        "SERVICE_UNAVAILABLE",
        "A service this request needs is briefly unavailable; try again shortly.",
        headers={"Retry-After": UNAVAILABLE_RETRY_AFTER},
    )
