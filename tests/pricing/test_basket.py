"""Groups and modifiers, units, fractional quantities, and earlier discounts on the check."""

from decimal import Decimal

import pytest

from openoffers.pricing import (
    CatalogRestriction,
    ExistingDiscount,
    Line,
    Mode,
    OfferTerms,
    OfferType,
    remaining_amounts,
)
from tests.pricing.pricing_helpers import basket, discount, line, reason, shares

FREE_ITEM = OfferTerms(OfferType.PERCENT_ITEM_DISCOUNT, percent_bp=10000, max_items=1)


def test_modifier_price_is_part_of_the_unit_and_shares_the_discount() -> None:
    terms = OfferTerms(OfferType.SET_PRICE_COUPON, price=100)
    check = basket(line("0", 300, item_id="latte"), line("1", 50, item_id="oat", modifies="0"))
    result = discount(terms, check)
    # Unit 3.50 -> 1.00 saves 2.50, spread 300:50 by largest remainder.
    assert result.amount == 250
    assert shares(result) == [("0", 214), ("1", 36)]
    assert result.discounted_line_ids == ("0", "1")


def test_modifiers_of_modifiers_follow_the_root() -> None:
    check = basket(
        line("0", 400, item_id="burger"),
        line("1", 100, item_id="cheese", modifies="0"),
        line("2", 50, item_id="extra-cheese", modifies="1"),
        line("3", 300, item_id="fries"),
    )
    result = discount(FREE_ITEM, check)
    assert result.amount == 550
    assert shares(result) == [("0", 400), ("1", 100), ("2", 50)]


def test_multi_unit_group_discounts_one_unit_and_a_share_of_each_modifier() -> None:
    check = basket(
        line("0", 900, quantity="3", item_id="latte"),
        line("1", 150, quantity="3", item_id="shot", modifies="0"),
        line("2", 60, quantity="1", item_id="lid", modifies="0"),
    )
    result = discount(FREE_ITEM, check)
    # Units of (900 + 150 + 60) / 3 = 370.
    assert result.amount == 370
    assert shares(result) == [("0", 300), ("1", 50), ("2", 20)]
    assert result.discounted_line_id_quantities == (
        ("0", 1),
        ("1", 1),
        ("2", Decimal("0.333333")),
    )


def test_modifier_listed_before_its_root_keeps_check_order() -> None:
    check = basket(line("m", 100, item_id="syrup", modifies="r"), line("r", 400, item_id="latte"))
    result = discount(FREE_ITEM, check)
    assert shares(result) == [("m", 100), ("r", 400)]


def test_modifier_never_qualifies_on_its_own() -> None:
    terms = OfferTerms(
        OfferType.FIXED_AMOUNT_CHECK_DISCOUNT,
        amount=1000,
        catalog=(CatalogRestriction(Mode.INCLUDE, item_ids=("oat",)),),
    )
    check = basket(line("0", 300, item_id="latte"), line("1", 50, item_id="oat", modifies="0"))
    assert reason(terms, check) == "NO_ELIGIBLE_ITEMS"


def test_excluding_the_root_excludes_its_modifiers() -> None:
    terms = OfferTerms(
        OfferType.FIXED_AMOUNT_CHECK_DISCOUNT,
        amount=1000,
        catalog=(CatalogRestriction(Mode.EXCLUDE, item_ids=("latte",)),),
    )
    check = basket(
        line("0", 300, item_id="latte"),
        line("1", 50, item_id="oat", modifies="0"),
        line("2", 200, item_id="tea"),
    )
    assert shares(discount(terms, check)) == [("2", 200)]


def test_orphan_modifier_is_never_eligible_but_counts_in_the_check_total() -> None:
    check = basket(line("0", 300), line("1", 50, modifies="missing"))
    terms = OfferTerms(OfferType.FIXED_AMOUNT_CHECK_DISCOUNT, amount=1000)
    assert shares(discount(terms, check)) == [("0", 300)]
    assert remaining_amounts(check) == {"0": 300, "1": 50}


def test_empty_modifies_line_id_means_a_root_line() -> None:
    assert Line("0", "1", Decimal(1), 1000, 1000, "").modifies_line_id is None


def test_whole_quantity_remainder_cents_go_to_the_first_units() -> None:
    # 10.00 for 3: units 3.34, 3.33, 3.33.
    result = discount(FREE_ITEM, basket(line("A", 1000, quantity="3")))
    assert result.amount == 334
    assert result.discounted_line_id_quantities == (("A", 1),)


def test_fractional_quantity_is_one_unit() -> None:
    terms = OfferTerms(OfferType.FIXED_AMOUNT_ITEM_DISCOUNT, amount=200, max_items=2)
    check = basket(line("cheese", 750, quantity="1.5"), line("apples", 300, quantity="2"))
    result = discount(terms, check)
    # Units 7.50 (one, weighed), 1.50, 1.50: savings 200, 150, 150.
    assert result.amount == 350
    assert shares(result) == [("cheese", 200), ("apples", 150)]
    assert result.discounted_line_id_quantities == (("cheese", Decimal("1.5")), ("apples", 1))


def test_zero_quantity_line_has_no_units() -> None:
    result = discount(FREE_ITEM, basket(line("void", 500, quantity="0"), line("B", 100)))
    assert shares(result) == [("B", 100)]


def test_earlier_discounts_apply_in_stack_order_with_given_shares() -> None:
    first = ExistingDiscount(amount=300, line_shares=(("A", 200), ("B", 100)), stack_order=0)
    second = ExistingDiscount(amount=900, discounted_line_ids=("A", "B"), stack_order=3)
    check = basket(line("A", 1000), line("B", 500), line("C", 100), discounts=(second, first))
    # After the first: 800, 400; the second takes 900 of 1200 -> 600, 300.
    assert remaining_amounts(check) == {"A": 200, "B": 100, "C": 100}
    terms = OfferTerms(OfferType.FIXED_AMOUNT_CHECK_DISCOUNT, amount=10_000)
    result = discount(terms, check)
    assert result.amount == 400
    assert shares(result) == [("A", 200), ("B", 100), ("C", 100)]
    assert result.stack_order == 4


def test_earlier_discount_never_takes_a_line_below_zero() -> None:
    too_big = ExistingDiscount(amount=5000, discounted_line_ids=("A",))
    given = ExistingDiscount(amount=5000, line_shares=(("B", 5000),), stack_order=1)
    check = basket(line("A", 1000), line("B", 500), line("C", 100), discounts=(too_big, given))
    assert remaining_amounts(check) == {"A": 0, "B": 0, "C": 100}


def test_earlier_discount_without_lines_spreads_over_the_whole_check() -> None:
    pos_discount = ExistingDiscount(amount=300, stack_order=0)
    check = basket(line("A", 1000), line("B", 500), discounts=(pos_discount,))
    assert remaining_amounts(check) == {"A": 800, "B": 400}


def test_earlier_discount_naming_lines_not_on_the_check_is_ignored() -> None:
    stale = ExistingDiscount(amount=300, discounted_line_ids=("gone",))
    check = basket(line("A", 1000), discounts=(stale,))
    assert remaining_amounts(check) == {"A": 1000}


def test_item_units_are_priced_from_remaining_amounts() -> None:
    earlier = ExistingDiscount(amount=600, discounted_line_ids=("A",))
    check = basket(line("A", 1000), line("B", 500), discounts=(earlier,))
    # A has 4.00 left, B 5.00: the free item is B.
    result = discount(FREE_ITEM, check)
    assert shares(result) == [("B", 500)]
    assert result.stack_order == 1


def test_duplicate_line_ids_are_refused() -> None:
    with pytest.raises(ValueError):
        basket(line("A", 100), line("A", 200))


def test_float_quantity_is_refused() -> None:
    with pytest.raises(TypeError):
        Line("A", "x", 1.5, 100, 150)  # type: ignore[arg-type]
