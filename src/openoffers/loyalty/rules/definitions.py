"""Rule definitions on the wire <-> the pure core's rules.

`check_definition` validates a decoded create/update body beyond what its types say (the combination of
fields a kind needs, windows, exact money) and raises VALIDATION naming the field. `core_rule` turns a
stored definition into `rules.EarnRule` / `rules.IssuanceRule`; it is what every event runs, so it is
cached per (rule id, revision), which names one immutable definition.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, time
from decimal import Decimal
from fractions import Fraction
from typing import Any
from uuid import UUID

from openoffers import rules
from openoffers.kit import wire
from openoffers.kit.clock import as_utc
from openoffers.kit.errors import ValidationFailed
from openoffers.kit.money import to_minor
from openoffers.loyalty.rules.schemas import (
    ConditionIn,
    CustomEventTrigger,
    MultiplierIn,
    PointsThresholdTrigger,
    RuleDefinition,
    TransactionClosedTrigger,
    UserEnrolledTrigger,
    VisitCountTrigger,
)

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CoreRule = rules.EarnRule | rules.IssuanceRule


def _bad(path: str, problem: str) -> ValidationFailed:
    return ValidationFailed.field(path, problem)


def _exact(value: Decimal, path: str) -> Fraction:
    if not value.is_finite():
        raise _bad(path, "must be a finite number")
    if value < 0:
        raise _bad(path, "must not be negative")
    if value > 1_000_000:
        raise _bad(path, "must be at most 1000000")
    return Fraction(value)


def _clock(text: str) -> time:
    parts = [int(p) for p in text.split(":")]
    return time(parts[0], parts[1], parts[2] if len(parts) > 2 else 0)


def _window(text_start: str, text_end: str, path: str) -> rules.TimeWindow:
    try:
        return rules.TimeWindow(_clock(text_start), _clock(text_end))
    except ValueError as error:
        raise _bad(path, str(error)) from None


def property_value(value: Any, path: str) -> rules.PropertyValue:
    """A JSON scalar as the core compares it: numbers exact (a JSON 4.5 is Decimal 4.5), no objects."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        number = Decimal(repr(value))
        if not number.is_finite():
            raise _bad(path, "must be a finite number")
        return number
    if isinstance(value, Decimal):
        return value
    raise _bad(path, "must be a string, number, boolean or null")


def _condition(condition: ConditionIn, path: str) -> rules.PropertyCondition:
    value = property_value(condition.value, f"{path}.value")
    values = tuple(property_value(v, f"{path}.values[{i}]") for i, v in enumerate(condition.values))
    try:
        return rules.PropertyCondition(condition.property, rules.Operator(condition.operator), value, values)
    except (ValueError, TypeError) as error:
        raise _bad(path, str(error)) from None


def _multiplier(m: MultiplierIn, path: str) -> rules.Multiplier:
    return rules.Multiplier(
        factor=_exact(m.factor, f"{path}.factor"),
        store_ids=frozenset(str(s) for s in m.store_ids),
        store_tags=frozenset(m.store_tags),
        channels=frozenset(m.channels),
        item_ids=frozenset(m.item_ids),
        category_ids=frozenset(m.category_ids),
        days_of_week=frozenset(DAYS.index(d) for d in m.days_of_week),
        time_windows=tuple(_window(w.start, w.end, f"{path}.time_windows[{i}]") for i, w in enumerate(m.time_windows)),
    )


def _utc(value: datetime | None) -> datetime | None:
    # Rule dates without an offset are UTC, as offer dates are.
    return None if value is None else as_utc(value)


def _trigger(definition: RuleDefinition, exponent: int) -> rules.Trigger:
    trigger = definition.trigger
    if isinstance(trigger, PointsThresholdTrigger):
        if trigger.point_account_id is None:
            raise _bad("trigger.point_account_id", "is required")  # resolved to the default before this
        return rules.OnPointsThreshold(
            account_id=str(trigger.point_account_id),
            threshold=trigger.threshold,
            balance=rules.BalanceKind(trigger.balance),
            spend_points=trigger.spend_points,
        )
    if isinstance(trigger, TransactionClosedTrigger):
        if not trigger.min_spend.is_finite() or trigger.min_spend < 0:
            raise _bad("trigger.min_spend", "must be a non-negative amount")
        min_spend = to_minor(trigger.min_spend, exponent)
        if Decimal(min_spend).scaleb(-exponent) != trigger.min_spend:
            raise _bad("trigger.min_spend", f"has more than {exponent} decimals for the retailer's currency")
        return rules.OnTransactionClosed(
            min_spend=min_spend,
            required_item_ids=frozenset(trigger.required_item_ids),
            required_category_ids=frozenset(trigger.required_category_ids),
            channels=frozenset(trigger.channels),
            store_ids=frozenset(str(s) for s in trigger.store_ids),
            store_tags=frozenset(trigger.store_tags),
        )
    if isinstance(trigger, VisitCountTrigger):
        return rules.OnVisitCount(every=trigger.every)
    if isinstance(trigger, UserEnrolledTrigger):
        return rules.OnUserEnrolled()
    if isinstance(trigger, CustomEventTrigger):
        if not trigger.event_name.strip():
            raise _bad("trigger.event_name", "must not be blank")
        conditions = tuple(_condition(c, f"trigger.conditions[{i}]") for i, c in enumerate(trigger.conditions))
        return rules.OnCustomEvent(name=trigger.event_name.strip(), conditions=conditions)
    raise _bad("trigger", "is required for an issuance rule")


def core_of(rule_id: UUID, definition: RuleDefinition, exponent: int) -> CoreRule:
    """The pure core's rule; VALIDATION naming the field when the definition cannot be one."""
    starts_at, ends_at = _utc(definition.starts_at), _utc(definition.ends_at)
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise _bad("ends_at", "must be after starts_at")
    if definition.kind == "earn":
        if definition.rate is None:
            raise _bad("rate", "is required for an earn rule")
        if definition.point_account_id is None:
            raise _bad("point_account_id", "is required")  # resolved to the default before this
        for name in ("offer_id", "trigger", "per_user_cap"):
            if getattr(definition, name) is not None:
                raise _bad(name, "is only for issuance rules")
        return rules.EarnRule(
            rule_id=str(rule_id),
            account_id=str(definition.point_account_id),
            rate=_exact(definition.rate, "rate"),
            multipliers=tuple(_multiplier(m, f"multipliers[{i}]") for i, m in enumerate(definition.multipliers)),
            priority=definition.priority,
            starts_at=starts_at,
            ends_at=ends_at,
        )
    if definition.offer_id is None:
        raise _bad("offer_id", "is required for an issuance rule")
    if definition.rate is not None:
        raise _bad("rate", "is only for earn rules")
    if definition.multipliers:
        raise _bad("multipliers", "are only for earn rules")
    return rules.IssuanceRule(
        rule_id=str(rule_id),
        offer_id=str(definition.offer_id),
        trigger=_trigger(definition, exponent),
        recurrence=rules.Recurrence(definition.recurrence),
        per_user_cap=definition.per_user_cap,
        priority=definition.priority,
        starts_at=starts_at,
        ends_at=ends_at,
    )


def stored(definition: RuleDefinition) -> dict[str, Any]:
    """The definition as JSON builtins for the `definition` column (request-only fields dropped)."""
    data: dict[str, Any] = wire.to_builtins(definition)
    for name in ("retailer_id", "rule_id"):
        data.pop(name, None)
    if data.get("starts_at") is not None:
        data["starts_at"] = wire.to_builtins(_utc(definition.starts_at))
    if data.get("ends_at") is not None:
        data["ends_at"] = wire.to_builtins(_utc(definition.ends_at))
    return data


def load(data: dict[str, Any]) -> RuleDefinition:
    return wire.convert(data, RuleDefinition)


_CACHE: OrderedDict[tuple[UUID, int], CoreRule] = OrderedDict()
_CACHE_SIZE = 10_000


def cached_core(rule_id: UUID, revision: int, data: dict[str, Any], exponent: int) -> CoreRule:
    """`core_of` a stored definition, cached in-process: (id, revision) never changes meaning."""
    key = (rule_id, revision)
    found = _CACHE.get(key)
    if found is None:
        found = core_of(rule_id, load(data), exponent)
        _CACHE[key] = found
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return found
