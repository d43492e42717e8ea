"""Small builders shared by the pricing tests (amounts in cents)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from openoffers.pricing import (
    Basket,
    Context,
    Discount,
    ExistingDiscount,
    Ineligible,
    Line,
    OfferTerms,
    evaluate,
)

UTC = ZoneInfo("UTC")
NEW_YORK = ZoneInfo("America/New_York")
# A Wednesday afternoon.
WEDNESDAY = dt.datetime(2024, 6, 5, 15, 0, tzinfo=UTC)


def line(
    line_id: str,
    subtotal: int,
    quantity: str = "1",
    item_id: str | None = None,
    modifies: str | None = None,
) -> Line:
    qty = Decimal(quantity)
    unit_price = subtotal if qty <= 1 else subtotal // int(qty)
    return Line(line_id, item_id or f"item-{line_id}", qty, unit_price, subtotal, modifies)


def basket(
    *lines: Line,
    discounts: tuple[ExistingDiscount, ...] = (),
    categories: dict[str, tuple[str, ...]] | None = None,
) -> Basket:
    return Basket(lines=lines, discounts=discounts, categories=categories or {})


def context(
    now: dt.datetime = WEDNESDAY,
    time_zone: ZoneInfo = UTC,
    store_id: str = "store-1",
    store_tags: frozenset[str] = frozenset(),
    channel: str | None = "STORE",
    uses_in_period: int = 0,
) -> Context:
    return Context(
        store_id=store_id,
        now=now,
        time_zone=time_zone,
        channel=channel,
        store_tags=store_tags,
        uses_in_period=uses_in_period,
    )


def discount(terms: OfferTerms, check: Basket, ctx: Context | None = None) -> Discount:
    result = evaluate(terms, check, ctx or context())
    assert isinstance(result, Discount), result
    return result


def reason(terms: OfferTerms, check: Basket, ctx: Context | None = None) -> str:
    result = evaluate(terms, check, ctx or context())
    assert isinstance(result, Ineligible), result
    assert result.detail
    return result.reason


def shares(result: Discount) -> list[tuple[str, int]]:
    return [(share.line_id, share.amount) for share in result.line_shares]
