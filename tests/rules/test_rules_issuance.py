"""Issuance rules: every trigger, recurrence, cap, window, spending points, and the not-fired reasons."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from openoffers.rules import (
    Balance,
    BalanceKind,
    CustomEvent,
    IssuanceRule,
    IssueOffer,
    OnCustomEvent,
    OnPointsThreshold,
    OnTransactionClosed,
    OnUserEnrolled,
    OnVisitCount,
    Operator,
    Outcome,
    PointsChanged,
    PropertyCondition,
    Reason,
    Recurrence,
    SpendPoints,
    UserEnrolled,
    UserState,
    evaluate,
)
from tests.rules.rules_support import ACCOUNT, NOON, check, dollar_rule, index, issued_total, line, run

EVERY = Recurrence.EVERY_TIME
ONCE = Recurrence.ONCE


def threshold_rule(
    threshold: int = 200,
    recurrence: Recurrence = EVERY,
    rule_id: str = "r200",
    kind: BalanceKind = BalanceKind.LIFETIME,
    spend: bool = False,
    **kwargs: Any,
) -> IssuanceRule:
    trigger = OnPointsThreshold(ACCOUNT, threshold, kind, spend)
    return IssuanceRule(rule_id, "offer-5-off", trigger, recurrence, **kwargs)


def with_balance(available: int, lifetime: int | None = None, **kwargs: Any) -> UserState:
    lifetime = available if lifetime is None else lifetime
    return UserState.of({ACCOUNT: Balance(available, lifetime)}, **kwargs)


def reasons(outcome: Outcome) -> dict[str, Reason]:
    return {nf.rule_id: nf.reason for nf in outcome.not_fired}


# --- the issue's scenarios ------------------------------------------------------------------------


def test_450_dollars_leave_450_points_and_exactly_two_offers() -> None:
    rules = index(dollar_rule(), threshold_rule())
    checks = [check(line(15000)), check(line(10000)), check(line(20000))]
    state, outcomes = run(checks, rules)
    assert state.balance(ACCOUNT) == Balance(450, 450)
    assert [o.offers_issued() for o in outcomes] == [
        (),
        (IssueOffer("offer-5-off", "r200", 1),),
        (IssueOffer("offer-5-off", "r200", 1),),
    ]
    assert issued_total(outcomes) == 2
    assert state.issued_count("r200") == 2 and state.closed_checks == 3


def test_450_dollars_in_many_small_checks_still_two_offers() -> None:
    rules = index(dollar_rule(), threshold_rule())
    state, outcomes = run([check(line(4500)) for _ in range(10)], rules)
    assert state.balance(ACCOUNT).lifetime == 450
    assert issued_total(outcomes) == 2


def test_199_to_601_issues_exactly_three() -> None:
    outcome = evaluate(check(line(40200)), index(dollar_rule(), threshold_rule()), with_balance(199))
    assert outcome.offers_issued() == (IssueOffer("offer-5-off", "r200", 3),)


def test_thresholds_see_this_events_points() -> None:
    rules = index(dollar_rule(), threshold_rule())
    assert evaluate(check(line(100)), rules, with_balance(199)).offers_issued()[0].quantity == 1
    outcome = evaluate(check(line(99)), rules, with_balance(199))
    assert reasons(outcome)["r200"] is Reason.BELOW_THRESHOLD


# --- points_threshold -----------------------------------------------------------------------------


def test_once_fires_on_first_crossing_only() -> None:
    rules = index(dollar_rule(), threshold_rule(recurrence=ONCE))
    assert evaluate(check(line(40200)), rules, with_balance(199)).offers_issued()[0].quantity == 1
    again = evaluate(check(line(20000)), rules, with_balance(250, issued={"r200": 1}))
    assert reasons(again)["r200"] is Reason.THRESHOLD_NOT_CROSSED
    # Even crossing it again (available dipped and recovered) never issues twice.
    rules_avail = index(dollar_rule(), threshold_rule(recurrence=ONCE, kind=BalanceKind.AVAILABLE))
    back = evaluate(check(line(10000)), rules_avail, with_balance(150, 900, issued={"r200": 1}))
    assert reasons(back)["r200"] is Reason.ALREADY_ISSUED


def test_threshold_is_not_retroactive() -> None:
    rules = index(dollar_rule(), threshold_rule())
    outcome = evaluate(check(line(1000)), rules, with_balance(450))
    assert reasons(outcome)["r200"] is Reason.THRESHOLD_NOT_CROSSED
    assert "450 -> 460" in outcome.not_fired[0].detail


def test_available_threshold_uses_available_balance() -> None:
    rules = index(dollar_rule(), threshold_rule(kind=BalanceKind.AVAILABLE))
    assert evaluate(check(line(5000)), rules, with_balance(190, 5000)).offers_issued()[0].quantity == 1
    assert reasons(evaluate(check(line(500)), rules, with_balance(100, 1990)))["r200"] is Reason.BELOW_THRESHOLD


def test_spending_threshold_spends_per_issue() -> None:
    rules = index(dollar_rule(), threshold_rule(kind=BalanceKind.AVAILABLE, spend=True))
    outcome = evaluate(check(line(35000)), rules, with_balance(150))
    # 150 + 350 = 500: two multiples crossed, 400 points spent, 100 left.
    assert outcome.effects[1:] == (SpendPoints(ACCOUNT, 400, "r200"), IssueOffer("offer-5-off", "r200", 2))
    state, _ = run([check(line(35000)), check(line(16000))], rules, with_balance(150))
    # Then 100 + 160 = 260 crosses 200 once: 200 more spent, 60 left; lifetime never drops.
    assert state.balance(ACCOUNT) == Balance(60, 660)
    assert state.issued_count("r200") == 3


def test_spending_on_lifetime_is_limited_by_available_points() -> None:
    rules = index(dollar_rule(), threshold_rule(spend=True))
    # Lifetime 190 -> 790 crosses 3 multiples, but only 650 points are available: 3 x 200 = 600 fits.
    assert evaluate(check(line(60000)), rules, with_balance(50, 190)).effects[1] == SpendPoints(ACCOUNT, 600, "r200")
    # Available 10 + 200 = 210 pays for one of the three crossings.
    outcome = evaluate(check(line(20000)), rules, with_balance(10, 590))
    assert outcome.offers_issued()[0].quantity == 1
    poor = evaluate(check(line(2000)), rules, with_balance(0, 190))
    assert reasons(poor)["r200"] is Reason.INSUFFICIENT_POINTS


def test_a_spending_rule_lowers_what_later_rules_see() -> None:
    first = threshold_rule(kind=BalanceKind.AVAILABLE, spend=True, rule_id="a-spend", priority=1)
    second = threshold_rule(threshold=100, kind=BalanceKind.AVAILABLE, rule_id="b-see", priority=2)
    outcome = evaluate(check(line(25000)), index(dollar_rule(), first, second), with_balance(50))
    # After earning: 300; the first spends 200 -> 100, the second sees 50 -> 100: one crossing, not 3.
    assert outcome.offers_issued() == (
        IssueOffer("offer-5-off", "a-spend", 1),
        IssueOffer("offer-5-off", "b-see", 1),
    )


def test_deposit_crosses_threshold_and_spend_never_does() -> None:
    rules = index(threshold_rule())
    deposit = PointsChanged("user-1", NOON, ACCOUNT, 250)
    assert evaluate(deposit, rules, with_balance(190)).offers_issued()[0].quantity == 2
    spend = PointsChanged("user-1", NOON, ACCOUNT, -100)
    assert evaluate(spend, rules, with_balance(390)).effects == ()
    other_account = PointsChanged("user-1", NOON, "acct-other", 1000)
    assert evaluate(other_account, rules, with_balance(190)) == evaluate(other_account, index(), UserState())


# --- recurrence and caps --------------------------------------------------------------------------


def test_per_user_cap_limits_the_total() -> None:
    rules = index(dollar_rule(), threshold_rule(per_user_cap=3))
    assert evaluate(check(line(100000)), rules, with_balance(0)).offers_issued()[0].quantity == 3
    assert evaluate(check(line(100000)), rules, with_balance(0, issued={"r200": 2})).offers_issued()[0].quantity == 1
    capped = evaluate(check(line(100000)), rules, with_balance(0, issued={"r200": 3}))
    assert reasons(capped)["r200"] is Reason.CAP_REACHED


def test_issuance_window() -> None:
    rule = threshold_rule(starts_at=NOON, ends_at=NOON + timedelta(days=7))
    rules = index(dollar_rule(), rule)
    assert evaluate(check(line(20000), at=NOON), rules, UserState()).offers_issued()
    late = evaluate(check(line(20000), at=NOON + timedelta(days=7)), rules, UserState())
    assert reasons(late)["r200"] is Reason.INACTIVE
    assert late.points_earned() == 200  # the earn rule has no window


# --- transaction_closed ---------------------------------------------------------------------------


def closed_rule(recurrence: Recurrence = EVERY, **trigger: Any) -> IssuanceRule:
    return IssuanceRule("tx", "offer-free-coffee", OnTransactionClosed(**trigger), recurrence)


def test_transaction_closed_min_spend_on_total() -> None:
    rules = index(closed_rule(min_spend=2500))
    assert evaluate(check(line(2500)), rules, UserState()).offers_issued()
    outcome = evaluate(check(line(2499)), rules, UserState())
    assert reasons(outcome)["tx"] is Reason.MIN_SPEND_NOT_MET
    assert "24.99" in outcome.not_fired[0].detail and "25" in outcome.not_fired[0].detail


def test_transaction_closed_required_items_and_categories() -> None:
    rules = index(closed_rule(required_item_ids=frozenset({"latte"}), required_category_ids=frozenset({"bakery"})))
    assert evaluate(check(line(400, "latte"), line(300, "scone", {"bakery"})), rules, UserState()).offers_issued()
    missing = evaluate(check(line(400, "latte")), rules, UserState())
    assert reasons(missing)["tx"] is Reason.REQUIRED_ITEMS_MISSING
    assert "category bakery" in missing.not_fired[0].detail


def test_transaction_closed_channel_and_store() -> None:
    rules = index(closed_rule(channels=frozenset({"online"}), store_tags=frozenset({"mall"})))
    assert evaluate(check(line(1), channel="Online", tags={"mall"}), rules, UserState()).offers_issued()
    assert reasons(evaluate(check(line(1), channel="STORE", tags={"mall"}), rules, UserState()))["tx"] is (
        Reason.CHANNEL_NOT_ELIGIBLE
    )
    assert reasons(evaluate(check(line(1), channel="ONLINE"), rules, UserState()))["tx"] is Reason.STORE_NOT_ELIGIBLE


def test_transaction_closed_once_and_every_time() -> None:
    every, _ = run([check(line(100))] * 3, index(closed_rule()))
    once, outcomes = run([check(line(100))] * 3, index(closed_rule(ONCE)))
    assert every.issued_count("tx") == 3 and once.issued_count("tx") == 1
    assert reasons(outcomes[2])["tx"] is Reason.ALREADY_ISSUED


# --- visit_count ----------------------------------------------------------------------------------


def test_every_fifth_visit() -> None:
    rule = IssuanceRule("v5", "offer-visit", OnVisitCount(5), EVERY)
    _, outcomes = run([check(line(100))] * 12, index(rule))
    fired = [i + 1 for i, outcome in enumerate(outcomes) if outcome.offers_issued()]
    assert fired == [5, 10]
    assert reasons(outcomes[0])["v5"] is Reason.NOT_NTH_VISIT
    assert "visit 1" in outcomes[0].not_fired[0].detail
    # The state counts checks before the event; the engine counts this one.
    assert evaluate(check(line(1)), index(rule), UserState(closed_checks=4)).offers_issued()


# --- user_enrolled and custom_event ---------------------------------------------------------------


def test_welcome_offer_on_enrolment_once() -> None:
    rule = IssuanceRule("welcome", "offer-welcome", OnUserEnrolled(), ONCE)
    enrolled = UserEnrolled("user-1", NOON)
    assert evaluate(enrolled, index(rule), UserState()).offers_issued() == (IssueOffer("offer-welcome", "welcome", 1),)
    assert reasons(evaluate(enrolled, index(rule), UserState.of(issued={"welcome": 1})))["welcome"] is (
        Reason.ALREADY_ISSUED
    )


def test_custom_event_by_name_with_conditions() -> None:
    trigger = OnCustomEvent("App_Review", (PropertyCondition("stars", Operator.GTE, 4),))
    rule = IssuanceRule("review", "offer-review", trigger, EVERY)
    rules = index(rule)
    good = CustomEvent.of("user-1", NOON, "app_review", {"stars": 5})
    assert evaluate(good, rules, UserState()).offers_issued()
    bad = evaluate(CustomEvent.of("user-1", NOON, "APP_REVIEW", {"stars": "3"}), rules, UserState())
    assert reasons(bad)["review"] is Reason.CONDITIONS_NOT_MET
    assert "stars gte 4" in bad.not_fired[0].detail
    other = evaluate(CustomEvent.of("user-1", NOON, "signup", {"stars": 5}), rules, UserState())
    assert other.effects == () and other.not_fired == ()


def test_rules_that_cannot_fire_are_not_evaluated() -> None:
    rules = index(
        threshold_rule(rule_id="t"),
        closed_rule(),
        IssuanceRule("w", "o", OnUserEnrolled()),
        IssuanceRule("c", "o", OnCustomEvent("x")),
        IssuanceRule("v", "o", OnVisitCount(3)),
    )
    enrolled = evaluate(UserEnrolled("user-1", NOON), rules, UserState())
    assert [i.rule_id for i in enrolled.offers_issued()] == ["w"] and enrolled.not_fired == ()
    # No earn rule pays into the threshold's account, so a check cannot move it: not evaluated.
    closed = evaluate(check(line(100)), rules, UserState())
    assert {i.rule_id for i in closed.offers_issued()} | set(reasons(closed)) == {"tx", "v"}


def test_invalid_rules_are_refused() -> None:
    with pytest.raises(ValueError):
        OnPointsThreshold(ACCOUNT, 0)
    with pytest.raises(ValueError):
        OnVisitCount(0)
    with pytest.raises(ValueError):
        threshold_rule(per_user_cap=0)
    with pytest.raises(ValueError):
        threshold_rule(starts_at=NOON, ends_at=NOON)
    with pytest.raises(ValueError):
        index(threshold_rule(rule_id="same"), dollar_rule(rule_id="same"))
