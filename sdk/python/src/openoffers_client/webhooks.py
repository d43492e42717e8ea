"""Verifying a webhook OpenOffers sent: Standard Webhooks signatures (`webhook-id`, `webhook-timestamp`,
`webhook-signature`), checked with the `standardwebhooks` library the server signs with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from openoffers_client.errors import OpenOffersError


class WebhookSignatureError(OpenOffersError):
    """The delivery is not authentic or not fresh: a signature that does not match the body (tampered,
    or another secret), a timestamp more than five minutes old (a replay) or ahead, or missing headers."""


def verify_webhook(secret: str, body: bytes | str, headers: Mapping[str, str]) -> Any:
    """The delivery's JSON event when `body` and `headers` are signed with `secret` (the endpoint's
    `whsec_...` secret) within the last five minutes; raises `WebhookSignatureError` otherwise.
    Pass the body exactly as received: re-encoded JSON does not verify."""
    try:
        return Webhook(secret).verify(body, dict(headers))
    except WebhookVerificationError as error:
        raise WebhookSignatureError(str(error), code="INVALID_SIGNATURE") from error
    except ValueError as error:
        # A malformed signature header, or a body that is not JSON, is as untrustworthy as a wrong one.
        raise WebhookSignatureError(f"unreadable delivery: {error}", code="INVALID_SIGNATURE") from error
