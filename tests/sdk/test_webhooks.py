"""`verify_webhook` accepts what `standardwebhooks` signs (as the server does), and rejects a tampered body,
another secret, a replay (a timestamp past the five minutes' tolerance) and malformed headers."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from openoffers_client import WebhookSignatureError, verify_webhook

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"another secret, thirty-two bytes").decode()
EVENT = {
    "id": "evt_1",
    "type": "user_offer.redeemed",
    "retailer_id": "2d5b5a08-becd-4837-a69a-2ab967c7773a",
    "data": {"user_offer_id": "757144c2-6693-4a29-9f2c-f1d3aa2fa24f", "status": 3},
}
BODY = json.dumps(EVENT, separators=(",", ":"))


def signed(body: str, *, at: datetime | None = None, secret: str = SECRET, msg_id: str = "msg_1") -> dict[str, str]:
    when = at or datetime.now(UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, when, body),
    }


def test_a_fresh_signed_delivery_verifies_and_answers_its_event() -> None:
    assert verify_webhook(SECRET, BODY, signed(BODY)) == EVENT
    assert verify_webhook(SECRET, BODY.encode(), signed(BODY)) == EVENT
    # Header names in any case, as HTTP servers hand them over.
    headers = {name.title(): value for name, value in signed(BODY).items()}
    assert verify_webhook(SECRET, BODY, headers) == EVENT
    # A rotated secret: the sender signs with both, either verifies.
    both = signed(BODY)
    both["webhook-signature"] += " " + signed(BODY, secret=OTHER_SECRET)["webhook-signature"]
    assert verify_webhook(OTHER_SECRET, BODY, both) == EVENT


def test_a_tampered_body_is_rejected() -> None:
    headers = signed(BODY)
    tampered = BODY.replace('"status":3', '"status":1')
    assert tampered != BODY
    with pytest.raises(WebhookSignatureError) as rejected:
        verify_webhook(SECRET, tampered, headers)
    assert (rejected.value.code, rejected.value.message) == ("INVALID_SIGNATURE", "No matching signature found")


def test_another_secret_or_another_message_id_is_rejected() -> None:
    with pytest.raises(WebhookSignatureError):
        verify_webhook(OTHER_SECRET, BODY, signed(BODY))
    headers = {**signed(BODY), "webhook-id": "msg_2"}
    with pytest.raises(WebhookSignatureError):
        verify_webhook(SECRET, BODY, headers)


def test_a_replayed_delivery_past_the_tolerance_is_rejected() -> None:
    old = signed(BODY, at=datetime.now(UTC) - timedelta(minutes=6))
    with pytest.raises(WebhookSignatureError) as rejected:
        verify_webhook(SECRET, BODY, old)
    assert rejected.value.message == "Message timestamp too old"
    future = signed(BODY, at=datetime.now(UTC) + timedelta(minutes=6))
    with pytest.raises(WebhookSignatureError) as ahead:
        verify_webhook(SECRET, BODY, future)
    assert ahead.value.message == "Message timestamp too new"


@pytest.mark.parametrize(
    "change",
    [
        {"webhook-signature": "garbage"},
        {"webhook-signature": "v1,not base64!"},
        {"webhook-timestamp": "yesterday"},
        {"webhook-id": ""},
    ],
)
def test_malformed_headers_are_rejected_not_crashed(change: dict[str, str]) -> None:
    with pytest.raises(WebhookSignatureError):
        verify_webhook(SECRET, BODY, {**signed(BODY), **change})


def test_missing_headers_are_rejected() -> None:
    with pytest.raises(WebhookSignatureError) as rejected:
        verify_webhook(SECRET, BODY, {})
    assert rejected.value.message == "Missing required headers"
