"""The check as pricing sees it: groups, remaining amounts after earlier discounts, and units.

- A group is a root line (no `modifies_line_id`) and every line that modifies it, recursively.
  A modifier whose parent is missing (or that sits in a cycle) belongs to no group: it counts toward
  the check's total but is never eligible, since modifiers never qualify on their own.
- Remaining amounts start at `max(0, subtotal)` and lose each earlier discount in `stack_order`
  (ties keep check order). A discount with per-line shares takes those (never below zero); otherwise
  its amount, capped at what its lines have left, is spread over them by largest remainder. A
  positive discount that names no lines (a POS check-level discount) is spread over every line.
- Units: a group whose root has a whole quantity `n` is `n` units of its remaining amount (root plus
  modifiers) divided by `n`, remainder cents to the first units; a fractional quantity is one unit;
  quantity zero or below has no units. Units are kept as runs of equal price (at most two per group),
  so a quantity of a million does not build a million objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple

from openoffers.kit.money import allocate, round_half_up

from .model import Basket, ExistingDiscount, Line
from .terms import CatalogRestriction, Mode

_QUANTITY_SCALE = 10**6


class Group(NamedTuple):
    """A root line and its modifiers, in check order.

    Computed once per check: `units` is the root's unit count, `categories` the root item's catalog
    categories, and `whole[i]` the quantity a share of all of `lines[i]` covers. A named tuple: built
    for every group of every check priced, where a frozen dataclass costs several times more.
    """

    root: Line
    lines: tuple[Line, ...]
    line_ids: tuple[str, ...]
    units: int
    categories: frozenset[str]
    whole: tuple[int | Decimal, ...]


# A run of equal-priced units of one group: (price, group index, first unit, unit count). A plain
# tuple, unpacked where it is read: item kinds build runs for every group of every check they price,
# and a tuple literal costs a fraction of a named tuple or dataclass.
Run = tuple[int, int, int, int]


def build_groups(basket: Basket, position: Mapping[str, int]) -> tuple[Group, ...]:
    """The check's groups, in check order of their roots; `position` maps line id -> index on the check."""
    lines = basket.lines
    children: dict[str, list[Line]] = {}
    for line in lines:
        if line.modifies_line_id is not None:
            children.setdefault(line.modifies_line_id, []).append(line)
    groups: list[Group] = []
    for line in lines:
        if line.modifies_line_id is not None:
            continue
        if line.line_id in children:
            members = _members(line, children, position)
            line_ids = tuple([member.line_id for member in members])
            whole = tuple([whole_quantity(member.quantity) for member in members])
        else:  # most lines have no modifiers
            members, line_ids, whole = (line,), (line.line_id,), (whole_quantity(line.quantity),)
        # Positional: a named tuple built with keywords costs about twice as much.
        groups.append(
            Group(line, members, line_ids, unit_count(line.quantity), basket.categories_of(line.item_id), whole)
        )
    return tuple(groups)


def _members(root: Line, children: dict[str, list[Line]], position: Mapping[str, int]) -> tuple[Line, ...]:
    """The root and every line modifying it, recursively, in check order."""
    members: dict[str, Line] = {root.line_id: root}
    stack = [root.line_id]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child.line_id not in members:  # guards against cycles through the root
                members[child.line_id] = child
                stack.append(child.line_id)
    return tuple(sorted(members.values(), key=lambda member: position[member.line_id]))


def remaining_amounts(basket: Basket) -> dict[str, int]:
    """Each line's amount left after the check's earlier discounts (insertion order = check order)."""
    return remaining_after(basket.lines, basket.discounts)


def remaining_after(lines: tuple[Line, ...], discounts: tuple[ExistingDiscount, ...]) -> dict[str, int]:
    remaining = {line.line_id: max(0, line.subtotal) for line in lines}
    for discount in sorted(discounts, key=lambda discount: discount.stack_order):
        _apply_existing(discount, lines, remaining)
    return remaining


def take_shares(remaining: dict[str, int], shares: Iterable[tuple[str, int]]) -> None:
    """Take per-line amounts off `remaining`, never below zero (lines not on the check are ignored).

    `PreparedCheck.stacked` takes a computed discount's shares the same way, in its own loop."""
    for line_id, amount in shares:
        before = remaining.get(line_id)
        if before is not None and amount > 0:
            remaining[line_id] = before - amount if amount < before else 0


def _apply_existing(discount: ExistingDiscount, lines: tuple[Line, ...], remaining: dict[str, int]) -> None:
    if discount.line_shares is not None:
        take_shares(remaining, discount.line_shares)
        return
    if discount.amount <= 0:
        return
    named = set(discount.discounted_line_ids)
    targets = [line.line_id for line in lines if not named or line.line_id in named]
    weights = [remaining[line_id] for line_id in targets]
    # Capping at what is left keeps every line at or above zero (allocate never exceeds a weight
    # when the total does not exceed the sum of weights).
    total = min(discount.amount, sum(weights))
    if total == 0:
        return
    for line_id, share in zip(targets, allocate(total, weights), strict=True):
        remaining[line_id] -= share


def root_matches(
    item_id: str, categories: frozenset[str], item_ids: tuple[str, ...], category_ids: tuple[str, ...]
) -> bool:
    return item_id in item_ids or not categories.isdisjoint(category_ids)


def passes_catalog(group: Group, restrictions: tuple[CatalogRestriction, ...]) -> bool:
    """Whether `group` may be discounted: its root passes every catalog restriction."""
    for restriction in restrictions:
        listed = root_matches(group.root.item_id, group.categories, restriction.item_ids, restriction.category_ids)
        if listed != (restriction.mode is Mode.INCLUDE):
            return False
    return True


# `unit_count` and `whole_quantity` are cached like `picked_quantity`: pure functions of the quantity's
# value (equal Decimals give the same result), called for every line of every check priced, over the
# few quantities checks actually carry.
@lru_cache(maxsize=4096)
def unit_count(quantity: Decimal) -> int:
    if quantity <= 0:
        return 0
    if quantity == quantity.to_integral_value():
        return int(quantity)
    return 1  # weighed goods: the whole line is one unit


def group_remaining(group: Group, remaining: Mapping[str, int]) -> int:
    return sum([remaining[line_id] for line_id in group.line_ids])


def unit_runs(group: Group, index: int, total: int) -> tuple[Run, ...]:
    """The priced units of the group at `index` with `total` left, in unit order; zero-priced units
    take no part."""
    count = group.units
    if count == 0 or total == 0:
        return ()
    base, extra = divmod(total, count)
    if not extra:
        return ((base, index, 0, count),)
    if not base:
        return ((1, index, 0, extra),)
    return ((base + 1, index, 0, extra), (base, index, extra, count - extra))


@lru_cache(maxsize=4096)
def whole_quantity(quantity: Decimal) -> int | Decimal:
    """The quantity a share of a whole line covers (an int when whole)."""
    if quantity == quantity.to_integral_value():
        return int(quantity)  # what `share_quantity(Fraction(quantity))` gives, without the Fraction
    return share_quantity(Fraction(quantity))


@lru_cache(maxsize=4096)
def picked_quantity(quantity: Decimal, picked: int, units: int) -> int | Decimal:
    """`quantity` x `picked` / `units` (picked < units): the part of a line a share of `picked` of its
    group's `units` covers. `share_quantity` of the exact fraction; whole quantities that divide
    evenly skip the Fraction.

    Cached: a pure function of the quantity's value (equal Decimals give the same fraction), and
    Fractions are slow enough to matter when every offer on a check is priced."""
    if quantity == quantity.to_integral_value():
        numerator = int(quantity) * picked
        if numerator % units == 0:
            return numerator // units
    return share_quantity(Fraction(quantity) * Fraction(picked, units))


def share_quantity(value: Fraction) -> int | Decimal:
    """An exact quantity as an int, an exact Decimal, or rounded half up to six decimals."""
    if value.denominator == 1:
        return value.numerator
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    if Fraction(exact) == value:
        return exact
    micro = round_half_up(value.numerator * _QUANTITY_SCALE, value.denominator)
    return (Decimal(micro) / _QUANTITY_SCALE).normalize()
