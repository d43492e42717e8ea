"""The wire check -> the pricing engine's `Basket`, in integer minor units.

A line's `subtotal` is the POS's number and is authoritative; when a POS leaves it out it is
quantity x unit price, rounded half up once. Categories come from the line itself (`category_ids`,
for POS systems that send them) merged with the retailer catalog's, when one is given.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from openoffers import pricing, rules
from openoffers.checks.schemas import DiscountIn, Item, Transaction, loose_id
from openoffers.kit.errors import ValidationFailed
from openoffers.kit.money import to_minor
from openoffers.tenancy.repository import Store

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


def existing_discount(
    discount: DiscountIn,
    exponent: int,
    exclusive: bool = False,
    *,
    known_lines: Collection[str] | None = None,
    line_shares: tuple[tuple[str, int], ...] | None = None,
) -> pricing.ExistingDiscount:
    """A discount on the check as pricing sees it.

    Line ids the check does not have are dropped; a discount that names only such lines (the guide's
    own send_transaction names line "0" on a check of lines "1" and "2") is taken as check-level,
    spread over every line, rather than as taking nothing.
    """
    named = tuple(i for i in (loose_id(x) for x in discount.discounted_line_ids) if i)
    if known_lines is not None:
        named = tuple(i for i in named if i in known_lines)
    return pricing.ExistingDiscount(
        amount=max(0, to_minor(discount.amount, exponent)),
        discounted_line_ids=named,
        stack_order=discount.stack_order,
        exclusive=exclusive or discount.exclusive,
        line_shares=line_shares,
    )


def reference_of(discount: DiscountIn) -> str:
    """The discount's reference (our user offer id), lower-case; "" when it has none."""
    return (discount.reference_id or "").strip().lower()


def build_basket(
    transaction: Transaction,
    exponent: int,
    *,
    exclusive_references: frozenset[str] = frozenset(),
    locked_shares: Mapping[str, tuple[int, tuple[tuple[str, int], ...]]] | None = None,
    catalog: Mapping[str, Sequence[str]] | None = None,
) -> pricing.Basket:
    """The check as pricing sees it (`PricedCheck.without` leaves out a discount being computed again).

    `locked_shares` maps a reference to (amount, per-line shares) of our own lock on this check: when
    the check carries that discount at the locked amount, its exact shares are used instead of
    spreading the amount again.
    """
    lines = [_line(i, item, exponent) for i, item in enumerate(transaction.items)]
    seen: set[str] = set()
    for index, line in enumerate(lines):
        if line.line_id in seen:
            raise ValidationFailed.field(f"items[{index}].line_id", f"line_id {line.line_id!r} appears twice")
        seen.add(line.line_id)
    categories: dict[str, set[str]] = {}
    for item in transaction.items:
        if item.category_ids:  # most POS systems send none
            item_id = loose_id(item.item_id)
            if item_id:
                categories.setdefault(item_id, set()).update(str(c) for c in item.category_ids)
    for item_id, cats in (catalog or {}).items():
        categories.setdefault(item_id, set()).update(cats)
    discounts: list[pricing.ExistingDiscount] = []
    for discount in transaction.discounts:
        reference = reference_of(discount)
        shares = None
        locked = (locked_shares or {}).get(reference) if reference else None
        if locked is not None and locked[0] == max(0, to_minor(discount.amount, exponent)):
            shares = locked[1]
        discounts.append(
            existing_discount(
                discount,
                exponent,
                exclusive=bool(reference) and reference in exclusive_references,
                known_lines=seen,
                line_shares=shares,
            )
        )
    return pricing.Basket(lines=tuple(lines), discounts=tuple(discounts), categories=categories)


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


def closed_event(
    basket: pricing.Basket,
    *,
    user_id: UUID,
    occurred_at: datetime,
    store: Store,
    channel: str | None,
    transaction_id: str,
) -> rules.TransactionClosed:
    """A closed check as the loyalty rules see it; send_transaction and the rules simulator both use
    this, so a simulation earns exactly what the check will. Each line's spend is what is left of it
    after every discount on the check (PRICING.md, "Earning points"); the total is their sum."""
    spend = pricing.remaining_amounts(basket)
    by_id = {line.line_id: line for line in basket.lines}

    def parent_of(line: pricing.Line) -> str | None:
        # A modifier whose parent is missing (or that sits in a cycle) earns as a line of its own, as
        # pricing already treats it as belonging to no group.
        seen = {line.line_id}
        current = line
        while current.modifies_line_id is not None:
            parent = by_id.get(current.modifies_line_id)
            if parent is None or parent.line_id in seen:
                return None
            seen.add(parent.line_id)
            current = parent
        return line.modifies_line_id

    lines = tuple(
        rules.CheckLine(
            line_id=line.line_id,
            item_id=line.item_id,
            spend=spend[line.line_id],
            category_ids=basket.categories_of(line.item_id),
            modifies_line_id=parent_of(line),
        )
        for line in basket.lines
    )
    return rules.TransactionClosed(
        user_id=str(user_id),
        occurred_at=occurred_at,
        store_zone=ZoneInfo(store.timezone),
        store_id=str(store.id),
        channel=(channel or "").strip(),
        lines=lines,
        total=sum(spend.values()),
        store_tags=frozenset(store.tags),
        transaction_id=f"{store.id}:{transaction_id}",
    )
