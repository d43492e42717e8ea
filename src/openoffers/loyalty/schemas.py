"""Wire structs of point accounts and user points (API.md section 7). Points are whole numbers."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from msgspec import Meta, Struct

from openoffers.kit.wire import Skip, Take

Points = Annotated[int, Meta(ge=1, le=1_000_000_000)]
Label = Annotated[str, Meta(max_length=200)]


class CreatePointAccountRequest(Struct, kw_only=True):
    retailer_id: UUID
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    grouping_label: Label = ""


class ListPointAccountsRequest(Struct, kw_only=True):
    retailer_id: UUID
    skip: Skip = 0
    take: Take = 50


class PointAccountOut(Struct, kw_only=True):
    point_account_id: UUID
    name: str
    grouping_label: str
    is_default: bool
    created_at: str


class PointAccountList(Struct, kw_only=True):
    total_records: int
    results: list[PointAccountOut]


class SpendRequest(Struct, kw_only=True):
    retailer_id: UUID
    user_id: UUID
    amount: Points
    point_account_id: UUID | None = None  # default: the retailer's default account
    reason: Annotated[str, Meta(max_length=500)] = ""
    # The same reference_id is applied once: a repeat answers the balance with `applied: false`.
    reference_id: Annotated[str, Meta(min_length=1, max_length=200)] | None = None


class DepositRequest(SpendRequest, kw_only=True):
    # earn counts toward lifetime points; adjust (a correction or goodwill credit) does not.
    kind: Literal["earn", "adjust"] = "earn"


class PointsChangeResult(Struct, kw_only=True):
    user_id: UUID
    point_account_id: UUID
    entry_id: int
    applied: bool
    available_balance: int
    lifetime_value: int


class BalancesRequest(Struct, kw_only=True):
    retailer_id: UUID
    user_id: UUID


class BalanceOut(Struct, kw_only=True):
    point_account_id: UUID
    user_point_account_id: UUID | None  # None until the user's first entry in that account
    name: str
    grouping_label: str
    available_balance: int
    lifetime_value: int


class BalancesOut(Struct, kw_only=True):
    user_id: UUID
    available_points: int
    lifetime_points: int
    accounts: list[BalanceOut]


class PointsHistoryRequest(Struct, kw_only=True):
    retailer_id: UUID
    user_id: UUID
    point_account_id: UUID | None = None
    skip: Skip = 0
    take: Take = 50


class LedgerEntryOut(Struct, kw_only=True):
    entry_id: int
    point_account_id: UUID
    kind: str
    amount: int
    available_delta: int
    lifetime_delta: int
    reason: str
    reference_id: str | None
    actor: str
    at: str
    detail: dict[str, Any]


class PointsHistoryOut(Struct, kw_only=True):
    total_records: int
    results: list[LedgerEntryOut]
