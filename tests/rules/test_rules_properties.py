"""Hypothesis properties of the pure rules core."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from openoffers.rules import (
    Balance,
    BalanceKind,
    CheckLine,
    EarnPoints,
    EarnRule,
    IssuanceRule,
    Multiplier,
    OnPointsThreshold,
    OnTransactionClosed,
    OnVisitCount,
    PointsChanged,
    Recurrence,
    RuleIndex,
    SpendPoints,
    TimeWindow,
    TransactionClosed,
    UserState,
    evaluate,
    next_state,
    reverse_earnings,
)
from tests.rules.rules_support import ACCOUNT, NOON, check, dollar_rule, index, issued_total, line, run

FAST = settings(max_examples=200, deadline=None)
ACCOUNTS = ("acct-a", "acct-b")
ITEMS = ("latte", "scone", "tea")
CATEGORIES = ("coffee", "bakery")
ZONES = (ZoneInfo("UTC"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata"))

rates = st.builds(Fraction, st.integers(0, 300), st.sampled_from([1, 2, 3, 4, 10, 100]))
windows = st.builds(TimeWindow, st.sampled_from([time(6), time(22)]), st.sampled_from([time(2), time(11)]))
multipliers = st.builds(
    Multiplier,
    factor=rates,
    store_ids=st.frozensets(st.sampled_from(["s1", "s2"]), max_size=1),
    channels=st.frozensets(st.sampled_from(["STORE", "online"]), max_size=1),
    item_ids=st.frozensets(st.sampled_from(ITEMS), max_size=1),
    category_ids=st.frozensets(st.sampled_from(CATEGORIES), max_size=1),
    days_of_week=st.frozensets(st.integers(0, 6), max_size=3),
    time_windows=st.lists(windows, max_size=1).map(tuple),
)
moments = st.datetimes(datetime(2024, 1, 1), datetime(2024, 12, 31), timezones=st.just(UTC))


@st.composite
def checks(draw: st.DrawFn) -> TransactionClosed:
    spends = draw(st.lists(st.integers(-500, 60_000), min_size=0, max_size=6))
    lines = []
    for i, spend in enumerate(spends):
        parent = draw(st.sampled_from([None, *[str(j) for j in range(i)]]))
        categories = draw(st.frozensets(st.sampled_from(CATEGORIES), max_size=2))
        lines.append(CheckLine(str(i), draw(st.sampled_from(ITEMS)), spend, categories, parent))
    return check(
        *lines,
        at=draw(moments),
        store=draw(st.sampled_from(["s1", "s2"])),
        channel=draw(st.sampled_from(["STORE", "ONLINE"])),
        zone=draw(st.sampled_from(ZONES)),
    )


def _window(draw: st.DrawFn) -> dict[str, datetime]:
    if not draw(st.booleans()):
        return {}
    start = draw(moments)
    return {"starts_at": start, "ends_at": start + timedelta(days=draw(st.integers(1, 200)))}


@st.composite
def rule_sets(draw: st.DrawFn, equal_priorities: bool = False) -> list[EarnRule | IssuanceRule]:
    count = draw(st.integers(1, 8))
    priorities = [0] * count if equal_priorities else draw(st.permutations(range(count)))
    rules: list[EarnRule | IssuanceRule] = []
    for i in range(count):
        rid, priority = f"rule-{i}", priorities[i]
        if draw(st.booleans()):
            rules.append(
                EarnRule(
                    rid,
                    draw(st.sampled_from(ACCOUNTS)),
                    draw(rates),
                    tuple(draw(st.lists(multipliers, max_size=3))),
                    priority,
                    **_window(draw),
                )
            )
            continue
        trigger = draw(
            st.one_of(
                st.builds(
                    OnPointsThreshold,
                    st.sampled_from(ACCOUNTS),
                    st.integers(1, 500),
                    st.sampled_from(BalanceKind),
                    st.booleans(),
                ),
                st.builds(
                    OnTransactionClosed,
                    min_spend=st.integers(0, 5000),
                    required_item_ids=st.frozensets(st.sampled_from(ITEMS), max_size=1),
                ),
                st.builds(OnVisitCount, st.integers(1, 4)),
            )
        )
        rules.append(
            IssuanceRule(
                rid,
                f"offer-{i % 3}",
                trigger,
                draw(st.sampled_from(Recurrence)),
                draw(st.none() | st.integers(1, 6)),
                priority,
                **_window(draw),
            )
        )
    return rules


@st.composite
def states(draw: st.DrawFn) -> UserState:
    balances = {}
    for account in ACCOUNTS:
        lifetime = draw(st.integers(0, 3000))
        balances[account] = Balance(draw(st.integers(0, lifetime)), lifetime)
    issued = draw(st.dictionaries(st.sampled_from([f"rule-{i}" for i in range(8)]), st.integers(0, 6)))
    return UserState.of(balances, issued, draw(st.integers(0, 20)), draw(st.integers(0, 3)))


def split(rules: list[EarnRule | IssuanceRule]) -> RuleIndex:
    return index(*rules)


@FAST
@given(rule_sets(), checks(), states())
def test_same_input_same_output(
    rules: list[EarnRule | IssuanceRule], event: TransactionClosed, state: UserState
) -> None:
    assert evaluate(event, split(rules), state) == evaluate(event, split(list(rules)), state)


@FAST
@given(st.data(), checks(), states(), st.booleans())
def test_rule_order_does_not_matter_only_priority(
    data: st.DataObject, event: TransactionClosed, state: UserState, equal: bool
) -> None:
    rules = data.draw(rule_sets(equal_priorities=equal))
    shuffled = data.draw(st.permutations(rules))
    assert evaluate(event, split(rules), state) == evaluate(event, split(shuffled), state)


@FAST
@given(rule_sets(), checks(), states())
def test_points_and_balances_never_go_negative(
    rules: list[EarnRule | IssuanceRule], event: TransactionClosed, state: UserState
) -> None:
    outcome = evaluate(event, split(rules), state)
    running = dict(state.balances)
    for effect in outcome.effects:
        if isinstance(effect, EarnPoints | SpendPoints):
            assert effect.points > 0
            current = running.get(effect.account_id, Balance())
            delta = effect.points if isinstance(effect, EarnPoints) else -effect.points
            running[effect.account_id] = Balance(current.available + delta, current.lifetime)
            assert running[effect.account_id].available >= 0
    after = next_state(state, event, outcome)
    assert all(b.available >= 0 and b.lifetime >= 0 for _, b in after.balances)
    # Every evaluated rule is explained exactly once: fired or not fired, never both.
    fired = {e.rule_id for e in outcome.effects}
    assert not fired & {nf.rule_id for nf in outcome.not_fired}
    assert -sum(r.points for r in reverse_earnings(outcome.effects)) + outcome.points_earned() == 0


@FAST
@given(st.lists(st.integers(0, 100_000), max_size=6), rates, st.integers(0, 3))
def test_points_are_the_floor_of_the_exact_sum(spends: list[int], rate: Fraction, exponent: int) -> None:
    event = check(*(line(s, line_id=str(i)) for i, s in enumerate(spends)))
    points = evaluate(event, index(dollar_rule(rate)), UserState(currency_exponent=exponent)).points_earned()
    assert points == sum(spends) * rate.numerator // (rate.denominator * 10**exponent)
    assert points >= sum(s * rate.numerator // (rate.denominator * 10**exponent) for s in spends)


@FAST
@given(
    st.integers(0, 5000),
    st.integers(0, 5000),
    st.integers(1, 400),
    st.none() | st.integers(1, 10),
    st.integers(0, 10),
    st.booleans(),
)
def test_every_time_count_is_multiples_crossed_capped(
    before: int, earned: int, t: int, cap: int | None, issued: int, by_check: bool
) -> None:
    rule = IssuanceRule("r", "o", OnPointsThreshold(ACCOUNT, t), Recurrence.EVERY_TIME, cap)
    state = UserState.of({ACCOUNT: Balance(before, before)}, {"r": issued})
    if by_check:
        event: TransactionClosed | PointsChanged = check(line(earned * 100))
        rules = index(dollar_rule(), rule)
    else:
        event = PointsChanged("user-1", NOON, ACCOUNT, earned)
        rules = index(rule)
    crossed = (before + earned) // t - before // t
    expected = crossed if cap is None else max(0, min(crossed, cap - issued))
    assert issued_total([evaluate(event, rules, state)]) == expected


@FAST
@given(st.lists(st.integers(0, 80_000), min_size=1, max_size=10), st.integers(1, 400), st.integers(0, 1000))
def test_splitting_spend_over_checks_never_changes_the_issue_count(spends: list[int], t: int, start: int) -> None:
    rules = index(dollar_rule(), IssuanceRule("r", "o", OnPointsThreshold(ACCOUNT, t), Recurrence.EVERY_TIME))
    state, outcomes = run([check(line(s)) for s in spends], rules, UserState.of({ACCOUNT: Balance(start, start)}))
    final = state.balance(ACCOUNT).lifetime
    assert final == start + sum(s // 100 for s in spends)
    assert issued_total(outcomes) == final // t - start // t


@FAST
@given(st.lists(st.integers(0, 80_000), min_size=1, max_size=10), st.integers(1, 400))
def test_once_issues_at_most_once_over_any_sequence(spends: list[int], t: int) -> None:
    rules = index(dollar_rule(), IssuanceRule("r", "o", OnPointsThreshold(ACCOUNT, t), Recurrence.ONCE))
    state, outcomes = run([check(line(s)) for s in spends], rules)
    assert issued_total(outcomes) == (1 if state.balance(ACCOUNT).lifetime >= t else 0)
