"""POS wire structs: the envelope, the check (transaction object) and the discount object.

Field names are the guide's, quirks included (`TaxTotal` on Lock, `tax_total` on send_transaction).
Ids such as `line_id` arrive as strings or numbers; both are accepted and handled as strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

import msgspec
from msgspec import Meta, Struct

from openoffers.kit.wire import WireTime

P = TypeVar("P")

MAX_LINES = 500

LooseId = Annotated[str, Meta(max_length=100)] | int
Label = Annotated[str, Meta(max_length=200)]


def loose_id(value: LooseId | None) -> str | None:
    """A wire id (string or number) as a string; "" and None mean absent."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


class Item(Struct, kw_only=True):
    line_id: LooseId
    item_id: LooseId = ""
    quantity: Decimal = Decimal(1)
    unit_price: Decimal = Decimal(0)
    subtotal: Decimal | None = None
    tax_included: Decimal | None = None
    modifies_line_id: LooseId | None = None
    name: Label | None = None
    category_ids: Annotated[list[LooseId], Meta(max_length=50)] = []


class Payment(Struct, kw_only=True):
    payment_id: LooseId | None = None
    amount: Decimal = Decimal(0)
    type: Label | None = None
    payment_time: WireTime | None = None
    user_id: Label | None = None
    user_id_type: Label | None = None


class DiscountIn(Struct, kw_only=True):
    """A discount already on the check: ours (`discount_source: sessionm`) or the POS's own."""

    reference_id: Label | None = None
    reference_id_type: Label | None = None
    user_id: Label | None = None
    pos_discount_id: LooseId | None = None
    status: Label | None = None
    display_name: Label | None = None
    discounted_line_ids: Annotated[list[LooseId], Meta(max_length=MAX_LINES)] = []
    discount_source: Label | None = None
    amount: Decimal = Decimal(0)
    stack_order: int = 0
    applied_time: WireTime | None = None
    exclusive: bool = False


class Transaction(Struct, kw_only=True):
    transaction_id: Annotated[str, Meta(min_length=1, max_length=100)] | int
    pos_employee_id: LooseId | None = None
    table_id: LooseId | None = None
    channel: Label | None = None
    guest_count: int | None = None
    is_closed: bool = False
    is_voided: bool = False
    subtotal: Decimal | None = None
    tax_total: Decimal | None = None
    TaxTotal: Decimal | None = None
    open_time: WireTime | None = None
    modified_time: WireTime | None = None
    items: Annotated[list[Item], Meta(max_length=MAX_LINES)] = []
    discounts: Annotated[list[DiscountIn], Meta(max_length=100)] = []
    payments: Annotated[list[Payment], Meta(max_length=100)] = []
    custom_data: Any = None
    user_id: Label | None = None

    @property
    def tax(self) -> Decimal | None:
        return self.tax_total if self.tax_total is not None else self.TaxTotal


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
    discounted_line_id_quantities: list[dict[str, Any]]
    discount_source: str
    amount: Decimal
    stack_order: int
    applied_time: str | None


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
