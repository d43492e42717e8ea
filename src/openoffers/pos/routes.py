"""POS API routes (API.md section 5): decode the envelope, call one service function, send its bytes.

POS bodies get one repair the Offers API does not: when a body is not valid JSON only because of
mismatched brackets (the guide's own send_transaction sample ends `}}]`), the mended body is decoded
(kit/jsonrepair.py). A body that is merely cut short stays a VALIDATION error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from litestar import Request, Response
from litestar.handlers import HTTPRouteHandler

from openoffers.checks.schemas import Transaction
from openoffers.context import context
from openoffers.kit import wire
from openoffers.kit.db import Database
from openoffers.kit.envelopes import ok, raw_json
from openoffers.kit.errors import ValidationFailed
from openoffers.kit.http import endpoint
from openoffers.kit.jsonrepair import repair_brackets
from openoffers.loyalty import service as loyalty
from openoffers.pos import service
from openoffers.pos.schemas import (
    ClaimCode,
    ClaimCodeRequest,
    DiscountOut,
    LockPayload,
    LookupPayload,
    LookupUser,
    PosEnvelope,
    UserOfferAction,
)
from openoffers.settings import Settings
from openoffers.tenancy.guards import READ_ROLES, WRITE_ROLES, offers_call, principal_of
from openoffers.tenancy.service import authenticate, parse_basic
from openoffers.wallet.schemas import WalletOut, WalletRequest

Req = Request[Any, Any, Any]
T = TypeVar("T")
TAGS = ("pos",)

ServiceCall = Callable[[Database, Settings, service.PosCall[Any], datetime], Awaitable[bytes]]


def decode_pos_body(body: bytes, target: type[T]) -> T:
    try:
        return wire.decode(body, target)
    except ValidationFailed as error:
        if error.fields.get("body") != ["malformed JSON"]:
            raise
        mended = repair_brackets(body)
        if mended is None:
            raise
        return wire.decode(mended, target)


def is_pos_envelope(body: bytes) -> bool:
    """Whether a body is a POS envelope (it has `request_payload`), for paths both families share."""
    if b'"request_payload"' not in body:
        return False
    try:
        decoded = wire.decode(body, dict[str, Any])
    except ValidationFailed:
        mended = repair_brackets(body)
        if mended is None:
            return False
        try:
            decoded = wire.decode(mended, dict[str, Any])
        except ValidationFailed:
            return False
    return "request_payload" in decoded


async def _raw_body(request: Req, db: Database, authorization: str | None) -> bytes:
    try:
        return await request.body()
    except Exception:
        # Credentials are answered before the body: a wrong secret stays 401 when the body cannot be
        # read (too large, cut off). Rare, so it may take a transaction of its own.
        await authenticate(db, authorization)
        raise


async def _answer(request: Req, target: type[Any], call: ServiceCall) -> Response[bytes]:
    """The service authenticates inside its own transaction (ARCHITECTURE.md rule 9: one connection and
    BEGIN per call); a missing or malformed header is refused here, before the body is read."""
    ctx = context(request)
    authorization = request.headers.get("authorization")
    parse_basic(authorization)
    body = await _raw_body(request, ctx.db, authorization)
    pos_call = service.PosCall(authorization, lambda: decode_pos_body(body, target))
    return raw_json(await call(ctx.db, ctx.settings, pos_call, ctx.clock()))


async def lookup_response(request: Req) -> Response[bytes]:
    """Lookup; also what `api/2.0/offers/get_user_offers` answers when it is given a POS envelope."""
    return await _answer(request, PosEnvelope[LookupPayload], service.lookup)


LOOKUP_DOC = """The customer (by `external_customer_id`, `user_id`, `email` or `phone`) with profile, points,
point `accounts` and `offers`. Without a `transaction`: the redeemable wallet (status INFO, amount 0; offers on
a check LOCKED). With one (SessionM's User Lookup: "only catalog and store restrictions are checked"): the offers
whose store and catalog restrictions pass, each with its computed amount and lines; one that fails another
restriction has amount 0, its `reason` and what the check lacks (`missing_amount`, `missing_quantity`,
`missing_items`). Answers `"status": "success"` as the guide shows."""


@endpoint(
    "/api/2.0/lookup",
    summary="Look a customer up",
    request=PosEnvelope[LookupPayload],
    response=list[LookupUser],
    family="pos",
    description=LOOKUP_DOC,
    tags=TAGS,
)
async def lookup(request: Req) -> Response[bytes]:
    return await lookup_response(request)


LOCK_DOC = """Lock a user offer (`offer_lookup_type` `userofferid` or `ttlcode`) against the open check; answers the
discount object with status LOCKED, its amount and lines. Locking again on the same `transaction_id` recomputes;
another transaction gets ALREADY_LOCKED until the lock expires (OPENOFFERS_LOCK_TTL_SECONDS). Refusals:
OFFER_NOT_REDEEMABLE with a `reason`. Idempotent by `request_id`."""

REDEEM_DOC = """Lock and redeem in one call (same body as Lock); answers the discount object with status REDEEMED.
Idempotent by `request_id`."""

UNLOCK_DOC = """A locked offer back to the wallet. With `transaction_id`, only that check's lock is released.
Idempotent by `request_id`."""

REINSTATE_DOC = """A redeemed offer back to Issued. Idempotent by `request_id`."""

SEND_DOC = """The check. Open (`is_closed` false): stored. Closed: its `sessionm` discounts are redeemed, each up to
what its offer allows (DISCOUNT_MISMATCH otherwise, nothing changes), its other locks released, the customer
earns. The same closed check again is a no-op; with other content it is TRANSACTION_CLOSED; `is_voided`
reverses it. Idempotent by `request_id`."""


def _pos_route(
    path: str,
    summary: str,
    target: type[Any],
    response: type[Any] | None,
    call: ServiceCall,
    doc: str,
    methods: tuple[str, ...] = ("POST",),
) -> HTTPRouteHandler:
    async def handler(request: Req) -> Response[bytes]:
        return await _answer(request, target, call)

    handler.__name__ = "pos_" + path.rsplit("/", 1)[-1] + str(len(path))
    return endpoint(
        path,
        summary=summary,
        request=target,
        response=response,
        family="pos",
        methods=methods,
        description=doc,
        tags=TAGS,
    )(handler)


LOCK_ROUTES = [
    _pos_route(p, "Lock a user offer", PosEnvelope[LockPayload], DiscountOut, service.lock, LOCK_DOC, ("POST", "PATCH"))
    for p in ("/api/2.0/lock", "/api/2.0/offers/redemption/lock")
]
SEND_ROUTES = [
    _pos_route(p, "Send a check", PosEnvelope[Transaction], None, service.send_transaction, SEND_DOC)
    for p in ("/api/2.0/send_transaction", "/api/2.0/offers/send_transaction")
]
redeem = _pos_route(
    "/api/2.0/redeem", "Redeem a user offer now", PosEnvelope[LockPayload], DiscountOut, service.redeem, REDEEM_DOC
)
unlock = _pos_route(
    "/api/2.0/unlock", "Unlock a user offer", PosEnvelope[UserOfferAction], DiscountOut, service.unlock, UNLOCK_DOC
)
reinstate = _pos_route(
    "/api/2.0/reinstate",
    "Reinstate a redeemed user offer",
    PosEnvelope[UserOfferAction],
    DiscountOut,
    service.reinstate,
    REINSTATE_DOC,
)


@endpoint(
    "/api/2.0/offers/claim_code",
    summary="A short code for a user offer",
    request=ClaimCodeRequest,
    response=ClaimCode,
    tags=("wallet",),
)
async def claim_code(request: Req) -> Response[bytes]:
    """An 8-character code (no look-alike characters) that the customer's app shows and the POS locks with
    `offer_lookup_type: "ttlcode"`; it expires after OPENOFFERS_CLAIM_CODE_TTL_SECONDS (10 minutes)."""
    call = await offers_call(request, ClaimCodeRequest, WRITE_ROLES)
    return ok(await service.claim_code(call.db, call.ctx.settings, call.body, call.now))


@endpoint(
    "/api/2.0/offers/get_user_offers",
    summary="A user's wallet",
    request=WalletRequest,
    response=WalletOut,
    tags=("wallet",),
)
async def get_user_offers(request: Req) -> Response[bytes]:
    """Redeemable user offers (Issued inside their window, Locked), newest first, localised by `culture`,
    with the user's point totals. Given a POS envelope (with `request_payload`) it answers as Lookup, since
    the guide lists this URI for the Lookup call."""
    body = await request.body()
    # Credentials before any parsing: the byte search is not a parse, the sniff below is.
    if b'"request_payload"' in body:
        await principal_of(request)
        if is_pos_envelope(body):
            return await lookup_response(request)
    call = await offers_call(request, WalletRequest, READ_ROLES)
    return ok(await loyalty.get_user_offers(call.db, call.body, call.now))


ROUTES = [lookup, get_user_offers, *LOCK_ROUTES, redeem, unlock, reinstate, *SEND_ROUTES, claim_code]
