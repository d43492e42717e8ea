"""Custom-event property conditions: the rule's value decides how a property compares."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openoffers.rules import CustomEvent, Operator, PropertyCondition, PropertyValue
from tests.rules.rules_support import NOON

C = PropertyCondition


@pytest.mark.parametrize(
    ("condition", "properties", "holds"),
    [
        (C("tier", Operator.EQUALS, "gold"), {"tier": "gold"}, True),
        (C("tier", Operator.EQUALS, "gold"), {"tier": "Gold"}, False),
        (C("code", Operator.EQUALS, "007"), {"code": 7}, False),
        (C("n", Operator.EQUALS, 7), {"n": "7.00"}, True),
        (C("n", Operator.EQUALS, 7), {"n": Decimal("7.0")}, True),
        (C("n", Operator.EQUALS, 7), {"n": True}, False),
        (C("ok", Operator.EQUALS, True), {"ok": "TRUE"}, True),
        (C("ok", Operator.EQUALS, True), {"ok": 1}, False),
        (C("x", Operator.EQUALS, None), {"x": None}, True),
        (C("tier", Operator.NOT_EQUALS, "gold"), {"tier": "silver"}, True),
        (C("tier", Operator.NOT_EQUALS, "gold"), {}, False),
        (C("src", Operator.IN, values=("ios", "android")), {"src": "ios"}, True),
        (C("src", Operator.IN, values=("ios", "android")), {"src": "web"}, False),
        (C("src", Operator.NOT_IN, values=("ios",)), {"src": "web"}, True),
        (C("src", Operator.NOT_IN, values=("ios",)), {}, False),
        (C("amount", Operator.GTE, 50), {"amount": 50}, True),
        (C("amount", Operator.GTE, 50), {"amount": "49.99"}, False),
        (C("amount", Operator.GT, Decimal("49.99")), {"amount": "50"}, True),
        (C("amount", Operator.LT, 10), {"amount": 9}, True),
        (C("amount", Operator.LTE, 10), {"amount": 11}, False),
        (C("amount", Operator.GTE, 1), {"amount": "lots"}, False),
        (C("amount", Operator.GTE, 1), {"amount": True}, False),
        (C("amount", Operator.GTE, 1), {"amount": "NaN"}, False),
        (C("ref", Operator.EXISTS), {"ref": None}, True),
        (C("ref", Operator.EXISTS), {}, False),
    ],
)
def test_condition(condition: PropertyCondition, properties: dict[str, PropertyValue], holds: bool) -> None:
    assert condition.holds(properties) is holds


def test_invalid_conditions_and_properties_are_refused() -> None:
    with pytest.raises(ValueError):
        C("x", Operator.GTE, "5")
    with pytest.raises(ValueError):
        C("x", Operator.IN)
    with pytest.raises(TypeError):
        C("x", Operator.EQUALS, 1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        CustomEvent.of("u", NOON, "e", {"x": 1.5})  # type: ignore[dict-item]
    with pytest.raises(ValueError):
        CustomEvent("u", NOON, "e", (("x", 1), ("x", 2)))


def test_properties_from_a_dict_are_canonical() -> None:
    a = CustomEvent.of("u", NOON, "e", {"b": 1, "a": "x"})
    b = CustomEvent.of("u", NOON, "e", {"a": "x", "b": 1})
    assert a == b and hash(a) == hash(b)
