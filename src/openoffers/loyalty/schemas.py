"""Wire structs of point accounts and user points (API.md section 7). Points are whole numbers."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from msgspec import Meta, Struct

from openoffers.kit.wire import Skip, Take
from openoffers.wallet.schemas import RewardStoreOffer

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


# The Incentives service's calls, as the public .NET client `DOTNET-RWS-LBE-Transaction` sends and reads
# them (`/incentives/api/1.0/user_points/all_balances` and `.../spend_multiple`).

Culture = Annotated[str, Meta(max_length=35)]
Text = Annotated[str, Meta(max_length=200)]


class AllBalancesRequest(Struct, kw_only=True):
    retailer_id: UUID
    user_id: UUID
    culture: Culture | None = None


class BalanceSummaryOut(Struct, kw_only=True):
    total_points: int  # available now, every account together
    life_time_points: int


class BalanceDetailOut(Struct, kw_only=True):
    account_name: str
    user_point_account_id: UUID | None  # None until the user's first entry in that account
    point_account_id: UUID
    grouping_label: str
    available_balance: int
    life_time_value: int


class AllBalancesOut(Struct, kw_only=True):
    retailer_id: UUID
    user_id: UUID
    summary: BalanceSummaryOut
    details: list[BalanceDetailOut]


class SpendDetailIn(Struct, kw_only=True):
    """One spend. Points are whole: `amount` is a JSON number (the client sends a double) that must be a
    whole number of points. The empty strings a .NET client sends for fields it has no value for are
    accepted; `timestamp`, `overdraft_*`, `point_source_id` and `id` are kept in the ledger entry only."""

    amount: Decimal
    point_account_ids: Annotated[list[UUID], Meta(max_length=20)] = []
    id: Text = ""
    timestamp: Text = ""
    overdraft_id: Text = ""
    overdraft_timestamp: Text = ""
    reference_id: Text = ""
    reference_type: Text = ""
    transaction_id: Text = ""
    force_spend: bool = False  # accepted; a balance never goes below zero
    rank: Annotated[int, Meta(ge=-1_000_000, le=1_000_000)] = 0  # spends run in rank order
    is_return: bool = False  # true is refused: a return credits points, which `deposit` does
    idempotency_id: Text = ""  # non-empty: applied once (a repeat answers the first spend)
    point_source_id: Text = ""


class SpendMultipleRequest(Struct, kw_only=True):
    retailer_id: UUID
    user_id: UUID
    spend_details: Annotated[list[SpendDetailIn], Meta(min_length=1, max_length=100)]
    culture: Culture | None = None
    # true: a spend the balance cannot cover is reported in its detail and the others still happen;
    # false: any such spend refuses the whole request (409 INSUFFICIENT_POINTS) and nothing changes.
    allow_partial_success: bool = False
    disable_event_publishing: bool = False  # accepted; nothing is published
    parallel_mode: bool = False  # accepted; spends run one after another in one transaction


class SpendDetailOut(Struct, kw_only=True):
    account_name: str
    user_point_account_id: UUID | None
    point_account_id: UUID
    amount_spent: int
    remaining_balance: int
    reference_id: str
    reference_type: str
    tracking_id: str | None  # the ledger entry id
    idempotency_id: str
    error_status: int  # 0 spent (or spent before, see idempotency_summary), 1 not enough points
    retailer_id: UUID
    user_id: UUID
    point_source_id: str
    idempotency_summary: str | None  # "applied" or "already_applied" when an idempotency_id was given
    message: str | None


class SpendSummaryOut(Struct, kw_only=True):
    amount_spent: int
    remaining_balance: int  # available now, every account together


class SpendAuditOut(Struct, kw_only=True):
    id: str
    retailer_id: UUID
    user_id: UUID
    account_name: str
    point_account_id: UUID
    user_point_account_id: UUID | None
    modification: int
    amount_spent: int
    modification_type: str
    time_of_occurrence: str
    transaction_id: str
    idempotency_id: str


class SpendMultipleOut(Struct, kw_only=True):
    details: list[SpendDetailOut]
    retailer_id: UUID
    user_id: UUID
    summary: SpendSummaryOut
    audits: list[SpendAuditOut]
    time_of_occurrence: str


class UserRewardStoresRequest(Struct, kw_only=True):
    """rewardstores/get_user_reward_stores (SessionM's reward store use case: the stores a customer may buy
    in, optionally with their point balances)."""

    retailer_id: UUID
    user_id: UUID
    culture: Culture | None = None
    include_point_balances: bool = False
    skip: Skip = 0  # a page of each store's offers
    take: Take = 50


class RewardStoreOut(Struct, kw_only=True):
    id: UUID
    name: str
    total_records: int  # offers in the store
    offers: list[RewardStoreOffer]


class UserRewardStoresOut(Struct, kw_only=True):
    user_id: UUID
    reward_stores: list[RewardStoreOut]
    point_balances: AllBalancesOut | None  # with include_point_balances
