"""Rules indexed by what can fire them, so an event evaluates only the rules listening to it.

Built once per rule set (the service caches it per retailer and rule revision) and immutable after.
Every bucket is sorted by (priority, rule_id), which makes evaluation independent of the order the
rules were given in, except by declared priority.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType

from openoffers.rules.definitions import (
    EarnRule,
    IssuanceRule,
    OnCustomEvent,
    OnPointsThreshold,
    OnTransactionClosed,
    OnUserEnrolled,
    OnVisitCount,
)


def _order(rules: Iterable[IssuanceRule]) -> tuple[IssuanceRule, ...]:
    return tuple(sorted(rules, key=lambda r: (r.priority, r.rule_id)))


def event_key(name: str) -> str:
    """Custom event names match case-insensitively and ignore surrounding blanks."""
    return name.strip().casefold()


class RuleIndex:
    """Buckets of rules: earn rules (every closed check), threshold rules per point account, and
    transaction-closed, visit-count, enrolment and per-name custom-event rules."""

    __slots__ = (
        "_by_account",
        "_by_event",
        "_closed",
        "_earn",
        "_earn_accounts",
        "_enrolled",
        "_rule_ids",
        "_visits",
    )

    def __init__(self, earn_rules: Iterable[EarnRule] = (), issuance_rules: Iterable[IssuanceRule] = ()):
        earn = tuple(sorted(earn_rules, key=lambda r: (r.priority, r.rule_id)))
        issuance = tuple(issuance_rules)
        ids = [r.rule_id for r in earn] + [r.rule_id for r in issuance]
        if len(set(ids)) != len(ids):
            raise ValueError("rule ids must be unique across earn and issuance rules")
        by_account: dict[str, list[IssuanceRule]] = {}
        by_event: dict[str, list[IssuanceRule]] = {}
        closed: list[IssuanceRule] = []
        visits: list[IssuanceRule] = []
        enrolled: list[IssuanceRule] = []
        for rule in issuance:
            trigger = rule.trigger
            if isinstance(trigger, OnPointsThreshold):
                by_account.setdefault(trigger.account_id, []).append(rule)
            elif isinstance(trigger, OnCustomEvent):
                by_event.setdefault(event_key(trigger.name), []).append(rule)
            elif isinstance(trigger, OnTransactionClosed):
                closed.append(rule)
            elif isinstance(trigger, OnVisitCount):
                visits.append(rule)
            elif isinstance(trigger, OnUserEnrolled):
                enrolled.append(rule)
        self._earn = earn
        self._earn_accounts = tuple(sorted({rule.account_id for rule in earn}))
        self._by_account = MappingProxyType({k: _order(v) for k, v in by_account.items()})
        self._by_event = MappingProxyType({k: _order(v) for k, v in by_event.items()})
        self._closed = _order(closed)
        self._visits = _order(visits)
        self._enrolled = _order(enrolled)
        self._rule_ids = frozenset(ids)

    @property
    def rule_ids(self) -> frozenset[str]:
        """Every rule id, for a caller that wants to report rules the event did not concern."""
        return self._rule_ids

    def earn_rules(self) -> tuple[EarnRule, ...]:
        return self._earn

    def earn_accounts(self) -> tuple[str, ...]:
        """The accounts a closed check can pay into: only their threshold rules can fire on a check."""
        return self._earn_accounts

    def thresholds(self, account_id: str) -> tuple[IssuanceRule, ...]:
        return self._by_account.get(account_id, ())

    def on_transaction_closed(self) -> tuple[IssuanceRule, ...]:
        return self._closed

    def on_visit(self) -> tuple[IssuanceRule, ...]:
        return self._visits

    def on_enrolled(self) -> tuple[IssuanceRule, ...]:
        return self._enrolled

    def on_custom_event(self, name: str) -> tuple[IssuanceRule, ...]:
        return self._by_event.get(event_key(name), ())
