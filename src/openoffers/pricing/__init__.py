"""PURE pricing: an offer's terms + a check + a context -> `Discount` or `Ineligible(reason)`.

The semantics are PRICING.md's; each module's docstring lists the decisions taken where it is silent.
Entry points: `evaluate` and `max_uses_period_start`; `remaining_amounts` gives each line's amount
after the check's discounts (what `rules/` earns points on).
"""

from .basket import remaining_amounts
from .engine import evaluate
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
    OfferType,
    PeriodUnit,
    PurchaseRestriction,
    RequiredItems,
    TimeOfDay,
    UseRestriction,
)

__all__ = [
    "Basket",
    "CatalogRestriction",
    "Channels",
    "Context",
    "DaysOfWeek",
    "Discount",
    "ExistingDiscount",
    "Ineligible",
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
    "PurchaseRestriction",
    "Reason",
    "RequiredItems",
    "TimeOfDay",
    "UseRestriction",
    "evaluate",
    "max_uses_period_start",
    "remaining_amounts",
]
