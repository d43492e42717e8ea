"""Builders shared by the rules-core tests (not a test module)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

from openoffers.rules import (
    CheckLine,
    EarnRule,
    Event,
    IssuanceRule,
    Outcome,
    RuleIndex,
    TransactionClosed,
    UserState,
    evaluate,
    next_state,
)

ACCOUNT = "acct-default"
# A Wednesday, noon UTC: 08:00 in New York (EDT).
NOON = datetime(2024, 6, 12, 12, 0, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")


def line(
    spend: int,
    item: str = "item",
    categories: Iterable[str] = (),
    line_id: str | None = None,
    modifies: str | None = None,
) -> CheckLine:
    return CheckLine(
        line_id=line_id or "",  # check() numbers lines left without an id
        item_id=item,
        spend=spend,
        category_ids=frozenset(categories),
        modifies_line_id=modifies,
    )


def check(
    *lines: CheckLine,
    at: datetime = NOON,
    store: str = "store-1",
    tags: Iterable[str] = (),
    channel: str = "STORE",
    zone: ZoneInfo = NEW_YORK,
    total: int | None = None,
) -> TransactionClosed:
    numbered = tuple(
        ln if ln.line_id else CheckLine(str(i), ln.item_id, ln.spend, ln.category_ids, ln.modifies_line_id)
        for i, ln in enumerate(lines)
    )
    return TransactionClosed(
        user_id="user-1",
        occurred_at=at,
        store_zone=zone,
        store_id=store,
        channel=channel,
        lines=numbered,
        total=sum(ln.spend for ln in lines) if total is None else total,
        store_tags=frozenset(tags),
    )


def dollar_rule(rate: Fraction = Fraction(1), rule_id: str = "earn", **kwargs: object) -> EarnRule:
    return EarnRule(rule_id=rule_id, account_id=ACCOUNT, rate=rate, **kwargs)  # type: ignore[arg-type]


def index(*rules: EarnRule | IssuanceRule) -> RuleIndex:
    return RuleIndex([r for r in rules if isinstance(r, EarnRule)], [r for r in rules if isinstance(r, IssuanceRule)])


def run(events: Iterable[Event], rules: RuleIndex, state: UserState | None = None) -> tuple[UserState, list[Outcome]]:
    """Evaluate events one after the other, applying each outcome, as the service would."""
    current = state or UserState()
    outcomes = []
    for event in events:
        outcome = evaluate(event, rules, current)
        outcomes.append(outcome)
        current = next_state(current, event, outcome)
    return current, outcomes


def issued_total(outcomes: Iterable[Outcome]) -> int:
    return sum(issue.quantity for outcome in outcomes for issue in outcome.offers_issued())
