"""HTML forms <-> the loyalty rule and simulate request bodies.

As with offers (`forms.py`), a form is another spelling of the API body: `rule_body` builds the exact
body of `api/2.0/rules/create` (or `update`) and `simulate_body` the body of `api/2.0/rules/simulate`;
both are decoded with the API's own decoder, so each field shows the API's message for its path.

Input names:
- rule fields use their API name: `name`, `priority`, `rate`, `point_account_id`, `offer_id`, ...;
- the trigger's fields are prefixed by the trigger type (`points_threshold.threshold`,
  `transaction_closed.min_spend`), so every type's fields can be on the page at once (without
  JavaScript all are shown; only the chosen type's are sent), and `trigger.type` chooses;
- repeated rows are `multipliers.<row>.<field>`, `conditions.<row>.<field>` and `items.<row>.<field>`,
  with `_rows.<prefix>` and the `_add` button as on the offer form.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from openoffers.admin.forms import (
    Form,
    IndexMap,
    PathMapper,
    field_id,
    local_input,
    read_form,
    split_list,
    with_zone,
)
from openoffers.admin.offer_form_shape import MAX_ROWS
from openoffers.kit.wire import parse_time
from openoffers.loyalty.rules.schemas import RuleOut

TRIGGER_TYPES = ("points_threshold", "transaction_closed", "visit_count", "user_enrolled", "custom_event")
TRIGGER_LABELS = {
    "points_threshold": "Points reach a threshold",
    "transaction_closed": "A check closes",
    "visit_count": "Every n-th visit",
    "user_enrolled": "The customer joins",
    "custom_event": "A custom event",
}
TRIGGER_FIELDS: dict[str, tuple[str, ...]] = {
    "points_threshold": ("threshold", "point_account_id", "balance", "spend_points"),
    "transaction_closed": (
        "min_spend",
        "required_item_ids",
        "required_category_ids",
        "channels",
        "store_ids",
        "store_tags",
    ),
    "visit_count": ("every",),
    "user_enrolled": (),
    "custom_event": ("event_name",),
}
_TRIGGER_LISTS = frozenset({"required_item_ids", "required_category_ids", "channels", "store_tags"})
OPERATORS = ("equals", "not_equals", "in", "not_in", "gt", "gte", "lt", "lte", "exists")
OPERATOR_LABELS = {
    "equals": "equals",
    "not_equals": "does not equal",
    "in": "is one of",
    "not_in": "is none of",
    "gt": "is more than",
    "gte": "is at least",
    "lt": "is less than",
    "lte": "is at most",
    "exists": "is present",
}

MULTIPLIER_FIELDS = (
    "factor",
    "store_ids",
    "store_tags",
    "channels",
    "item_ids",
    "category_ids",
    "days_of_week",
    "time_windows",
)
_MULTIPLIER_LISTS = frozenset({"store_tags", "channels", "item_ids", "category_ids"})
_MULTIPLIER_CHECKS = frozenset({"store_ids", "days_of_week"})
CONDITION_FIELDS = ("property", "operator", "value", "values")
ITEM_FIELDS = ("item_id", "quantity", "unit_price", "category_ids")

RULE_SCALARS = (
    "kind",
    "name",
    "priority",
    "starts_at",
    "ends_at",
    "rate",
    "point_account_id",
    "offer_id",
    "trigger.type",
    "recurrence",
    "per_user_cap",
)

RULE_LABELS = {
    "name": "Name",
    "priority": "Priority",
    "starts_at": "Active from",
    "ends_at": "Active until",
    "rate": "Points per currency unit",
    "point_account_id": "Point account",
    "offer_id": "Offer",
    "trigger.type": "Trigger",
    "recurrence": "Recurrence",
    "per_user_cap": "Most per customer",
    "multipliers": "Multipliers",
    "conditions": "Conditions",
    "points_threshold.threshold": "Threshold",
    "points_threshold.point_account_id": "Threshold account",
    "points_threshold.balance": "Balance",
    "points_threshold.spend_points": "Spend the points",
    "transaction_closed.min_spend": "Minimum spend",
    "transaction_closed.required_item_ids": "Required items",
    "transaction_closed.required_category_ids": "Required categories",
    "transaction_closed.channels": "Channels",
    "transaction_closed.store_ids": "Stores",
    "transaction_closed.store_tags": "Store tags",
    "visit_count.every": "Every",
    "custom_event.event_name": "Event name",
    "customer": "Customer",
    "store_id": "Store",
    "channel": "Channel",
    "occurred_at": "When",
    "items": "Items",
}
_ROW_LABELS = {"multipliers": "Multiplier", "conditions": "Condition", "items": "Line"}


def label_of(key: str) -> str:
    if key in RULE_LABELS:
        return RULE_LABELS[key]
    parts = key.split(".")
    if parts[0] in _ROW_LABELS and len(parts) > 1 and parts[1].isdigit():
        name = f"{_ROW_LABELS[parts[0]]} {int(parts[1]) + 1}"
        return f"{name}, {parts[2].replace('_', ' ')}" if len(parts) > 2 else name
    return key.replace("_", " ").capitalize()


@dataclass
class RowsForm(Form):
    """A form with repeated rows (`<prefix>.<row>.<field>`) that can ask for one more row (`_add`)."""

    rows: dict[str, int] = field(default_factory=dict)
    row_fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    scalars: tuple[str, ...] = ()

    def row_count(self, prefix: str) -> int:
        return self.rows.get(prefix, 1)

    def row_range(self, prefix: str) -> range:
        return range(self.row_count(prefix))

    def known_keys(self) -> set[str]:
        keys = set(self.scalars) | set(self.data) | set(self.fields) | set(self.row_fields)
        for prefix, names in self.row_fields.items():
            for row in self.row_range(prefix):
                keys.add(f"{prefix}.{row}")
                keys.update(f"{prefix}.{row}.{name}" for name in names)
        return keys

    def is_blank(self, prefix: str, row: int, content: Sequence[str]) -> bool:
        return not any(v.strip() for name in content for v in self.values(f"{prefix}.{row}.{name}"))

    def summary(self) -> list[tuple[str, str, str]]:
        return [(field_id(key), label_of(key), p) for key, problems in self.errors.items() for p in problems]


def parse_rows_form(
    raw: Mapping[str, Sequence[str]],
    row_fields: Mapping[str, tuple[str, ...]],
    scalars: tuple[str, ...],
    fields: frozenset[str] = frozenset(),
    default_rows: Mapping[str, int] | None = None,
) -> tuple[RowsForm, bool]:
    """The submitted form, and whether it asked for one more row (`_add`) rather than to go on."""
    data = read_form(raw)
    rows: dict[str, int] = {}
    for prefix in row_fields:
        shown = data.get(f"_rows.{prefix}", [""])[0]
        count = int(shown) if shown.isdigit() else (default_rows or {}).get(prefix, 1)
        rows[prefix] = min(max(count, 1), MAX_ROWS)
    form = RowsForm(data=data, rows=rows, row_fields=dict(row_fields), scalars=scalars, fields=fields)
    added = data.get("_add", [""])[0]
    if added not in row_fields:
        return form, False
    if rows[added] < MAX_ROWS:
        rows[added] += 1
        form.focus = f"{added}.{rows[added] - 1}.{row_fields[added][0]}"
    return form, True


# --- Scalars typed in a text box --------------------------------------------------------------


def typed_scalar(text: str) -> Any:
    """A property value typed in a box, read as the same text in a JSON body would be: a number, true,
    false or null as such, a double-quoted value as text, anything else as the text itself."""
    value = text.strip()
    try:
        parsed = json.loads(value)
    except (ValueError, RecursionError):  # RecursionError: a thousand nested brackets
        return value
    if parsed is None or isinstance(parsed, bool | int | str) or (isinstance(parsed, float) and math.isfinite(parsed)):
        return parsed
    return value


def scalar_text(value: Any) -> str:
    """The inverse of `typed_scalar`: text that would be read back as something else is quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value) if typed_scalar(value) != value or value != value.strip() else value
    return format(value, "f") if isinstance(value, Decimal) else json.dumps(value)


def _windows(text: str) -> list[dict[str, str]]:
    """`07:00-11:00, 17:00-21:00` -> [{start, end}, ...]; a part without a dash has only a start,
    which the API's decoder reports."""
    windows = []
    for part in split_list(text):
        start, dash, end = part.partition("-")
        windows.append({"start": start.strip(), "end": end.strip()} if dash else {"start": start.strip()})
    return windows


def _clock(text: str) -> str:
    return text[:5] if re.fullmatch(r"\d{2}:\d{2}:00", text) else text


# --- Loyalty rules ----------------------------------------------------------------------------


RULE_ROWS = {"multipliers": MULTIPLIER_FIELDS, "conditions": CONDITION_FIELDS}
_RULE_FIELDS = frozenset(f"{t}.{name}" for t, names in TRIGGER_FIELDS.items() for name in names) | frozenset(
    {"trigger.type", "multipliers", "conditions"}
)


def parse_rule_form(raw: Mapping[str, Sequence[str]]) -> tuple[RowsForm, bool]:
    return parse_rows_form(raw, RULE_ROWS, RULE_SCALARS, _RULE_FIELDS)


def new_rule_form(kind: str, default_account: str) -> RowsForm:
    data = {
        "kind": [kind],
        "priority": ["0"],
        "trigger.type": ["transaction_closed"],
        "recurrence": ["once"],
        "point_account_id": [default_account],
        "points_threshold.point_account_id": [default_account],
        "points_threshold.balance": ["lifetime"],
    }
    if kind == "earn":
        data["rate"] = ["1"]
    return RowsForm(data=data, rows={p: 1 for p in RULE_ROWS}, row_fields=dict(RULE_ROWS), scalars=RULE_SCALARS)


def rule_body(
    form: RowsForm, *, retailer_id: UUID, timezone: str, rule_id: UUID | None = None
) -> tuple[dict[str, Any], IndexMap]:
    """The rules/create (or, with `rule_id`, rules/update) body, and which row each list item came from."""
    kind = form.value("kind").strip()
    body: dict[str, Any] = {"retailer_id": str(retailer_id), "kind": kind, "name": form.value("name")}
    if rule_id is not None:
        body["rule_id"] = str(rule_id)
    for name in ("priority",):
        if form.value(name).strip():
            body[name] = form.value(name).strip()
    for name in ("starts_at", "ends_at"):
        if form.value(name).strip():
            body[name] = with_zone(form.value(name).strip(), timezone)
    index_map: IndexMap = {"multipliers": [], "trigger.conditions": []}
    if kind == "earn":
        for name in ("rate", "point_account_id"):
            if form.value(name).strip():
                body[name] = form.value(name).strip()
        multipliers = []
        for row in form.row_range("multipliers"):
            if form.is_blank("multipliers", row, MULTIPLIER_FIELDS):
                continue
            prefix = f"multipliers.{row}"
            item: dict[str, Any] = {}
            if form.value(f"{prefix}.factor").strip():
                item["factor"] = form.value(f"{prefix}.factor").strip()
            for name in _MULTIPLIER_CHECKS:
                item[name] = [v.strip() for v in form.values(f"{prefix}.{name}") if v.strip()]
            for name in _MULTIPLIER_LISTS:
                item[name] = split_list(form.value(f"{prefix}.{name}"))
            item["time_windows"] = _windows(form.value(f"{prefix}.time_windows"))
            multipliers.append(item)
            index_map["multipliers"].append(prefix)
        body["multipliers"] = multipliers
        return body, index_map
    for name in ("offer_id", "per_user_cap", "recurrence"):
        if form.value(name).strip():
            body[name] = form.value(name).strip()
    trigger_type = form.value("trigger.type").strip()
    if trigger_type:
        trigger: dict[str, Any] = {"type": trigger_type}
        for name in TRIGGER_FIELDS.get(trigger_type, ()):
            key = f"{trigger_type}.{name}"
            if name == "spend_points":
                trigger[name] = form.checked(key)
            elif name == "store_ids":
                trigger[name] = [v.strip() for v in form.values(key) if v.strip()]
            elif name in _TRIGGER_LISTS:
                trigger[name] = split_list(form.value(key))
            elif form.value(key).strip():
                trigger[name] = form.value(key).strip()
        if trigger_type == "custom_event":
            conditions = []
            for row in form.row_range("conditions"):
                if form.is_blank("conditions", row, ("property", "value", "values")):
                    continue
                prefix = f"conditions.{row}"
                condition: dict[str, Any] = {"property": form.value(f"{prefix}.property").strip()}
                if form.value(f"{prefix}.operator").strip():
                    condition["operator"] = form.value(f"{prefix}.operator").strip()
                if form.value(f"{prefix}.value").strip():
                    condition["value"] = typed_scalar(form.value(f"{prefix}.value"))
                lines = [line for line in form.value(f"{prefix}.values").split("\n") if line.strip()]
                condition["values"] = [typed_scalar(line) for line in lines]
                conditions.append(condition)
                index_map["trigger.conditions"].append(prefix)
            trigger["conditions"] = conditions
        body["trigger"] = trigger
    return body, index_map


_ROW_PATH = re.compile(r"^(multipliers|trigger\.conditions)\[(\d+)\](?:\.([A-Za-z_]+))?")
_GENERAL = frozenset({"", "body", "retailer_id", "rule_id", "kind"})


def rule_path_mapper(trigger_type: str) -> PathMapper:
    """API error path -> form key: `multipliers[1].factor` -> `multipliers.<row>.factor`,
    `trigger.min_spend` -> `transaction_closed.min_spend`, `trigger` -> `trigger.type`."""

    def mapper(path: str, rows: Mapping[str, Sequence[str]]) -> str:
        if path in _GENERAL:
            return ""
        match = _ROW_PATH.match(path)
        if match:
            group, index, name = match.group(1), int(match.group(2)), match.group(3)
            keys = rows.get(group, [])
            section = "conditions" if group == "trigger.conditions" else group
            if index >= len(keys):
                return section
            return f"{keys[index]}.{name}" if name else keys[index]
        if path in ("trigger", "trigger.type"):
            return "trigger.type"
        if path.startswith("trigger."):
            name = re.split(r"[.\[]", path[len("trigger.") :])[0]
            return "conditions" if name == "conditions" else f"{trigger_type}.{name}"
        return re.split(r"[.\[]", path)[0]

    return mapper


def form_from_rule(rule: RuleOut, *, timezone: str, default_account: str) -> RowsForm:
    """The form showing a stored rule (at least one blank multiplier and condition row)."""
    form = new_rule_form(rule.kind, default_account)
    data = form.data
    data["name"] = [rule.name]
    data["priority"] = [str(rule.priority)]
    for name in ("starts_at", "ends_at"):
        value = getattr(rule, name)
        if value:
            data[name] = [local_input(parse_time(value), timezone)]
    rows = {"multipliers": 0, "conditions": 0}
    if rule.kind == "earn":
        data["rate"] = [format(rule.rate, "f") if rule.rate is not None else ""]
        data["point_account_id"] = [str(rule.point_account_id or default_account)]
        for row, m in enumerate(rule.multipliers):
            prefix = f"multipliers.{row}"
            data[f"{prefix}.factor"] = [scalar_text(m.get("factor"))]
            for name in _MULTIPLIER_CHECKS:
                data[f"{prefix}.{name}"] = [str(v) for v in m.get(name) or []]
            for name in _MULTIPLIER_LISTS:
                data[f"{prefix}.{name}"] = [", ".join(str(v) for v in m.get(name) or [])]
            data[f"{prefix}.time_windows"] = [
                ", ".join(f"{_clock(w['start'])}-{_clock(w['end'])}" for w in m.get("time_windows") or [])
            ]
            rows["multipliers"] += 1
    else:
        data["offer_id"] = [str(rule.offer_id or "")]
        data["recurrence"] = [rule.recurrence or "once"]
        if rule.per_user_cap is not None:
            data["per_user_cap"] = [str(rule.per_user_cap)]
        trigger = rule.trigger or {}
        trigger_type = str(trigger.get("type", ""))
        data["trigger.type"] = [trigger_type]
        for name in TRIGGER_FIELDS.get(trigger_type, ()):
            value = trigger.get(name)
            key = f"{trigger_type}.{name}"
            if name == "spend_points":
                data[key] = ["1"] if value else []
            elif name == "store_ids":
                data[key] = [str(v) for v in value or []]
            elif name in _TRIGGER_LISTS:
                data[key] = [", ".join(str(v) for v in value or [])]
            elif value is not None:
                data[key] = [scalar_text(value)]
        for row, c in enumerate(trigger.get("conditions") or []):
            prefix = f"conditions.{row}"
            data[f"{prefix}.property"] = [str(c.get("property", ""))]
            data[f"{prefix}.operator"] = [str(c.get("operator", "equals"))]
            data[f"{prefix}.value"] = [scalar_text(c.get("value"))]
            data[f"{prefix}.values"] = ["\n".join(scalar_text(v) for v in c.get("values") or [])]
            rows["conditions"] += 1
    form.rows = {prefix: max(count, 1) for prefix, count in rows.items()}
    return form


# --- Simulate ---------------------------------------------------------------------------------


SIMULATE_ROWS = {"items": ITEM_FIELDS}
SIMULATE_SCALARS = ("customer", "store_id", "channel", "occurred_at")
SIMULATED_TRANSACTION_ID = "admin-simulation"


def parse_simulate_form(raw: Mapping[str, Sequence[str]]) -> tuple[RowsForm, bool]:
    return parse_rows_form(raw, SIMULATE_ROWS, SIMULATE_SCALARS, frozenset({"items"}), default_rows={"items": 3})


def simulate_body(form: RowsForm, *, retailer_id: UUID, user_id: UUID | None) -> tuple[dict[str, Any], IndexMap]:
    """The rules/simulate body: a closed check of the lines filled in (line ids 1, 2, ...). Times
    without an offset are the store's local time there, as on the POS."""
    items: list[dict[str, Any]] = []
    index_map: IndexMap = {"transaction.items": []}
    for row in form.row_range("items"):
        if form.is_blank("items", row, ITEM_FIELDS):
            continue
        prefix = f"items.{row}"
        item: dict[str, Any] = {"line_id": str(len(items) + 1)}
        for name in ("item_id", "quantity", "unit_price"):
            if form.value(f"{prefix}.{name}").strip():
                item[name] = form.value(f"{prefix}.{name}").strip()
        categories = split_list(form.value(f"{prefix}.category_ids"))
        if categories:
            item["category_ids"] = categories
        items.append(item)
        index_map["transaction.items"].append(prefix)
    transaction: dict[str, Any] = {"transaction_id": SIMULATED_TRANSACTION_ID, "is_closed": True, "items": items}
    if form.value("channel").strip():
        transaction["channel"] = form.value("channel").strip()
    body: dict[str, Any] = {"retailer_id": str(retailer_id), "transaction": transaction}
    if user_id is not None:
        body["user_id"] = str(user_id)
    if form.value("store_id").strip():
        body["store_id"] = form.value("store_id").strip()
    if form.value("occurred_at").strip():
        body["occurred_at"] = form.value("occurred_at").strip()
    return body, index_map


_ITEM_PATH = re.compile(r"^transaction\.items\[(\d+)\](?:\.([A-Za-z_]+))?")


def simulate_path(path: str, rows: Mapping[str, Sequence[str]]) -> str:
    """API error path -> form key: `transaction.items[0].quantity` -> `items.<row>.quantity`."""
    match = _ITEM_PATH.match(path)
    if match:
        index, name = int(match.group(1)), match.group(2)
        keys = rows.get("transaction.items", [])
        if index >= len(keys):
            return "items"
        return f"{keys[index]}.{name}" if name else keys[index]
    if path.startswith("transaction.items"):
        return "items"
    if path == "user_id":
        return "customer"
    if path == "transaction.channel":
        return "channel"
    if path in ("store_id", "occurred_at"):
        return path
    return ""
