"""PURE pricing: an offer's terms + a check + a context -> `Discount` or `Ineligible(reason)`.

The semantics are PRICING.md's; each module's docstring lists the decisions taken where it is silent.
Entry points: `evaluate` and `max_uses_period_start`; offer types and what each does are in the
`kinds` registry (`KINDS`, `kind_of`); `remaining_amounts` gives each line's amount
after the check's discounts (what `rules/` earns points on).

To price many offers on one check (a Lookup, a close), `prepare` the basket once and call
`evaluate_prepared` per offer, or `stack` to put each offer's discount on top of the ones before it;
`check.py` states what they guarantee (the same results as `evaluate`).
"""

from .basket import remaining_amounts
from .check import PreparedCheck, as_existing, prepare
from .engine import evaluate, evaluate_prepared, listing_failure, stack
from .kinds import CHECK_TYPES, KINDS, OFFER_TYPE_NAMES, OfferType, kind_of, types_reading
from .kinds.base import Kind, Level
from .model import Basket, Context, Discount, ExistingDiscount, Ineligible, Line, LineShare, Reason
from .restrictions import max_uses_period_start
from .terms import (
    CatalogRestriction,
    Channels,
    DaysOfWeek,
    LocationRestriction,
    MaxUses,
    MinQuantity,
    MinSubtotal,
    Mode,
    OfferTerms,
    PeriodUnit,
    PurchaseRestriction,
    RequiredItems,
    TimeOfDay,
    UseRestriction,
)

__all__ = [
    "CHECK_TYPES",
    "KINDS",
    "OFFER_TYPE_NAMES",
    "Basket",
    "CatalogRestriction",
    "Channels",
    "Context",
    "DaysOfWeek",
    "Discount",
    "ExistingDiscount",
    "Ineligible",
    "Kind",
    "Level",
    "Line",
    "LineShare",
    "LocationRestriction",
    "MaxUses",
    "MinQuantity",
    "MinSubtotal",
    "Mode",
    "OfferTerms",
    "OfferType",
    "PeriodUnit",
    "PreparedCheck",
    "PurchaseRestriction",
    "Reason",
    "RequiredItems",
    "TimeOfDay",
    "UseRestriction",
    "as_existing",
    "evaluate",
    "evaluate_prepared",
    "kind_of",
    "listing_failure",
    "max_uses_period_start",
    "prepare",
    "remaining_amounts",
    "stack",
    "types_reading",
]
