"""Wire shapes of the reports endpoint: the dashboard's figures, money in major units."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated
from uuid import UUID

from msgspec import Meta, Struct, field

PresetName = Annotated[str, Meta(max_length=20)]
DayText = Annotated[str, Meta(max_length=10)]


class ReportRequest(Struct, kw_only=True):
    """Either a preset `range` (today, 7d, 30d, this_month, last_month, this_year) or `from` and `to`
    (local dates, both included, in the retailer's time zone)."""

    retailer_id: UUID
    range: PresetName | None = None
    from_: DayText | None = field(default=None, name="from")
    to: DayText | None = None


class SummaryOut(Struct, kw_only=True):
    issued: int
    redeemed: int
    redemption_rate_basis_points: int | None
    discount: Decimal
    checks_with_offer: int
    revenue_of_checks_with_offer: Decimal
    points_earned: int
    points_spent: int
    points_expired: int


class OfferRowOut(Struct, kw_only=True):
    offer_id: UUID
    title: str
    issued: int
    redeemed: int
    discount: Decimal


class RuleRowOut(Struct, kw_only=True):
    rule_id: UUID
    name: str
    issued: int
    points_earned: int
    points_spent: int


class StoreRowOut(Struct, kw_only=True):
    store_id: UUID
    name: str
    redeemed: int
    discount: Decimal
    checks_with_offer: int
    revenue_of_checks_with_offer: Decimal


class DayOut(Struct, kw_only=True):
    day: str
    issued: int
    redeemed: int


class ReportOut(Struct, kw_only=True):
    timezone: str
    currency: str
    from_: str = field(name="from")
    to: str
    summary: SummaryOut
    by_offer: list[OfferRowOut]
    by_rule: list[RuleRowOut]
    by_store: list[StoreRowOut]
    by_day: list[DayOut]
