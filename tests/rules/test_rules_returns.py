"""Per-line points for returns (`line_points`, `kept_points`): exact, multipliers included, one floor.

Source for the flow: SessionM's returns as issue 11 quotes them (the POS re-sends the closed check with
the remaining items; the points the returned lines earned are taken back); PRICING.md "Earning points"
for the one rounding rule."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from openoffers.rules import EarnRule, Multiplier, kept_points, line_points, rule_points
from tests.rules.rules_support import ACCOUNT, check, dollar_rule, line


def test_each_line_earns_its_spend_times_rate_times_its_multiplier() -> None:
    rule = EarnRule(
        rule_id="earn",
        account_id=ACCOUNT,
        rate=Fraction(1),
        multipliers=(Multiplier(Fraction(3), item_ids=frozenset({"coffee"})),),
    )
    closed = check(line(1000, "bagel"), line(450, "coffee"), line(99, "bagel"))
    assert line_points(rule, closed, 2) == {"0": Fraction(10), "1": Fraction(27, 2), "2": Fraction(99, 100)}
    # Their sum is what the rule floors: 24.49 -> 24.
    assert rule_points(rule, closed, 2)[0] == 24 == kept_points(line_points(rule, closed, 2), {})


def test_kept_points_floor_once_over_what_is_left() -> None:
    lines = {"0": Fraction(1, 2), "1": Fraction(1, 2), "2": Fraction(1, 2)}
    assert kept_points(lines, {}) == 1
    assert kept_points(lines, {"2": Fraction(0)}) == 1
    assert kept_points(lines, {"1": Fraction(0), "2": Fraction(0)}) == 0
    # 2 of 3 units of a 3-point line come back: 1 point is left.
    assert kept_points({"0": Fraction(3)}, {"0": Fraction(1, 3)}) == 1


def test_a_negative_line_never_makes_kept_points_negative() -> None:
    assert kept_points({"0": Fraction(2), "1": Fraction(-5)}, {}) == 0


spends = st.lists(st.integers(0, 50_000), min_size=1, max_size=6)
shares = st.lists(st.fractions(min_value=0, max_value=1), min_size=6, max_size=6)


@given(spends, shares, shares, st.fractions(min_value=Fraction(1, 10), max_value=5))
def test_what_a_check_keeps_only_goes_down_and_a_full_return_keeps_nothing(
    amounts: list[int], first: list[Fraction], second: list[Fraction], rate: Fraction
) -> None:
    closed = check(*(line(a) for a in amounts))
    lines = line_points(dollar_rule(rate), closed, 2)
    earned = rule_points(dollar_rule(rate), closed, 2)[0]
    # Shares only go down: each step keeps the smaller of what is left and what is sent.
    step = {str(i): first[i] for i in range(len(amounts))}
    final = {str(i): min(first[i], second[i]) for i in range(len(amounts))}
    # So each return takes back a non-negative amount, and the takes add up to earned - kept(final)
    # whatever the steps.
    assert 0 <= kept_points(lines, final) <= kept_points(lines, step) <= earned
    assert kept_points(lines, {str(i): Fraction(0) for i in range(len(amounts))}) == 0


@given(st.lists(st.integers(-5_000, 50_000), min_size=1, max_size=8), st.fractions(min_value=0, max_value=5))
def test_a_rule_no_multiplier_applies_to_earns_as_one_whose_multiplier_is_one(
    amounts: list[int], rate: Fraction
) -> None:
    """Without a multiplier that applies to the check, every line earns at the base rate (the short
    path); a factor-1 multiplier matching every line takes the per-line path. Both answer alike, and the
    lines' exact points sum to what the rule floors."""
    closed = check(*(line(a) for a in amounts))
    plain = dollar_rule(rate)
    other_channel = dollar_rule(rate, multipliers=(Multiplier(Fraction(7), channels=frozenset({"WEB"})),))
    factor_one = dollar_rule(rate, multipliers=(Multiplier(Fraction(1)),))
    expected = line_points(factor_one, closed, 2)
    assert line_points(plain, closed, 2) == expected == line_points(other_channel, closed, 2)
    earned = rule_points(factor_one, closed, 2)
    assert rule_points(plain, closed, 2) == earned == rule_points(other_channel, closed, 2)
    assert earned[1] == sum(expected.values(), start=Fraction(0))
    assert earned[0] == kept_points(expected, {})
