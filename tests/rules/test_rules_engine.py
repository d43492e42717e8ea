"""Engine plumbing: ordering, determinism by example, reversal, state chaining, input validation."""

from __future__ import annotations

from fractions import Fraction

import pytest

from openoffers.rules import (
    Balance,
    CheckLine,
    CustomEvent,
    EarnPoints,
    IssuanceRule,
    IssueOffer,
    OnCustomEvent,
    OnPointsThreshold,
    OnTransactionClosed,
    PointsChanged,
    ReversePoints,
    RuleIndex,
    UserState,
    evaluate,
    next_state,
    reverse_earnings,
)
from tests.rules.rules_support import ACCOUNT, NOON, check, dollar_rule, index, line


def test_issuance_effects_follow_priority_then_id() -> None:
    rules = [
        IssuanceRule("b", "offer-b", OnTransactionClosed(), priority=1),
        IssuanceRule("a", "offer-a", OnTransactionClosed(), priority=1),
        IssuanceRule("c", "offer-c", OnTransactionClosed(), priority=0),
    ]
    outcome = evaluate(check(line(100)), RuleIndex((), rules), UserState())
    assert [e.rule_id for e in outcome.offers_issued()] == ["c", "a", "b"]
    assert outcome == evaluate(check(line(100)), RuleIndex((), reversed(rules)), UserState())


def test_reversal_undoes_exactly_what_the_check_earned() -> None:
    rules = index(
        dollar_rule(),
        dollar_rule(Fraction(1, 2), rule_id="half"),
        IssuanceRule("tx", "o", OnTransactionClosed()),
    )
    outcome = evaluate(check(line(1234)), rules, UserState())
    assert reverse_earnings(outcome.effects) == (
        ReversePoints(ACCOUNT, 12, "earn"),
        ReversePoints(ACCOUNT, 6, "half"),
    )
    assert sum(r.points for r in reverse_earnings(outcome.effects)) == outcome.points_earned()
    assert reverse_earnings([IssueOffer("o", "tx", 1)]) == ()


def test_next_state_applies_effects_and_counts_the_visit() -> None:
    state = UserState.of({ACCOUNT: Balance(10, 20)}, {"x": 1}, closed_checks=2)
    event = check(line(500))
    outcome = evaluate(event, index(dollar_rule()), state)
    after = next_state(state, event, outcome)
    assert after == UserState.of({ACCOUNT: Balance(15, 25)}, {"x": 1}, closed_checks=3)
    deposit = PointsChanged("user-1", NOON, ACCOUNT, -5)
    assert next_state(after, deposit, evaluate(deposit, index(), after)).balance(ACCOUNT) == Balance(10, 25)


def test_evaluation_changes_nothing_it_is_given() -> None:
    state = UserState.of({ACCOUNT: Balance(190, 190)})
    event = check(line(1000))
    rules = index(dollar_rule())
    first = evaluate(event, rules, state)
    assert evaluate(event, rules, state) == first
    assert state == UserState.of({ACCOUNT: Balance(190, 190)})


def test_invalid_state_and_checks_are_refused() -> None:
    with pytest.raises(ValueError):
        UserState(balances=(("b", Balance()), ("a", Balance())))
    with pytest.raises(ValueError):
        UserState.of(issued={"r": -1})
    with pytest.raises(ValueError):
        check(CheckLine("1", "i", 1), CheckLine("1", "j", 1))
    with pytest.raises(ValueError):
        check(CheckLine("1", "i", 1, modifies_line_id="9"))
    with pytest.raises(ValueError):
        check(CheckLine("1", "i", 1, modifies_line_id="2"), CheckLine("2", "j", 1, modifies_line_id="1"))
    with pytest.raises(ValueError):
        EarnPoints(ACCOUNT, 0, "r")


def test_cost_follows_the_rules_that_can_fire_not_all_rules() -> None:
    # 2,000 rules listening to other events; the event sees only the 2 that listen to it.
    noise = [IssuanceRule(f"n{i}", "o", OnCustomEvent(f"event-{i}")) for i in range(1000)]
    noise += [IssuanceRule(f"t{i}", "o", OnPointsThreshold(f"acct-{i}", 10)) for i in range(1000)]
    listening = [
        IssuanceRule("x1", "o", OnCustomEvent("Target")),
        IssuanceRule("x2", "o", OnCustomEvent("target")),
    ]
    rules = RuleIndex((), [*noise, *listening])
    outcome = evaluate(CustomEvent.of("user-1", NOON, "TARGET", {}), rules, UserState())
    assert [e.rule_id for e in outcome.offers_issued()] == ["x1", "x2"] and outcome.not_fired == ()
    assert len(rules.rule_ids) == 2002
