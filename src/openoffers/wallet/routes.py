"""Users, issuance, wallet, history and reward store routes (API.md 4): decode, authorize, call one
service function, encode."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from openoffers.kit.envelopes import ok
from openoffers.kit.http import endpoint
from openoffers.pos.routes import is_pos_envelope, lookup_response
from openoffers.tenancy.guards import READ_ROLES, WRITE_ROLES, offers_call, principal_of
from openoffers.wallet import history, service, store
from openoffers.wallet.schemas import (
    CreateUserRequest,
    GetUserRequest,
    HistoryOut,
    HistoryRequest,
    IssueRequest,
    IssueResult,
    PurchaseRequest,
    PurchaseResult,
    RevokeRequest,
    RewardStoreList,
    RewardStoreRequest,
    UpdateUserRequest,
    UserOfferDetail,
    UserOfferOut,
    UserOfferRequest,
    UserOut,
    WalletOut,
    WalletRequest,
)

Req = Request[Any, Any, Any]
USERS = ("users",)
WALLET = ("wallet",)


@endpoint("/api/2.0/users/create", summary="Create a user", request=CreateUserRequest, response=UserOut, tags=USERS)
async def create_user(request: Req) -> Response[bytes]:
    """A customer of the retailer. `user_id` may be given (imports keep their ids); `external_customer_id`
    is unique per retailer; email and phone are matched case-insensitively and by digits."""
    call = await offers_call(request, CreateUserRequest, WRITE_ROLES)
    return ok(await service.create_user(call.db, call.body, call.now))


@endpoint("/api/2.0/users/update", summary="Update a user", request=UpdateUserRequest, response=UserOut, tags=USERS)
async def update_user(request: Req) -> Response[bytes]:
    """Changes the fields sent (null clears an optional one); `profile_fields` is replaced whole."""
    call = await offers_call(request, UpdateUserRequest, WRITE_ROLES)
    return ok(await service.update_user(call.db, call.body, call.now))


@endpoint("/api/2.0/users/get", summary="Get a user", request=GetUserRequest, response=UserOut, tags=USERS)
async def get_user(request: Req) -> Response[bytes]:
    """By `user_id`, `external_customer_id`, `email` or `phone` (the first given, in that order)."""
    call = await offers_call(request, GetUserRequest, READ_ROLES)
    return ok(await service.get_user(call.db, call.body))


@endpoint(
    "/api/2.0/offers/acquisition/issue",
    summary="Issue an offer to a user",
    request=IssueRequest,
    response=IssueResult,
    tags=WALLET,
)
async def issue_user_offer(request: Req) -> Response[bytes]:
    """One `status_list` entry per copy: its `user_offer_id`, or a `fail_reason` (OFFER_NOT_PUBLISHED,
    ACQUISITION_NOT_STARTED, ACQUISITION_ENDED, INVENTORY_EXHAUSTED, PER_CUSTOMER_LIMIT, FREQUENCY_LIMIT)."""
    call = await offers_call(request, IssueRequest, WRITE_ROLES)
    return ok(await service.issue(call.db, call.body, call.now, call.actor))


@endpoint(
    "/api/2.0/offers/acquisition/revoke",
    summary="Revoke a user offer",
    request=RevokeRequest,
    response=UserOfferOut,
    tags=WALLET,
)
async def revoke_user_offer(request: Req) -> Response[bytes]:
    """Issued or Locked -> Revoked (5), recorded with the reason. Repeating it changes nothing."""
    call = await offers_call(request, RevokeRequest, WRITE_ROLES)
    return ok(await service.revoke(call.db, call.body, call.now, call.actor))


@endpoint(
    "/api/2.0/offers/get_user_offers",
    summary="A user's wallet",
    request=WalletRequest,
    response=WalletOut,
    tags=WALLET,
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
    return ok(await history.get_user_offers(call.db, call.body, call.now))


@endpoint(
    "/api/2.0/offers/get_user_offer",
    summary="One user offer with its events",
    request=UserOfferRequest,
    response=UserOfferDetail,
    tags=WALLET,
)
async def get_user_offer(request: Req) -> Response[bytes]:
    """Any status, with every event of its history (issued, locked, redeemed, expired, revoked...)."""
    call = await offers_call(request, UserOfferRequest, READ_ROLES)
    return ok(await history.get_user_offer(call.db, call.body, call.now))


@endpoint(
    "/api/2.0/offers/user_offer_history",
    summary="User offer history",
    request=HistoryRequest,
    response=HistoryOut,
    tags=WALLET,
)
async def user_offer_history(request: Req) -> Response[bytes]:
    """The guide's shape: every user offer of the users, newest first, paged. `rollback_option` 0 all,
    1 without those reinstated or voided, 2 only those."""
    call = await offers_call(request, HistoryRequest, READ_ROLES)
    return ok(await history.user_offer_history(call.db, call.body, call.now))


@endpoint(
    "/api/2.0/offers/rewardstores/get_reward_store_offers",
    summary="Reward store offers",
    request=RewardStoreRequest,
    response=RewardStoreList,
    tags=WALLET,
)
async def get_reward_store_offers(request: Req) -> Response[bytes]:
    """Published reward store offers that can be bought now, with their points cost and inventory."""
    call = await offers_call(request, RewardStoreRequest, READ_ROLES)
    return ok(await store.reward_store_offers(call.db, call.body, call.now))


@endpoint(
    "/api/2.0/offers/rewardstores/purchase_offer",
    summary="Buy a reward store offer",
    request=PurchaseRequest,
    response=PurchaseResult,
    tags=WALLET,
)
async def purchase_offer(request: Req) -> Response[bytes]:
    """Spends the points and issues the user offers together, or neither: a refusal is 409 CONFLICT with
    a `reason` (INSUFFICIENT_POINTS, INVENTORY_EXHAUSTED, PER_CUSTOMER_LIMIT, ...)."""
    call = await offers_call(request, PurchaseRequest, WRITE_ROLES)
    return ok(await store.purchase(call.db, call.body, call.now, call.actor))


ROUTES = [
    create_user,
    update_user,
    get_user,
    issue_user_offer,
    revoke_user_offer,
    get_user_offers,
    get_user_offer,
    user_offer_history,
    get_reward_store_offers,
    purchase_offer,
]
