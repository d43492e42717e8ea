"""A check prepared once for pricing many offers on it.

`evaluate` used to rebuild the check's groups, check order and remaining amounts for every offer; a
Lookup or a close prices up to a wallet's worth of offers on one check. `prepare(basket)` computes
what depends only on the lines once (`Layout`: groups, check order, unit counts, the root items'
categories, and, per catalog restriction, which groups pass it), and the remaining amounts after the
check's discounts once. `PreparedCheck.stacked` puts one more discount on top, updating the remaining
amounts, group totals and unit prices of only the lines and groups it takes from, instead of
re-applying every discount before it. Pricing N offers on one check therefore costs O(N x lines)
(plus sorting a group's few unit runs), where calling `evaluate` with the basket rebuilt each time
grows with N x N x lines.

Guarantees (hypothesis properties in tests/pricing/test_prepared.py hold the engine to them):
- `engine.evaluate_prepared(terms, prepare(basket), context) == evaluate(terms, basket, context)`,
  always (`evaluate` is that call).
- `check.stacked(discount, exclusive=e)` is `prepare` of the same basket with
  `as_existing(discount, e)` added to its discounts, for a discount whose `stack_order` is at least
  every discount's on the check (it goes on top; anything else is a `ValueError`).
- `check.with_discounts(d)` is `prepare` of the same lines and categories with discounts `d`.
- A `PreparedCheck` never changes once built; the catalog memo in `Layout` only caches a pure function
  of the lines, the pool memo in `PreparedCheck` a pure function of the check, and a `Pool`'s
  first-use results a pure function of the pool, so sharing any of them between offers (and threads)
  is safe: two threads computing the same result at once store equal values.

A Lookup prices every offer of the wallet on one prepared check, and offers mostly share their catalog
restrictions (most have none). What an offer reads from the check through its restrictions is the
same for all of them, so `PreparedCheck.pool` computes it once per distinct set of restrictions
(`Pool`: the eligible remaining total, the lines with something left, the units priciest first)
instead of once per offer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter

from .basket import (
    Group,
    Run,
    build_groups,
    group_remaining,
    passes_catalog,
    remaining_after,
    unit_runs,
    whole_quantity,
)
from .model import Basket, Discount, ExistingDiscount, Line
from .terms import CatalogRestriction

_PRICE = itemgetter(0)  # of a `Run`


@dataclass(frozen=True, slots=True)
class Eligible:
    """The groups passing one set of catalog restrictions, and all their lines, in check order."""

    indices: tuple[int, ...]  # the groups' indices in `Layout.groups`
    lines: tuple[Line, ...]
    line_ids: tuple[str, ...]
    whole: tuple[int | Decimal, ...]  # the quantity a share of all of `lines[i]` covers


@dataclass(frozen=True, slots=True)
class Layout:
    """What pricing needs from the check's lines and categories; never depends on its discounts."""

    lines: tuple[Line, ...]
    groups: tuple[Group, ...]
    order: Mapping[str, int]  # line id -> index on the check
    group_of: Mapping[str, int]  # line id -> index of its group (lines in no group are not in it)
    _eligible: dict[tuple[CatalogRestriction, ...], Eligible] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, basket: Basket) -> Layout:
        order = {line.line_id: index for index, line in enumerate(basket.lines)}
        groups = build_groups(basket, order)
        group_of = {line_id: index for index, group in enumerate(groups) for line_id in group.line_ids}
        return cls(lines=basket.lines, groups=groups, order=order, group_of=group_of)

    def eligible(self, catalog: tuple[CatalogRestriction, ...]) -> Eligible:
        """The groups `catalog` lets a discount touch (memoised: offers often share restrictions)."""
        found = self._eligible.get(catalog)
        if found is None:
            if catalog:
                indices = tuple([index for index, group in enumerate(self.groups) if passes_catalog(group, catalog)])
            else:
                indices = tuple(range(len(self.groups)))  # no restriction: every group passes
            chosen, group_of = set(indices), self.group_of
            # Lines in no group (orphaned modifiers) are never eligible: `get` gives None for them.
            lines = tuple([line for line in self.lines if group_of.get(line.line_id) in chosen])
            found = Eligible(
                indices=indices,
                lines=lines,
                line_ids=tuple([line.line_id for line in lines]),
                whole=tuple([whole_quantity(line.quantity) for line in lines]),
            )
            self._eligible[catalog] = found
        return found


@dataclass(slots=True)
class Pool:
    """What a discount may take on one priced check, for one set of catalog restrictions.

    `taking` are the positions in `eligible.lines` of the lines with a remaining amount above zero, and
    `weights` those amounts (a line at zero never gets a share, and after a few stacked discounts many
    are). `runs` are the eligible groups' priced units, priciest first; ties keep unit order (group,
    then unit), as `PreparedCheck.runs` lists them in that order and the sort is stable.

    A check kind reads only `taking` and `weights`, an item kind only `runs` and `units`, and `stack`
    prices each offer on a new check, so each pair is worked out on first use, from the check's
    remaining amounts and runs the pool keeps (its inputs: equal inputs give equal pools). `total` is
    the eligible groups' remaining totals added up, which the check already has.

    Not a frozen dataclass: one is built for every offer `stack` prices, and a frozen one costs
    about four times as much to build. Nothing assigns its fields after it is built; the first-use
    results are set once and never change.
    """

    eligible: Eligible
    total: int  # the eligible lines' remaining total (the sum of `weights`)
    remaining: Mapping[str, int]  # the check's
    group_runs: tuple[tuple[Run, ...], ...]  # the check's `runs`, by group index
    _weighted: tuple[tuple[int, ...], tuple[int, ...]] | None = field(default=None, repr=False, compare=False)
    _ordered: tuple[tuple[Run, ...], int] | None = field(default=None, repr=False, compare=False)

    @property
    def taking(self) -> tuple[int, ...]:
        return self._by_line()[0]

    @property
    def weights(self) -> tuple[int, ...]:
        return self._by_line()[1]

    @property
    def runs(self) -> tuple[Run, ...]:
        return self._by_price()[0]

    @property
    def units(self) -> int:
        """How many units `runs` hold."""
        return self._by_price()[1]

    def _by_line(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        found = self._weighted
        if found is None:
            remaining = self.remaining
            amounts = [remaining[line_id] for line_id in self.eligible.line_ids]
            if amounts and min(amounts) > 0:  # the usual case: every eligible line has something left
                found = (tuple(range(len(amounts))), tuple(amounts))
            else:
                taking = tuple([index for index, amount in enumerate(amounts) if amount > 0])
                found = (taking, tuple([amounts[index] for index in taking]))
            self._weighted = found
        return found

    def _by_price(self) -> tuple[tuple[Run, ...], int]:
        found = self._ordered
        if found is None:
            group_runs = self.group_runs
            runs = [run for index in self.eligible.indices for run in group_runs[index]]
            runs.sort(key=_PRICE, reverse=True)
            found = self._ordered = (tuple(runs), sum([units for _price, _group, _first, units in runs]))
        return found


@dataclass(frozen=True, slots=True)
class PreparedCheck:
    """A check with its discounts applied: each line's remaining amount, and what stacking needs.

    `discounted` is whether the check has any discount (zero amounts included), `exclusive` whether
    one of them is exclusive, `top` the highest `stack_order` on it (-1 when none).
    """

    layout: Layout
    remaining: Mapping[str, int]
    total: int  # the sum of `remaining`
    totals: tuple[int, ...]  # each group's remaining total, by group index
    runs: tuple[tuple[Run, ...], ...]  # each group's priced units (`unit_runs`), by group index
    discounted: bool
    exclusive: bool
    top: int
    _pools: dict[tuple[CatalogRestriction, ...], Pool] = field(
        default_factory=dict, repr=False, compare=False, hash=False
    )

    @property
    def next_stack_order(self) -> int:
        return self.top + 1

    def pool(self, catalog: tuple[CatalogRestriction, ...]) -> Pool:
        """What `catalog` lets a discount take on this check (memoised: see the module docstring)."""
        found = self._pools.get(catalog)
        if found is None:
            eligible = self.layout.eligible(catalog)
            totals = self.totals
            total = sum([totals[index] for index in eligible.indices])
            found = Pool(eligible, total, self.remaining, self.runs)
            self._pools[catalog] = found
        return found

    def with_discounts(self, discounts: tuple[ExistingDiscount, ...]) -> PreparedCheck:
        """The same lines with other discounts (keeps the layout: groups are not rebuilt)."""
        return _priced(self.layout, discounts)

    def stacked(self, discount: Discount, *, exclusive: bool) -> PreparedCheck:
        """This check with `discount` on top (an offer's `exclusive` flag travels with its discount).

        Only the lines the discount takes from change, so only their groups' units are priced again.
        """
        if discount.stack_order < self.top:
            raise ValueError(f"stack_order {discount.stack_order} is below the check's top {self.top}")
        remaining = dict(self.remaining)
        group_of = self.layout.group_of
        totals = list(self.totals)
        touched: set[int] = set()
        lost = 0
        # `take_shares` (no line goes below zero), written out to keep the group totals in the same
        # pass and to read the shares without copying them into pairs: this runs for every share of
        # every stacked discount.
        for share in discount.line_shares:
            line_id, amount = share.line_id, share.amount
            before = remaining.get(line_id)
            if before is not None and amount > 0:
                taken = amount if amount < before else before
                remaining[line_id] = before - taken
                lost += taken
                index = group_of.get(line_id)
                if index is not None and taken:
                    totals[index] -= taken
                    touched.add(index)
        runs, groups = list(self.runs), self.layout.groups
        for index in touched:
            runs[index] = unit_runs(groups[index], index, totals[index])
        return PreparedCheck(
            layout=self.layout,
            remaining=remaining,
            total=self.total - lost,
            totals=tuple(totals),
            runs=tuple(runs),
            discounted=True,
            exclusive=self.exclusive or exclusive,
            top=discount.stack_order,
        )


def prepare(basket: Basket) -> PreparedCheck:
    return _priced(Layout.of(basket), basket.discounts)


def as_existing(discount: Discount, exclusive: bool) -> ExistingDiscount:
    """A computed discount as a discount on the check, with its exact line shares."""
    return ExistingDiscount(
        amount=discount.amount,
        discounted_line_ids=discount.discounted_line_ids,
        stack_order=discount.stack_order,
        exclusive=exclusive,
        line_shares=tuple((share.line_id, share.amount) for share in discount.line_shares),
    )


def _priced(layout: Layout, discounts: tuple[ExistingDiscount, ...]) -> PreparedCheck:
    remaining = remaining_after(layout.lines, discounts)
    totals = tuple([group_remaining(group, remaining) for group in layout.groups])
    return PreparedCheck(
        layout=layout,
        remaining=remaining,
        total=sum(remaining.values()),
        totals=totals,
        runs=tuple([unit_runs(group, index, totals[index]) for index, group in enumerate(layout.groups)]),
        discounted=bool(discounts),
        exclusive=any(discount.exclusive for discount in discounts),
        top=max((discount.stack_order for discount in discounts), default=-1),
    )
