"""Point account and user points routes (API.md 7): decode, authorize, call one service function, encode."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from openoffers.context import context
from openoffers.kit.envelopes import ok
from openoffers.kit.http import endpoint, read_body
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
from openoffers.tenancy.guards import READ_ROLES, WRITE_ROLES, principal_of, require_api_key
from openoffers.tenancy.service import Principal

Req = Request[Any, Any, Any]
TAGS = ("points",)


def actor_of(principal: Principal) -> str:
    """Who to record in a ledger entry or user offer event."""
    return f"api_key:{principal.key}" if principal.kind == "api_key" else f"pos_client:{principal.client_id}"


@endpoint(
    "/api/2.0/point_accounts/create",
    summary="Create a point account",
    request=CreatePointAccountRequest,
    response=PointAccountOut,
    tags=TAGS,
)
async def create_point_account(request: Req) -> Response[bytes]:
    """A named point account of the retailer (names are unique per retailer, case-insensitively)."""
    principal = await principal_of(request)
    body = await read_body(request, CreatePointAccountRequest)
    require_api_key(principal, body.retailer_id, WRITE_ROLES)
    ctx = context(request)
    return ok(await service.create_account(ctx.db, body, ctx.clock()))


@endpoint(
    "/api/2.0/point_accounts/list",
    summary="List point accounts",
    request=ListPointAccountsRequest,
    response=PointAccountList,
    tags=TAGS,
)
async def list_point_accounts(request: Req) -> Response[bytes]:
    """The retailer's point accounts, the default one first."""
    principal = await principal_of(request)
    body = await read_body(request, ListPointAccountsRequest)
    require_api_key(principal, body.retailer_id, READ_ROLES)
    ctx = context(request)
    return ok(await service.list_accounts(ctx.db, body, ctx.clock()))


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
    principal = await principal_of(request)
    body = await read_body(request, DepositRequest)
    require_api_key(principal, body.retailer_id, WRITE_ROLES)
    ctx = context(request)
    return ok(await service.deposit(ctx.db, body, ctx.clock(), actor_of(principal)))


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
    principal = await principal_of(request)
    body = await read_body(request, SpendRequest)
    require_api_key(principal, body.retailer_id, WRITE_ROLES)
    ctx = context(request)
    return ok(await service.spend(ctx.db, body, ctx.clock(), actor_of(principal)))


@endpoint(
    "/api/2.0/user_points/balances",
    summary="Point balances",
    request=BalancesRequest,
    response=BalancesOut,
    tags=TAGS,
)
async def point_balances(request: Req) -> Response[bytes]:
    """The user's available and lifetime balance in every account of the retailer."""
    principal = await principal_of(request)
    body = await read_body(request, BalancesRequest)
    require_api_key(principal, body.retailer_id, READ_ROLES)
    ctx = context(request)
    return ok(await service.balances(ctx.db, body, ctx.clock()))


@endpoint(
    "/api/2.0/user_points/history",
    summary="Point history",
    request=PointsHistoryRequest,
    response=PointsHistoryOut,
    tags=TAGS,
)
async def point_history(request: Req) -> Response[bytes]:
    """The user's ledger entries, newest first, optionally for one account; paged."""
    principal = await principal_of(request)
    body = await read_body(request, PointsHistoryRequest)
    require_api_key(principal, body.retailer_id, READ_ROLES)
    return ok(await service.history(context(request).db, body))


ROUTES = [create_point_account, list_point_accounts, deposit_points, spend_points, point_balances, point_history]
