"""Every offer type: amounts, caps, unit choice, and the lines it touches."""

from decimal import Decimal

import pytest

from openoffers.pricing import (
    CatalogRestriction,
    Channels,
    ExistingDiscount,
    Mode,
    OfferTerms,
    OfferType,
)
from tests.pricing.pricing_helpers import basket, context, discount, line, reason, shares


def test_fixed_check_discount_below_total_spreads_by_remaining() -> None:
    terms = OfferTerms(OfferType.FIXED_AMOUNT_CHECK_DISCOUNT, amount=100)
    result = discount(terms, basket(line("A", 300), line("B", 600), line("C", 100)))
    assert result.amount == 100
    assert shares(result) == [("A", 30), ("B", 60), ("C", 10)]
    assert result.discounted_line_id_quantities == (("A", 1), ("B", 1), ("C", 1))


def test_fixed_check_discount_capped_by_max_discount() -> None:
    terms = OfferTerms(OfferType.FIXED_AMOUNT_CHECK_DISCOUNT, amount=1000, max_discount=250)
    assert discount(terms, basket(line("A", 5000))).amount == 250


def test_check_discount_only_touches_catalog_eligible_lines() -> None:
    terms = OfferTerms(
        OfferType.FIXED_AMOUNT_CHECK_DISCOUNT,
        amount=2000,
        catalog=(CatalogRestriction(Mode.INCLUDE, category_ids=("drinks",)),),
    )
    check = basket(
        line("1", 400, item_id="latte"),
        line("2", 900, item_id="sandwich"),
        line("3", 300, item_id="tea"),
        categories={"latte": ("drinks",), "tea": ("drinks", "hot")},
    )
    result = discount(terms, check)
    assert result.amount == 700  # capped by the eligible remaining total
    assert shares(result) == [("1", 400), ("3", 300)]


def test_percent_check_discount_basis_points_and_half_up() -> None:
    # 12.5% of 1004 = 125.5 -> 126 (half up).
    terms = OfferTerms(OfferType.PERCENT_CHECK_DISCOUNT, percent_bp=1250)
    result = discount(terms, basket(line("A", 1004)))
    assert result.amount == 126
    assert shares(result) == [("A", 126)]


def test_percent_check_discount_capped_by_max_discount() -> None:
    terms = OfferTerms(OfferType.PERCENT_CHECK_DISCOUNT, percent_bp=5000, max_discount=300)
    result = discount(terms, basket(line("A", 1000), line("B", 1000)))
    assert result.amount == 300
    assert shares(result) == [("A", 150), ("B", 150)]


def test_fixed_item_discount_prefers_largest_saving_then_higher_price() -> None:
    terms = OfferTerms(OfferType.FIXED_AMOUNT_ITEM_DISCOUNT, amount=300, max_items=2)
    # Savings 300 (5.00), 200 (2.00), 300 (10.00): the two 300s, the 10.00 first.
    result = discount(terms, basket(line("A", 500), line("B", 200), line("C", 1000)))
    assert result.amount == 600
    assert shares(result) == [("A", 300), ("C", 300)]


def test_fixed_item_discount_without_limit_takes_every_unit() -> None:
    terms = OfferTerms(OfferType.FIXED_AMOUNT_ITEM_DISCOUNT, amount=300)
    result = discount(terms, basket(line("A", 500), line("B", 200), line("C", 1000, quantity="2")))
    assert result.amount == 300 + 200 + 600
    assert result.discounted_line_id_quantities == (("A", 1), ("B", 1), ("C", 2))


def test_item_discount_ties_go_to_the_earlier_line() -> None:
    terms = OfferTerms(OfferType.FIXED_AMOUNT_ITEM_DISCOUNT, amount=100, max_items=1)
    result = discount(terms, basket(line("A", 400), line("B", 400)))
    assert shares(result) == [("A", 100)]


def test_item_discount_capped_by_max_discount_respreads_over_picked_groups() -> None:
    terms = OfferTerms(OfferType.FIXED_AMOUNT_ITEM_DISCOUNT, amount=300, max_discount=301)
    result = discount(terms, basket(line("A", 500), line("B", 500)))
    assert result.amount == 301
    assert shares(result) == [("A", 151), ("B", 150)]


def test_percent_item_discount_rounds_once_on_the_sum() -> None:
    # 33.33% of (1.00 + 1.00 + 1.00): 99.99 -> 100; per unit it would be 33 + 33 + 33 = 99.
    terms = OfferTerms(OfferType.PERCENT_ITEM_DISCOUNT, percent_bp=3333)
    result = discount(terms, basket(line("A", 100), line("B", 100), line("C", 100)))
    assert result.amount == 100
    assert sum(amount for _, amount in shares(result)) == 100


def test_percent_item_discount_capped_by_max_discount() -> None:
    terms = OfferTerms(OfferType.PERCENT_ITEM_DISCOUNT, percent_bp=5000, max_discount=100)
    assert discount(terms, basket(line("A", 1000))).amount == 100


def test_set_price_coupon_defaults_to_one_item() -> None:
    terms = OfferTerms(OfferType.SET_PRICE_COUPON, price=100)
    result = discount(terms, basket(line("A", 300, quantity="3"), line("B", 250)))
    assert result.amount == 150
    assert shares(result) == [("B", 150)]


def test_set_price_above_every_unit_gives_nothing() -> None:
    terms = OfferTerms(OfferType.SET_PRICE_COUPON, price=500, max_items=3)
    result = discount(terms, basket(line("A", 300)))
    assert result.amount == 0
    assert result.line_shares == ()


def test_set_price_coupon_with_several_items() -> None:
    terms = OfferTerms(OfferType.SET_PRICE_COUPON, price=0, max_items=2)
    result = discount(terms, basket(line("A", 900, quantity="3")))
    assert result.amount == 600
    assert result.discounted_line_id_quantities == (("A", 2),)


def test_buy_one_get_one_fixed_amount() -> None:
    terms = OfferTerms(OfferType.BUY_X_GET_Y_FIXED, amount=150, buy_count=1, get_count=1)
    result = discount(terms, basket(line("A", 400), line("B", 300)))
    assert result.amount == 150
    assert shares(result) == [("B", 150)]


def test_buy_x_get_y_fixed_never_exceeds_the_unit() -> None:
    terms = OfferTerms(OfferType.BUY_X_GET_Y_FIXED, amount=1000, buy_count=1, get_count=1)
    assert discount(terms, basket(line("A", 400), line("B", 300))).amount == 300


def test_buy_x_get_y_set_price() -> None:
    terms = OfferTerms(OfferType.BUY_X_GET_Y_SET_PRICE, price=100, buy_count=2, get_count=1)
    result = discount(terms, basket(line("A", 600), line("B", 500), line("C", 400)))
    assert result.amount == 300
    assert shares(result) == [("C", 300)]


def test_buy_x_get_y_recurrence_defaults_to_one() -> None:
    terms = OfferTerms(OfferType.BUY_X_GET_Y_PERCENT, percent_bp=10000, buy_count=1, get_count=1)
    result = discount(terms, basket(line("A", 400, quantity="4")))
    assert result.amount == 100
    assert result.discounted_line_id_quantities == (("A", 1),)


def test_buy_x_get_y_without_a_whole_chunk_gives_nothing() -> None:
    terms = OfferTerms(OfferType.BUY_X_GET_Y_PERCENT, percent_bp=10000, buy_count=2, get_count=1)
    result = discount(terms, basket(line("A", 400), line("B", 300)))
    assert result.amount == 0
    assert result.line_shares == ()


def test_buy_x_get_y_units_within_one_line_and_partial_chunks_ignored() -> None:
    # Seven 2.00 units, buy 2 get 1, up to five times: two whole chunks of 3 and a leftover 1.
    terms = OfferTerms(OfferType.BUY_X_GET_Y_PERCENT, percent_bp=5000, buy_count=2, get_count=1, recurrence=5)
    result = discount(terms, basket(line("A", 1400, quantity="7")))
    assert result.amount == 200  # half of two 2.00 units
    assert result.discounted_line_id_quantities == (("A", 2),)


def test_buy_x_get_y_ignores_ineligible_units() -> None:
    terms = OfferTerms(
        OfferType.BUY_X_GET_Y_PERCENT,
        percent_bp=10000,
        buy_count=1,
        get_count=1,
        catalog=(CatalogRestriction(Mode.EXCLUDE, item_ids=("gift-card",)),),
    )
    check = basket(line("A", 5000, item_id="gift-card"), line("B", 300), line("C", 200))
    result = discount(terms, check)
    assert shares(result) == [("C", 200)]


def test_huge_quantity_does_not_build_every_unit() -> None:
    terms = OfferTerms(OfferType.BUY_X_GET_Y_PERCENT, percent_bp=10000, buy_count=1, get_count=1, recurrence=3)
    result = discount(terms, basket(line("A", 10**9 + 7, quantity=str(10**9))))
    # Units: 7 at 2 cents, the rest at 1 cent; rewards are the 2nd, 4th and 6th units (2 cents each).
    assert result.amount == 6


def test_manual_fulfillment_is_zero_with_no_lines_and_keeps_stack_order() -> None:
    terms = OfferTerms(OfferType.MANUAL_FULFILLMENT)
    earlier = ExistingDiscount(amount=100, discounted_line_ids=("A",), stack_order=4)
    result = discount(terms, basket(line("A", 1000), discounts=(earlier,)))
    assert result.amount == 0
    assert result.line_shares == ()
    assert result.discounted_line_ids == ()
    assert result.stack_order == 5


def test_manual_fulfillment_restrictions_still_apply() -> None:
    terms = OfferTerms(OfferType.MANUAL_FULFILLMENT, use=(Channels(("ONLINE",)),))
    assert reason(terms, basket(line("A", 1000)), context(channel="STORE")) == "CHANNEL_NOT_ELIGIBLE"


def test_manual_fulfillment_catalog_needs_a_matching_line_not_a_remaining_amount() -> None:
    catalog = (CatalogRestriction(Mode.INCLUDE, item_ids=("tote",)),)
    terms = OfferTerms(OfferType.MANUAL_FULFILLMENT, catalog=catalog)
    free_tote = ExistingDiscount(amount=500, discounted_line_ids=("A",))
    assert discount(terms, basket(line("A", 500, item_id="tote"), discounts=(free_tote,))).amount == 0
    assert reason(terms, basket(line("A", 500, item_id="mug"))) == "NO_ELIGIBLE_ITEMS"
    assert discount(OfferTerms(OfferType.MANUAL_FULFILLMENT), basket()).amount == 0


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"offer_type": OfferType.PERCENT_CHECK_DISCOUNT}, ValueError),
        ({"offer_type": OfferType.FIXED_AMOUNT_CHECK_DISCOUNT}, ValueError),
        ({"offer_type": OfferType.SET_PRICE_COUPON}, ValueError),
        ({"offer_type": OfferType.BUY_X_GET_Y_FIXED, "amount": 100, "buy_count": 1}, ValueError),
        ({"offer_type": OfferType.PERCENT_ITEM_DISCOUNT, "percent_bp": 10001}, ValueError),
        ({"offer_type": OfferType.FIXED_AMOUNT_CHECK_DISCOUNT, "amount": -1}, ValueError),
        ({"offer_type": OfferType.FIXED_AMOUNT_CHECK_DISCOUNT, "amount": 1.5}, TypeError),
        ({"offer_type": OfferType.FIXED_AMOUNT_CHECK_DISCOUNT, "amount": 1, "recurrence": 0}, ValueError),
        ({"offer_type": "no_such_type"}, ValueError),
    ],
)
def test_terms_reject_programmer_errors(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        OfferTerms(**kwargs)  # type: ignore[arg-type]


def test_offer_type_accepts_the_wire_string() -> None:
    terms = OfferTerms("percent_check_discount", percent_bp=1000)  # type: ignore[arg-type]
    assert terms.offer_type is OfferType.PERCENT_CHECK_DISCOUNT


def test_weighed_quantity_is_reported_as_decimal() -> None:
    terms = OfferTerms(OfferType.PERCENT_CHECK_DISCOUNT, percent_bp=1000)
    result = discount(terms, basket(line("A", 750, quantity="1.5")))
    assert result.discounted_line_id_quantities == (("A", Decimal("1.5")),)
