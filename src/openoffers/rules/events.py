"""Events the rules core reacts to: a closed check, a points change, an enrolment, a custom event.

Every event carries `occurred_at`, an aware datetime (UTC by convention), which decides whether a rule
is inside its active window. A closed check also carries its store's time zone (`store_zone`, a
`zoneinfo.ZoneInfo`); day-of-week and time-of-day multipliers read `occurred_at` in that zone, so the
caller never converts to local time itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from openoffers.rules.conditions import PropertyValue, require_property_value
from openoffers.rules.timing import require_aware


@dataclass(frozen=True, slots=True)
class CheckLine:
    """One line of a closed check.

    `spend` is the line's remaining amount after every discount on the check, in integer minor units
    (PRICING.md "Earning points"). A line with `modifies_line_id` is a modifier: it earns with its
    group root's item and categories, since modifiers never qualify on their own.
    """

    line_id: str
    item_id: str
    spend: int
    category_ids: frozenset[str] = frozenset()
    modifies_line_id: str | None = None


@dataclass(frozen=True, slots=True)
class TransactionClosed:
    """A check that closed (is_closed true, not voided).

    `total` is the check's total after discounts and before tax, in minor units; `min_spend` compares
    against it. Earning is computed from `lines`, so a check whose total includes amounts that are not
    lines (a service charge) still earns only on its lines.
    """

    user_id: str
    occurred_at: datetime
    store_zone: tzinfo
    store_id: str
    channel: str
    lines: tuple[CheckLine, ...]
    total: int
    store_tags: frozenset[str] = frozenset()
    transaction_id: str | None = None

    def __post_init__(self) -> None:
        require_aware(self.occurred_at, "occurred_at")
        by_id: dict[str, CheckLine] = {}
        for line in self.lines:
            if line.line_id in by_id:
                raise ValueError(f"duplicate line_id {line.line_id!r}")
            by_id[line.line_id] = line
        for line in self.lines:
            _root_of(line, by_id)

    def roots(self) -> dict[str, CheckLine]:
        """Each line id mapped to the root line of its modifier group (itself for a plain line)."""
        by_id = {line.line_id: line for line in self.lines}
        return {line.line_id: _root_of(line, by_id) for line in self.lines}


def _root_of(line: CheckLine, by_id: Mapping[str, CheckLine]) -> CheckLine:
    seen = {line.line_id}
    current = line
    while current.modifies_line_id is not None:
        parent = by_id.get(current.modifies_line_id)
        if parent is None:
            raise ValueError(f"line {current.line_id!r} modifies unknown line {current.modifies_line_id!r}")
        if parent.line_id in seen:
            raise ValueError(f"modifier cycle through line {parent.line_id!r}")
        seen.add(parent.line_id)
        current = parent
    return current


@dataclass(frozen=True, slots=True)
class PointsChanged:
    """Points deposited (amount > 0) or spent (amount < 0) outside a check, e.g. user_points/deposit.

    A deposit raises the available and the lifetime balance; a spend lowers only the available one.
    Only a deposit can cross a threshold; a spend is evaluated too, and explains why nothing fired.
    """

    user_id: str
    occurred_at: datetime
    account_id: str
    amount: int

    def __post_init__(self) -> None:
        require_aware(self.occurred_at, "occurred_at")


@dataclass(frozen=True, slots=True)
class UserEnrolled:
    user_id: str
    occurred_at: datetime

    def __post_init__(self) -> None:
        require_aware(self.occurred_at, "occurred_at")


@dataclass(frozen=True, slots=True)
class CustomEvent:
    """A named event from api/2.0/user_events/trigger; names match rules case-insensitively.

    `properties` is a tuple of (name, value) pairs with unique names; build it from a dict with
    `CustomEvent.of(...)`.
    """

    user_id: str
    occurred_at: datetime
    name: str
    properties: tuple[tuple[str, PropertyValue], ...] = field(default=())

    def __post_init__(self) -> None:
        require_aware(self.occurred_at, "occurred_at")
        names = [name for name, _ in self.properties]
        if len(set(names)) != len(names):
            raise ValueError("custom event property names must be unique")
        for name, value in self.properties:
            require_property_value(value, f"property {name!r}")

    @classmethod
    def of(cls, user_id: str, occurred_at: datetime, name: str, properties: Mapping[str, PropertyValue]) -> CustomEvent:
        return cls(user_id, occurred_at, name, tuple(sorted(properties.items(), key=lambda pair: pair[0])))

    def property_map(self) -> dict[str, PropertyValue]:
        return dict(self.properties)


Event = TransactionClosed | PointsChanged | UserEnrolled | CustomEvent
