"""`PreparedCheck.pool` against a plain definition written out here, and its memos against fresh work.

The definition (`expected_pool`) rebuilds the groups by walking each line up to its root rather than
the engine's walk down from roots, expands every unit, and sorts by an explicit key instead of relying
on a stable sort, so a Pool that agrees with it cannot be agreeing with itself. It takes the check's
remaining amounts as given: that they are right after stacking is test_prepared.py's concern.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openoffers.pricing import (
    Basket,
    CatalogRestriction,
    Discount,
    ExistingDiscount,
    Line,
    LineShare,
    Mode,
    OfferTerms,
    PreparedCheck,
    as_existing,
    evaluate_prepared,
    prepare,
)
from openoffers.pricing.basket import picked_quantity, unit_count, whole_quantity
from openoffers.pricing.check import Pool
from tests.pricing.pricing_helpers import basket, context, line
from tests.pricing.test_prepared import SHARE_QUANTITIES, checks, offers
from tests.pricing.test_properties import CATEGORIES, ITEMS

Catalog = tuple[CatalogRestriction, ...]
Run = tuple[int, int, int, int]  # (price, group index, first unit, unit count), as the engine keeps them


class Expected(NamedTuple):
    line_ids: tuple[str, ...]
    taking: tuple[int, ...]
    weights: tuple[int, ...]
    total: int
    runs: tuple[Run, ...]
    units: int


def observed(pool: Pool) -> Expected:
    return Expected(pool.eligible.line_ids, pool.taking, pool.weights, pool.total, pool.runs, pool.units)


def root_id(lines_by_id: Mapping[str, tuple[str, str | None]], line_id: str) -> str | None:
    """The root a line's chain of `modifies` reaches; None for a missing parent or a cycle."""
    seen: set[str] = set()
    current = line_id
    while True:
        parent = lines_by_id[current][1]
        if parent is None:
            return current
        if current in seen or parent not in lines_by_id:
            return None
        seen.add(current)
        current = parent


def unit_prices(total: int, quantity: Decimal) -> list[int]:
    """Each unit's price: `n` units for a whole quantity `n` > 0, one for a fractional one, none at
    zero or below; the cents that do not divide go to the first units."""
    if quantity <= 0:
        return []
    count = int(quantity) if quantity == int(quantity) else 1
    return [total // count + (1 if unit < total % count else 0) for unit in range(count)]


def expected_pool(check: Basket, remaining: Mapping[str, int], catalog: Catalog) -> Expected:
    lines_by_id = {one.line_id: (one.item_id, one.modifies_line_id) for one in check.lines}
    roots = [one for one in check.lines if one.modifies_line_id is None]  # groups, in check order

    def passes(item_id: str) -> bool:
        categories = set(check.categories.get(item_id, ()))
        for restriction in catalog:
            listed = item_id in restriction.item_ids or bool(categories & set(restriction.category_ids))
            if restriction.mode is Mode.INCLUDE and not listed:
                return False
            if restriction.mode is Mode.EXCLUDE and listed:
                return False
        return True

    chosen = {root.line_id for root in roots if passes(root.item_id)}
    eligible = [one.line_id for one in check.lines if root_id(lines_by_id, one.line_id) in chosen]
    taking = tuple(position for position, line_id in enumerate(eligible) if remaining[line_id] > 0)
    weights = tuple(remaining[eligible[position]] for position in taking)

    # Every priced unit on its own as (price, group, unit), then sorted priciest first, ties by group
    # then unit; runs are consecutive units of one group at one price.
    units: list[tuple[int, int, int]] = []
    for group, root in enumerate(roots):
        if root.line_id in chosen:
            total = sum(
                amount for line_id, amount in remaining.items() if root_id(lines_by_id, line_id) == root.line_id
            )
            prices = unit_prices(total, root.quantity)
            units.extend((price, group, unit) for unit, price in enumerate(prices) if price > 0)
    units.sort(key=lambda unit: (-unit[0], unit[1], unit[2]))
    runs: list[Run] = []
    for price, group, unit in units:
        if runs and runs[-1][0] == price and runs[-1][1] == group and runs[-1][2] + runs[-1][3] == unit:
            runs[-1] = (price, group, runs[-1][2], runs[-1][3] + 1)
        else:
            runs.append((price, group, unit, 1))
    return Expected(tuple(eligible), taking, weights, sum(weights), tuple(runs), len(units))


# Hand-computed examples. Group 0 is A (2 units of 1001 + 100 = 1101: 551 and 550), group 1 is B (one
# unit of 551, a tie with A's first), group 2 is C (weighed: one unit of 300), group 3 is D (quantity
# zero: no units, but its amount can still be taken). X modifies a missing line: in no group, never
# eligible.
EXAMPLE = basket(
    line("A", 1001, quantity="2", item_id="a"),
    line("A1", 100, item_id="oat", modifies="A"),
    line("B", 551, item_id="b"),
    line("C", 300, quantity="0.5", item_id="c"),
    line("D", 200, quantity="0", item_id="d"),
    line("X", 50, item_id="a", modifies="missing"),
    categories={"a": ("cat1",), "b": ("cat1", "cat2"), "c": ("cat3",)},
)
EVERYTHING = Expected(
    ("A", "A1", "B", "C", "D"),
    (0, 1, 2, 3, 4),
    (1001, 100, 551, 300, 200),
    2152,
    ((551, 0, 0, 1), (551, 1, 0, 1), (550, 0, 1, 1), (300, 2, 0, 1)),
    4,
)
NOTHING = Expected((), (), (), 0, (), 0)


@pytest.mark.parametrize(
    ("catalog", "expected"),
    [
        ((), EVERYTHING),
        (
            (CatalogRestriction(Mode.INCLUDE, category_ids=("cat1",)),),
            Expected(("A", "A1", "B"), (0, 1, 2), (1001, 100, 551), 1652, EVERYTHING.runs[:3], 3),
        ),
        (
            (CatalogRestriction(Mode.EXCLUDE, item_ids=("a", "c")),),
            Expected(("B", "D"), (0, 1), (551, 200), 751, ((551, 1, 0, 1),), 1),
        ),
        (
            # Both must pass: cat1 or cat3 lets A, B and C in; excluding item b takes B out again.
            (
                CatalogRestriction(Mode.INCLUDE, category_ids=("cat1", "cat3")),
                CatalogRestriction(Mode.EXCLUDE, item_ids=("b",)),
            ),
            Expected(
                ("A", "A1", "C"), (0, 1, 2), (1001, 100, 300), 1401, ((551, 0, 0, 1), (550, 0, 1, 1), (300, 2, 0, 1)), 3
            ),
        ),
        ((CatalogRestriction(Mode.INCLUDE, item_ids=("nowhere",)),), NOTHING),
        ((CatalogRestriction(Mode.INCLUDE, item_ids=("oat",)),), NOTHING),  # a modifier's item never qualifies
    ],
)
def test_pool_examples(catalog: Catalog, expected: Expected) -> None:
    assert expected_pool(EXAMPLE, prepare(EXAMPLE).remaining, catalog) == expected
    assert observed(prepare(EXAMPLE).pool(catalog)) == expected


# A1 and B taken to zero by an earlier discount: both stay eligible lines but leave `taking`; A's two
# units are now 1001 (501 and 500) and B has no priced unit left.
AFTER = Expected(
    ("A", "A1", "B", "C", "D"),
    (0, 3, 4),
    (1001, 300, 200),
    1501,
    ((501, 0, 0, 1), (500, 0, 1, 1), (300, 2, 0, 1)),
    3,
)


def test_lines_at_zero_leave_the_pool_after_a_discount_on_the_check() -> None:
    on_check = ExistingDiscount(amount=651, line_shares=(("A1", 100), ("B", 600)))
    check = Basket(EXAMPLE.lines, (on_check,), EXAMPLE.categories)
    assert observed(prepare(check).pool(())) == AFTER


def test_lines_at_zero_leave_the_pool_after_a_stacked_discount() -> None:
    prepared = prepare(EXAMPLE)
    prepared.pool(())  # the unstacked check's memo must not leak into the stacked one
    taken = Discount(amount=651, line_shares=(LineShare("A1", 100, 1), LineShare("B", 551, 1)), stack_order=0)
    assert observed(prepared.stacked(taken, exclusive=False).pool(())) == AFTER
    assert observed(prepared.pool(())) == EVERYTHING


def test_cents_that_do_not_divide_go_to_the_first_units() -> None:
    check = basket(line("A", 10, quantity="3"), line("B", 4, quantity="1"), line("C", 2, quantity="4"))
    # A: 4, 3, 3; B: 4 (a tie with A's first, after it); C: 1, 1, 0, 0 (zero-priced units are left out).
    assert observed(prepare(check).pool(())) == Expected(
        ("A", "B", "C"), (0, 1, 2), (10, 4, 2), 16, ((4, 0, 0, 1), (4, 1, 0, 1), (3, 0, 1, 2), (1, 2, 0, 2)), 6
    )


# Random checks: lines with modifiers (some orphaned or in cycles), discounts already on them, and up to
# three offers stacked on top, as `stack` does; catalogs name items and categories on and off the check.
catalogs = st.lists(
    st.builds(
        CatalogRestriction,
        st.sampled_from(list(Mode)),
        st.lists(st.sampled_from([*ITEMS, "z"]), max_size=2).map(tuple),
        st.lists(st.sampled_from(["cat1", "cat2", "cat3", "cat9"]), max_size=2).map(tuple),
    ),
    max_size=3,
).map(tuple)


@st.composite
def tied_checks(draw: st.DrawFn) -> Basket:
    """Whole quantities and a few round subtotals, so units of different groups often cost the same."""
    count = draw(st.integers(2, 8))
    lines = [
        Line(
            str(index),
            draw(st.sampled_from(ITEMS)),
            Decimal(draw(st.integers(1, 3))),
            0,
            draw(st.sampled_from([0, 300, 600, 900])),
            draw(st.none() | st.sampled_from([str(earlier) for earlier in range(index)])) if index else None,
        )
        for index in range(count)
    ]
    return Basket(tuple(lines), (), CATEGORIES)


any_checks = checks() | tied_checks()


def stacked(check: Basket, terms: Sequence[OfferTerms]) -> PreparedCheck:
    prepared = prepare(check)
    for offer in terms:
        result = evaluate_prepared(offer, prepared, context())
        if isinstance(result, Discount):
            prepared = prepared.stacked(result, exclusive=offer.exclusive)
    return prepared


def rebuilt(check: Basket, prepared: PreparedCheck, terms: Sequence[OfferTerms]) -> PreparedCheck:
    """`prepare` of the basket holding every stacked discount: no memo shared with `prepared`."""
    discounts = list(check.discounts)
    current = prepare(check)
    for offer in terms:
        result = evaluate_prepared(offer, current, context())
        if isinstance(result, Discount):
            discounts.append(as_existing(result, offer.exclusive))
            current = prepare(Basket(check.lines, tuple(discounts), CATEGORIES))
    assert current.remaining == prepared.remaining
    return current


@settings(max_examples=300, deadline=None)
@given(check=any_checks, terms=st.lists(offers(), max_size=3), catalog=catalogs)
def test_pool_is_the_plain_definition(check: Basket, terms: list[OfferTerms], catalog: Catalog) -> None:
    prepared = stacked(check, terms)
    assert observed(prepared.pool(catalog)) == expected_pool(check, prepared.remaining, catalog)


@settings(max_examples=200, deadline=None)
@given(
    check=any_checks,
    terms=st.lists(offers(), max_size=3),
    queries=st.lists(catalogs, min_size=1, max_size=6),
    data=st.data(),
)
def test_memoised_pools_are_what_fresh_work_gives(
    check: Basket, terms: list[OfferTerms], queries: list[Catalog], data: st.DataObject
) -> None:
    """One prepared check asked for the same catalogs twice, in two orders, gives each time what a
    check prepared afresh for that one question gives, and what the definition says."""
    prepared = stacked(check, terms)
    again = data.draw(st.permutations(queries))
    for catalog in [*queries, *again]:
        fresh = rebuilt(check, prepared, terms).pool(catalog)
        assert prepared.pool(catalog) == fresh
        assert prepared.pool(catalog) is prepared.pool(catalog)  # memoised, not recomputed
        assert observed(fresh) == expected_pool(check, prepared.remaining, catalog)
        # The layout's eligibility memo is shared by every check stacked on the same lines.
        assert prepared.layout.eligible(catalog) == prepare(check).layout.eligible(catalog)


# "2" and "2.000", "1.5" and "1.50": equal Decimals share one cache entry, so the value cached first
# must be exactly (repr included) what the other spelling computes.
quantities = st.sampled_from([*SHARE_QUANTITIES, Decimal("2"), Decimal("1.5"), Decimal("7.0"), Decimal("0.00")])


@settings(max_examples=200, deadline=None)
@given(asked=st.lists(st.tuples(quantities, st.integers(1, 8), st.integers(1, 9)), min_size=1, max_size=20))
def test_quantity_caches_are_what_fresh_calls_give(asked: list[tuple[Decimal, int, int]]) -> None:
    for quantity, picked, units in asked:
        for cached, fresh in [
            (unit_count(quantity), unit_count.__wrapped__(quantity)),
            (whole_quantity(quantity), whole_quantity.__wrapped__(quantity)),
        ]:
            assert (cached, repr(cached)) == (fresh, repr(fresh))
        if picked < units:
            cached_pick = picked_quantity(quantity, picked, units)
            fresh_pick = picked_quantity.__wrapped__(quantity, picked, units)
            assert (cached_pick, repr(cached_pick)) == (fresh_pick, repr(fresh_pick))


def test_stacking_does_not_change_the_check_it_stacks_on() -> None:
    prepared = prepare(EXAMPLE)
    before = prepared.pool(())
    prepared.stacked(Discount(amount=100, line_shares=(LineShare("A", 100, 1),), stack_order=0), exclusive=False)
    assert prepared.pool(()) is before and observed(before) == EVERYTHING
