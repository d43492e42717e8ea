"""Errors are values with a code.

Domain code raises a `DomainError` subclass; the single handler in `kit.envelopes` renders it in
the wire's error envelope. Routes never build error JSON by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    code = "INTERNAL_SERVER_ERROR"
    status = 500
    # Seconds after which a retry may succeed, sent as the Retry-After header (429 and 503).
    retry_after: int | None = None

    def __init__(
        self,
        message: str,
        *,
        fields: Mapping[str, Sequence[str]] | None = None,
        reason: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = {key: list(value) for key, value in (fields or {}).items()}
        self.reason = reason
        if code is not None:
            self.code = code

    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries besides its body."""
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


class ValidationFailed(DomainError):
    """Malformed input: a wrong type, an unknown enumeration value, a malformed id."""

    code = "VALIDATION"
    status = 400

    @classmethod
    def field(cls, path: str, problem: str) -> ValidationFailed:
        return cls(f"{path}: {problem}", fields={path: [problem]})

    @classmethod
    def of(cls, fields: Mapping[str, Sequence[str]]) -> ValidationFailed:
        """Several problems in one answer: each field with its reasons, and a message naming them all
        (with one problem, the same message as `field`)."""
        named = (f"{path}: {p}" if path else p for path, problems in fields.items() for p in problems)
        return cls("; ".join(named), fields=fields)


class Problems:
    """The problems found while checking one request, by field path, so that one answer names every
    problem rather than the first (a form with three mistakes needs one submit, not three)."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, path: str, problem: str) -> None:
        found = self.fields.setdefault(path, [])
        if problem not in found:
            found.append(problem)

    def take(self, error: DomainError) -> None:
        """Every problem `error` names (its message when it names no field)."""
        for path, problems in (error.fields or {"": [error.message]}).items():
            for problem in problems:
                self.add(path, problem)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def error(self) -> ValidationFailed:
        return ValidationFailed.of(self.fields)


class MissingData(DomainError):
    code = "MISSING_DATA"
    status = 400


class InvalidApiKey(DomainError):
    code = "INVALID_API_KEY"
    status = 401

    def headers(self) -> dict[str, str]:
        # RFC 9110: a 401 names the scheme to use.
        return {**super().headers(), "WWW-Authenticate": 'Basic realm="OpenOffers", charset="UTF-8"'}


class AccessDenied(DomainError):
    code = "ACCESS_DENIED"
    status = 403


class NotFound(DomainError):
    code = "NOT_FOUND"
    status = 404


class UserNotFound(NotFound):
    code = "USER_NOT_FOUND"


class OfferNotFound(NotFound):
    code = "OFFER_NOT_FOUND"


class MethodNotAllowed(DomainError):
    code = "METHOD_NOT_ALLOWED"
    status = 405

    def __init__(self, message: str, *, allow: str) -> None:
        super().__init__(message)
        self.allow = allow

    def headers(self) -> dict[str, str]:
        return {**super().headers(), "Allow": self.allow}


class Conflict(DomainError):
    code = "CONFLICT"
    status = 409


class IdempotencyKeyReused(Conflict):
    code = "IDEMPOTENCY_KEY_REUSED"


class PendingProcessing(Conflict):
    code = "PENDING_PROCESSING"


class AlreadyLocked(Conflict):
    code = "ALREADY_LOCKED"


class TransactionClosed(Conflict):
    code = "TRANSACTION_CLOSED"


class OfferNotRedeemable(DomainError):
    """Carries a `reason` from API.md section 5 (EXPIRED, MIN_SUBTOTAL_NOT_MET, ...)."""

    code = "OFFER_NOT_REDEEMABLE"
    status = 422


class DiscountMismatch(DomainError):
    code = "DISCOUNT_MISMATCH"
    status = 422


class RequestTimeout(DomainError):
    """The client did not send its whole request in time (the server's read deadline)."""

    code = "REQUEST_TIMEOUT"
    status = 408


class PayloadTooLarge(DomainError):
    code = "PAYLOAD_TOO_LARGE"
    status = 413


class RateLimited(DomainError):
    code = "RATE_LIMITED"
    status = 429

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """The request could not be served now (a stalled database, an overloaded process); it changed
    nothing and may be retried after `retry_after` seconds, which the renderer sends as Retry-After."""

    code = "UNAVAILABLE"
    status = 503

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after
