"""Hypothesis properties of `evaluate` over random checks, earlier discounts and offer terms."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from openoffers.pricing import (
    Basket,
    CatalogRestriction,
    Discount,
    ExistingDiscount,
    Ineligible,
    Line,
    Mode,
    OfferTerms,
    OfferType,
    evaluate,
    remaining_amounts,
)
from tests.pricing.pricing_helpers import context

ITEMS = ("a", "b", "c", "d")
CATEGORIES = {"a": ("cat1",), "b": ("cat1", "cat2"), "c": ("cat3",)}
QUANTITIES = [Decimal(q) for q in ("1", "1", "2", "3", "7", "0.5", "1.25", "0", "-1", "2.000")]


@st.composite
def baskets(draw: st.DrawFn) -> Basket:
    count = draw(st.integers(0, 8))
    lines: list[Line] = []
    for index in range(count):
        parent = None
        if index and draw(st.booleans()):
            parent = draw(st.sampled_from([*(str(i) for i in range(count)), "missing"]))
        subtotal = draw(st.integers(-100, 5000))
        lines.append(
            Line(
                str(index),
                draw(st.sampled_from(ITEMS)),
                draw(st.sampled_from(QUANTITIES)),
                0,
                subtotal,
                parent,
            )
        )
    ids = [line.line_id for line in lines]
    discounts: list[ExistingDiscount] = []
    for _ in range(draw(st.integers(0, 3))):
        named = tuple(draw(st.lists(st.sampled_from([*ids, "gone"]), max_size=4))) if ids else ()
        per_line = None
        if bool(ids) and draw(st.booleans()):
            per_line = tuple(
                (line_id, draw(st.integers(-10, 3000))) for line_id in draw(st.lists(st.sampled_from(ids)))
            )
        discounts.append(
            ExistingDiscount(
                amount=draw(st.integers(0, 4000)),
                discounted_line_ids=named,
                stack_order=draw(st.integers(0, 5)),
                line_shares=per_line,
            )
        )
    return Basket(tuple(lines), tuple(discounts), CATEGORIES)


@st.composite
def offer_terms(draw: st.DrawFn) -> OfferTerms:
    offer_type = draw(st.sampled_from([t for t in OfferType if t is not OfferType.MANUAL_FULFILLMENT]))
    catalog: tuple[CatalogRestriction, ...] = ()
    if draw(st.booleans()):
        catalog = (
            CatalogRestriction(
                draw(st.sampled_from(list(Mode))),
                tuple(draw(st.lists(st.sampled_from(ITEMS), max_size=2))),
                tuple(draw(st.lists(st.sampled_from(["cat1", "cat2", "cat3"]), max_size=2))),
            ),
        )
    optional = st.none() | st.integers(0, 3000)
    return OfferTerms(
        offer_type,
        amount=draw(st.integers(0, 6000)),
        percent_bp=draw(st.integers(0, 10000)),
        price=draw(st.integers(0, 3000)),
        max_discount=draw(optional),
        max_items=draw(st.none() | st.integers(0, 5)),
        buy_count=draw(st.integers(0, 3)),
        get_count=draw(st.integers(1, 3)),
        recurrence=draw(st.integers(1, 4)),
        catalog=catalog,
    )


def _root(check: Basket, line: Line) -> Line | None:
    """The group root of `line`, found independently of the engine (None for orphans and cycles)."""
    by_id = {candidate.line_id: candidate for candidate in check.lines}
    seen: set[str] = set()
    current = line
    while current.modifies_line_id is not None:
        if current.line_id in seen or current.modifies_line_id not in by_id:
            return None
        seen.add(current.line_id)
        current = by_id[current.modifies_line_id]
    return current


def _eligible_line_ids(terms: OfferTerms, check: Basket) -> set[str]:
    eligible: set[str] = set()
    for line in check.lines:
        root = _root(check, line)
        if root is None:
            continue
        cats = set(CATEGORIES.get(root.item_id, ()))
        ok = True
        for restriction in terms.catalog:
            listed = root.item_id in restriction.item_ids or bool(cats & set(restriction.category_ids))
            ok = ok and listed == (restriction.mode is Mode.INCLUDE)
        if ok:
            eligible.add(line.line_id)
    return eligible


@settings(max_examples=200, deadline=None)
@given(terms=offer_terms(), check=baskets())
def test_discount_invariants(terms: OfferTerms, check: Basket) -> None:
    result = evaluate(terms, check, context())
    remaining = remaining_amounts(check)
    assert all(amount >= 0 for amount in remaining.values())
    if isinstance(result, Ineligible):
        # No restriction but the catalog (and stacking, never exclusive here) can fail.
        assert result.reason == "NO_ELIGIBLE_ITEMS"
        assert not any(remaining[i] > 0 for i in _eligible_line_ids(terms, check))
        return
    eligible = _eligible_line_ids(terms, check)
    eligible_total = sum(remaining[i] for i in eligible)
    assert result.amount >= 0
    assert sum(share.amount for share in result.line_shares) == result.amount
    assert result.amount <= eligible_total
    if terms.max_discount is not None:
        assert result.amount <= terms.max_discount
    order = [line.line_id for line in check.lines]
    ids = list(result.discounted_line_ids)
    assert ids == sorted(ids, key=order.index)
    assert len(set(ids)) == len(ids)
    for share in result.line_shares:
        assert 0 < share.amount <= remaining[share.line_id]
        assert share.line_id in eligible
    expected_order = max((d.stack_order for d in check.discounts), default=-1) + 1
    assert result.stack_order == expected_order


@settings(max_examples=200, deadline=None)
@given(terms=offer_terms(), check=baskets())
def test_same_input_same_output(terms: OfferTerms, check: Basket) -> None:
    first = evaluate(terms, check, context())
    rebuilt = Basket(tuple(check.lines), tuple(check.discounts), dict(CATEGORIES))
    assert evaluate(terms, rebuilt, context()) == first
    assert evaluate(terms, check, context()) == first


@settings(max_examples=200, deadline=None)
@given(check=baskets(), amount=st.integers(0, 50_000))
def test_fixed_check_discount_takes_all_it_can(check: Basket, amount: int) -> None:
    result = evaluate(OfferTerms(OfferType.FIXED_AMOUNT_CHECK_DISCOUNT, amount=amount), check, context())
    eligible_total = sum(
        remaining
        for line_id, remaining in remaining_amounts(check).items()
        if _root(check, next(line for line in check.lines if line.line_id == line_id)) is not None
    )
    if isinstance(result, Discount):
        assert result.amount == min(amount, eligible_total)
    else:
        assert eligible_total == 0
