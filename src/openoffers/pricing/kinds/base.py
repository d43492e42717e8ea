"""What an offer kind is made of: the number it reads, how that number becomes a saving, and at which
level (the whole check, or picked units of items).

Everything here is data plus small pure functions over integers, so pricing, publish validation, the
wire schema and the admin forms can all read one `Kind` without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from openoffers.kit.money import BASIS_POINTS_PER_WHOLE, percent_of


class Level(StrEnum):
    NONE = "none"  # nothing is discounted automatically (staff honour the reward)
    CHECK = "check"  # the saving is spread over every eligible line
    ITEM = "item"  # the saving comes from picked units of eligible items


class Picks(StrEnum):
    """How an item-level kind chooses the units it discounts."""

    LARGEST_SAVING = "largest_saving"  # the units saving most, up to `max_items`
    BUY_X_GET_Y = "buy_x_get_y"  # in each whole chunk of X + Y units, the Y cheapest


@dataclass(frozen=True, slots=True)
class Number:
    """The one number a kind's saving reads, named as pricing (`OfferTerms`) and the wire spell it."""

    terms_field: str
    wire_field: str
    requirement: str  # what publishing needs, for the marketer: "needs {requirement}"
    zero_allowed: bool  # a set price of 0 is a free item; an amount or percent of 0 saves nothing


AMOUNT = Number("amount", "amount", "an amount above 0", zero_allowed=False)
PERCENT = Number("percent_bp", "percent", "a percent above 0", zero_allowed=False)
PRICE = Number("price", "price", "a price", zero_allowed=True)


@dataclass(frozen=True, slots=True)
class CheckSaving:
    """`amount(number, eligible_total)` is the raw saving on the eligible total, before the caps."""

    amount: Callable[[int, int], int]


@dataclass(frozen=True, slots=True)
class UnitSaving:
    """`per_unit(number, unit_price)` is one unit's saving times `scale`.

    `per_unit` must never fall as the unit price rises (true of an amount off, a percent off and a
    set price): pricing picks units priciest first and relies on that being largest saving first.
    Percent savings are kept unrounded (x 10,000) so that rounding happens once, on the sum of the
    picked units (`round_half_up(sum, scale)`).
    """

    per_unit: Callable[[int, int], int]
    scale: int = 1


FIXED_OFF_CHECK = CheckSaving(amount=lambda amount, _total: amount)
PERCENT_OFF_CHECK = CheckSaving(amount=lambda basis_points, total: percent_of(total, basis_points))
FIXED_OFF_UNIT = UnitSaving(per_unit=lambda amount, price: min(amount, price))
PERCENT_OFF_UNIT = UnitSaving(per_unit=lambda basis_points, price: price * basis_points, scale=BASIS_POINTS_PER_WHOLE)
SET_PRICE_UNIT = UnitSaving(per_unit=lambda set_price, price: max(0, price - set_price))


@dataclass(frozen=True, slots=True)
class CheckBenefit:
    number: Number
    saving: CheckSaving


@dataclass(frozen=True, slots=True)
class ItemBenefit:
    """`default_max_items` applies when the offer leaves `max_items` out (None: no limit)."""

    number: Number
    saving: UnitSaving
    picks: Picks
    default_max_items: int | None = None


Benefit = CheckBenefit | ItemBenefit


@dataclass(frozen=True, slots=True)
class Kind:
    """One offer type. `summary` is the customer's sentence, with `{amount}`, `{percent}`, `{price}`,
    `{buy}` and `{get}` filled in by the admin; `benefit` None means nothing is discounted."""

    label: str
    summary: str
    benefit: Benefit | None

    @property
    def level(self) -> Level:
        if isinstance(self.benefit, CheckBenefit):
            return Level.CHECK
        if isinstance(self.benefit, ItemBenefit):
            return Level.ITEM
        return Level.NONE

    @property
    def number(self) -> Number | None:
        return None if self.benefit is None else self.benefit.number

    @property
    def buy_x_get_y(self) -> bool:
        """Whether the kind needs `buy_count` and `get_count`."""
        return isinstance(self.benefit, ItemBenefit) and self.benefit.picks is Picks.BUY_X_GET_Y

    @property
    def wire_fields(self) -> frozenset[str]:
        """The `discount_config` fields this kind reads (the admin shows only these)."""
        benefit = self.benefit
        if benefit is None:
            return frozenset()
        fields = {benefit.number.wire_field, "max_discount"}
        if isinstance(benefit, ItemBenefit):
            if benefit.picks is Picks.BUY_X_GET_Y:
                fields |= {"buy_count", "get_count", "recurrence"}
            else:
                fields.add("max_items")
        return frozenset(fields)
