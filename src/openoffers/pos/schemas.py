"""POS wire structs: the envelope, its payloads and the discount object (the check itself is
`openoffers.checks.schemas`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from openoffers.checks.schemas import LooseId, Transaction

P = TypeVar("P")


class PosEnvelope(Struct, Generic[P], kw_only=True):
    store_id: UUID
    client_id: UUID
    request_id: Annotated[str, Meta(min_length=1, max_length=200)] | int
    culture: Annotated[str, Meta(max_length=35)] | None = None
    request_payload: P


class LookupPayload(Struct, kw_only=True):
    external_customer_id: LooseId | None = None
    user_id: UUID | None = None
    email: Annotated[str, Meta(max_length=320)] | None = None
    phone: Annotated[str, Meta(max_length=50)] | None = None
    transaction: Transaction | None = None


class LockPayload(Struct, kw_only=True):
    offer_lookup_code: Annotated[str, Meta(min_length=1, max_length=100)]
    offer_lookup_type: Annotated[str, Meta(max_length=30)] = "userofferid"
    transaction: Transaction


class UserOfferAction(Struct, kw_only=True):
    """unlock and reinstate."""

    user_offer_id: UUID
    employee_id: LooseId | None = None
    transaction_id: LooseId | None = None


class ClaimCodeRequest(Struct, kw_only=True):
    retailer_id: UUID
    user_offer_id: UUID


# Responses


class DiscountOut(Struct, kw_only=True):
    """The discount object of Lookup, Lock and Redeem (guide and API.md section 5), in the guide's order."""

    reference_id: str
    user_id: str
    reference_id_type: str
    pos_discount_id: str | None
    status: str
    display_name: str
    image_url: str | None
    discounted_line_ids: list[str]
    # Numbers aligned with `discounted_line_ids` (how many units of that line the discount covers), as
    # the public .NET client reads them: a list of numbers, not of objects.
    discounted_line_id_quantities: list[int | Decimal]
    discount_source: str
    amount: Decimal
    stack_order: int
    applied_time: str | None
    # Only on a Lookup with a transaction, for an offer listed (it passes its store and catalog restrictions,
    # API.md 5) that fails another restriction on this check: its `amount` is 0, `reason` says why (an
    # OFFER_NOT_REDEEMABLE reason), and what the check lacks when it can be counted. Absent elsewhere: the
    # guide's discount object is unchanged.
    reason: str | UnsetType = UNSET
    missing_amount: Decimal | UnsetType = UNSET
    missing_quantity: int | UnsetType = UNSET
    missing_items: list[str] | UnsetType = UNSET


class AccountOut(Struct, kw_only=True, rename="pascal"):
    """Lookup's point accounts: PascalCase keys exactly as the guide shows them."""

    account_name: str = msgspec.field(name="AccountName")
    # null while the user has never had points in the account
    user_point_account_id: str | None = msgspec.field(name="UserPointAccountID")
    point_account_id: str = msgspec.field(name="PointAccountID")
    grouping_label: str = msgspec.field(name="GroupingLabel")
    available_balance: int = msgspec.field(name="AvailableBalance")
    life_time_value: int = msgspec.field(name="LifeTimeValue")


class LookupUser(Struct, kw_only=True):
    user_reference_id: str
    user_account_id: str
    partial_response: bool
    first_name: str | None
    last_name: str | None
    phone: str | None
    email: str | None
    points: int
    profile_fields: dict[str, Any]
    offers: list[DiscountOut]
    accounts: list[AccountOut]
    external_customer_id: str | None = None


class ClaimCode(Struct, kw_only=True):
    code: str
    user_offer_id: UUID
    expires_at: str
