"""The wire check -> the pricing engine's `Basket`, in integer minor units.

A line's `subtotal` is the POS's number and is authoritative; when a POS leaves it out it is
quantity x unit price, rounded half up once. Categories come from the line itself (`category_ids`,
for POS systems that send them) merged with the retailer catalog's, when one is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from openoffers import pricing
from openoffers.kit.errors import ValidationFailed
from openoffers.kit.money import to_minor
from openoffers.pos.schemas import DiscountIn, Item, Transaction, loose_id

SESSIONM = "sessionm"


def _line(index: int, item: Item, exponent: int) -> pricing.Line:
    line_id = loose_id(item.line_id)
    if line_id is None:
        raise ValidationFailed.field(f"items[{index}].line_id", "is required")
    if item.quantity < 0 or not item.quantity.is_finite():
        raise ValidationFailed.field(f"items[{index}].quantity", "must not be negative")
    unit_price = to_minor(item.unit_price, exponent)
    subtotal = to_minor(item.subtotal if item.subtotal is not None else item.quantity * item.unit_price, exponent)
    return pricing.Line(
        line_id=line_id,
        item_id=loose_id(item.item_id) or "",
        quantity=item.quantity,
        unit_price=unit_price,
        subtotal=subtotal,
        modifies_line_id=loose_id(item.modifies_line_id),
    )


def existing_discount(discount: DiscountIn, exponent: int, exclusive: bool = False) -> pricing.ExistingDiscount:
    return pricing.ExistingDiscount(
        amount=max(0, to_minor(discount.amount, exponent)),
        discounted_line_ids=tuple(i for i in (loose_id(x) for x in discount.discounted_line_ids) if i),
        stack_order=discount.stack_order,
        exclusive=exclusive or discount.exclusive,
    )


def build_basket(
    transaction: Transaction,
    exponent: int,
    *,
    skip_reference: str | None = None,
    exclusive_references: frozenset[str] = frozenset(),
    catalog: Mapping[str, Sequence[str]] | None = None,
) -> pricing.Basket:
    """The check as pricing sees it. `skip_reference` leaves out the discount being (re)computed."""
    lines = [_line(i, item, exponent) for i, item in enumerate(transaction.items)]
    seen: set[str] = set()
    for index, line in enumerate(lines):
        if line.line_id in seen:
            raise ValidationFailed.field(f"items[{index}].line_id", f"line_id {line.line_id!r} appears twice")
        seen.add(line.line_id)
    categories: dict[str, set[str]] = {}
    for item in transaction.items:
        item_id = loose_id(item.item_id)
        if item_id and item.category_ids:
            categories.setdefault(item_id, set()).update(str(c) for c in item.category_ids)
    for item_id, cats in (catalog or {}).items():
        categories.setdefault(item_id, set()).update(cats)
    discounts = tuple(
        existing_discount(d, exponent, exclusive=(d.reference_id or "").lower() in exclusive_references)
        for d in transaction.discounts
        if not (skip_reference and (d.reference_id or "").lower() == skip_reference.lower())
    )
    return pricing.Basket(lines=tuple(lines), discounts=discounts, categories=categories)


def check_total(transaction: Transaction, exponent: int) -> int:
    """The check's subtotal in minor units: the POS's own, else the sum of its lines."""
    if transaction.subtotal is not None:
        return to_minor(transaction.subtotal, exponent)
    return sum(
        to_minor(i.subtotal if i.subtotal is not None else i.quantity * i.unit_price, exponent)
        for i in transaction.items
    )


def is_ours(discount: DiscountIn) -> bool:
    return (discount.discount_source or "").strip().lower() == SESSIONM
