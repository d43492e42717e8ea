"""OpenOffers' Python client: `Client` (sync) and `AsyncClient` over httpx, typed errors carrying the
server's code and fields, POS calls retried safely under one `request_id`, and `verify_webhook`."""

from openoffers_client._core import RetryPolicy
from openoffers_client.client import AsyncClient, Client
from openoffers_client.errors import (
    AuthenticationFailed,
    Conflict,
    ConnectionFailed,
    DiscountMismatch,
    InvalidRequest,
    NotFound,
    OfferNotRedeemable,
    OpenOffersError,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    ServerError,
    Unavailable,
)
from openoffers_client.webhooks import WebhookSignatureError, verify_webhook

__all__ = [
    "AsyncClient",
    "AuthenticationFailed",
    "Client",
    "Conflict",
    "ConnectionFailed",
    "DiscountMismatch",
    "InvalidRequest",
    "NotFound",
    "OfferNotRedeemable",
    "OpenOffersError",
    "PayloadTooLarge",
    "PermissionDenied",
    "RateLimited",
    "RetryPolicy",
    "ServerError",
    "Unavailable",
    "WebhookSignatureError",
    "verify_webhook",
]
__version__ = "0.1.0"
