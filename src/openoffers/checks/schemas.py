"""The check as a POS sends it (the guide's transaction object), shared by the POS API and the loyalty
rules simulator, which both take checks.

Field names are the guide's, quirks included (`TaxTotal` on Lock, `tax_total` on send_transaction).
Ids such as `line_id` arrive as strings or numbers; both are accepted and handled as strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from msgspec import Meta, Struct

from openoffers.kit.wire import WireTime

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
