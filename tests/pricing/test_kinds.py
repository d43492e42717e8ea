"""The offer-kind registry: one kind per offer type, and what each kind tells the other layers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openoffers.pricing import CHECK_TYPES, KINDS, OFFER_TYPE_NAMES, Level, OfferType, kind_of, types_reading
from openoffers.pricing.kinds.base import ItemBenefit, Picks

BUY_X_GET_Y = {"buy_count", "get_count", "recurrence"}


def test_every_offer_type_has_exactly_one_kind() -> None:
    assert list(KINDS) == list(OfferType)
    assert OFFER_TYPE_NAMES == tuple(t.value for t in OfferType)
    assert len({kind.label for kind in KINDS.values()}) == len(KINDS)


def test_levels() -> None:
    levels = {t.value: kind.level for t, kind in KINDS.items()}
    assert levels["manual_fulfillment"] is Level.NONE
    assert {t for t, level in levels.items() if level is Level.CHECK} == set(CHECK_TYPES)
    assert set(CHECK_TYPES) == {"fixed_amount_check_discount", "percent_check_discount"}


@pytest.mark.parametrize(
    ("offer_type", "fields"),
    [
        ("manual_fulfillment", set()),
        ("fixed_amount_check_discount", {"amount", "max_discount"}),
        ("percent_check_discount", {"percent", "max_discount"}),
        ("fixed_amount_item_discount", {"amount", "max_discount", "max_items"}),
        ("percent_item_discount", {"percent", "max_discount", "max_items"}),
        ("set_price_coupon", {"price", "max_discount", "max_items"}),
        ("buy_x_get_y_fixed", {"amount", "max_discount", *BUY_X_GET_Y}),
        ("buy_x_get_y_percent", {"percent", "max_discount", *BUY_X_GET_Y}),
        ("buy_x_get_y_set_price", {"price", "max_discount", *BUY_X_GET_Y}),
    ],
)
def test_wire_fields_each_kind_reads(offer_type: str, fields: set[str]) -> None:
    kind = kind_of(offer_type)
    assert kind.wire_fields == fields
    assert kind.buy_x_get_y == ("buy_count" in fields)
    for name in fields:
        assert offer_type in types_reading(name)


def test_only_the_set_price_coupon_defaults_to_one_item() -> None:
    defaults = {
        t.value: kind.benefit.default_max_items for t, kind in KINDS.items() if isinstance(kind.benefit, ItemBenefit)
    }
    assert defaults.pop("set_price_coupon") == 1
    assert set(defaults.values()) == {None}


def test_types_reading_keeps_registry_order() -> None:
    assert types_reading("max_discount") == tuple(t.value for t in OfferType if t is not OfferType.MANUAL_FULFILLMENT)
    assert types_reading("nothing") == ()


@pytest.mark.parametrize("offer_type", list(OfferType))
def test_summaries_name_only_known_placeholders(offer_type: OfferType) -> None:
    summary = KINDS[offer_type].summary.format(amount="$1", percent="1%", price="$2", buy="2", get="1")
    assert "{" not in summary


def test_picks_of_buy_x_get_y_kinds() -> None:
    for offer_type, kind in KINDS.items():
        if offer_type.value.startswith("buy_x_get_y"):
            assert isinstance(kind.benefit, ItemBenefit) and kind.benefit.picks is Picks.BUY_X_GET_Y


def test_an_unknown_name_is_not_a_kind() -> None:
    with pytest.raises(ValueError):
        kind_of("free_lunch")


@settings(max_examples=200, deadline=None)
@given(number=st.integers(0, 10_000), low=st.integers(0, 100_000), rise=st.integers(0, 100_000))
def test_unit_savings_never_fall_as_prices_rise(number: int, low: int, rise: int) -> None:
    # Pricing picks units priciest first and relies on that being largest saving first.
    for kind in KINDS.values():
        if isinstance(kind.benefit, ItemBenefit):
            per_unit = kind.benefit.saving.per_unit
            assert per_unit(number, low) <= per_unit(number, low + rise)
