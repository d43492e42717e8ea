"""A stored offer revision -> the pure pricing engine's `OfferTerms`.

Revisions that user offers reference never change (an update makes a new revision), so the
conversion is cached per (revision id, updated_at): the POS hot path converts each revision once
per process.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from openoffers import pricing
from openoffers.kit.money import basis_points, to_minor
from openoffers.offers.presentation import definition_of
from openoffers.offers.repository import OfferRow
from openoffers.offers.schemas import (
    Channels,
    DaysOfWeek,
    MaxUses,
    MinQuantity,
    MinSubtotal,
    OfferDefinition,
    RequiredItems,
    TimeOfDay,
)
from openoffers.offers.validation import parse_clock

_CACHE_SIZE = 10_000
_cache: OrderedDict[tuple[UUID, datetime, int], pricing.OfferTerms] = OrderedDict()


def _minor(value: Decimal | None, exponent: int) -> int | None:
    return None if value is None else to_minor(value, exponent)


def build_terms(definition: OfferDefinition, offer_type: str, exponent: int) -> pricing.OfferTerms:
    config = definition.discount_config
    use: list[pricing.UseRestriction] = []
    for restriction in definition.use_restrictions:
        if isinstance(restriction, DaysOfWeek):
            use.append(pricing.DaysOfWeek(days=tuple(restriction.days)))
        elif isinstance(restriction, TimeOfDay):
            use.append(pricing.TimeOfDay(start=parse_clock(restriction.start), end=parse_clock(restriction.end)))
        elif isinstance(restriction, Channels):
            use.append(pricing.Channels(channels=tuple(restriction.channels)))
        elif isinstance(restriction, MaxUses):
            use.append(
                pricing.MaxUses(
                    uses=restriction.uses,
                    period_unit=pricing.PeriodUnit(restriction.period_unit),
                    period_value=restriction.period_value,
                )
            )
    purchase: list[pricing.PurchaseRestriction] = []
    for item in definition.purchase_restrictions:
        if isinstance(item, MinSubtotal):
            purchase.append(pricing.MinSubtotal(amount=to_minor(item.amount, exponent)))
        elif isinstance(item, MinQuantity):
            purchase.append(
                pricing.MinQuantity(
                    quantity=item.quantity, item_ids=tuple(item.item_ids), category_ids=tuple(item.category_ids)
                )
            )
        elif isinstance(item, RequiredItems):
            purchase.append(pricing.RequiredItems(item_ids=tuple(item.item_ids), category_ids=tuple(item.category_ids)))
    return pricing.OfferTerms(
        offer_type=pricing.OfferType(offer_type),
        amount=_minor(config.amount, exponent),
        percent_bp=None if config.percent is None else basis_points(config.percent),
        price=_minor(config.price, exponent),
        max_discount=_minor(config.max_discount, exponent),
        max_items=config.max_items,
        buy_count=config.buy_count,
        get_count=config.get_count,
        recurrence=config.recurrence or 1,
        exclusive=definition.exclusive,
        location=tuple(
            pricing.LocationRestriction(
                mode=pricing.Mode(r.mode),
                store_ids=tuple(str(s) for s in r.store_ids),
                store_tags=tuple(r.store_tags),
            )
            for r in definition.location_restrictions
        ),
        catalog=tuple(
            pricing.CatalogRestriction(
                mode=pricing.Mode(r.mode), item_ids=tuple(r.item_ids), category_ids=tuple(r.category_ids)
            )
            for r in definition.catalog_restrictions
        ),
        purchase=tuple(purchase),
        use=tuple(use),
    )


def terms_of(row: OfferRow, exponent: int) -> pricing.OfferTerms:
    """The pricing terms of a stored, publishable revision (cached; see the module docstring)."""
    key = (row.id, row.updated_at, exponent)
    terms = _cache.get(key)
    if terms is None:
        terms = build_terms(definition_of(row), row.offer_type, exponent)
        _cache[key] = terms
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    else:
        _cache.move_to_end(key)
    return terms
