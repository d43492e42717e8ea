"""Rule and simulate forms <-> API bodies (pure): typed property values, windows, error paths."""

from __future__ import annotations

from uuid import UUID

import pytest

from openoffers.admin.forms import decode_form
from openoffers.admin.rule_forms import (
    parse_rule_form,
    parse_simulate_form,
    rule_body,
    rule_path_mapper,
    scalar_text,
    simulate_body,
    simulate_path,
    typed_scalar,
)
from openoffers.loyalty.rules.schemas import CreateRuleRequest, SimulateRequest

RETAILER = UUID("2d5b5a08-becd-4837-a69a-2ab967c7773a")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("7", 7),
        (" 4.5 ", 4.5),
        ("true", True),
        ("null", None),
        ("gold", "gold"),
        ('"123"', "123"),
        ("[1, 2]", "[1, 2]"),
        ("NaN", "NaN"),
        ("", ""),
        # Deeper than json.loads can go: kept as the text it is, like any other non-scalar.
        ("[" * 100_000, "[" * 100_000),
    ],
)
def test_typed_scalars_read_as_json_would(text: str, value: object) -> None:
    assert typed_scalar(text) == value
    assert type(typed_scalar(text)) is type(value)


@pytest.mark.parametrize("value", [7, 4.5, True, False, "gold", "123", "true", " padded ", "a, b", 'say "hi"'])
def test_scalar_text_reads_back_the_same(value: object) -> None:
    assert typed_scalar(scalar_text(value)) == value or scalar_text(value) == ""


def test_earn_form_to_body_skips_blank_rows_and_maps_errors_back() -> None:
    form, adding = parse_rule_form(
        {
            "kind": ["earn"],
            "name": ["Base"],
            "rate": ["1"],
            "_rows.multipliers": ["3"],
            "multipliers.0.factor": [""],
            "multipliers.1.factor": ["x"],
            "multipliers.1.time_windows": ["07:00-11:00, 17:00"],
            "multipliers.2.factor": ["2"],
        }
    )
    assert not adding
    body, index_map = rule_body(form, retailer_id=RETAILER, timezone="UTC")
    assert index_map["multipliers"] == ["multipliers.1", "multipliers.2"]
    assert body["multipliers"][0]["time_windows"] == [{"start": "07:00", "end": "11:00"}, {"start": "17:00"}]
    decoded, errors = decode_form(
        body, CreateRuleRequest, index_map, rule_path_mapper("transaction_closed"), missing_at_field=True
    )
    assert decoded is None
    assert errors == {"multipliers.1.factor": ["Invalid decimal string"]}


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("trigger.min_spend", "transaction_closed.min_spend"),
        ("trigger", "trigger.type"),
        ("trigger.conditions[0].value", "conditions.4.value"),
        ("trigger.conditions[3]", "conditions"),
        ("multipliers[0].time_windows[1].start", "multipliers.2.time_windows"),
        ("retailer_id", ""),
        ("ends_at", "ends_at"),
    ],
)
def test_rule_error_paths_find_their_field(path: str, key: str) -> None:
    rows = {"multipliers": ["multipliers.2"], "trigger.conditions": ["conditions.4"]}
    assert rule_path_mapper("transaction_closed")(path, rows) == key


def test_simulate_form_numbers_its_lines() -> None:
    form, _ = parse_simulate_form(
        {
            "customer": ["C-1"],
            "store_id": ["136b6d16-1317-4ac6-b551-19540d53bd6c"],
            "items.0.item_id": [""],
            "items.1.item_id": ["latte"],
            "items.1.quantity": ["2"],
            "items.1.unit_price": ["4.50"],
            "items.1.category_ids": ["coffee, hot"],
        }
    )
    assert form.row_count("items") == 3  # three lines to fill in by default
    body, index_map = simulate_body(form, retailer_id=RETAILER, user_id=RETAILER)
    assert body["transaction"]["items"] == [
        {"line_id": "1", "item_id": "latte", "quantity": "2", "unit_price": "4.50", "category_ids": ["coffee", "hot"]}
    ]
    decoded, errors = decode_form(body, SimulateRequest, index_map, simulate_path)
    assert errors == {} and decoded is not None and decoded.transaction is not None
    assert simulate_path("transaction.items[0].quantity", index_map) == "items.1.quantity"
    assert simulate_path("user_id", index_map) == "customer"
