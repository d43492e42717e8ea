"""Rule definitions: earn rules with their multipliers, issuance rules with their triggers.

Every rule has an id, a `priority` (lower runs first; ties run in rule id order) and an optional active
window (`starts_at` inclusive, `ends_at` exclusive, aware datetimes compared with the event's
`occurred_at`). Ids are strings; the service passes canonical lower-case UUIDs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from fractions import Fraction
from typing import ClassVar

from openoffers.rules.conditions import PropertyCondition
from openoffers.rules.timing import TimeWindow, require_window


def _require_exact(value: object, field: str) -> None:
    # Fraction (or int) keeps rates exact: 1.5 points per $1 must not be 1.4999999.
    if isinstance(value, bool) or not isinstance(value, Fraction | int):
        raise TypeError(f"{field} must be a Fraction or an int, never a float")
    if value < 0:
        raise ValueError(f"{field} must not be negative")


@dataclass(frozen=True, slots=True)
class Multiplier:
    """A factor on a line's points when every condition given holds; an empty condition is any.

    Stores match by id or by tag (either listed); items match by item id or category (either listed),
    judged on the line's modifier-group root; channels compare case-insensitively; `days_of_week` uses
    `datetime.weekday()` numbering (0 = Monday) and, like `time_windows` (any one may contain the time),
    is judged on the check's close time in the store's zone. A line gets the HIGHEST factor of the
    multipliers that match it, or 1 when none does: multipliers never compound. A factor below 1 (even
    0) lowers the points of the lines it alone matches.
    """

    factor: Fraction
    store_ids: frozenset[str] = frozenset()
    store_tags: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    item_ids: frozenset[str] = frozenset()
    category_ids: frozenset[str] = frozenset()
    days_of_week: frozenset[int] = frozenset()
    time_windows: tuple[TimeWindow, ...] = ()

    def __post_init__(self) -> None:
        _require_exact(self.factor, "factor")
        if any(day not in range(7) for day in self.days_of_week):
            raise ValueError("days_of_week are 0 (Monday) to 6 (Sunday)")


@dataclass(frozen=True, slots=True)
class EarnRule:
    """Points per ONE currency unit spent after discounts, into `account_id`, on every closed check."""

    rule_id: str
    account_id: str
    rate: Fraction
    multipliers: tuple[Multiplier, ...] = ()
    priority: int = 0
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    def __post_init__(self) -> None:
        _require_exact(self.rate, "rate")
        require_window(self.starts_at, self.ends_at)


class BalanceKind(StrEnum):
    LIFETIME = "lifetime"
    AVAILABLE = "available"


class Recurrence(StrEnum):
    ONCE = "once"
    EVERY_TIME = "every_time"


@dataclass(frozen=True, slots=True)
class OnPointsThreshold:
    """Fires when the event takes the account's balance across the threshold.

    Judged on the balance after this event's earned points (and after points spent by rules of higher
    priority in the same evaluation). `once` fires when the balance goes from below `threshold` to at
    least `threshold`; `every_time` fires once per multiple of `threshold` crossed (199 -> 601 at 200
    is 3). Neither is retroactive: a balance already past the threshold when the rule starts does not
    fire until it crosses the next multiple. With `spend_points`, each issue spends `threshold` points
    from the available balance, and no more issues are made than the available balance pays for.
    """

    kind: ClassVar[str] = "points_threshold"
    account_id: str
    threshold: int
    balance: BalanceKind = BalanceKind.LIFETIME
    spend_points: bool = False

    def __post_init__(self) -> None:
        if self.threshold <= 0:
            raise ValueError("threshold must be positive")


@dataclass(frozen=True, slots=True)
class OnTransactionClosed:
    """Fires on a closed check that meets every condition given (empty sets mean any).

    `min_spend` compares with the check total after discounts (minor units). Every required item id and
    every required category must be on some line of the check. Stores match by id or tag.
    """

    kind: ClassVar[str] = "transaction_closed"
    min_spend: int = 0
    required_item_ids: frozenset[str] = frozenset()
    required_category_ids: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    store_ids: frozenset[str] = frozenset()
    store_tags: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.min_spend < 0:
            raise ValueError("min_spend must not be negative")


@dataclass(frozen=True, slots=True)
class OnVisitCount:
    """Fires on every `every`-th closed check of the user (the 5th, 10th, ... when every is 5)."""

    kind: ClassVar[str] = "visit_count"
    every: int

    def __post_init__(self) -> None:
        if self.every <= 0:
            raise ValueError("every must be positive")


@dataclass(frozen=True, slots=True)
class OnUserEnrolled:
    """Fires when the user enrols: the welcome offer."""

    kind: ClassVar[str] = "user_enrolled"


@dataclass(frozen=True, slots=True)
class OnCustomEvent:
    """Fires on a custom event of this name (case-insensitive) whose properties meet every condition."""

    kind: ClassVar[str] = "custom_event"
    name: str
    conditions: tuple[PropertyCondition, ...] = ()

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("a custom event trigger needs a name")


Trigger = OnPointsThreshold | OnTransactionClosed | OnVisitCount | OnUserEnrolled | OnCustomEvent


@dataclass(frozen=True, slots=True)
class IssuanceRule:
    """Issue `offer_id` when `trigger` is met.

    `once`: at most one offer ever per user from this rule. `every_time`: one offer each time the
    trigger is met (per threshold multiple crossed). `per_user_cap`, when given, bounds the total this
    rule ever issues to one user; an event that would exceed it issues only what is left.
    """

    rule_id: str
    offer_id: str
    trigger: Trigger
    recurrence: Recurrence = Recurrence.ONCE
    per_user_cap: int | None = None
    priority: int = 0
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    def __post_init__(self) -> None:
        require_window(self.starts_at, self.ends_at)
        if self.per_user_cap is not None and self.per_user_cap <= 0:
            raise ValueError("per_user_cap must be positive when given")
