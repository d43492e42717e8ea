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
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from openoffers.kit.money import allocate, round_half_up

from .model import Basket, ExistingDiscount, Line
from .terms import CatalogRestriction, Mode

_QUANTITY_SCALE = 10**6


@dataclass(frozen=True, slots=True)
class Group:
    """A root line and its modifiers, in check order; `position` is the root's index on the check.

    Computed once per check: `units` is the root's unit count, `categories` the root item's catalog
    categories, and `whole[i]` the quantity a share of all of `lines[i]` covers.
    """

    position: int
    root: Line
    lines: tuple[Line, ...]
    line_ids: tuple[str, ...]
    units: int
    categories: frozenset[str]
    whole: tuple[int | Decimal, ...]


class Run(NamedTuple):
    """`units` consecutive units of one group, each priced `price`, starting at unit `first`.

    A named tuple rather than a dataclass: item kinds build a few per group for every offer priced,
    and a tuple is built several times faster.
    """

    group: int  # index into the groups tuple (groups are in check order)
    first: int
    units: int
    price: int


def build_groups(basket: Basket) -> tuple[Group, ...]:
    lines = basket.lines
    position = {line.line_id: index for index, line in enumerate(lines)}
    children: dict[str, list[Line]] = {}
    for line in lines:
        if line.modifies_line_id is not None:
            children.setdefault(line.modifies_line_id, []).append(line)
    groups: list[Group] = []
    for index, line in enumerate(lines):
        if line.modifies_line_id is not None:
            continue
        members: dict[str, Line] = {line.line_id: line}
        stack = [line.line_id]
        while stack:
            for child in children.get(stack.pop(), ()):
                if child.line_id not in members:  # guards against cycles through the root
                    members[child.line_id] = child
                    stack.append(child.line_id)
        ordered = tuple(sorted(members.values(), key=lambda member: position[member.line_id]))
        groups.append(
            Group(
                position=index,
                root=line,
                lines=ordered,
                line_ids=tuple(member.line_id for member in ordered),
                units=unit_count(line.quantity),
                categories=basket.categories_of(line.item_id),
                whole=tuple(whole_quantity(member.quantity) for member in ordered),
            )
        )
    return tuple(groups)


def remaining_amounts(basket: Basket) -> dict[str, int]:
    """Each line's amount left after the check's earlier discounts (insertion order = check order)."""
    return remaining_after(basket.lines, basket.discounts)


def remaining_after(lines: tuple[Line, ...], discounts: tuple[ExistingDiscount, ...]) -> dict[str, int]:
    remaining = {line.line_id: max(0, line.subtotal) for line in lines}
    for discount in sorted(discounts, key=lambda discount: discount.stack_order):
        _apply_existing(discount, lines, remaining)
    return remaining


def take_shares(remaining: dict[str, int], shares: Iterable[tuple[str, int]]) -> None:
    """Take per-line amounts off `remaining`, never below zero (lines not on the check are ignored)."""
    for line_id, amount in shares:
        if line_id in remaining:
            remaining[line_id] = max(0, remaining[line_id] - max(0, amount))


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


def unit_count(quantity: Decimal) -> int:
    if quantity <= 0:
        return 0
    if quantity == quantity.to_integral_value():
        return int(quantity)
    return 1  # weighed goods: the whole line is one unit


def group_remaining(group: Group, remaining: Mapping[str, int]) -> int:
    return sum([remaining[line_id] for line_id in group.line_ids])


def unit_runs(group: Group, index: int, remaining: Mapping[str, int]) -> tuple[Run, ...]:
    """The priced units of the group at `index`, in unit order; zero-priced units take no part."""
    count = group.units
    if count == 0:
        return ()
    total = group_remaining(group, remaining)
    if total == 0:
        return ()
    base, extra = divmod(total, count)
    if not extra:
        return (Run(index, 0, count, base),)
    if not base:
        return (Run(index, 0, extra, 1),)
    return (Run(index, 0, extra, base + 1), Run(index, extra, count - extra, base))


def whole_quantity(quantity: Decimal) -> int | Decimal:
    """The quantity a share of a whole line covers (an int when whole)."""
    if quantity == quantity.to_integral_value():
        return int(quantity)  # what `share_quantity(Fraction(quantity))` gives, without the Fraction
    return share_quantity(Fraction(quantity))


def picked_quantity(quantity: Decimal, picked: int, units: int) -> int | Decimal:
    """`quantity` x `picked` / `units`: the part of a line a share of `picked` of its group's `units`
    covers (`share_quantity` of the exact fraction; whole quantities that divide evenly skip it)."""
    if picked == units:
        return whole_quantity(quantity)
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
