"""The offer-kind registry: every offer type, and the one `Kind` that says what it does.

Pricing (which saving, at which level), publish validation (which number an offer needs), the wire
schema (which `offer_type` values exist) and the admin (labels, summaries, which fields to show) all
read offer types from here and nowhere else.

A new offer type is one module in this package defining its `KIND`, plus its member of `OfferType`
and its entry in `KINDS` below, plus its tests. A new kind that needs a saving or a way of picking
units that `base` does not have also adds that to `base` and to `pricing/discounts.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from . import (
    buy_x_get_y_fixed,
    buy_x_get_y_percent,
    buy_x_get_y_set_price,
    fixed_amount_check_discount,
    fixed_amount_item_discount,
    manual_fulfillment,
    percent_check_discount,
    percent_item_discount,
    set_price_coupon,
)
from .base import Kind, Level


class OfferType(StrEnum):
    """The wire's `offer_type` values, in the order the admin lists them."""

    MANUAL_FULFILLMENT = "manual_fulfillment"
    FIXED_AMOUNT_CHECK_DISCOUNT = "fixed_amount_check_discount"
    PERCENT_CHECK_DISCOUNT = "percent_check_discount"
    FIXED_AMOUNT_ITEM_DISCOUNT = "fixed_amount_item_discount"
    PERCENT_ITEM_DISCOUNT = "percent_item_discount"
    SET_PRICE_COUPON = "set_price_coupon"
    BUY_X_GET_Y_FIXED = "buy_x_get_y_fixed"
    BUY_X_GET_Y_PERCENT = "buy_x_get_y_percent"
    BUY_X_GET_Y_SET_PRICE = "buy_x_get_y_set_price"


KINDS: Mapping[OfferType, Kind] = MappingProxyType(
    {
        OfferType.MANUAL_FULFILLMENT: manual_fulfillment.KIND,
        OfferType.FIXED_AMOUNT_CHECK_DISCOUNT: fixed_amount_check_discount.KIND,
        OfferType.PERCENT_CHECK_DISCOUNT: percent_check_discount.KIND,
        OfferType.FIXED_AMOUNT_ITEM_DISCOUNT: fixed_amount_item_discount.KIND,
        OfferType.PERCENT_ITEM_DISCOUNT: percent_item_discount.KIND,
        OfferType.SET_PRICE_COUPON: set_price_coupon.KIND,
        OfferType.BUY_X_GET_Y_FIXED: buy_x_get_y_fixed.KIND,
        OfferType.BUY_X_GET_Y_PERCENT: buy_x_get_y_percent.KIND,
        OfferType.BUY_X_GET_Y_SET_PRICE: buy_x_get_y_set_price.KIND,
    }
)

OFFER_TYPE_NAMES: tuple[str, ...] = tuple(offer_type.value for offer_type in OfferType)
# The guide's `check_level` flag of a fetched offer.
CHECK_TYPES = frozenset(offer_type for offer_type, kind in KINDS.items() if kind.level is Level.CHECK)


def kind_of(offer_type: str) -> Kind:
    """The kind of a wire or stored `offer_type` (ValueError for a name that is not one)."""
    return KINDS[OfferType(offer_type)]


def types_reading(wire_field: str) -> tuple[str, ...]:
    """The offer types whose kind reads `discount_config.<wire_field>`, in registry order."""
    return tuple(offer_type.value for offer_type, kind in KINDS.items() if wire_field in kind.wire_fields)
