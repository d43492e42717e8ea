"""kit.envelopes and kit.errors: the two success families and the one error envelope."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from litestar import Litestar, post
from litestar.exceptions import HTTPException

from openoffers.kit import errors
from openoffers.kit.envelopes import (
    error_body,
    handle_domain_error,
    handle_http_error,
    handle_unexpected,
    ok,
    pos_ok,
)
from openoffers.kit.errors import DomainError
from tests.conftest import asgi_transport


def test_offers_success_envelope() -> None:
    response = ok({"offer_id": "x", "n": 1})
    assert response.status_code == 200
    assert response.media_type == "application/json"
    assert json.loads(response.content) == {"status": "ok", "payload": {"offer_id": "x", "n": 1}}


def test_pos_success_envelope_and_lookups_word() -> None:
    assert json.loads(pos_ok(None).content) == {"status": "OK", "payload": None, "errors": None}
    assert json.loads(pos_ok([1], word="success").content) == {"status": "success", "payload": [1], "errors": None}


def test_error_body_with_fields_and_reason() -> None:
    error = errors.ValidationFailed.field("items[0].quantity", "Expected `int`, got `str`")
    assert json.loads(error_body(error)) == {
        "status": "error",
        "payload": None,
        "errors": {
            "code": "VALIDATION",
            "message": "items[0].quantity: Expected `int`, got `str`",
            "fields": {"items[0].quantity": ["Expected `int`, got `str`"]},
        },
    }
    redeem = errors.OfferNotRedeemable("not redeemable", reason="EXPIRED")
    assert json.loads(error_body(redeem))["errors"] == {
        "code": "OFFER_NOT_REDEEMABLE",
        "message": "not redeemable",
        "reason": "EXPIRED",
    }


@pytest.mark.parametrize(
    ("cls", "code", "status"),
    [
        (errors.ValidationFailed, "VALIDATION", 400),
        (errors.MissingData, "MISSING_DATA", 400),
        (errors.InvalidApiKey, "INVALID_API_KEY", 401),
        (errors.AccessDenied, "ACCESS_DENIED", 403),
        (errors.NotFound, "NOT_FOUND", 404),
        (errors.UserNotFound, "USER_NOT_FOUND", 404),
        (errors.OfferNotFound, "OFFER_NOT_FOUND", 404),
        (errors.Conflict, "CONFLICT", 409),
        (errors.IdempotencyKeyReused, "IDEMPOTENCY_KEY_REUSED", 409),
        (errors.PendingProcessing, "PENDING_PROCESSING", 409),
        (errors.AlreadyLocked, "ALREADY_LOCKED", 409),
        (errors.TransactionClosed, "TRANSACTION_CLOSED", 409),
        (errors.OfferNotRedeemable, "OFFER_NOT_REDEEMABLE", 422),
        (errors.DiscountMismatch, "DISCOUNT_MISMATCH", 422),
        (errors.PayloadTooLarge, "PAYLOAD_TOO_LARGE", 413),
        (errors.RateLimited, "RATE_LIMITED", 429),
    ],
)
def test_error_codes_and_statuses(cls: type[DomainError], code: str, status: int) -> None:
    error = cls("something")
    assert (error.code, error.status) == (code, status)


@post("/domain")
async def raise_domain() -> None:
    raise errors.Conflict("taken", fields={"id": ["already exists"]})


@post("/http")
async def raise_http() -> None:
    raise HTTPException(status_code=429, detail="slow down")


@post("/teapot")
async def raise_teapot() -> None:
    raise HTTPException(status_code=418, detail="short and stout")


@post("/bug")
async def raise_bug() -> None:
    raise RuntimeError("SELECT secret FROM api_keys -- internal detail")


@pytest.fixture
async def tiny() -> Any:
    app = Litestar(
        route_handlers=[raise_domain, raise_http, raise_teapot, raise_bug],
        exception_handlers={
            DomainError: handle_domain_error,
            HTTPException: handle_http_error,
            Exception: handle_unexpected,
        },
        debug=False,
    )
    async with httpx.AsyncClient(transport=asgi_transport(app), base_url="http://t") as client:
        yield client


async def test_domain_errors_render_in_the_envelope(tiny: httpx.AsyncClient) -> None:
    response = await tiny.post("/domain")
    assert response.status_code == 409
    assert response.json() == {
        "status": "error",
        "payload": None,
        "errors": {"code": "CONFLICT", "message": "taken", "fields": {"id": ["already exists"]}},
    }


async def test_framework_errors_render_in_the_envelope(tiny: httpx.AsyncClient) -> None:
    response = await tiny.post("/http")
    assert response.status_code == 429
    assert response.json()["errors"] == {"code": "RATE_LIMITED", "message": "slow down"}
    response = await tiny.post("/teapot")
    assert response.status_code == 418
    assert response.json()["errors"] == {"code": "VALIDATION", "message": "short and stout"}
    response = await tiny.post("/nowhere")
    assert response.status_code == 404
    assert response.json()["errors"] == {"code": "NOT_FOUND", "message": "no such endpoint"}
    response = await tiny.get("/domain")
    assert (response.status_code, response.headers["allow"]) == (405, "POST, OPTIONS")
    assert response.json()["errors"] == {
        "code": "METHOD_NOT_ALLOWED",
        "message": "method not allowed for this endpoint",
    }


async def test_a_bug_is_logged_with_its_trace_and_answered_without_it(
    tiny: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="openoffers.errors"):
        response = await tiny.post("/bug")
    assert response.status_code == 500
    assert response.json() == {
        "status": "error",
        "payload": None,
        "errors": {"code": "INTERNAL_SERVER_ERROR", "message": "internal error; it has been logged"},
    }
    assert "SELECT" not in response.text
    assert "Traceback" not in response.text
    [record] = [r for r in caplog.records if r.name == "openoffers.errors"]
    assert record.getMessage() == "unhandled error on POST /bug"
    assert record.exc_info is not None
