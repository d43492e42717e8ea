"""Typed errors: every refusal the server sends (`{"status": "error", "errors": {"code", "message",
"fields", "reason"}}`) becomes one exception class per kind, carrying the code and fields as sent."""

from __future__ import annotations

from typing import Any


class OpenOffersError(Exception):
    """A call that did not succeed. `code` is the server's error code (`VALIDATION`, `NOT_FOUND`, ...);
    `fields` maps a dotted field path to what is wrong with it; `reason` says why an offer cannot be
    redeemed; `request_id` is the server's `X-Request-ID` for this call, to find it in the server's log."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status_code: int | None = None,
        fields: dict[str, list[str]] | None = None,
        reason: str | None = None,
        request_id: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.message = message
        self.code = code
        self.status_code = status_code
        self.fields: dict[str, list[str]] = dict(fields or {})
        self.reason = reason
        self.request_id = request_id
        self.body = body


class ConnectionFailed(OpenOffersError):
    """No answer: the server could not be reached, or the connection broke (after any retries)."""


class InvalidRequest(OpenOffersError):
    """400: `VALIDATION` or `MISSING_DATA`; `fields` names what is wrong."""


class AuthenticationFailed(OpenOffersError):
    """401: wrong or missing credentials (`INVALID_API_KEY`)."""


class PermissionDenied(OpenOffersError):
    """403: these credentials may not do this (`ACCESS_DENIED`)."""


class NotFound(OpenOffersError):
    """404: `NOT_FOUND`, `USER_NOT_FOUND` or `OFFER_NOT_FOUND`."""


class Conflict(OpenOffersError):
    """409: `CONFLICT`, `ALREADY_LOCKED`, `TRANSACTION_CLOSED`, `PENDING_PROCESSING`, ..."""


class OfferNotRedeemable(OpenOffersError):
    """422 `OFFER_NOT_REDEEMABLE`; `reason` says why (`EXPIRED`, `MIN_SUBTOTAL_NOT_MET`, ...)."""


class DiscountMismatch(OpenOffersError):
    """422 `DISCOUNT_MISMATCH`: a closing check claims more than its offer allows."""


class PayloadTooLarge(OpenOffersError):
    """413 `PAYLOAD_TOO_LARGE`."""


class RateLimited(OpenOffersError):
    """429 `RATE_LIMITED`."""


class Unavailable(OpenOffersError):
    """503 `UNAVAILABLE`: the server shed the call or its database was busy; nothing was changed."""


class ServerError(OpenOffersError):
    """Any other 5xx, or an answer that is not the API's JSON."""


_BY_CODE: dict[str, type[OpenOffersError]] = {
    "VALIDATION": InvalidRequest,
    "MISSING_DATA": InvalidRequest,
    "INVALID_API_KEY": AuthenticationFailed,
    "ACCESS_DENIED": PermissionDenied,
    "NOT_FOUND": NotFound,
    "USER_NOT_FOUND": NotFound,
    "OFFER_NOT_FOUND": NotFound,
    "CONFLICT": Conflict,
    "IDEMPOTENCY_KEY_REUSED": Conflict,
    "PENDING_PROCESSING": Conflict,
    "ALREADY_LOCKED": Conflict,
    "TRANSACTION_CLOSED": Conflict,
    "OFFER_NOT_REDEEMABLE": OfferNotRedeemable,
    "DISCOUNT_MISMATCH": DiscountMismatch,
    "PAYLOAD_TOO_LARGE": PayloadTooLarge,
    "RATE_LIMITED": RateLimited,
    "UNAVAILABLE": Unavailable,
}
_BY_STATUS: dict[int, type[OpenOffersError]] = {
    400: InvalidRequest,
    401: AuthenticationFailed,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    429: RateLimited,
    503: Unavailable,
}


def error_class(code: str, status_code: int) -> type[OpenOffersError]:
    """The class for a code; a code this client does not know falls back on the HTTP status."""
    return _BY_CODE.get(code) or _BY_STATUS.get(status_code) or (ServerError if status_code >= 500 else OpenOffersError)
