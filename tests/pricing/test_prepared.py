"""The prepared check and `stack` against the plain engine: exactly what calling `evaluate` for each
offer in turn gives, with the basket rebuilt to hold every earlier discount (PRICING's stacking)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openoffers.pricing import (
    Basket,
    CatalogRestriction,
    Discount,
    ExistingDiscount,
    Ineligible,
    Line,
    LineShare,
    MinQuantity,
    MinSubtotal,
    Mode,
    OfferTerms,
    OfferType,
    PurchaseRestriction,
    RequiredItems,
    as_existing,
    evaluate,
    evaluate_prepared,
    prepare,
    stack,
)
from tests.pricing.pricing_helpers import basket, context, line
from tests.pricing.test_properties import CATEGORIES, ITEMS, QUANTITIES

# "1.50" as well: a quantity share must keep the exact Decimal the engine computes.
SHARE_QUANTITIES = [*QUANTITIES, Decimal("1.50")]


@st.composite
def checks(draw: st.DrawFn) -> Basket:
    """Lines with modifiers (some orphaned or in cycles) and up to three discounts already on it."""
    count = draw(st.integers(0, 10))
    ids = [str(index) for index in range(count)]
    lines = [
        Line(
            line_id,
            draw(st.sampled_from(ITEMS)),
            draw(st.sampled_from(SHARE_QUANTITIES)),
            0,
            draw(st.integers(-100, 5000)),
            draw(st.none() | st.sampled_from([*ids, "missing"])) if index else None,
        )
        for index, line_id in enumerate(ids)
    ]
    discounts = [
        ExistingDiscount(
            amount=draw(st.integers(0, 4000)),
            discounted_line_ids=tuple(draw(st.lists(st.sampled_from([*ids, "gone"]), max_size=4))) if ids else (),
            stack_order=draw(st.integers(0, 5)),
            exclusive=draw(st.booleans()) and draw(st.booleans()),
            line_shares=(
                tuple((i, draw(st.integers(-10, 3000))) for i in draw(st.lists(st.sampled_from(ids), max_size=4)))
                if bool(ids) and draw(st.booleans())
                else None
            ),
        )
        for _ in range(draw(st.integers(0, 3)))
    ]
    return Basket(tuple(lines), tuple(discounts), CATEGORIES)


@st.composite
def offers(draw: st.DrawFn) -> OfferTerms:
    """Every offer type, with catalog and purchase restrictions, sometimes exclusive."""
    catalog = tuple(
        CatalogRestriction(
            draw(st.sampled_from(list(Mode))),
            tuple(draw(st.lists(st.sampled_from(ITEMS), max_size=2))),
            tuple(draw(st.lists(st.sampled_from(["cat1", "cat2", "cat3"]), max_size=2))),
        )
        for _ in range(draw(st.integers(0, 2)))
    )
    purchase: list[PurchaseRestriction] = []
    if draw(st.integers(0, 3)) == 0:
        purchase.append(MinSubtotal(draw(st.integers(0, 8000))))
    if draw(st.integers(0, 3)) == 0:
        purchase.append(MinQuantity(draw(st.integers(0, 6)), tuple(draw(st.lists(st.sampled_from(ITEMS), max_size=2)))))
    if draw(st.integers(0, 3)) == 0:
        purchase.append(
            RequiredItems(category_ids=tuple(draw(st.lists(st.sampled_from(["cat1", "cat3"]), max_size=1))))
        )
    return OfferTerms(
        draw(st.sampled_from(list(OfferType))),
        amount=draw(st.integers(0, 6000)),
        percent_bp=draw(st.integers(0, 10000)),
        price=draw(st.integers(0, 3000)),
        max_discount=draw(st.none() | st.integers(0, 3000)),
        max_items=draw(st.none() | st.integers(0, 5)),
        buy_count=draw(st.integers(0, 3)),
        get_count=draw(st.integers(1, 3)),
        recurrence=draw(st.integers(1, 4)),
        exclusive=draw(st.integers(0, 5)) == 0,
        catalog=catalog,
        purchase=tuple(purchase),
    )


def stacked_one_by_one(terms: list[OfferTerms], check: Basket) -> list[Discount | Ineligible]:
    """The reference: `evaluate` on a basket rebuilt before each offer with every earlier discount."""
    discounts = list(check.discounts)
    results: list[Discount | Ineligible] = []
    for offer in terms:
        result = evaluate(offer, Basket(check.lines, tuple(discounts), dict(CATEGORIES)), context())
        if isinstance(result, Discount):
            shares = tuple((share.line_id, share.amount) for share in result.line_shares)
            discounts.append(
                ExistingDiscount(result.amount, result.discounted_line_ids, result.stack_order, offer.exclusive, shares)
            )
        results.append(result)
    return results


def assert_identical(fast: object, slow: object) -> None:
    # repr as well as ==: Decimal("1.5") == Decimal("1.50"), but the POS would see the difference.
    assert fast == slow
    assert repr(fast) == repr(slow)


@settings(max_examples=200, deadline=None)
@given(check=checks(), terms=st.lists(offers(), max_size=8))
def test_stack_is_evaluate_with_the_basket_rebuilt_each_time(check: Basket, terms: list[OfferTerms]) -> None:
    assert_identical(list(stack([(offer, context()) for offer in terms], check)), stacked_one_by_one(terms, check))


@settings(max_examples=100, deadline=None)
@given(check=checks(), terms=st.lists(offers(), max_size=6))
def test_one_prepared_check_prices_every_offer_as_evaluate_does(check: Basket, terms: list[OfferTerms]) -> None:
    prepared = prepare(check)
    for offer in terms:
        assert_identical(evaluate_prepared(offer, prepared, context()), evaluate(offer, check, context()))


@settings(max_examples=100, deadline=None)
@given(check=checks(), other=checks(), terms=st.lists(offers(), max_size=4))
def test_with_discounts_is_the_same_lines_prepared_afresh(
    check: Basket, other: Basket, terms: list[OfferTerms]
) -> None:
    # Only `other`'s discounts are used, and only those naming lines of `check` matter.
    moved = Basket(check.lines, other.discounts, CATEGORIES)
    rediscounted = prepare(check).with_discounts(other.discounts)
    assert_identical(rediscounted.remaining, prepare(moved).remaining)
    for offer in terms:
        assert_identical(evaluate_prepared(offer, rediscounted, context()), evaluate(offer, moved, context()))


@settings(max_examples=100, deadline=None)
@given(check=checks(), first=offers(), then=st.lists(offers(), max_size=4))
def test_stacking_on_a_prepared_check_matches_stacking_on_its_basket(
    check: Basket, first: OfferTerms, then: list[OfferTerms]
) -> None:
    prepared = prepare(check)
    assert_identical(
        stack([(o, context()) for o in [first, *then]], prepared), tuple(stacked_one_by_one([first, *then], check))
    )


@settings(max_examples=200, deadline=None)
@given(check=checks(), data=st.data())
def test_stacking_any_discount_is_preparing_the_basket_with_it(check: Basket, data: st.DataObject) -> None:
    """`stacked` takes a discount's shares in its own loop (not `take_shares`, which the basket's
    discounts go through), so it meets shares no evaluation makes here: above what a line has left,
    zero or negative, repeated, or naming a line not on the check."""
    ids = [one.line_id for one in check.lines]
    prepared, discounts = prepare(check), list(check.discounts)
    for _ in range(data.draw(st.integers(1, 3))):
        shares = data.draw(st.lists(st.tuples(st.sampled_from([*ids, "gone"]), st.integers(-10, 6000)), max_size=6))
        discount = Discount(
            amount=sum(amount for _, amount in shares),
            line_shares=tuple(LineShare(line_id, amount, 1) for line_id, amount in shares),
            stack_order=prepared.next_stack_order + data.draw(st.integers(-1, 1)),
        )
        exclusive = data.draw(st.booleans())
        prepared = prepared.stacked(discount, exclusive=exclusive)
        discounts.append(as_existing(discount, exclusive))
        fresh = prepare(Basket(check.lines, tuple(discounts), check.categories))
        assert (prepared.remaining, prepared.total, prepared.totals, prepared.runs) == (
            fresh.remaining,
            fresh.total,
            fresh.totals,
            fresh.runs,
        )
        assert (prepared.discounted, prepared.exclusive, prepared.top) == (fresh.discounted, fresh.exclusive, fresh.top)
        assert prepared.pool(()) == fresh.pool(())


def test_a_discount_cannot_go_under_the_top_of_the_stack() -> None:
    check = basket(line("A", 1000), discounts=(ExistingDiscount(amount=100, stack_order=3),))
    prepared = prepare(check)
    with pytest.raises(ValueError, match="below the check's top"):
        prepared.stacked(Discount(amount=0, line_shares=(), stack_order=2), exclusive=False)
    on_top = prepared.stacked(Discount(amount=0, line_shares=(), stack_order=3), exclusive=True)
    assert (on_top.top, on_top.next_stack_order, on_top.exclusive) == (3, 4, True)


def test_a_zero_discount_still_counts_for_exclusivity() -> None:
    check = basket(line("A", 1000, item_id="a"))
    exclusive_manual = OfferTerms(OfferType.MANUAL_FULFILLMENT, exclusive=True)
    follower = OfferTerms(OfferType.FIXED_AMOUNT_CHECK_DISCOUNT, amount=100)
    first, second = stack([(exclusive_manual, context()), (follower, context())], check)
    assert first == Discount(amount=0, line_shares=(), stack_order=0)
    assert isinstance(second, Ineligible) and second.reason == "NOT_STACKABLE"
