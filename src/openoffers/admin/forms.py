"""HTML forms <-> the API's request Structs.

The offer form is another spelling of the Offers API body. `offer_body` builds exactly the JSON-like
body an integrator would send and `decode_offer` decodes it with the API's own decoder (`kit.wire`),
so the message next to a field is the message the API gives, for the same path
(`discount_config.amount`, `use_restrictions[0]`). Whether an offer can be published is decided by
the offers service, never here.

Input names:
- single fields use the API path: `offer_type`, `discount_config.amount`, `common_config.validity_unit`;
- repeated rows use `<prefix>.<row>.<field>`: `text.0.title`, `media.1.uri`, `time_of_day.0.start`,
  where a restriction's prefix is its API `type`. `_rows.<prefix>` says how many rows the page showed,
  a blank row is left out of the body, and the `_add` button asks for one more row without saving.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from openoffers.admin.offer_form_shape import (
    BY_PREFIX,
    COMMON_FLAGS,
    COMMON_VALUES,
    DATE_FIELDS,
    DISCOUNT_FIELDS,
    FIELD_LABELS,
    LABELS,
    LISTS,
    MEDIA,
    ROW_KINDS,
    SCALARS,
    SECTIONS,
    TEXT,
    TIME_OF_DAY,
    RowKind,
)
from openoffers.admin.plain_words import plain
from openoffers.kit import wire
from openoffers.kit.clock import as_utc
from openoffers.kit.errors import ValidationFailed
from openoffers.kit.wire import parse_time
from openoffers.offers.schemas import OfferDefinition
from openoffers.offers.validation import parse_clock

T = TypeVar("T")
IndexMap = dict[str, list[str]]  # API list name -> the form row key of each of its items, in order

TRUE_VALUES = frozenset({"1", "on", "true", "yes"})


@dataclass
class Form:
    """Submitted (or prefilled) values and the errors to show next to them."""

    data: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    # Inputs that may be absent from a submission (unchecked checkboxes) but still show errors.
    fields: frozenset[str] = frozenset()
    focus: str | None = None  # the input to focus (the first of a row just added)

    def value(self, name: str) -> str:
        values = self.data.get(name)
        return values[0] if values else ""

    def values(self, name: str) -> list[str]:
        return self.data.get(name, [])

    def checked(self, name: str) -> bool:
        return self.value(name).lower() in TRUE_VALUES

    def errors_for(self, key: str) -> list[str]:
        return self.errors.get(key, [])

    def known_keys(self) -> set[str]:
        return set(self.data) | self.fields

    def place_errors(self, errors: Mapping[str, Sequence[str]], aliases: Mapping[str, str] | None = None) -> None:
        """Put each error next to its field, or at the top of the form when no field shows it."""
        known = self.known_keys()
        for key, raw in errors.items():
            target = (aliases or {}).get(key, key)
            problems = [plain(p, target) for p in raw]
            if target in known:
                self.errors.setdefault(target, []).extend(p for p in problems if p not in self.errors.get(target, []))
            else:
                name = label_of(key) if key and key != "body" else ""
                self.general.extend(f"{name}: {p}" if name else p for p in problems)

    @property
    def error_count(self) -> int:
        return sum(len(v) for v in self.errors.values()) + len(self.general)

    def summary(self) -> list[tuple[str, str, str]]:
        """(element id, field name, message) for every field error, for the summary above the form."""
        return [(field_id(key), label_of(key), p) for key, problems in self.errors.items() for p in problems]


def field_id(key: str) -> str:
    """An HTML id for an input, row or section key (`text.0.title` -> `f-text-0-title`)."""
    return "f-" + re.sub(r"[^A-Za-z0-9]+", "-", key).strip("-")


def read_form(raw: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Submitted values with textarea line endings normalised (browsers send CRLF)."""
    return {name: [v.replace("\r\n", "\n") for v in values] for name, values in raw.items()}


def label_of(key: str) -> str:
    """A human name for an error key, for the summary at the top of the form."""
    if key in LABELS:
        return LABELS[key]
    parts = key.split(".")
    kind = BY_PREFIX.get(parts[0])
    if kind is None or len(parts) < 2 or not parts[1].isdigit():
        return key.replace("_", " ").capitalize()
    name = f"{kind.label} {int(parts[1]) + 1}"
    return f"{name}, {FIELD_LABELS.get(parts[2], parts[2])}" if len(parts) > 2 else name


@dataclass
class OfferForm(Form):
    rows: dict[str, int] = field(default_factory=dict)

    def row_count(self, prefix: str) -> int:
        return self.rows.get(prefix, 1)

    def row_range(self, prefix: str) -> range:
        return range(self.row_count(prefix))

    def known_keys(self) -> set[str]:
        keys = set(SCALARS) | set(SECTIONS)
        for kind in ROW_KINDS:
            for row in self.row_range(kind.prefix):
                keys.add(f"{kind.prefix}.{row}")
                keys.update(f"{kind.prefix}.{row}.{name}" for name in kind.fields)
        return keys

    def is_blank(self, kind: RowKind, row: int) -> bool:
        return not any(v.strip() for name in kind.content for v in self.values(f"{kind.prefix}.{row}.{name}"))

    def has_content(self, *prefixes: str) -> bool:
        """Whether a section has a filled row or an error (the page opens it)."""
        for prefix in prefixes:
            kind = BY_PREFIX[prefix]
            if kind.group in self.errors:
                return True
            for row in self.row_range(prefix):
                if not self.is_blank(kind, row) or any(k.startswith(f"{prefix}.{row}") for k in self.errors):
                    return True
        return False

    def summary(self) -> list[tuple[str, str, str]]:
        """(element id, field name, message) for every error, in page order, for the error summary."""
        order = {key: index for index, key in enumerate(self._page_order())}
        items = sorted(self.errors.items(), key=lambda kv: order.get(kv[0], len(order)))
        return [(field_id(key), label_of(key), problem) for key, problems in items for problem in problems]

    def _page_order(self) -> list[str]:
        keys = ["offer_type", "text_config"]
        for kind in ROW_KINDS:
            if kind is MEDIA:
                keys.append("media_config")
            for row in self.row_range(kind.prefix):
                keys.append(f"{kind.prefix}.{row}")
                keys += [f"{kind.prefix}.{row}.{name}" for name in kind.fields]
            if kind is TEXT:
                keys += ["discount_config", *(f"discount_config.{n}" for n in DISCOUNT_FIELDS)]
                common = (*DATE_FIELDS, *COMMON_VALUES, *COMMON_FLAGS)
                keys += ["common_config", *(f"common_config.{n}" for n in common)]
        return [*keys, "exclusive", "stack_priority"]


def parse_offer_form(raw: Mapping[str, Sequence[str]]) -> tuple[OfferForm, bool]:
    """The submitted offer form, and whether it asked for one more row (`_add`) rather than to save."""
    data = read_form(raw)
    rows: dict[str, int] = {}
    for kind in ROW_KINDS:
        shown = data.get(f"_rows.{kind.prefix}", [""])[0]
        count = int(shown) if shown.isdigit() else 1
        rows[kind.prefix] = min(max(count, 1), kind.max_rows)
    form = OfferForm(data=data, rows=rows)
    added = BY_PREFIX.get(data.get("_add", [""])[0])
    if added is None:
        return form, False
    if rows[added.prefix] < added.max_rows:
        rows[added.prefix] += 1
        form.focus = f"{added.prefix}.{rows[added.prefix] - 1}.{added.fields[0] if added is not TEXT else 'title'}"
    return form, True


def split_list(text: str) -> list[str]:
    """`a, b` or one per line -> ["a", "b"]."""
    return [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]


def with_zone(value: str, timezone: str) -> str:
    """A date typed in the retailer's time zone, given its offset (the API reads naive offer dates as UTC)."""
    try:
        parsed = parse_time(value)
    except ValueError:
        return value  # the API's decoder names the problem
    if parsed.tzinfo is not None:
        return value
    return parsed.replace(tzinfo=ZoneInfo(timezone)).isoformat()


def offer_body(
    form: OfferForm,
    *,
    retailer_id: UUID,
    timezone: str,
    default_culture: str,
    publish: bool,
    offer_id: UUID | None = None,
) -> tuple[dict[str, Any], IndexMap]:
    """The API request body the form describes, and which form row each list item came from."""
    body: dict[str, Any] = {"retailer_id": str(retailer_id), "publish": publish}
    if offer_id is not None:
        body["offer_id"] = str(offer_id)
    if form.value("offer_type").strip():
        body["offer_type"] = form.value("offer_type").strip()
    index_map: IndexMap = {name: [] for name in LISTS}
    lists: dict[str, list[dict[str, Any]]] = {name: [] for name in LISTS}
    for kind in ROW_KINDS:
        for row in form.row_range(kind.prefix):
            if form.is_blank(kind, row):
                continue
            item: dict[str, Any] = {"type": kind.prefix} if kind.tagged else {}
            for name in kind.fields:
                key = f"{kind.prefix}.{row}.{name}"
                if name in kind.checkbox_lists:
                    item[name] = [v.strip() for v in form.values(key) if v.strip()]
                elif name in kind.text_lists:
                    item[name] = split_list(form.value(key))
                elif name in ("description", "terms_and_conditions"):
                    item[name] = form.value(key)
                elif form.value(key).strip():
                    item[name] = form.value(key).strip()
            if kind is TEXT and "culture" not in item:
                item["culture"] = default_culture
            lists[kind.group].append(item)
            index_map[kind.group].append(f"{kind.prefix}.{row}")
    body.update(lists)
    common: dict[str, Any] = {}
    for name in DATE_FIELDS:
        value = form.value(f"common_config.{name}").strip()
        if value:
            common[name] = with_zone(value, timezone)
    for name in COMMON_VALUES:
        value = form.value(f"common_config.{name}")
        if value.strip():
            common[name] = value if name == "custom_data" else value.strip()
    for name in COMMON_FLAGS:
        common[name] = form.checked(f"common_config.{name}")
    body["common_config"] = common
    body["discount_config"] = {
        name: form.value(f"discount_config.{name}").strip()
        for name in DISCOUNT_FIELDS
        if form.value(f"discount_config.{name}").strip()
    }
    body["exclusive"] = form.checked("exclusive")
    if form.value("stack_priority").strip():
        body["stack_priority"] = form.value("stack_priority").strip()
    return body, index_map


_PATH_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
_LIST_ITEM = re.compile(r"^([A-Za-z_]+)\[(\d+)\](?:\.([A-Za-z_]+))?")
_GENERAL = frozenset({"", "body", "retailer_id", "offer_id", "publish"})


def map_path(path: str, index_map: Mapping[str, Sequence[str]]) -> str:
    """An API error path -> the form key showing it (`use_restrictions[1].start` -> `time_of_day.0.start`).
    An empty string means the form as a whole."""
    if path in _GENERAL:
        return ""
    if path == "offer_config.type" or path.startswith("offer_config"):
        return "offer_type"
    match = _LIST_ITEM.match(path)
    if match and match.group(1) in index_map:
        group, index, name = match.group(1), int(match.group(2)), match.group(3)
        rows = index_map[group]
        if index >= len(rows):
            return group
        return f"{rows[index]}.{name}" if name else rows[index]
    return path


def map_errors(fields: Mapping[str, Sequence[str]], index_map: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for path, problems in fields.items():
        errors.setdefault(map_path(path, index_map), []).extend(problems)
    return errors


def _prune(body: dict[str, Any], index_map: IndexMap, path: str) -> bool:
    """Drop the value an error names (a whole list item when it is inside one), so decoding can go on
    and find the next problem. False when there is nothing to drop. A list's rows in `index_map` are
    keyed by its dotted path (`text_config`, `transaction.items`)."""
    tokens = [(name, int(index) if index else None) for name, index in _PATH_TOKEN.findall(path)]
    parent: Any = body
    names: list[str] = []
    for position, (name, index) in enumerate(tokens):
        if index is not None:
            if not isinstance(parent, list) or index >= len(parent):
                return False
            del parent[index]
            rows = index_map.get(".".join(names))
            if rows is not None and index < len(rows):
                del rows[index]
            return True
        if not isinstance(parent, dict) or name not in parent:
            return False
        if position == len(tokens) - 1:
            del parent[name]
            return True
        parent = parent[name]
        names.append(name)
    return False


_MISSING = re.compile(r"^Object missing required field `([A-Za-z_]+)`$")


def _missing_field(path: str, problems: Sequence[str], nested: bool) -> str:
    """A required field left out is reported on the object that lacks it: show a top-level one (and,
    when `nested`, any) next to the field itself."""
    match = _MISSING.match(problems[0]) if problems and (nested or path == "body") else None
    if match is None:
        return path
    return match.group(1) if path == "body" else f"{path}.{match.group(1)}"


PathMapper = Callable[[str, Mapping[str, Sequence[str]]], str]


def decode_offer(
    body: Mapping[str, Any],
    target: type[T],
    index_map: IndexMap,
    mapper: PathMapper = map_path,
    *,
    missing_at_field: bool = False,
) -> tuple[T | None, dict[str, list[str]]]:
    """Decode as the API does, but report every malformed field, not just the first.

    Returns the Struct, or None and the errors keyed by form key (`mapper` turns an API path into the
    form key, given the rows still in the body; with `missing_at_field` a missing required field is
    shown at the field rather than at the object that lacks it).
    """
    result, errors, _, _ = decode_partly(body, target, index_map, mapper, missing_at_field=missing_at_field)
    return result, errors


def decode_partly(
    body: Mapping[str, Any],
    target: type[T],
    index_map: IndexMap,
    mapper: PathMapper = map_path,
    *,
    missing_at_field: bool = False,
    set_aside: list[str] | None = None,
) -> tuple[T | None, dict[str, list[str]], T | None, IndexMap]:
    """`decode_offer`, plus what the rest of the body decodes to once the malformed fields are left out
    (None when nothing is left that decodes), so that the checks after decoding can report their
    problems in the same answer, and the index map of that rest (rows left out are not in it). The
    index map given is left as it was. `set_aside`, when given, receives the API path of each part left
    out (an object missing a required field is left out whole), so that a later check's "is required"
    on that part is known to be a consequence, not a problem of its own."""
    pending = copy.deepcopy(dict(body))
    rows = {name: list(keys) for name, keys in index_map.items()}
    errors: dict[str, list[str]] = {}
    for _ in range(500):
        try:
            result = wire.convert(pending, target)
        except ValidationFailed as exc:
            for path, problems in exc.fields.items():
                errors.setdefault(mapper(_missing_field(path, problems, missing_at_field), rows), []).extend(problems)
                if set_aside is not None:
                    set_aside.append(path)
                if not _prune(pending, rows, path):
                    return None, errors, None, rows
            continue
        return (None, errors, result, rows) if errors else (result, {}, result, rows)
    return None, errors, None, rows


decode_form = decode_offer


# --- From a stored definition back to the form ------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def local_input(value: datetime, timezone: str) -> str:
    """An aware time as a `datetime-local` input value in the retailer's time zone."""
    local = as_utc(value).astimezone(ZoneInfo(timezone))
    return local.strftime("%Y-%m-%dT%H:%M:%S" if local.second else "%Y-%m-%dT%H:%M")


def _clock_input(text: str) -> str:
    try:
        parsed = parse_clock(text)
    except (ValueError, IndexError):
        return text
    return parsed.strftime("%H:%M:%S" if parsed.second else "%H:%M")


def _row_values(kind: RowKind, item: Any, name: str) -> list[str]:
    value = getattr(item, name)
    if name in kind.checkbox_lists:
        return [_text(v) for v in value]
    if name in kind.text_lists:
        return [", ".join(_text(v) for v in value)]
    if kind is TIME_OF_DAY:
        return [_clock_input(value)]
    return [_text(value)]


def form_from_definition(
    definition: OfferDefinition, *, timezone: str, default_culture: str
) -> tuple[OfferForm, IndexMap]:
    """The form showing a stored offer, and which form row each stored list item is on (to place the
    offer's stored `validation_errors`). Every kind shows at least one (blank) row."""
    data: dict[str, list[str]] = {}
    offer_type = definition.offer_type or definition.offer_config.type
    if offer_type:
        data["offer_type"] = [offer_type]
    common = definition.common_config
    for name in DATE_FIELDS:
        when = getattr(common, name)
        if when is not None:
            data[f"common_config.{name}"] = [local_input(when, timezone)]
    for name in COMMON_VALUES:
        value = getattr(common, name)
        if value is not None:
            data[f"common_config.{name}"] = [_text(value)]
    for name in COMMON_FLAGS:
        if getattr(common, name):
            data[f"common_config.{name}"] = ["1"]
    for name in DISCOUNT_FIELDS:
        value = getattr(definition.discount_config, name)
        if value is not None:
            data[f"discount_config.{name}"] = [_text(value)]
    if definition.exclusive:
        data["exclusive"] = ["1"]
    data["stack_priority"] = [str(definition.stack_priority)]

    rows: dict[str, int] = {kind.prefix: 0 for kind in ROW_KINDS}
    index_map: IndexMap = {name: [] for name in LISTS}
    for group in LISTS:
        for item in getattr(definition, group):
            if group == "text_config":
                kind = TEXT
            elif group == "media_config":
                kind = MEDIA
            else:
                kind = BY_PREFIX[str(type(item).__struct_config__.tag)]
            row = rows[kind.prefix]
            rows[kind.prefix] += 1
            index_map[group].append(f"{kind.prefix}.{row}")
            for name in kind.fields:
                data[f"{kind.prefix}.{row}.{name}"] = _row_values(kind, item, name)
    for prefix, count in rows.items():
        if count == 0:
            rows[prefix] = 1
            if prefix == "text":
                data["text.0.culture"] = [default_culture]
    return OfferForm(data=data, rows=rows), index_map


def new_offer_form(*, timezone: str, default_culture: str) -> OfferForm:
    form, _ = form_from_definition(OfferDefinition(), timezone=timezone, default_culture=default_culture)
    return form
