"""Point account and user points routes (API.md 7): decode, authorize, call one service function, encode."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from openoffers.kit.envelopes import ok
from openoffers.kit.http import endpoint
from openoffers.loyalty import service
from openoffers.loyalty.schemas import (
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
    SpendRequest,
)
from openoffers.tenancy.guards import READ_ROLES, WRITE_ROLES, offers_call

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
    call = await offers_call(request, CreatePointAccountRequest, WRITE_ROLES)
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
    call = await offers_call(request, DepositRequest, WRITE_ROLES)
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
    call = await offers_call(request, SpendRequest, WRITE_ROLES)
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


ROUTES = [create_point_account, list_point_accounts, deposit_points, spend_points, point_balances, point_history]
