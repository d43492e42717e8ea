"""Property conditions of custom-event rules: `tier equals "gold"`, `amount >= 50`, `source in (...)`.

A rule lists conditions; all must hold (AND). The rule's value decides how a property is compared:
- a number rule value (int or Decimal) compares numerically, and a numeric string property such as
  `"12.50"` counts as that number, since the wire sends numbers as strings in places;
- a string rule value compares as the exact string (case-sensitive), so `"007"` is not `7`;
- a boolean rule value accepts `true`/`false` and the strings `"true"`/`"false"` (any case);
- `None` matches a JSON null.
A property the event does not carry fails every condition, `not_equals` and `not_in` included: a rule
cannot be satisfied by data that was never sent. Floats are refused; numbers are int or Decimal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

PropertyValue = str | int | bool | Decimal | None


class Operator(StrEnum):
    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    IN = "in"
    NOT_IN = "not_in"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    EXISTS = "exists"


_ORDERING = frozenset({Operator.GT, Operator.GTE, Operator.LT, Operator.LTE})
_SETS = frozenset({Operator.IN, Operator.NOT_IN})


def require_property_value(value: object, where: str) -> None:
    if isinstance(value, float):
        raise TypeError(f"{where}: floats are not allowed; use int or Decimal")
    if value is not None and not isinstance(value, str | int | Decimal):
        raise TypeError(f"{where}: unsupported value type {type(value).__name__}")


def _is_number(value: PropertyValue) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def _as_number(value: PropertyValue) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _as_bool(value: PropertyValue) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _equals(actual: PropertyValue, expected: PropertyValue) -> bool:
    if isinstance(expected, bool):
        return _as_bool(actual) is expected
    if _is_number(expected):
        number = _as_number(actual)
        return number is not None and number == _as_number(expected)
    if expected is None:
        return actual is None
    return isinstance(actual, str) and actual == expected


@dataclass(frozen=True, slots=True)
class PropertyCondition:
    """One test on one event property.

    `value` is the operand of equals / not_equals and of the ordering operators (which need a number);
    `values` is the set of `in` / `not_in`; `exists` takes neither.
    """

    property: str
    operator: Operator
    value: PropertyValue = None
    values: tuple[PropertyValue, ...] = ()

    def __post_init__(self) -> None:
        if not self.property:
            raise ValueError("a condition needs a property name")
        require_property_value(self.value, f"condition on {self.property}")
        for item in self.values:
            require_property_value(item, f"condition on {self.property}")
        if self.operator in _SETS and not self.values:
            raise ValueError(f"{self.operator} needs at least one value")
        if self.operator in _ORDERING and not _is_number(self.value):
            raise ValueError(f"{self.operator} needs a number (int or Decimal)")

    def holds(self, properties: Mapping[str, PropertyValue]) -> bool:
        if self.property not in properties:
            return False
        actual = properties[self.property]
        match self.operator:
            case Operator.EXISTS:
                return True
            case Operator.EQUALS:
                return _equals(actual, self.value)
            case Operator.NOT_EQUALS:
                return not _equals(actual, self.value)
            case Operator.IN:
                return any(_equals(actual, item) for item in self.values)
            case Operator.NOT_IN:
                return not any(_equals(actual, item) for item in self.values)
        number = _as_number(actual)
        expected = _as_number(self.value)
        if number is None or expected is None:
            return False
        match self.operator:
            case Operator.GT:
                return number > expected
            case Operator.GTE:
                return number >= expected
            case Operator.LT:
                return number < expected
            case _:
                return number <= expected

    def describe(self) -> str:
        if self.operator is Operator.EXISTS:
            return f"{self.property} exists"
        if self.operator in _SETS:
            return f"{self.property} {self.operator} ({', '.join(repr(v) for v in self.values)})"
        return f"{self.property} {self.operator} {self.value!r}"


def first_unmet(
    conditions: tuple[PropertyCondition, ...], properties: Mapping[str, PropertyValue]
) -> PropertyCondition | None:
    """The first condition, in the rule's order, that the properties do not satisfy."""
    for condition in conditions:
        if not condition.holds(properties):
            return condition
    return None
