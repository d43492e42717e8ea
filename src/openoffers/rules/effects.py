"""What an evaluation returns: the effects the service applies, and why each other rule did not fire."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class EarnPoints:
    """Add `points` (> 0) to the user's available and lifetime balance of the account."""

    account_id: str
    points: int
    rule_id: str

    def __post_init__(self) -> None:
        if self.points <= 0:
            raise ValueError("earned points must be positive")


@dataclass(frozen=True, slots=True)
class SpendPoints:
    """Take `points` (> 0) from the available balance, paying for the offer the same rule issues."""

    account_id: str
    points: int
    rule_id: str

    def __post_init__(self) -> None:
        if self.points <= 0:
            raise ValueError("spent points must be positive")


@dataclass(frozen=True, slots=True)
class IssueOffer:
    """Issue `quantity` (> 0) user offers of `offer_id` to the user."""

    offer_id: str
    rule_id: str
    quantity: int

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise ValueError("quantity must be positive")


@dataclass(frozen=True, slots=True)
class ReversePoints:
    """Take back `points` (> 0) that `rule_id` earned on a check that was voided."""

    account_id: str
    points: int
    rule_id: str

    def __post_init__(self) -> None:
        if self.points <= 0:
            raise ValueError("reversed points must be positive")


Effect = EarnPoints | SpendPoints | IssueOffer


class Reason(StrEnum):
    INACTIVE = "INACTIVE"
    NO_POINTS = "NO_POINTS"
    BELOW_THRESHOLD = "BELOW_THRESHOLD"
    THRESHOLD_NOT_CROSSED = "THRESHOLD_NOT_CROSSED"
    INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"
    MIN_SPEND_NOT_MET = "MIN_SPEND_NOT_MET"
    REQUIRED_ITEMS_MISSING = "REQUIRED_ITEMS_MISSING"
    CHANNEL_NOT_ELIGIBLE = "CHANNEL_NOT_ELIGIBLE"
    STORE_NOT_ELIGIBLE = "STORE_NOT_ELIGIBLE"
    CAP_REACHED = "CAP_REACHED"
    ALREADY_ISSUED = "ALREADY_ISSUED"
    NOT_NTH_VISIT = "NOT_NTH_VISIT"
    CONDITIONS_NOT_MET = "CONDITIONS_NOT_MET"


@dataclass(frozen=True, slots=True)
class NotFired:
    rule_id: str
    reason: Reason
    detail: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """Effects in application order (earn rules first, then issuance rules, each by priority then id),
    and one `NotFired` for every evaluated rule that produced no effect."""

    effects: tuple[Effect, ...] = ()
    not_fired: tuple[NotFired, ...] = ()

    def points_earned(self, account_id: str | None = None) -> int:
        return sum(e.points for e in self.effects if isinstance(e, EarnPoints) and account_id in (None, e.account_id))

    def offers_issued(self) -> tuple[IssueOffer, ...]:
        return tuple(e for e in self.effects if isinstance(e, IssueOffer))


def reverse_earnings(effects: Iterable[Effect]) -> tuple[ReversePoints, ...]:
    """The entries that undo what a check earned, used when the check is voided.

    One `ReversePoints` per `EarnPoints`, in the same order and for exactly the same points, so the
    ledger nets to zero for that check. Other effects are ignored: offers a rule issued, and points it
    spent on them, are the service's call (the offer may already be redeemed), not an arithmetic undo.
    """
    return tuple(ReversePoints(e.account_id, e.points, e.rule_id) for e in effects if isinstance(e, EarnPoints))
