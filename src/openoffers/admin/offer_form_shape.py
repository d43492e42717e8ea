"""The offer form's shape: its repeatable rows (texts, media, each kind of restriction), its scalar
fields, and the plain-words labels shown beside them. `forms.py` parses and fills the form."""

from __future__ import annotations

from dataclasses import dataclass

from openoffers.pricing import types_reading

MAX_ROWS = 100  # of any one repeatable row kind in a form


@dataclass(frozen=True, slots=True)
class RowKind:
    prefix: str  # the form prefix; for a restriction, its API `type`
    group: str  # the API list the rows go to
    fields: tuple[str, ...]
    content: tuple[str, ...]  # a row is blank when all of these are empty
    label: str
    checkbox_lists: frozenset[str] = frozenset()
    text_lists: frozenset[str] = frozenset()
    tagged: bool = True  # restrictions carry `"type": prefix`
    max_rows: int = MAX_ROWS


_IDS = frozenset({"item_ids", "category_ids"})

TEXT = RowKind(
    "text",
    "text_config",
    ("culture", "title", "description", "terms_and_conditions"),
    ("title", "description", "terms_and_conditions"),
    "Text",
    tagged=False,
    max_rows=50,
)
MEDIA = RowKind("media", "media_config", ("uri", "culture", "media_type"), ("uri",), "Image", tagged=False, max_rows=50)
STORES = RowKind(
    "stores",
    "location_restrictions",
    ("mode", "store_ids", "store_tags"),
    ("store_ids", "store_tags"),
    "Stores rule",
    checkbox_lists=frozenset({"store_ids"}),
    text_lists=frozenset({"store_tags"}),
)
ITEMS = RowKind(
    "items",
    "catalog_restrictions",
    ("mode", "item_ids", "category_ids"),
    ("item_ids", "category_ids"),
    "Items rule",
    text_lists=_IDS,
)
MIN_SUBTOTAL = RowKind("min_subtotal", "purchase_restrictions", ("amount",), ("amount",), "Minimum spend")
MIN_QUANTITY = RowKind(
    "min_quantity",
    "purchase_restrictions",
    ("quantity", "item_ids", "category_ids"),
    ("quantity", "item_ids", "category_ids"),
    "Minimum quantity",
    text_lists=_IDS,
)
REQUIRED_ITEMS = RowKind(
    "required_items",
    "purchase_restrictions",
    ("item_ids", "category_ids"),
    ("item_ids", "category_ids"),
    "Required items",
    text_lists=_IDS,
)
DAYS_OF_WEEK = RowKind(
    "days_of_week", "use_restrictions", ("days",), ("days",), "Days", checkbox_lists=frozenset({"days"})
)
TIME_OF_DAY = RowKind("time_of_day", "use_restrictions", ("start", "end"), ("start", "end"), "Time window")
CHANNELS = RowKind(
    "channels", "use_restrictions", ("channels",), ("channels",), "Channels", text_lists=frozenset({"channels"})
)
MAX_USES = RowKind(
    "max_uses", "use_restrictions", ("uses", "period_unit", "period_value"), ("uses", "period_value"), "Uses limit"
)
INVENTORY = RowKind("inventory", "issuance_restrictions", ("total",), ("total",), "Inventory")
PER_CUSTOMER = RowKind("per_customer", "issuance_restrictions", ("max",), ("max",), "Per customer")
FREQUENCY = RowKind(
    "frequency", "issuance_restrictions", ("max", "period_unit", "period_value"), ("max", "period_value"), "Frequency"
)

RESTRICTION_KINDS = (
    STORES,
    ITEMS,
    MIN_SUBTOTAL,
    MIN_QUANTITY,
    REQUIRED_ITEMS,
    DAYS_OF_WEEK,
    TIME_OF_DAY,
    CHANNELS,
    MAX_USES,
    INVENTORY,
    PER_CUSTOMER,
    FREQUENCY,
)
ROW_KINDS = (TEXT, MEDIA, *RESTRICTION_KINDS)
BY_PREFIX = {kind.prefix: kind for kind in ROW_KINDS}
LISTS = ("text_config", "media_config", *dict.fromkeys(k.group for k in RESTRICTION_KINDS))

DATE_FIELDS = ("acquisition_start_date", "acquisition_end_date")
COMMON_VALUES = ("validity_unit", "validity_period", "points_cost", "custom_data")
COMMON_FLAGS = ("does_not_expire", "valid_after_end_date", "reward_store")
DISCOUNT_FIELDS = ("amount", "percent", "price", "max_discount", "max_items", "buy_count", "get_count", "recurrence")
SCALARS = (
    "offer_type",
    "exclusive",
    "stack_priority",
    *(f"common_config.{n}" for n in (*DATE_FIELDS, *COMMON_VALUES, *COMMON_FLAGS)),
    *(f"discount_config.{n}" for n in DISCOUNT_FIELDS),
)
SECTIONS = ("common_config", "discount_config", *LISTS)

# Which offer types read each discount field (the page shows the others only when JavaScript is off).
DISCOUNT_USED_BY: dict[str, tuple[str, ...]] = {name: types_reading(name) for name in DISCOUNT_FIELDS}

LABELS = {
    "offer_type": "Offer type",
    "exclusive": "Exclusive",
    "stack_priority": "Stack priority",
    "common_config.acquisition_start_date": "Available from",
    "common_config.acquisition_end_date": "Available until",
    "common_config.validity_unit": "Validity unit",
    "common_config.validity_period": "Valid for",
    "common_config.points_cost": "Points cost",
    "common_config.custom_data": "Custom data",
    "common_config.does_not_expire": "Never expires",
    "common_config.valid_after_end_date": "Valid after the end date",
    "common_config.reward_store": "In the reward store",
    "discount_config.amount": "Amount off",
    "discount_config.percent": "Percent off",
    "discount_config.price": "Set price",
    "discount_config.max_discount": "Maximum discount",
    "discount_config.max_items": "Maximum items",
    "discount_config.buy_count": "Buy count",
    "discount_config.get_count": "Get count",
    "discount_config.recurrence": "Times per check",
    "common_config": "Dates and validity",
    "discount_config": "Discount",
    "text_config": "Text",
    "media_config": "Images",
    "location_restrictions": "Where",
    "catalog_restrictions": "Which items",
    "purchase_restrictions": "Purchase conditions",
    "use_restrictions": "When and how often",
    "issuance_restrictions": "Issuance limits",
}
FIELD_LABELS = {
    "culture": "culture",
    "title": "title",
    "description": "description",
    "terms_and_conditions": "terms and conditions",
    "uri": "image address",
    "media_type": "media type",
    "mode": "mode",
    "store_ids": "stores",
    "store_tags": "store tags",
    "item_ids": "item ids",
    "category_ids": "category ids",
    "amount": "amount",
    "quantity": "quantity",
    "days": "days",
    "start": "start",
    "end": "end",
    "channels": "channels",
    "uses": "uses",
    "period_unit": "period unit",
    "period_value": "period",
    "total": "total",
    "max": "maximum",
}
