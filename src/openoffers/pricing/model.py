"""The check, the evaluation context, and the two possible results (`Discount` or `Ineligible`).

All money is integer minor units; `Line.subtotal` (the POS's number) is authoritative, `unit_price`
is informational. Quantities are `Decimal` (weighed goods have fractional quantities).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple
from zoneinfo import ZoneInfo


class Reason(StrEnum):
    """Why an offer is not redeemable on this check (API.md section 5)."""

    STORE_NOT_ELIGIBLE = "STORE_NOT_ELIGIBLE"
    CHANNEL_NOT_ELIGIBLE = "CHANNEL_NOT_ELIGIBLE"
    OUTSIDE_VALID_TIME = "OUTSIDE_VALID_TIME"
    MIN_SUBTOTAL_NOT_MET = "MIN_SUBTOTAL_NOT_MET"
    MIN_QUANTITY_NOT_MET = "MIN_QUANTITY_NOT_MET"
    REQUIRED_ITEMS_MISSING = "REQUIRED_ITEMS_MISSING"
    NO_ELIGIBLE_ITEMS = "NO_ELIGIBLE_ITEMS"
    USE_LIMIT_REACHED = "USE_LIMIT_REACHED"
    NOT_STACKABLE = "NOT_STACKABLE"


def _require_int(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int in minor units, got {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class Line:
    """One check line. `modifies_line_id` names the line this one modifies ("" counts as none)."""

    line_id: str
    item_id: str
    quantity: Decimal
    unit_price: int
    subtotal: int
    modifies_line_id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.quantity, Decimal):
            # Accept ints for convenience; a float quantity is refused (house rule: never float).
            if isinstance(self.quantity, int) and not isinstance(self.quantity, bool):
                object.__setattr__(self, "quantity", Decimal(self.quantity))
            else:
                raise TypeError("quantity must be a Decimal")
        if not self.quantity.is_finite():
            raise ValueError("quantity must be finite")
        _require_int("unit_price", self.unit_price)
        _require_int("subtotal", self.subtotal)
        if self.modifies_line_id == "":
            object.__setattr__(self, "modifies_line_id", None)


@dataclass(frozen=True, slots=True)
class ExistingDiscount:
    """A discount already on the check (ours or the POS's).

    `line_shares`, when known (our own earlier locks), are the exact per-line amounts; otherwise the
    amount is spread over `discounted_line_ids` by largest remainder. The caller must leave out the
    discount being recomputed (a re-lock of the same user offer on the same transaction).
    """

    amount: int
    discounted_line_ids: tuple[str, ...] = ()
    stack_order: int = 0
    exclusive: bool = False
    line_shares: tuple[tuple[str, int], ...] | None = None

    def __post_init__(self) -> None:
        _require_int("amount", self.amount)
        _require_int("stack_order", self.stack_order)


@dataclass(frozen=True, slots=True)
class Basket:
    """The check's lines (in check order), its existing discounts, and the catalog's categories.

    `categories` maps item id -> category ids; items missing from it have no categories. Line ids must
    be unique (the wire layer rejects duplicates as a `VALIDATION` error before calling pricing).
    """

    lines: tuple[Line, ...]
    discounts: tuple[ExistingDiscount, ...] = ()
    categories: Mapping[str, Collection[str]] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    def __post_init__(self) -> None:
        ids = [line.line_id for line in self.lines]
        if len(set(ids)) != len(ids):
            raise ValueError("line ids must be unique")
        # Copy into a read-only mapping of frozensets so a caller's later mutation cannot leak in.
        frozen = {item: frozenset(cats) for item, cats in self.categories.items()}
        object.__setattr__(self, "categories", MappingProxyType(frozen))

    def categories_of(self, item_id: str) -> frozenset[str]:
        return frozenset(self.categories.get(item_id, ()))


@dataclass(frozen=True, slots=True)
class Context:
    """Where and when the offer is evaluated, and the customer's use count.

    `now` is the lock's time, an aware datetime (any offset; UTC by convention); `time_zone` is the
    store's zone. Days of week and times of day are judged on `now` converted to `time_zone`.
    `uses_in_period` is this customer's redemptions of the same root offer since
    `max_uses_period_start(restriction, now)`, counted by the caller.
    """

    store_id: str
    now: dt.datetime
    time_zone: ZoneInfo
    channel: str | None = None
    store_tags: frozenset[str] = frozenset()
    uses_in_period: int = 0

    def __post_init__(self) -> None:
        if self.now.tzinfo is None or self.now.utcoffset() is None:
            raise ValueError("now must be an aware datetime")
        object.__setattr__(self, "store_tags", frozenset(self.store_tags))
        _require_int("uses_in_period", self.uses_in_period)

    @property
    def local_time(self) -> dt.datetime:
        return self.now.astimezone(self.time_zone)


class LineShare(NamedTuple):
    """The part of a discount taken from one line, and how many of its units it covers.

    A named tuple rather than a frozen dataclass: pricing builds one for every line a discount
    touches, for every offer priced on a check (a check discount on a 20-line check makes 20), and a
    frozen dataclass costs about twice as much to build. Read it by field name; being a tuple is not
    part of its contract.
    """

    line_id: str
    amount: int
    quantity: int | Decimal


@dataclass(frozen=True, slots=True)
class Discount:
    """A computed discount. `line_shares` hold only lines with a share above zero, in check order,
    and always sum to `amount`."""

    amount: int
    line_shares: tuple[LineShare, ...]
    stack_order: int

    @property
    def discounted_line_ids(self) -> tuple[str, ...]:
        return tuple(share.line_id for share in self.line_shares)

    @property
    def discounted_line_id_quantities(self) -> tuple[tuple[str, int | Decimal], ...]:
        return tuple((share.line_id, share.quantity) for share in self.line_shares)


@dataclass(frozen=True, slots=True)
class Ineligible:
    """The offer cannot be redeemed on this check; `reason` is an API.md section 5 code.

    What the check lacks, when it can be counted (so a till can say "spend $39 more"): for
    MIN_SUBTOTAL_NOT_MET `missing_amount` in minor units, for MIN_QUANTITY_NOT_MET `missing_quantity`
    in units, for REQUIRED_ITEMS_MISSING `missing_items` (item ids, and "category <id>" entries)."""

    reason: Reason
    detail: str
    missing_amount: int | None = None
    missing_quantity: int | None = None
    missing_items: tuple[str, ...] = ()
