"""The public entry point: `evaluate(event, index, state) -> Outcome`, and `next_state` to chain events.

Pure: no I/O, no clock. The service loads `UserState`, calls `evaluate` inside the database transaction
of the event, and applies the effects in order; simulate calls the same function and applies nothing.

On a closed check, earn rules run first (priority, then rule id) and their points are added to the
running balances; then the issuance rules that listen to the check run in one merged order (priority,
then rule id): transaction-closed rules, visit-count rules, and threshold rules of every account an earn
rule pays into. Thresholds therefore see this check's points, and a rule that spends points lowers the
available balance the later rules see. A points change evaluates that account's threshold rules; an
enrolment and a custom event evaluate their own rules. No other rule is looked at.
"""

from __future__ import annotations

from itertools import chain

from openoffers.rules.earning import earn
from openoffers.rules.effects import EarnPoints, Effect, IssueOffer, NotFired, Outcome, SpendPoints
from openoffers.rules.events import CustomEvent, Event, PointsChanged, TransactionClosed, UserEnrolled
from openoffers.rules.index import RuleIndex
from openoffers.rules.issuance import Running, evaluate_rule
from openoffers.rules.state import Balance, UserState


def _add(balances: dict[str, Balance], account_id: str, available: int, lifetime: int) -> None:
    current = balances.get(account_id, Balance())
    balances[account_id] = Balance(current.available + available, current.lifetime + lifetime)


def evaluate(event: Event, index: RuleIndex, state: UserState) -> Outcome:
    """Effects of `event` for the user in `state` (state BEFORE the event), and why other rules did not
    fire. The same inputs always give the same outcome, whatever order the rules were indexed in."""
    balances = dict(state.balances)
    run = Running(
        before=balances,
        now=dict(balances),
        issued=dict(state.issued),
        closed_checks_before=state.closed_checks,
        exponent=state.currency_exponent,
    )
    effects: list[Effect] = []
    not_fired: list[NotFired] = []
    if isinstance(event, TransactionClosed):
        earned, skipped = earn(index.earn_rules(), event, state.currency_exponent)
        effects.extend(earned)
        not_fired.extend(skipped)
        for entry in earned:
            _add(run.now, entry.account_id, entry.points, entry.points)
        candidates = [
            *index.on_transaction_closed(),
            *index.on_visit(),
            *chain.from_iterable(index.thresholds(account) for account in index.earn_accounts()),
        ]
    elif isinstance(event, PointsChanged):
        _add(run.now, event.account_id, event.amount, max(event.amount, 0))
        candidates = list(index.thresholds(event.account_id))
    elif isinstance(event, UserEnrolled):
        candidates = list(index.on_enrolled())
    elif isinstance(event, CustomEvent):
        candidates = list(index.on_custom_event(event.name))
    else:  # pragma: no cover - the Event union is closed
        raise TypeError(f"unknown event {type(event).__name__}")
    for rule in sorted(candidates, key=lambda r: (r.priority, r.rule_id)):
        result = evaluate_rule(rule, event, run)
        if isinstance(result, NotFired):
            not_fired.append(result)
        else:
            effects.extend(result)
    return Outcome(tuple(effects), tuple(not_fired))


def next_state(state: UserState, event: Event, outcome: Outcome) -> UserState:
    """The user's state after the service applies `outcome` for `event`: what the next event sees.

    Earned points raise available and lifetime; spent points lower available; issued offers raise the
    rule's count; a closed check counts as a visit; a points change applies as `PointsChanged` says.
    """
    balances = dict(state.balances)
    issued = dict(state.issued)
    if isinstance(event, PointsChanged):
        _add(balances, event.account_id, event.amount, max(event.amount, 0))
    for effect in outcome.effects:
        if isinstance(effect, EarnPoints):
            _add(balances, effect.account_id, effect.points, effect.points)
        elif isinstance(effect, SpendPoints):
            _add(balances, effect.account_id, -effect.points, 0)
        elif isinstance(effect, IssueOffer):
            issued[effect.rule_id] = issued.get(effect.rule_id, 0) + effect.quantity
    visits = state.closed_checks + (1 if isinstance(event, TransactionClosed) else 0)
    return UserState.of(balances, issued, visits, state.currency_exponent)
