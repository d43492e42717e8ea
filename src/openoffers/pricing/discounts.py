"""The amount of each offer type and its spread over the check's lines.

Check types spread their amount over every line of the eligible groups in proportion to remaining
amounts. Item and Buy X Get Y types pick units, give each group the saving of its picked units, and
spread a group's saving over the group's lines (root and modifiers) in proportion to their remaining
amounts. Every type is capped by `max_discount` and by the eligible remaining total; when a cap cuts an
item-level amount, the capped amount is re-spread over the picked groups by largest remainder, so no
group gives more than its own saving and no line goes below zero.

Decisions where PRICING.md is silent:
- Units are priced from remaining amounts (after earlier discounts), so a discount never counts money
  another discount already took. Units priced zero take no part (they neither buy nor get).
- Item types pick only units with a saving above zero; percent types round once, on the sum.
- A type that finds nothing to discount (Buy X Get Y without a whole chunk, a set price above every
  unit) is a `Discount` of 0, not an `Ineligible`: the reasons come from restrictions only.
- Quantities: a check-level share covers the whole line (its quantity); an item-level share covers the
  picked units of the root, and the same fraction of each modifier's quantity (rounded half up to six
  decimals when not exact).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from operator import itemgetter

from openoffers.kit.money import allocate, round_half_up

from .basket import Group, Run, picked_quantity
from .check import Pool, PreparedCheck
from .kinds.base import CheckBenefit, Kind, Picks
from .model import LineShare
from .terms import OfferTerms

_CHECK_ORDER = itemgetter(0)  # of a (position on the check, share) pair


def discount_shares(
    terms: OfferTerms, kind: Kind, check: PreparedCheck, pool: Pool
) -> tuple[int, tuple[LineShare, ...]]:
    """The amount and its line shares (share > 0, in check order) for a kind that discounts.

    `pool` is what the offer's catalog restrictions let it take (`PreparedCheck.pool`)."""
    benefit = kind.benefit
    assert benefit is not None, "a kind without a benefit discounts nothing"
    number: int = getattr(terms, benefit.number.terms_field)
    if isinstance(benefit, CheckBenefit):
        amount = _cap(benefit.saving.amount(number, pool.total), terms, pool.total)
        return amount, _check_level(amount, pool)
    # `pool.runs` are the units by price, highest first (ties: group, then unit). Savings never fall
    # as prices rise (`UnitSaving`), so this is also largest saving first.
    saving = benefit.saving
    if benefit.picks is Picks.BUY_X_GET_Y:
        picked = _buy_x_get_y_picks(terms, pool, saving.per_unit, number)
    else:
        picked = _item_picks(terms, pool.runs, saving.per_unit, number)
    amount = _cap(round_half_up(sum([weight for _, weight in picked.values()]), saving.scale), terms, pool.total)
    if not amount:
        return 0, ()
    keys = sorted(picked)
    if len(keys) == 1:
        group_amounts = [amount]  # what `allocate` gives one group (its weight is above 0, as amount is)
    else:
        group_amounts = allocate(amount, [picked[g][1] for g in keys])
    remaining, groups, order = check.remaining, check.layout.groups, check.layout.order
    shares: list[tuple[int, LineShare]] = []
    for g, group_amount in zip(keys, group_amounts, strict=True):
        shares += _spread_over_group(groups[g], group_amount, picked[g][0], remaining, order)
    shares.sort(key=_CHECK_ORDER)
    return amount, tuple([share for _, share in shares])


def _cap(raw: int, terms: OfferTerms, eligible_total: int) -> int:
    amount = min(raw, eligible_total)
    if terms.max_discount is not None:
        amount = min(amount, terms.max_discount)
    return max(0, amount)


def _check_level(amount: int, pool: Pool) -> tuple[LineShare, ...]:
    """`amount` over every eligible line in proportion to its remaining amount."""
    if amount == 0:
        return ()
    # Lines with nothing left always get 0 from `allocate` (a leftover unit goes to a positive
    # remainder), and leaving them out keeps the others' order, so their shares are unchanged.
    allocated = allocate(amount, pool.weights)
    line_ids, whole = pool.eligible.line_ids, pool.eligible.whole
    return tuple(
        [
            LineShare(line_ids[index], share, whole[index])
            for index, share in zip(pool.taking, allocated, strict=True)
            if share
        ]
    )


# What a kind picks: group index -> (units picked in it, their saving x `UnitSaving.scale`). The
# saving is the weight its group's part of the (possibly capped) amount is allocated by.
Picked = dict[int, tuple[int, int]]


def _item_picks(
    terms: OfferTerms, ordered: tuple[Run, ...], per_unit: Callable[[int, int], int], number: int
) -> Picked:
    """Units by largest saving first (ties: higher price, earlier line, earlier unit), up to the limit.

    `ordered` is in that order already (see `discount_shares`)."""
    left = terms.item_limit
    picked: Picked = {}
    for price, group, _first, units in ordered:
        saving = per_unit(number, price)
        if left == 0 or saving <= 0:
            break  # sorted by saving, so nothing after this saves anything either
        take = units if left is None else min(units, left)
        count, weight = picked.get(group, (0, 0))
        picked[group] = (count + take, weight + take * saving)
        if left is not None:
            left -= take
    return picked


def _buy_x_get_y_picks(terms: OfferTerms, pool: Pool, per_unit: Callable[[int, int], int], number: int) -> Picked:
    """The reward units: in each whole chunk of X + Y units (priced highest first), the Y cheapest.

    `pool.runs` are priced highest first (ties: earlier line, earlier unit)."""
    assert terms.buy_count is not None and terms.get_count is not None
    buy, get = terms.buy_count, terms.get_count
    chunk = buy + get
    chunks = min(terms.recurrence, pool.units // chunk)
    end = chunks * chunk

    def rewards_before(position: int) -> int:
        # Reward positions are those at offset >= buy inside a chunk, counted over [0, position).
        position = min(position, end)
        return (position // chunk) * get + max(0, position % chunk - buy)

    picked: Picked = {}
    start = counted = 0  # counted: rewards_before(start)
    for price, group, _first, units in pool.runs:
        if start >= end:
            break  # past the last whole chunk: no more rewards
        start += units
        count = rewards_before(start) - counted
        counted += count
        if count:
            before, weight = picked.get(group, (0, 0))
            picked[group] = (before + count, weight + count * per_unit(number, price))
    return picked


def _spread_over_group(
    group: Group, amount: int, units: int, remaining: Mapping[str, int], order: Mapping[str, int]
) -> list[tuple[int, LineShare]]:
    if amount == 0:
        return []
    line_ids = group.line_ids
    # amount <= the picked units' prices <= the group's remaining total, so no line goes below zero.
    if len(line_ids) == 1:
        allocated = [amount]  # what `allocate` gives one line
    else:
        allocated = allocate(amount, [remaining[line_id] for line_id in line_ids])
    if units == group.units:
        quantities = group.whole
    else:
        quantities = tuple(picked_quantity(line.quantity, units, group.units) for line in group.lines)
    return [
        (order[line_id], LineShare(line_id, share, quantity))
        for line_id, quantity, share in zip(line_ids, quantities, allocated, strict=True)
        if share > 0
    ]
