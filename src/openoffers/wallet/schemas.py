"""Wire structs of users, issuance, wallets, history and the reward store (API.md section 4).

`user_offer_history` answers exactly the partner guide's shape, field for field and in its order.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from msgspec import UNSET, Meta, Struct, UnsetType

from openoffers.kit.wire import Skip, Take

Name = Annotated[str, Meta(max_length=200)]
ExternalId = Annotated[str, Meta(min_length=1, max_length=100)]
Email = Annotated[str, Meta(pattern=r"^\s*[^@\s]+@[^@\s]+\s*$", max_length=320)]
# Digits with the usual separators; look-ups compare the digits only.
Phone = Annotated[str, Meta(pattern=r"^[\s\d+().\-/]*\d[\s\d+().\-/]*$", max_length=50)]
CultureName = Annotated[str, Meta(max_length=35)]
Reason = Annotated[str, Meta(max_length=500)]
Quantity = Annotated[int, Meta(ge=1, le=100)]
ProfileFields = dict[str, Any]


# Users


class CreateUserRequest(Struct, kw_only=True):
    retailer_id: UUID
    user_id: UUID | None = None  # imports from another platform keep their ids
    external_customer_id: ExternalId | None = None
    first_name: Name = ""
    last_name: Name = ""
    email: Email | None = None
    phone: Phone | None = None
    profile_fields: ProfileFields = {}


class UpdateUserRequest(Struct, kw_only=True):
    """Changes only the fields sent; `null` clears an optional one. `profile_fields` is replaced whole."""

    retailer_id: UUID
    user_id: UUID
    external_customer_id: ExternalId | UnsetType | None = UNSET
    first_name: Name | UnsetType = UNSET
    last_name: Name | UnsetType = UNSET
    email: Email | UnsetType | None = UNSET
    phone: Phone | UnsetType | None = UNSET
    profile_fields: ProfileFields | UnsetType = UNSET


class GetUserRequest(Struct, kw_only=True):
    """Find a user by any one key; when several are sent the first in this order is used."""

    retailer_id: UUID
    user_id: UUID | None = None
    external_customer_id: ExternalId | None = None
    email: Annotated[str, Meta(max_length=320)] | None = None
    phone: Annotated[str, Meta(max_length=50)] | None = None


class UserOut(Struct, kw_only=True):
    user_id: UUID
    retailer_id: UUID
    external_customer_id: str | None
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    profile_fields: ProfileFields
    created_at: str
    updated_at: str


# Issuance and revoke


class IssueRequest(Struct, kw_only=True):
    retailer_id: UUID
    user_id: UUID
    offer_id: UUID
    quantity: Quantity = 1
    # false: issue the offer's newest revision whatever revision `offer_id` names.
    issue_exact_version: bool = False


class IssueStatus(Struct, kw_only=True):
    """One copy's outcome, in the public shape a .NET client reads (`fail_reason` an int, 0 when issued;
    `pending_extended_data` a bool), with the reason's code beside its number."""

    user_id: UUID
    user_offer_id: UUID | None
    offer_id: UUID
    root_offer_id: UUID
    pending_extended_data: bool
    fail_reason: int
    fail_reason_code: str | None


class IssueResult(Struct, kw_only=True):
    status_list: list[IssueStatus]


class RevokeRequest(Struct, kw_only=True):
    retailer_id: UUID
    user_offer_id: UUID
    reason: Reason = ""


class UpdateUserOfferRequest(Struct, kw_only=True):
    """acquisition/update, as the public .NET client `DOTNET-RWS-LBE-Transaction` sends it."""

    retailer_id: UUID
    user_offer_id: UUID
    user_id: UUID | None = None  # given: it must be the user offer's owner (else NOT_FOUND)
    custom_data: Annotated[str, Meta(max_length=65536)] | None = None  # opaque, kept as sent; null clears
    # Nothing here is ever pending extended data: accepted, and it changes nothing.
    remain_pending_extended_data: bool = False
    # A user offer keeps the window it was issued with: `true` is refused (VALIDATION).
    update_redemption_dates: bool = False


class ManualRedeemRequest(Struct, kw_only=True):
    """redemption/manual_redeem, as the public .NET client `DOTNET-RWS-LBE-Transaction` sends it."""

    retailer_id: UUID
    user_offer_id: UUID
    # Accepted and recorded: an Issued offer is always inside its window (it opens at acquisition), and a
    # Locked, Redeemed, Expired or Revoked one is never redeemed here, forced or not.
    force_redeem: bool = False
    reason: Reason = ""


class UserOfferRequest(Struct, kw_only=True):
    retailer_id: UUID
    user_offer_id: UUID
    culture: CultureName | None = None


class UserOfferOut(Struct, kw_only=True):
    """A user offer in a wallet: the history entry's fields plus `root_offer_id` and `source`."""

    user_offer_id: UUID
    offer_id: UUID
    root_offer_id: UUID
    user_id: UUID
    offer_type: str
    title: str
    description: str
    terms: str
    culture: str
    media_uri: str
    media_culture: str
    acquire_date: str
    redemption_start_date: str
    redemption_end_date: str | None
    status: int
    status_description: str
    source: str
    # SessionM groups a wallet's offers for display; OpenOffers has one group, "All Offers" (the nil id
    # Braze's sample shows), so every offer names it.
    offer_group_id: UUID


class UpdatedUserOffer(UserOfferOut, kw_only=True):
    """acquisition/update's answer: the user offer with the data now attached to it."""

    custom_data: str | None


class EventOut(Struct, kw_only=True):
    kind: str
    at: str
    actor: str
    reason: str
    detail: dict[str, Any]


class UserOfferDetail(UserOfferOut, kw_only=True):
    events: list[EventOut]


# Wallet and history


class WalletRequest(Struct, kw_only=True):
    retailer_id: UUID
    user_id: UUID
    skip: Skip = 0
    take: Take = 50
    culture: CultureName | None = None
    # Sent by Braze's SessionM integration; nothing here is ever pending extended data, so it changes nothing.
    include_pending_extended_data: bool = False


class OfferGroupOut(Struct, kw_only=True):
    """An entry of the wallet's `offer_groups` and `offer_categories` (Braze's SessionM sample shape)."""

    id: UUID
    name: str
    sort_order: int


class WalletOut(Struct, kw_only=True):
    """get_user_offers, in the order of the public sample (Braze's SessionM integration page)."""

    user: UserOut
    user_id: UUID
    user_offers: list[UserOfferOut]
    total_records: int
    offer_groups: list[OfferGroupOut]
    offer_categories: list[OfferGroupOut]
    total_points: int
    available_points: int


class HistoryRequest(Struct, kw_only=True):
    retailer_id: UUID
    user_ids: Annotated[list[UUID], Meta(min_length=1, max_length=1000)]
    # 0 all, 1 leave out user offers that were rolled back (reinstated or voided), 2 only those.
    rollback_option: Literal[0, 1, 2] = 0
    skip: Skip = 0
    take: Take = 50
    culture: CultureName | None = None


class HistoryEntry(Struct, kw_only=True):
    """Exactly the guide's fields, in its order."""

    title: str
    description: str
    terms: str
    user_offer_id: UUID
    offer_id: UUID
    offer_type: str
    user_id: UUID
    acquire_date: str
    redemption_start_date: str
    redemption_end_date: str | None
    status: int
    status_description: str
    culture: str
    media_uri: str
    media_culture: str
    skip: int
    take: int


class HistoryOut(Struct, kw_only=True):
    total_records: int
    results: list[HistoryEntry]


# Reward store


class RewardStoreRequest(Struct, kw_only=True):
    retailer_id: UUID
    user_id: UUID | None = None  # given: `available_points` says what the user can spend
    culture: CultureName | None = None
    skip: Skip = 0
    take: Take = 50


class RewardStoreOffer(Struct, kw_only=True):
    offer_id: UUID
    root_offer_id: UUID
    offer_type: str
    title: str
    description: str
    terms: str
    culture: str
    media_uri: str
    media_culture: str
    points_cost: int
    acquisition_start_date: str | None
    acquisition_end_date: str | None
    total_inventory: int | None
    available_inventory_remaining: int | None


class RewardStoreList(Struct, kw_only=True):
    total_records: int
    results: list[RewardStoreOffer]
    available_points: int | None


PointAccountIds = Annotated[list[UUID], Meta(max_length=20)]


class PurchaseRequest(Struct, kw_only=True):
    retailer_id: UUID
    user_id: UUID
    offer_id: UUID
    quantity: Quantity = 1
    # The public request names the paying account in an array: the first listed that holds the whole
    # cost pays it (docs/DECISIONS.md). Without it, `point_account_id`, else the default account.
    point_account_ids: PointAccountIds = []
    point_account_id: UUID | None = None


class PurchaseResult(Struct, kw_only=True):
    status_list: list[IssueStatus]
    points_spent: int
    point_account_id: UUID
    available_balance: int
