"""Rule definitions on the wire <-> the pure core's rules.

`core_of` validates a decoded create/update body beyond what its types say (the combination of fields
a kind needs, windows, exact money), raising one VALIDATION that names every problem at its field, and
turns it into `rules.EarnRule` / `rules.IssuanceRule`. A stored definition's core rule is what every
event runs, so `cached_core` keeps it per (rule id, revision), which names one immutable definition.
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
from openoffers.kit.errors import Problems, ValidationFailed
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


# Each check below records its problem in `found` and goes on (None stands for a part that could not be
# built), so `core_of` names every problem of a definition in one answer; the rule itself is built only
# when nothing was found.


def _exact(value: Decimal, path: str, found: Problems) -> Fraction | None:
    if not value.is_finite():
        found.add(path, "must be a finite number")
    elif value < 0:
        found.add(path, "must not be negative")
    elif value > 1_000_000:
        found.add(path, "must be at most 1000000")
    else:
        return Fraction(value)
    return None


def _clock(text: str) -> time:
    parts = [int(p) for p in text.split(":")]
    return time(parts[0], parts[1], parts[2] if len(parts) > 2 else 0)


def _window(text_start: str, text_end: str, path: str, found: Problems) -> rules.TimeWindow | None:
    try:
        return rules.TimeWindow(_clock(text_start), _clock(text_end))
    except ValueError as error:
        found.add(path, str(error))
        return None


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


def _condition(condition: ConditionIn, path: str, found: Problems) -> rules.PropertyCondition | None:
    operands: list[tuple[Any, str]] = [(condition.value, f"{path}.value")]
    operands += [(v, f"{path}.values[{i}]") for i, v in enumerate(condition.values)]
    values: list[rules.PropertyValue] = []
    for value, where in operands:
        try:
            values.append(property_value(value, where))
        except ValidationFailed as error:
            found.take(error)
    if len(values) < len(operands):
        return None
    try:
        operator = rules.Operator(condition.operator)
        return rules.PropertyCondition(condition.property, operator, values[0], tuple(values[1:]))
    except (ValueError, TypeError) as error:
        found.add(path, str(error))
        return None


def _multiplier(m: MultiplierIn, path: str, found: Problems) -> rules.Multiplier | None:
    factor = _exact(m.factor, f"{path}.factor", found)
    windows = [_window(w.start, w.end, f"{path}.time_windows[{i}]", found) for i, w in enumerate(m.time_windows)]
    if factor is None or None in windows:
        return None
    return rules.Multiplier(
        factor=factor,
        store_ids=frozenset(str(s) for s in m.store_ids),
        store_tags=frozenset(m.store_tags),
        channels=frozenset(m.channels),
        item_ids=frozenset(m.item_ids),
        category_ids=frozenset(m.category_ids),
        days_of_week=frozenset(DAYS.index(d) for d in m.days_of_week),
        time_windows=tuple(w for w in windows if w is not None),
    )


def _utc(value: datetime | None) -> datetime | None:
    # Rule dates without an offset are UTC, as offer dates are.
    return None if value is None else as_utc(value)


def _min_spend(trigger: TransactionClosedTrigger, exponent: int, found: Problems) -> int | None:
    if not trigger.min_spend.is_finite() or trigger.min_spend < 0:
        found.add("trigger.min_spend", "must be a non-negative amount")
        return None
    min_spend = to_minor(trigger.min_spend, exponent)
    if Decimal(min_spend).scaleb(-exponent) != trigger.min_spend:
        found.add("trigger.min_spend", f"has more than {exponent} decimals for the retailer's currency")
        return None
    return min_spend


def _trigger(definition: RuleDefinition, exponent: int, found: Problems) -> rules.Trigger | None:
    trigger = definition.trigger
    if isinstance(trigger, PointsThresholdTrigger):
        if trigger.point_account_id is None:
            found.add("trigger.point_account_id", "is required")  # resolved to the default before this
            return None
        return rules.OnPointsThreshold(
            account_id=str(trigger.point_account_id),
            threshold=trigger.threshold,
            balance=rules.BalanceKind(trigger.balance),
            spend_points=trigger.spend_points,
        )
    if isinstance(trigger, TransactionClosedTrigger):
        min_spend = _min_spend(trigger, exponent, found)
        if min_spend is None:
            return None
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
            found.add("trigger.event_name", "must not be blank")
        conditions = [_condition(c, f"trigger.conditions[{i}]", found) for i, c in enumerate(trigger.conditions)]
        if not trigger.event_name.strip() or None in conditions:
            return None
        return rules.OnCustomEvent(
            name=trigger.event_name.strip(), conditions=tuple(c for c in conditions if c is not None)
        )
    found.add("trigger", "is required for an issuance rule")
    return None


def _earn_rule(
    rule_id: UUID, definition: RuleDefinition, window: tuple[datetime | None, datetime | None], found: Problems
) -> rules.EarnRule | None:
    if definition.rate is None:
        found.add("rate", "is required for an earn rule")
    if definition.point_account_id is None:
        found.add("point_account_id", "is required")  # resolved to the default before this
    for name in ("offer_id", "trigger", "per_user_cap"):
        if getattr(definition, name) is not None:
            found.add(name, "is only for issuance rules")
    rate = None if definition.rate is None else _exact(definition.rate, "rate", found)
    multipliers = [_multiplier(m, f"multipliers[{i}]", found) for i, m in enumerate(definition.multipliers)]
    if found or rate is None:
        return None
    return rules.EarnRule(
        rule_id=str(rule_id),
        account_id=str(definition.point_account_id),
        rate=rate,
        multipliers=tuple(m for m in multipliers if m is not None),
        priority=definition.priority,
        starts_at=window[0],
        ends_at=window[1],
    )


def _issuance_rule(
    rule_id: UUID,
    definition: RuleDefinition,
    exponent: int,
    window: tuple[datetime | None, datetime | None],
    found: Problems,
) -> rules.IssuanceRule | None:
    if definition.offer_id is None:
        found.add("offer_id", "is required for an issuance rule")
    if definition.rate is not None:
        found.add("rate", "is only for earn rules")
    if definition.multipliers:
        found.add("multipliers", "are only for earn rules")
    trigger = _trigger(definition, exponent, found)
    if found or trigger is None:
        return None
    return rules.IssuanceRule(
        rule_id=str(rule_id),
        offer_id=str(definition.offer_id),
        trigger=trigger,
        recurrence=rules.Recurrence(definition.recurrence),
        per_user_cap=definition.per_user_cap,
        priority=definition.priority,
        starts_at=window[0],
        ends_at=window[1],
    )


def core_of(rule_id: UUID, definition: RuleDefinition, exponent: int) -> CoreRule:
    """The pure core's rule; else VALIDATION naming every problem of the definition, each at its field
    (the checks of the parts are independent: a bad window, a bad rate and a bad multiplier are three
    problems in one answer, not one per attempt)."""
    found = Problems()
    window = _utc(definition.starts_at), _utc(definition.ends_at)
    if window[0] is not None and window[1] is not None and window[1] <= window[0]:
        found.add("ends_at", "must be after starts_at")
    core: CoreRule | None
    if definition.kind == "earn":
        core = _earn_rule(rule_id, definition, window, found)
    else:
        core = _issuance_rule(rule_id, definition, exponent, window, found)
    if found or core is None:
        raise found.error()
    return core


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
