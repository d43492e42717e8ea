"""Issuance rules: is the trigger met by this event, how many offers, what is spent, or why not.

Order of judgement (the first failure is the reason reported): the active window (`INACTIVE`), the
trigger's own conditions, then the recurrence and cap (`ALREADY_ISSUED`, `CAP_REACHED`), then, for a
threshold that spends points, whether the available balance pays (`INSUFFICIENT_POINTS`). An event
never issues more than the trigger was met, than `once` allows (1), than the cap leaves, or than the
available points pay for.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from openoffers.kit.money import to_decimal
from openoffers.rules.conditions import first_unmet
from openoffers.rules.definitions import (
    BalanceKind,
    IssuanceRule,
    OnCustomEvent,
    OnPointsThreshold,
    OnTransactionClosed,
    OnUserEnrolled,
    OnVisitCount,
    Recurrence,
)
from openoffers.rules.effects import Effect, IssueOffer, NotFired, Reason, SpendPoints
from openoffers.rules.events import CustomEvent, Event, TransactionClosed, UserEnrolled
from openoffers.rules.state import Balance
from openoffers.rules.timing import is_active


@dataclass(slots=True)
class Running:
    """Mutable scratch of ONE evaluation (never shared): balances before the event and as they stand
    now, after earned points and after points spent by rules already evaluated."""

    before: dict[str, Balance]
    now: dict[str, Balance]
    issued: dict[str, int]
    closed_checks_before: int
    exponent: int


def _pick(balance: Balance | None, kind: BalanceKind) -> int:
    if balance is None:
        return 0
    return balance.lifetime if kind is BalanceKind.LIFETIME else balance.available


def _threshold_met(rule: IssuanceRule, trigger: OnPointsThreshold, run: Running) -> int | NotFired:
    t = trigger.threshold
    before = _pick(run.before.get(trigger.account_id), trigger.balance)
    after = _pick(run.now.get(trigger.account_id), trigger.balance)
    # Below zero counts as zero: going from -50 to 150 crosses nothing at 200.
    low, high = max(before, 0), max(after, 0)
    if rule.recurrence is Recurrence.ONCE:
        met = 1 if low < t <= high else 0
    else:
        met = max(0, high // t - low // t)
    if met:
        return met
    label = f"{trigger.balance} balance of account {trigger.account_id}"
    if high < t:
        return NotFired(rule.rule_id, Reason.BELOW_THRESHOLD, f"{label} is {after}, below {t}")
    if rule.recurrence is Recurrence.ONCE:
        detail = f"{label} went {before} -> {after}; it was already at least {t} before this event"
    else:
        detail = f"{label} went {before} -> {after}, crossing no multiple of {t}"
    return NotFired(rule.rule_id, Reason.THRESHOLD_NOT_CROSSED, detail)


def _check_met(
    rule: IssuanceRule, trigger: OnTransactionClosed, check: TransactionClosed, exponent: int
) -> int | NotFired:
    rid = rule.rule_id
    if (trigger.store_ids or trigger.store_tags) and not (
        check.store_id in trigger.store_ids or check.store_tags & trigger.store_tags
    ):
        return NotFired(rid, Reason.STORE_NOT_ELIGIBLE, f"store {check.store_id} is not eligible")
    if trigger.channels and check.channel.casefold() not in {c.casefold() for c in trigger.channels}:
        return NotFired(rid, Reason.CHANNEL_NOT_ELIGIBLE, f"channel {check.channel} is not eligible")
    if check.total < trigger.min_spend:
        return NotFired(
            rid,
            Reason.MIN_SPEND_NOT_MET,
            f"check total {to_decimal(check.total, exponent)} is below the minimum "
            f"{to_decimal(trigger.min_spend, exponent)}",
        )
    items = {line.item_id for line in check.lines}
    categories = frozenset().union(*(line.category_ids for line in check.lines))
    missing = sorted(trigger.required_item_ids - items) + sorted(
        f"category {c}" for c in trigger.required_category_ids - categories
    )
    if missing:
        return NotFired(rid, Reason.REQUIRED_ITEMS_MISSING, "missing: " + ", ".join(missing))
    return 1


def _times_met(rule: IssuanceRule, event: Event, run: Running) -> int | NotFired:
    """How many times this event meets the rule's trigger (0 is expressed as a NotFired)."""
    trigger = rule.trigger
    if isinstance(trigger, OnPointsThreshold):
        return _threshold_met(rule, trigger, run)
    if isinstance(trigger, OnTransactionClosed) and isinstance(event, TransactionClosed):
        return _check_met(rule, trigger, event, run.exponent)
    if isinstance(trigger, OnVisitCount) and isinstance(event, TransactionClosed):
        visit = run.closed_checks_before + 1
        if visit % trigger.every == 0:
            return 1
        return NotFired(
            rule.rule_id, Reason.NOT_NTH_VISIT, f"this is visit {visit}; the rule fires every {trigger.every}"
        )
    if isinstance(trigger, OnUserEnrolled) and isinstance(event, UserEnrolled):
        return 1
    if isinstance(trigger, OnCustomEvent) and isinstance(event, CustomEvent):
        properties = event.property_map()
        unmet = first_unmet(trigger.conditions, properties)
        if unmet is None:
            return 1
        actual = repr(properties[unmet.property]) if unmet.property in properties else "missing"
        return NotFired(rule.rule_id, Reason.CONDITIONS_NOT_MET, f"{unmet.describe()} does not hold ({actual})")
    # The index only hands a rule the events its trigger listens to; anything else is a bug.
    raise TypeError(f"rule {rule.rule_id} ({trigger.kind}) cannot judge {type(event).__name__}")


def evaluate_rule(rule: IssuanceRule, event: Event, run: Running) -> list[Effect] | NotFired:
    """The effects of one issuance rule on this event; updates `run` with points it spends."""
    rid = rule.rule_id
    if not is_active(rule.starts_at, rule.ends_at, event.occurred_at):
        return NotFired(rid, Reason.INACTIVE, "outside the rule's active dates")
    met = _times_met(rule, event, run)
    if isinstance(met, NotFired):
        return met
    issued = run.issued.get(rid, 0)
    count = met
    if rule.recurrence is Recurrence.ONCE:
        if issued >= 1:
            return NotFired(rid, Reason.ALREADY_ISSUED, "a once rule has already issued to this user")
        count = 1
    if rule.per_user_cap is not None:
        if issued >= rule.per_user_cap:
            return NotFired(rid, Reason.CAP_REACHED, f"issued {issued} of the cap of {rule.per_user_cap}")
        count = min(count, rule.per_user_cap - issued)
    effects: list[Effect] = []
    trigger = rule.trigger
    if isinstance(trigger, OnPointsThreshold) and trigger.spend_points:
        account = trigger.account_id
        balance = run.now.get(account, Balance())
        affordable = max(balance.available, 0) // trigger.threshold
        if affordable == 0:
            return NotFired(
                rid,
                Reason.INSUFFICIENT_POINTS,
                f"available balance {balance.available} does not pay {trigger.threshold} points",
            )
        count = min(count, affordable)
        spent = count * trigger.threshold
        run.now[account] = replace(balance, available=balance.available - spent)
        effects.append(SpendPoints(account, spent, rid))
    effects.append(IssueOffer(rule.offer_id, rid, count))
    run.issued[rid] = issued + count
    return effects
