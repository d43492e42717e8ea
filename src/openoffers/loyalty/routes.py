"""Point account, user points, reward store and users/create routes (API.md 4, 7): decode, authorize, call one
service function, encode."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from openoffers.kit.envelopes import ok
from openoffers.kit.http import endpoint
from openoffers.loyalty import incentives, reward_store, service
from openoffers.loyalty.schemas import (
    AllBalancesOut,
    AllBalancesRequest,
    BalancesOut,
    BalancesRequest,
    CreatePointAccountRequest,
    DepositRequest,
    ListPointAccountsRequest,
    PointAccountList,
    PointAccountOut,
    PointsChangeResult,
    PointsHistoryOut,
    PointsHistoryRequest,
    SpendMultipleOut,
    SpendMultipleRequest,
    SpendRequest,
    UserRewardStoresOut,
    UserRewardStoresRequest,
)
from openoffers.tenancy.guards import ADMIN_ROLES, READ_ROLES, WRITE_ROLES, offers_call
from openoffers.wallet.schemas import (
    CreateUserRequest,
    PurchaseRequest,
    PurchaseResult,
    RewardStoreList,
    RewardStoreRequest,
    UserOut,
)

Req = Request[Any, Any, Any]
TAGS = ("points",)


@endpoint(
    "/api/2.0/point_accounts/create",
    summary="Create a point account",
    request=CreatePointAccountRequest,
    response=PointAccountOut,
    tags=TAGS,
)
async def create_point_account(request: Req) -> Response[bytes]:
    """A named point account of the retailer (names are unique per retailer, case-insensitively)."""
    call = await offers_call(request, CreatePointAccountRequest, ADMIN_ROLES)
    return ok(await service.create_account(call.db, call.body, call.now))


@endpoint(
    "/api/2.0/point_accounts/list",
    summary="List point accounts",
    request=ListPointAccountsRequest,
    response=PointAccountList,
    tags=TAGS,
)
async def list_point_accounts(request: Req) -> Response[bytes]:
    """The retailer's point accounts, the default one first."""
    call = await offers_call(request, ListPointAccountsRequest, READ_ROLES)
    return ok(await service.list_accounts(call.db, call.body, call.now))


@endpoint(
    "/api/2.0/user_points/deposit",
    summary="Deposit points",
    request=DepositRequest,
    response=PointsChangeResult,
    tags=TAGS,
)
async def deposit_points(request: Req) -> Response[bytes]:
    """Adds points to a user's account (the default one unless named). A repeated `reference_id` is
    applied once: the repeat answers the current balance with `applied: false`."""
    call = await offers_call(request, DepositRequest, ADMIN_ROLES)
    return ok(await service.deposit(call.db, call.body, call.now, call.actor))


@endpoint(
    "/api/2.0/user_points/spend",
    summary="Spend points",
    request=SpendRequest,
    response=PointsChangeResult,
    tags=TAGS,
)
async def spend_points(request: Req) -> Response[bytes]:
    """Takes points from a user's available balance; never below zero (409 CONFLICT, reason
    INSUFFICIENT_POINTS, and nothing changes)."""
    call = await offers_call(request, SpendRequest, ADMIN_ROLES)
    return ok(await service.spend(call.db, call.body, call.now, call.actor))


@endpoint(
    "/api/2.0/user_points/balances",
    summary="Point balances",
    request=BalancesRequest,
    response=BalancesOut,
    tags=TAGS,
)
async def point_balances(request: Req) -> Response[bytes]:
    """The user's available and lifetime balance in every account of the retailer."""
    call = await offers_call(request, BalancesRequest, READ_ROLES)
    return ok(await service.balances(call.db, call.body, call.now))


@endpoint(
    "/api/2.0/user_points/history",
    summary="Point history",
    request=PointsHistoryRequest,
    response=PointsHistoryOut,
    tags=TAGS,
)
async def point_history(request: Req) -> Response[bytes]:
    """The user's ledger entries, newest first, optionally for one account; paged."""
    call = await offers_call(request, PointsHistoryRequest, READ_ROLES)
    return ok(await service.history(call.db, call.body))


@endpoint(
    "/api/2.0/users/create", summary="Create a user", request=CreateUserRequest, response=UserOut, tags=("users",)
)
async def create_user(request: Req) -> Response[bytes]:
    """A customer of the retailer. `user_id` may be given (imports keep their ids); `external_customer_id`
    is unique per retailer; email and phone are matched case-insensitively and by digits."""
    call = await offers_call(request, CreateUserRequest, ADMIN_ROLES)
    return ok(await service.create_user(call.db, call.body, call.now))


@endpoint(
    "/api/2.0/offers/rewardstores/get_reward_store_offers",
    summary="Reward store offers",
    request=RewardStoreRequest,
    response=RewardStoreList,
    tags=("wallet",),
)
async def get_reward_store_offers(request: Req) -> Response[bytes]:
    """Published reward store offers that can be bought now, with their points cost and inventory."""
    call = await offers_call(request, RewardStoreRequest, READ_ROLES)
    return ok(await reward_store.reward_store_offers(call.db, call.body, call.now))


@endpoint(
    "/api/2.0/offers/rewardstores/purchase_offer",
    summary="Buy a reward store offer",
    request=PurchaseRequest,
    response=PurchaseResult,
    tags=("wallet",),
)
async def purchase_offer(request: Req) -> Response[bytes]:
    """Spends the points and issues the user offers together, or neither: a refusal is 409 CONFLICT with
    a `reason` (INSUFFICIENT_POINTS, INVENTORY_EXHAUSTED, PER_CUSTOMER_LIMIT, ...)."""
    call = await offers_call(request, PurchaseRequest, WRITE_ROLES)
    return ok(await reward_store.purchase(call.db, call.body, call.now, call.actor))


@endpoint(
    "/api/2.0/user_points/all_balances",
    summary="Point balances (SessionM's shape)",
    request=AllBalancesRequest,
    response=AllBalancesOut,
    tags=TAGS,
)
async def all_balances(request: Req) -> Response[bytes]:
    """user_points/balances in the shape public SessionM clients read (`/incentives/api/1.0/...`): a
    `summary` (`total_points` available now, `life_time_points`) and one `details` entry per account."""
    call = await offers_call(request, AllBalancesRequest, READ_ROLES)
    return ok(await incentives.all_balances(call.db, call.body, call.now))


@endpoint(
    "/api/2.0/user_points/spend_multiple",
    summary="Spend points, several at once (SessionM's shape)",
    request=SpendMultipleRequest,
    response=SpendMultipleOut,
    tags=TAGS,
)
async def spend_multiple(request: Req) -> Response[bytes]:
    """Each `spend_details` entry from the first of its `point_account_ids` that covers it (the default
    account when none is named), in `rank` order, in one transaction; whole points only, never below
    zero. A spend that cannot be covered is 409 INSUFFICIENT_POINTS for the whole request (nothing
    changes), or with `allow_partial_success` reported in its detail (`error_status` 1). A non-empty
    `idempotency_id` is applied once."""
    call = await offers_call(request, SpendMultipleRequest, ADMIN_ROLES)
    return ok(await incentives.spend_multiple(call.db, call.body, call.now, call.actor))


@endpoint(
    "/api/2.0/offers/rewardstores/get_user_reward_stores",
    summary="The reward stores of a user",
    request=UserRewardStoresRequest,
    response=UserRewardStoresOut,
    tags=("wallet",),
)
async def get_user_reward_stores(request: Req) -> Response[bytes]:
    """The reward stores the user may buy in (one per retailer, open to all) with a page of their offers;
    with `include_point_balances`, the user's balances in all_balances' shape."""
    call = await offers_call(request, UserRewardStoresRequest, READ_ROLES)
    return ok(await reward_store.user_reward_stores(call.db, call.body, call.now))


ROUTES = [
    create_user,
    get_reward_store_offers,
    purchase_offer,
    create_point_account,
    list_point_accounts,
    deposit_points,
    spend_points,
    point_balances,
    point_history,
    all_balances,
    spend_multiple,
    get_user_reward_stores,
]
