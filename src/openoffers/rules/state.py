"""What the caller loads about one user before an event: balances, issue counts, visits, currency."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Balance:
    """A point account balance. `available` may be negative (a void reversed points already spent)."""

    available: int = 0
    lifetime: int = 0


@dataclass(frozen=True, slots=True)
class UserState:
    """The user's state BEFORE the event.

    - `balances`: (account_id, Balance) pairs; an account that is absent has a zero balance.
    - `issued`: (rule_id, offers that rule has issued to this user so far, counting quantity).
    - `closed_checks`: closed, non-voided checks BEFORE this one; the engine counts this check itself,
      so the caller loads the stored count unchanged.
    - `currency_exponent`: the retailer currency's minor-unit exponent (2 for USD, 0 for JPY).
    Pairs are kept sorted by key so equal states compare equal; build from dicts with `UserState.of`.
    """

    balances: tuple[tuple[str, Balance], ...] = ()
    issued: tuple[tuple[str, int], ...] = ()
    closed_checks: int = 0
    currency_exponent: int = 2

    def __post_init__(self) -> None:
        for label, pairs in (("balances", self.balances), ("issued", self.issued)):
            keys = [key for key, _ in pairs]
            if keys != sorted(set(keys)):
                raise ValueError(f"{label} keys must be unique and sorted; use UserState.of")
        if any(count < 0 for _, count in self.issued):
            raise ValueError("issue counts must not be negative")
        if self.closed_checks < 0:
            raise ValueError("closed_checks must not be negative")
        if self.currency_exponent < 0:
            raise ValueError("currency_exponent must not be negative")

    @classmethod
    def of(
        cls,
        balances: Mapping[str, Balance] | None = None,
        issued: Mapping[str, int] | None = None,
        closed_checks: int = 0,
        currency_exponent: int = 2,
    ) -> UserState:
        return cls(
            balances=tuple(sorted((balances or {}).items(), key=lambda pair: pair[0])),
            issued=tuple(sorted((issued or {}).items())),
            closed_checks=closed_checks,
            currency_exponent=currency_exponent,
        )

    def balance(self, account_id: str) -> Balance:
        return dict(self.balances).get(account_id, Balance())

    def issued_count(self, rule_id: str) -> int:
        return dict(self.issued).get(rule_id, 0)
