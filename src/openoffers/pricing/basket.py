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

from dataclasses import dataclass
from decimal import Decimal

from openoffers.kit.money import allocate

from .model import Basket, ExistingDiscount, Line
from .terms import CatalogRestriction, Mode


@dataclass(frozen=True, slots=True)
class Group:
    """A root line and its modifiers, in check order; `position` is the root's index on the check."""

    position: int
    root: Line
    lines: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class Run:
    """`count` consecutive units of one group, each priced `price`, starting at unit `first`."""

    group: int  # index into the groups tuple (groups are in check order)
    first: int
    count: int
    price: int


def build_groups(lines: tuple[Line, ...]) -> tuple[Group, ...]:
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
        groups.append(Group(position=index, root=line, lines=ordered))
    return tuple(groups)


def remaining_amounts(basket: Basket) -> dict[str, int]:
    """Each line's amount left after the check's earlier discounts (insertion order = check order)."""
    remaining = {line.line_id: max(0, line.subtotal) for line in basket.lines}
    ordered = sorted(basket.discounts, key=lambda discount: discount.stack_order)
    for discount in ordered:
        _apply_existing(discount, basket.lines, remaining)
    return remaining


def _apply_existing(discount: ExistingDiscount, lines: tuple[Line, ...], remaining: dict[str, int]) -> None:
    if discount.line_shares is not None:
        for line_id, amount in discount.line_shares:
            if line_id in remaining:
                remaining[line_id] = max(0, remaining[line_id] - max(0, amount))
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


def passes_catalog(basket: Basket, line: Line, restrictions: tuple[CatalogRestriction, ...]) -> bool:
    """Whether a group rooted at `line` may be discounted: it passes every catalog restriction."""
    categories = basket.categories_of(line.item_id)
    for restriction in restrictions:
        listed = root_matches(line.item_id, categories, restriction.item_ids, restriction.category_ids)
        if listed != (restriction.mode is Mode.INCLUDE):
            return False
    return True


def unit_count(quantity: Decimal) -> int:
    if quantity <= 0:
        return 0
    if quantity == quantity.to_integral_value():
        return int(quantity)
    return 1  # weighed goods: the whole line is one unit


def group_remaining(group: Group, remaining: dict[str, int]) -> int:
    return sum(remaining[line.line_id] for line in group.lines)


def unit_runs(groups: tuple[Group, ...], remaining: dict[str, int]) -> tuple[Run, ...]:
    """Priced units of the given groups, in check order; zero-priced units take no part."""
    runs: list[Run] = []
    for index, group in enumerate(groups):
        count = unit_count(group.root.quantity)
        total = group_remaining(group, remaining)
        if count == 0 or total == 0:
            continue
        base, extra = divmod(total, count)
        if extra:
            runs.append(Run(group=index, first=0, count=extra, price=base + 1))
        if base and count > extra:
            runs.append(Run(group=index, first=extra, count=count - extra, price=base))
    return tuple(runs)
