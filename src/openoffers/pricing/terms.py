"""An offer's pricing terms: its type, the type's numbers, and its restrictions.

These are the frozen inputs the caller builds from a stored offer revision. Validation here only
catches programmer errors (a percent offer without a percent); whether an offer is publishable is
decided in `offers/`, which reports it to the marketer field by field.

Conventions:
- Money is integer minor units, percentages are basis points (12.5% is 1250).
- Several restrictions of the same kind all have to pass (they are ANDed).
- `DaysOfWeek.days` takes lowercase English names (`"monday"` .. `"sunday"`, case-insensitive) or
  integers 0-6 with Monday = 0 (Python's `date.weekday()`).
- `TimeOfDay` is store-local wall-clock time, start inclusive, end exclusive; an end before the start
  spans midnight; start equal to end means the whole day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from openoffers.kit.money import BASIS_POINTS_PER_WHOLE

from .kinds import KINDS, OfferType, kind_of
from .kinds.base import ItemBenefit


class Mode(StrEnum):
    INCLUDE = "include"
    EXCLUDE = "exclude"


class PeriodUnit(StrEnum):
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"
    YEARS = "years"


WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _check_int(name: str, value: object, minimum: int) -> None:
    # bool is an int subclass, and a float here would be a money bug: reject both.
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")


@dataclass(frozen=True, slots=True)
class LocationRestriction:
    """Stores by id or tag. A store is listed when its id or any of its tags is listed."""

    mode: Mode = Mode.INCLUDE
    store_ids: tuple[str, ...] = ()
    store_tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", Mode(self.mode))


@dataclass(frozen=True, slots=True)
class CatalogRestriction:
    """Which groups a discount may touch: by the root line's item id or its categories."""

    mode: Mode = Mode.INCLUDE
    item_ids: tuple[str, ...] = ()
    category_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", Mode(self.mode))


@dataclass(frozen=True, slots=True)
class MinSubtotal:
    amount: int

    def __post_init__(self) -> None:
        _check_int("min_subtotal.amount", self.amount, 0)


@dataclass(frozen=True, slots=True)
class MinQuantity:
    """At least `quantity` units of the listed items or categories (any item when both are empty)."""

    quantity: int
    item_ids: tuple[str, ...] = ()
    category_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_int("min_quantity.quantity", self.quantity, 0)


@dataclass(frozen=True, slots=True)
class RequiredItems:
    """Every listed item and every listed category must be on the check."""

    item_ids: tuple[str, ...] = ()
    category_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DaysOfWeek:
    days: tuple[str | int, ...]

    def __post_init__(self) -> None:
        self.weekdays()  # validate eagerly so a bad day fails at construction

    def weekdays(self) -> frozenset[int]:
        """The days as `date.weekday()` numbers (Monday = 0)."""
        numbers: set[int] = set()
        for day in self.days:
            if isinstance(day, bool):
                raise TypeError("days_of_week entries must be names or ints 0-6")
            if isinstance(day, int):
                if not 0 <= day <= 6:
                    raise ValueError(f"day number must be 0-6 (Monday = 0), got {day}")
                numbers.add(day)
            else:
                name = day.strip().lower()
                if name not in WEEKDAY_NAMES:
                    raise ValueError(f"unknown day of week {day!r}")
                numbers.add(WEEKDAY_NAMES.index(name))
        return frozenset(numbers)


@dataclass(frozen=True, slots=True)
class TimeOfDay:
    """Store-local window; `end` exclusive; `end < start` spans midnight; `end == start` is all day."""

    start: dt.time
    end: dt.time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("time_of_day bounds are naive store-local times")

    def contains(self, moment: dt.time) -> bool:
        if self.start == self.end:
            return True
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


@dataclass(frozen=True, slots=True)
class Channels:
    """The check's channel must be one of these, compared case-insensitively."""

    channels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MaxUses:
    """At most `uses` redemptions per customer of the same root offer per rolling period."""

    uses: int
    period_unit: PeriodUnit
    period_value: int

    def __post_init__(self) -> None:
        _check_int("max_uses.uses", self.uses, 0)
        _check_int("max_uses.period_value", self.period_value, 1)
        object.__setattr__(self, "period_unit", PeriodUnit(self.period_unit))


PurchaseRestriction = MinSubtotal | MinQuantity | RequiredItems
UseRestriction = DaysOfWeek | TimeOfDay | Channels | MaxUses


@dataclass(frozen=True, slots=True)
class OfferTerms:
    """Everything `evaluate` needs from an offer revision.

    `amount`, `price` and `max_discount` are minor units; `percent_bp` is basis points (0-10,000).
    `max_items` limits the units an item type discounts (no limit when None, except
    `set_price_coupon`, which defaults to 1). `recurrence` is how many Buy X Get Y chunks one
    basket can earn.
    """

    offer_type: OfferType
    amount: int | None = None
    percent_bp: int | None = None
    price: int | None = None
    max_discount: int | None = None
    max_items: int | None = None
    buy_count: int | None = None
    get_count: int | None = None
    recurrence: int = 1
    exclusive: bool = False
    location: tuple[LocationRestriction, ...] = ()
    catalog: tuple[CatalogRestriction, ...] = ()
    purchase: tuple[PurchaseRestriction, ...] = ()
    use: tuple[UseRestriction, ...] = ()

    def __post_init__(self) -> None:
        offer_type = OfferType(self.offer_type)
        object.__setattr__(self, "offer_type", offer_type)
        for name in ("amount", "price", "max_discount", "max_items", "buy_count"):
            value = getattr(self, name)
            if value is not None:
                _check_int(name, value, 0)
        if self.percent_bp is not None:
            _check_int("percent_bp", self.percent_bp, 0)
            if self.percent_bp > BASIS_POINTS_PER_WHOLE:
                raise ValueError("percent_bp must not exceed 10,000 (100%)")
        kind = kind_of(offer_type)
        if kind.number is not None and getattr(self, kind.number.terms_field) is None:
            raise ValueError(f"{offer_type} needs {kind.number.terms_field}")
        _check_int("recurrence", self.recurrence, 1)
        if kind.buy_x_get_y:
            if self.buy_count is None or self.get_count is None:
                raise ValueError(f"{offer_type} needs buy_count and get_count")
            _check_int("get_count", self.get_count, 1)

    @property
    def item_limit(self) -> int | None:
        """`max_items`, or the kind's default when the offer leaves it out (one unit for a set price)."""
        benefit = KINDS[self.offer_type].benefit
        if self.max_items is None and isinstance(benefit, ItemBenefit):
            return benefit.default_max_items
        return self.max_items
