"""Every error the API answers, as RFC 9457 ``application/problem+json``, mapped in this one place.

Each class of ``reprieve.domain.errors`` has one stable ``type`` URI and one status; the
errors only the HTTP layer knows (no credentials, a body too large) are declared here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from reprieve.domain.errors import (
    ConflictError,
    ForbiddenError,
    GoneError,
    NotFoundError,
    PreconditionFailedError,
    ReprieveError,
    StorageError,
    ValidationError,
)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://reprieve.dev/problems/"

log = logging.getLogger(__name__)


class ProblemType(StrEnum):
    """The stable ``type`` of each problem, after ``TYPE_BASE``."""

    VALIDATION = "validation"
    NOT_FOUND = "not-found"
    GONE = "gone"
    CONFLICT = "conflict"
    PRECONDITION_FAILED = "precondition-failed"
    FORBIDDEN = "forbidden"
    UNAUTHORIZED = "unauthorized"
    PAYLOAD_TOO_LARGE = "payload-too-large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported-media-type"
    METHOD_NOT_ALLOWED = "method-not-allowed"
    UNAVAILABLE = "unavailable"
    HTTP = "http"
    INTERNAL = "internal"

    @property
    def uri(self) -> str:
        return TYPE_BASE + self.value


_TITLES = {
    ProblemType.VALIDATION: "The request is not valid",
    ProblemType.NOT_FOUND: "Not found",
    ProblemType.GONE: "Erased with its person",
    ProblemType.CONFLICT: "The request conflicts with the current state",
    ProblemType.PRECONDITION_FAILED: "It changed since the version the request names",
    ProblemType.FORBIDDEN: "Forbidden",
    ProblemType.UNAUTHORIZED: "Authentication required",
    ProblemType.PAYLOAD_TOO_LARGE: "The request body is too large",
    ProblemType.UNSUPPORTED_MEDIA_TYPE: "The request body is not JSON",
    ProblemType.METHOD_NOT_ALLOWED: "Method not allowed",
    ProblemType.UNAVAILABLE: "The service is unavailable",
    ProblemType.HTTP: "HTTP error",
    ProblemType.INTERNAL: "Internal error",
}


class Unauthenticated(Exception):
    """Raised when a request carries no bearer token, or one that is unknown, revoked or expired."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PayloadTooLarge(Exception):
    """Raised when a request body is longer than the server accepts."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit} bytes")
        self.message = str(self)


#: Domain error class -> (status, type). Subclasses inherit their parent's entry.
_DOMAIN: dict[type[ReprieveError], tuple[int, ProblemType]] = {
    ValidationError: (422, ProblemType.VALIDATION),
    NotFoundError: (404, ProblemType.NOT_FOUND),
    GoneError: (410, ProblemType.GONE),
    ConflictError: (409, ProblemType.CONFLICT),
    PreconditionFailedError: (412, ProblemType.PRECONDITION_FAILED),
    ForbiddenError: (403, ProblemType.FORBIDDEN),
    StorageError: (503, ProblemType.UNAVAILABLE),
}


def problem(
    status: int,
    type_: ProblemType,
    detail: str,
    *,
    errors: Sequence[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"type": type_.uri, "title": _TITLES[type_], "status": status, "detail": detail}
    if errors:
        body["errors"] = list(errors)
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _status_and_type(error: type[ReprieveError]) -> tuple[int, ProblemType]:
    for cls in error.__mro__:
        if cls in _DOMAIN:
            return _DOMAIN[cls]
    return 500, ProblemType.INTERNAL


def problem_type_of(error: type[ReprieveError]) -> ProblemType:
    """The problem ``type`` of a domain error's class (a check's row error gives it too)."""
    return _status_and_type(error)[1]


def problem_for(exc: Exception) -> JSONResponse:
    """The answer to an error raised while handling a request (also used by the middleware)."""
    if isinstance(exc, ReprieveError):
        status, type_ = _status_and_type(type(exc))
        errors = None
        if isinstance(exc, ValidationError) and exc.field:
            errors = [{"field": exc.field, "message": str(exc.message).removeprefix(f"{exc.field}: ")}]
        if isinstance(exc, PreconditionFailedError):  # what the caller should read again
            return problem(
                status, type_, exc.message, headers={"ETag": f'"{exc.current}"'}, extra={"version": exc.current}
            )
        if isinstance(exc, GoneError):  # what is kept of it: its SHA-256, when it was erased
            return problem(status, type_, exc.message, extra=exc.details)
        return problem(status, type_, exc.message, errors=errors)
    if isinstance(exc, Unauthenticated):
        return problem(401, ProblemType.UNAUTHORIZED, exc.message, headers={"WWW-Authenticate": "Bearer"})
    if isinstance(exc, PayloadTooLarge):
        return problem(413, ProblemType.PAYLOAD_TOO_LARGE, exc.message)
    if isinstance(exc, RequestValidationError):
        return _invalid_request(exc)
    if isinstance(exc, StarletteHTTPException) and exc.status_code == 400:
        # FastAPI's answer to a body it cannot decode: bad input like any other, so 422.
        return problem(
            422, ProblemType.VALIDATION, f"body: {exc.detail}", errors=[{"field": "body", "message": str(exc.detail)}]
        )
    if isinstance(exc, StarletteHTTPException):
        type_ = {404: ProblemType.NOT_FOUND, 405: ProblemType.METHOD_NOT_ALLOWED}.get(exc.status_code, ProblemType.HTTP)
        return problem(exc.status_code, type_, str(exc.detail), headers=dict(exc.headers or {}))
    log.exception("unexpected error", exc_info=exc)
    return problem(500, ProblemType.INTERNAL, "an unexpected error occurred; it has been logged")


#: What a 415 says to do.
SEND_JSON = "send Content-Type: application/json"


def _invalid_request(exc: RequestValidationError) -> JSONResponse:
    """A request FastAPI refused: a body that is not JSON (415), JSON that does not parse (422,
    where), or fields that do not validate (422, each field and why)."""
    raw = exc.errors()
    body = exc.body
    if isinstance(body, bytes | bytearray) and body and any(_at_body(e) for e in raw):
        # FastAPI hands a route the raw bytes only when the Content-Type is not JSON.
        return problem(
            415,
            ProblemType.UNSUPPORTED_MEDIA_TYPE,
            f"the request body must be JSON: {SEND_JSON}",
            headers={"Accept-Post": "application/json"},
        )
    for error in raw:
        if error.get("type") == "json_invalid":
            message = _json_error(error, body)
            return problem(422, ProblemType.VALIDATION, message, errors=[{"field": "body", "message": message}])
    errors = [_field_error(e) for e in raw]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]) or "invalid request"
    return problem(422, ProblemType.VALIDATION, detail, errors=errors)


def _at_body(error: Any) -> bool:
    location = tuple(error.get("loc", ()))
    return location[:1] == ("body",)


def _json_error(error: Any, document: Any) -> str:
    """ "the body is not valid JSON: <what> at line L column C" (FastAPI gives the offset)."""
    what = str((error.get("ctx") or {}).get("error") or "JSON decode error")
    location = tuple(error.get("loc", ()))
    offset = location[1] if len(location) > 1 and isinstance(location[1], int) else None
    if offset is None or not isinstance(document, str):
        return f"the body is not valid JSON: {what}"
    line = document.count("\n", 0, offset) + 1
    column = offset - (document.rfind("\n", 0, offset) + 1) + 1
    return f"the body is not valid JSON: {what} at line {line} column {column}"


def _field_error(error: Any) -> dict[str, str]:
    location = [str(part) for part in error.get("loc", ())]
    return {"field": ".".join(location) or "request", "message": str(error.get("msg", "invalid"))}


async def _handle(_request: Request, exc: Exception) -> JSONResponse:
    return problem_for(exc)


def install_problem_handlers(app: FastAPI) -> None:
    for exc_class in (
        ReprieveError,
        Unauthenticated,
        PayloadTooLarge,
        RequestValidationError,
        StarletteHTTPException,
        Exception,
    ):
        app.add_exception_handler(exc_class, _handle)


_DESCRIPTIONS = {
    401: "No token, or an unknown, revoked or expired one",
    403: "The token's role may not do this",
    404: "Not found, or another operator's",
    409: "Conflicts with the current state (or an Idempotency-Key still in use)",
    410: "Erased with its person: its text is gone, its SHA-256 is kept (in the problem's `sha256`, `page_sha256`)",
    412: "Changed since the version named by If-Match (the body's `version` and the ETag give the current one)",
    413: "The request body is too large",
    415: "The body is not JSON: send Content-Type: application/json",
    422: "Invalid input (or an Idempotency-Key reused for another request)",
    503: "The database is unavailable",
}
#: Every route may answer these.
COMMON_STATUSES = (401, 404, 422, 503)
#: POSTs may also answer these: the body limit and a key whose first request still runs.
WRITE_STATUSES = (409, 413)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for problem answers with these statuses (and the common ones); a
    route with a body (it may answer 413) may also answer 415."""
    schema = {"$ref": "#/components/schemas/Problem"}
    if 413 in statuses:
        statuses = (*statuses, 415)
    return {
        status: {"description": _DESCRIPTIONS[status], "content": {PROBLEM_JSON: {"schema": schema}}}
        for status in sorted({*COMMON_STATUSES, *statuses})
    }
