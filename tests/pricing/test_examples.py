"""PRICING.md's six worked examples, with exact values."""

from openoffers.pricing import ExistingDiscount, OfferTerms, OfferType
from tests.pricing.pricing_helpers import basket, discount, line, shares


def test_example_1_guide_lock_check_discount_capped_by_modifier_group() -> None:
    terms = OfferTerms(OfferType.FIXED_AMOUNT_CHECK_DISCOUNT, amount=2000)
    result = discount(terms, basket(line("0", 1000, item_id="1"), line("1", 100, item_id="2", modifies="0")))
    assert result.amount == 1100
    assert result.discounted_line_ids == ("0", "1")
    assert shares(result) == [("0", 1000), ("1", 100)]
    assert result.stack_order == 0


def test_example_2_percent_check_discount() -> None:
    terms = OfferTerms(OfferType.PERCENT_CHECK_DISCOUNT, percent_bp=1500)
    result = discount(terms, basket(line("A", 1000), line("B", 555)))
    assert result.amount == 233
    assert shares(result) == [("A", 150), ("B", 83)]
    assert result.discounted_line_ids == ("A", "B")
    assert result.stack_order == 0


def test_example_3_buy_two_get_one_free_twice() -> None:
    terms = OfferTerms(OfferType.BUY_X_GET_Y_PERCENT, percent_bp=10000, buy_count=2, get_count=1, recurrence=2)
    check = basket(line("a", 500), line("b", 400), line("c", 300), line("d", 200), line("e", 100), line("f", 100))
    result = discount(terms, check)
    # Chunks [5, 4, 3] and [2, 1, 1]: the rewards are the 3.00 and the last 1.00.
    assert result.amount == 400
    assert shares(result) == [("c", 300), ("f", 100)]
    assert result.stack_order == 0


def test_example_4_set_price_coupon_takes_the_biggest_saving() -> None:
    terms = OfferTerms(OfferType.SET_PRICE_COUPON, price=100, max_items=1)
    result = discount(terms, basket(line("latte", 350), line("drip", 275)))
    assert result.amount == 250
    assert shares(result) == [("latte", 250)]
    assert result.discounted_line_id_quantities == (("latte", 1),)
    assert result.stack_order == 0


def test_example_5_half_off_up_to_two_items() -> None:
    terms = OfferTerms(OfferType.PERCENT_ITEM_DISCOUNT, percent_bp=5000, max_items=2)
    result = discount(terms, basket(line("A", 499), line("B", 499), line("C", 200)))
    assert result.amount == 499
    # 499 over two 4.99 units: 249.5 each, the odd cent to the earlier line.
    assert shares(result) == [("A", 250), ("B", 249)]
    assert result.stack_order == 0


def test_example_6_earlier_discount_sets_remaining_amounts_and_stack_order() -> None:
    earlier = ExistingDiscount(amount=500, discounted_line_ids=("A",), stack_order=0)
    terms = OfferTerms(OfferType.FIXED_AMOUNT_CHECK_DISCOUNT, amount=800)
    result = discount(terms, basket(line("A", 1000), line("B", 1000), discounts=(earlier,)))
    assert result.amount == 800
    assert shares(result) == [("A", 267), ("B", 533)]
    assert result.stack_order == 1
