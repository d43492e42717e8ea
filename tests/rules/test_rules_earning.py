"""Earn rules: rate, rounding (floor of the check's exact sum), multipliers, windows, modifiers."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from openoffers.rules import (
    CheckLine,
    EarnPoints,
    EarnRule,
    Multiplier,
    Reason,
    TimeWindow,
    UserState,
    evaluate,
    rule_points,
)
from tests.rules.rules_support import ACCOUNT, NEW_YORK, NOON, check, dollar_rule, index, line


def points(rule: EarnRule, *lines_: CheckLine, exponent: int = 2, **check_kwargs: Any) -> int:
    return rule_points(rule, check(*lines_, **check_kwargs), exponent)[0]


# --- rounding -------------------------------------------------------------------------------------


def test_4_99_at_one_point_per_dollar_is_4_points() -> None:
    assert points(dollar_rule(), line(499)) == 4


def test_the_floor_is_of_the_sum_not_per_line() -> None:
    # Per-line floors would give 0 + 0 + 0.
    assert points(dollar_rule(), line(50), line(50), line(50)) == 1


def test_fractional_rate_is_exact() -> None:
    # 3.33 x 1.5 = 4.995 -> 4; a float rate could land on either side.
    assert points(dollar_rule(Fraction(3, 2)), line(333)) == 4
    # 2.00 x 1.5 = 3 exactly.
    assert points(dollar_rule(Fraction("1.5")), line(200)) == 3
    # 10.00 x 0.1 = 1 exactly: 0.1 is not representable in binary float.
    assert points(dollar_rule(Fraction("0.1")), line(1000)) == 1


def test_currency_exponent_sets_the_unit() -> None:
    assert points(dollar_rule(), line(1999), exponent=0) == 1999  # JPY: the unit is the minor unit
    assert points(dollar_rule(), line(1999), exponent=3) == 1  # KWD: 1.999 dinars


def test_negative_lines_reduce_and_never_go_below_zero() -> None:
    assert points(dollar_rule(), line(1000), line(-300, "returned")) == 7
    assert points(dollar_rule(), line(-300, "returned")) == 0


def test_zero_points_is_reported_not_emitted() -> None:
    outcome = evaluate(check(line(99)), index(dollar_rule()), UserState())
    assert outcome.effects == ()
    [skipped] = outcome.not_fired
    assert skipped.reason is Reason.NO_POINTS
    assert "0.99" in skipped.detail


def test_earn_effect_names_account_and_rule() -> None:
    outcome = evaluate(check(line(1250)), index(dollar_rule()), UserState())
    assert outcome.effects == (EarnPoints(ACCOUNT, 12, "earn"),)
    assert outcome.points_earned() == 12 == outcome.points_earned(ACCOUNT)


def test_float_rate_is_refused() -> None:
    with pytest.raises(TypeError):
        EarnRule("r", ACCOUNT, 1.5)  # type: ignore[arg-type]


# --- multipliers ----------------------------------------------------------------------------------


def test_store_multiplier_by_id_and_by_tag() -> None:
    rule = dollar_rule(
        multipliers=(
            Multiplier(Fraction(2), store_ids=frozenset({"s1"})),
            Multiplier(Fraction(3), store_tags=frozenset({"airport"})),
        )
    )
    assert points(rule, line(1000), store="s1") == 20
    assert points(rule, line(1000), store="s2", tags={"airport"}) == 30
    assert points(rule, line(1000), store="s2") == 10


def test_channel_multiplier_is_case_insensitive() -> None:
    rule = dollar_rule(multipliers=(Multiplier(Fraction(2), channels=frozenset({"online"})),))
    assert points(rule, line(1000), channel="ONLINE") == 20
    assert points(rule, line(1000), channel="STORE") == 10


def test_item_multiplier_applies_per_line() -> None:
    rule = dollar_rule(multipliers=(Multiplier(Fraction(5), item_ids=frozenset({"latte"})),))
    assert points(rule, line(400, "latte"), line(600, "muffin")) == 20 + 6


def test_category_multiplier_applies_per_line() -> None:
    rule = dollar_rule(multipliers=(Multiplier(Fraction(2), category_ids=frozenset({"coffee"})),))
    assert points(rule, line(400, "latte", {"coffee", "hot"}), line(600, "muffin", {"bakery"})) == 8 + 6


def test_highest_multiplier_wins_and_they_never_compound() -> None:
    rule = dollar_rule(
        multipliers=(
            Multiplier(Fraction(2), store_ids=frozenset({"store-1"})),
            Multiplier(Fraction(3), category_ids=frozenset({"coffee"})),
        )
    )
    # Coffee line: max(2, 3) = 3, not 6; muffin line: 2 (store).
    assert points(rule, line(1000, "latte", {"coffee"}), line(1000, "muffin")) == 30 + 20


def test_a_lower_factor_applies_only_where_it_alone_matches() -> None:
    rule = dollar_rule(multipliers=(Multiplier(Fraction(0), category_ids=frozenset({"tobacco"})),))
    assert points(rule, line(1000, "cigars", {"tobacco"}), line(500, "gum")) == 5


def test_modifier_lines_earn_with_their_root() -> None:
    rule = dollar_rule(multipliers=(Multiplier(Fraction(2), item_ids=frozenset({"burger"})),))
    lines = (
        line(800, "burger", line_id="a"),
        line(100, "cheese", line_id="b", modifies="a"),
        line(100, "bacon", line_id="c", modifies="b"),
        line(100, "cheese", line_id="d"),
    )
    assert points(rule, *lines) == 16 + 2 + 2 + 1


def test_day_of_week_uses_the_store_zone() -> None:
    wednesday = frozenset({2})
    rule = dollar_rule(multipliers=(Multiplier(Fraction(2), days_of_week=wednesday),))
    # 02:00 UTC Thursday is 22:00 Wednesday in New York.
    late = datetime(2024, 6, 13, 2, 0, tzinfo=UTC)
    assert points(rule, line(1000), at=late, zone=NEW_YORK) == 20
    assert points(rule, line(1000), at=late, zone=ZoneInfo("UTC")) == 10


def test_time_of_day_uses_the_store_zone_end_exclusive() -> None:
    breakfast = (TimeWindow(time(7), time(10)),)
    rule = dollar_rule(multipliers=(Multiplier(Fraction(2), time_windows=breakfast),))
    assert points(rule, line(1000), at=NOON) == 20  # 08:00 in New York
    assert points(rule, line(1000), at=NOON + timedelta(hours=2)) == 10  # 10:00, end exclusive
    assert points(rule, line(1000), at=NOON, zone=ZoneInfo("UTC")) == 10  # 12:00 in UTC


def test_time_window_spanning_midnight() -> None:
    night = TimeWindow(time(22), time(2))
    assert night.contains(time(23, 30)) and night.contains(time(1, 59))
    assert not night.contains(time(2)) and not night.contains(time(21, 59))
    with pytest.raises(ValueError):
        TimeWindow(time(5), time(5))


def test_multiplier_conditions_combine_with_and() -> None:
    combo = Multiplier(Fraction(4), channels=frozenset({"ONLINE"}), category_ids=frozenset({"coffee"}))
    rule = dollar_rule(multipliers=(combo,))
    assert points(rule, line(1000, "latte", {"coffee"}), channel="ONLINE") == 40
    assert points(rule, line(1000, "latte", {"coffee"}), channel="STORE") == 10
    assert points(rule, line(1000, "tea"), channel="ONLINE") == 10


# --- active window --------------------------------------------------------------------------------


def test_earn_rule_window_start_inclusive_end_exclusive() -> None:
    rule = dollar_rule(starts_at=NOON, ends_at=NOON + timedelta(days=1))
    rules = index(rule)
    assert evaluate(check(line(500), at=NOON), rules, UserState()).points_earned() == 5
    last = NOON + timedelta(days=1)
    assert evaluate(check(line(500), at=last - timedelta(microseconds=1)), rules, UserState()).points_earned() == 5
    outcome = evaluate(check(line(500), at=last), rules, UserState())
    assert outcome.effects == () and outcome.not_fired[0].reason is Reason.INACTIVE
    before = evaluate(check(line(500), at=NOON - timedelta(seconds=1)), rules, UserState())
    assert before.not_fired[0].reason is Reason.INACTIVE


def test_two_earn_rules_both_earn_in_priority_order() -> None:
    base = dollar_rule(rule_id="z-base", priority=1)
    bonus = EarnRule("a-bonus", "acct-bonus", Fraction(1, 10), priority=2)
    outcome = evaluate(check(line(2000)), index(bonus, base), UserState())
    assert outcome.effects == (EarnPoints(ACCOUNT, 20, "z-base"), EarnPoints("acct-bonus", 2, "a-bonus"))


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        check(line(100), at=datetime(2024, 6, 12, 12, 0))
    with pytest.raises(ValueError):
        dollar_rule(starts_at=datetime(2024, 1, 1))
