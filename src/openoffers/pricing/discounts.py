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

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

from openoffers.kit.money import allocate, round_half_up

from .basket import Group, Run, group_remaining, unit_count, unit_runs
from .kinds import kind_of
from .kinds.base import CheckBenefit, Picks
from .model import LineShare
from .terms import OfferTerms

_QUANTITY_SCALE = 10**6


def discount_shares(
    terms: OfferTerms, eligible: tuple[Group, ...], remaining: dict[str, int], order: dict[str, int]
) -> tuple[int, tuple[LineShare, ...]]:
    """The amount and its line shares (share > 0, in check order) for a kind that discounts.

    `eligible` are the groups passing the catalog restrictions; `order` maps line id -> check index.
    """
    benefit = kind_of(terms.offer_type).benefit
    assert benefit is not None, "a kind without a benefit discounts nothing"
    number: int = getattr(terms, benefit.number.terms_field)
    eligible_total = sum(group_remaining(group, remaining) for group in eligible)
    if isinstance(benefit, CheckBenefit):
        raw = benefit.saving.amount(number, eligible_total)
        return _check_level(_cap(raw, terms, eligible_total), eligible, remaining, order)
    runs = unit_runs(eligible, remaining)
    saving = benefit.saving

    def unit_saving(price: int) -> int:
        return saving.per_unit(number, price)

    if benefit.picks is Picks.BUY_X_GET_Y:
        picked = _buy_x_get_y_picks(terms, runs)
    else:
        picked = _item_picks(terms, runs, unit_saving)
    # picked: group index -> list of (units, unit price); weights are savings x `saving.scale`
    weights = {g: sum(n * unit_saving(price) for n, price in units) for g, units in picked.items()}
    raw = round_half_up(sum(weights.values()), saving.scale)
    amount = _cap(raw, terms, eligible_total)
    keys = sorted(weights)
    group_amounts = allocate(amount, [weights[g] for g in keys]) if amount else [0] * len(keys)
    shares: list[tuple[int, LineShare]] = []
    for g, group_amount in zip(keys, group_amounts, strict=True):
        group = eligible[g]
        chosen = sum(n for n, _ in picked[g])
        shares += _spread_over_group(group, group_amount, chosen, remaining, order)
    shares.sort(key=lambda pair: pair[0])
    return amount, tuple(share for _, share in shares)


def _cap(raw: int, terms: OfferTerms, eligible_total: int) -> int:
    amount = min(raw, eligible_total)
    if terms.max_discount is not None:
        amount = min(amount, terms.max_discount)
    return max(0, amount)


def _check_level(
    amount: int, eligible: tuple[Group, ...], remaining: dict[str, int], order: dict[str, int]
) -> tuple[int, tuple[LineShare, ...]]:
    if amount == 0:
        return 0, ()
    lines = sorted((line for group in eligible for line in group.lines), key=lambda line: order[line.line_id])
    allocated = allocate(amount, [remaining[line.line_id] for line in lines])
    return amount, tuple(
        LineShare(line.line_id, share, _quantity(Fraction(line.quantity)))
        for line, share in zip(lines, allocated, strict=True)
        if share > 0
    )


def _item_picks(
    terms: OfferTerms, runs: tuple[Run, ...], saving: Callable[[int], int]
) -> dict[int, list[tuple[int, int]]]:
    """Units by largest saving first (ties: higher price, earlier line, earlier unit), up to the limit."""
    ordered = sorted(runs, key=lambda run: (-saving(run.price), -run.price, run.group, run.first))
    left = terms.item_limit
    picked: dict[int, list[tuple[int, int]]] = {}
    for run in ordered:
        if left == 0 or saving(run.price) <= 0:
            break  # sorted by saving, so nothing after this saves anything either
        take = run.count if left is None else min(run.count, left)
        picked.setdefault(run.group, []).append((take, run.price))
        if left is not None:
            left -= take
    return picked


def _buy_x_get_y_picks(terms: OfferTerms, runs: tuple[Run, ...]) -> dict[int, list[tuple[int, int]]]:
    """The reward units: in each whole chunk of X + Y units (priced highest first), the Y cheapest."""
    assert terms.buy_count is not None and terms.get_count is not None
    buy, get = terms.buy_count, terms.get_count
    chunk = buy + get
    ordered = sorted(runs, key=lambda run: (-run.price, run.group, run.first))
    chunks = min(terms.recurrence, sum(run.count for run in ordered) // chunk)
    end = chunks * chunk

    def rewards_before(position: int) -> int:
        # Reward positions are those at offset >= buy inside a chunk, counted over [0, position).
        position = min(position, end)
        return (position // chunk) * get + max(0, position % chunk - buy)

    picked: dict[int, list[tuple[int, int]]] = {}
    start = 0
    for run in ordered:
        count = rewards_before(start + run.count) - rewards_before(start)
        start += run.count
        if count:
            picked.setdefault(run.group, []).append((count, run.price))
    return picked


def _spread_over_group(
    group: Group, amount: int, units: int, remaining: dict[str, int], order: dict[str, int]
) -> list[tuple[int, LineShare]]:
    if amount == 0:
        return []
    # amount <= the picked units' prices <= the group's remaining total, so no line goes below zero.
    allocated = allocate(amount, [remaining[line.line_id] for line in group.lines])
    fraction = Fraction(units, unit_count(group.root.quantity))
    return [
        (order[line.line_id], LineShare(line.line_id, share, _quantity(Fraction(line.quantity) * fraction)))
        for line, share in zip(group.lines, allocated, strict=True)
        if share > 0
    ]


def _quantity(value: Fraction) -> int | Decimal:
    if value.denominator == 1:
        return value.numerator
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    if Fraction(exact) == value:
        return exact
    micro = round_half_up(value.numerator * _QUANTITY_SCALE, value.denominator)
    return (Decimal(micro) / _QUANTITY_SCALE).normalize()
