"""The two response families and the one place errors are rendered.

Offers API success: {"status": "ok", "payload": ...}.
POS API success:    {"status": "OK", "payload": ..., "errors": null} (Lookup says "success").
Errors, both:       {"status": "error", "payload": null, "errors": {"code", "message", "fields"?, "reason"?}}.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import HTTPResponseStartEvent, Send

from openoffers.kit import wire
from openoffers.kit.db import unavailable
from openoffers.kit.errors import DomainError, InvalidApiKey, MethodNotAllowed, Unavailable

JSON = "application/json"

log = logging.getLogger("openoffers.errors")


def ok(payload: Any, *, status_code: int = 200) -> Response[bytes]:
    return Response(wire.encode({"status": "ok", "payload": payload}), media_type=JSON, status_code=status_code)


def pos_body(payload: Any, *, word: str = "OK") -> bytes:
    """A POS success body as bytes (idempotent POS calls store exactly these bytes to replay them)."""
    return wire.encode({"status": word, "payload": payload, "errors": None})


def pos_ok(payload: Any, *, word: str = "OK") -> Response[bytes]:
    return Response(pos_body(payload, word=word), media_type=JSON, status_code=200)


def raw_json(body: bytes) -> Response[bytes]:
    """A 200 JSON response of bytes already rendered (a stored POS reply)."""
    return Response(body, media_type=JSON, status_code=200)


def error_body(error: DomainError) -> bytes:
    errors: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.fields:
        errors["fields"] = error.fields
    if error.reason:
        errors["reason"] = error.reason
    return wire.encode({"status": "error", "payload": None, "errors": errors})


def error_response(error: DomainError) -> Response[bytes]:
    return Response(error_body(error), media_type=JSON, status_code=error.status, headers=error.headers() or None)


async def send_error(send: Send, error: DomainError) -> None:
    """`error_response` straight onto an ASGI `send`, for wrappers that answer before the app runs."""
    body = error_body(error)
    headers = [(b"content-type", JSON.encode()), (b"content-length", str(len(body)).encode())]
    headers += [(name.lower().encode(), value.encode()) for name, value in error.headers().items()]
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": error.status, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})


def handle_domain_error(_request: Request[Any, Any, Any], exc: DomainError) -> Response[bytes]:
    return error_response(exc)


# Litestar's own HTTP errors (unknown route, wrong method, body too large) in our envelope.
_HTTP_CODES = {
    400: "VALIDATION",
    401: "INVALID_API_KEY",
    403: "ACCESS_DENIED",
    404: "NOT_FOUND",
    413: "PAYLOAD_TOO_LARGE",
    429: "RATE_LIMITED",
}


def handle_http_error(_request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    if status == MethodNotAllowed.status:
        allow = next((v for k, v in (exc.headers or {}).items() if k.lower() == "allow"), "")
        return error_response(MethodNotAllowed("method not allowed for this endpoint", allow=allow))
    if status == InvalidApiKey.status:
        return error_response(InvalidApiKey(str(exc.detail)))
    code = _HTTP_CODES.get(status, "INTERNAL_SERVER_ERROR" if status >= 500 else "VALIDATION")
    message = "no such endpoint" if isinstance(exc, NotFoundException) else str(exc.detail)
    error = DomainError(message, code=code)
    error.status = status
    return error_response(error)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    reason = unavailable(exc)
    if reason is not None:
        # Not a bug: the database could not serve in time. One line for the operator, a 503 to retry.
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, reason)
        return error_response(Unavailable(f"the database is unavailable ({reason}); retry shortly"))
    # A bug: log it with the trace, but never send the trace, SQL or internals to the client.
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    error = DomainError("internal error; it has been logged", code="INTERNAL_SERVER_ERROR")
    error.status = HTTP_500_INTERNAL_SERVER_ERROR
    return error_response(error)
