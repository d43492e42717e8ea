"""Whether an offer definition is well-formed (else 400) and publishable (else saved as a draft).

Two levels on purpose (API.md 3.2): a malformed request saves nothing, while an offer that is merely
incomplete (no text yet, a discount type without its numbers) is kept as a draft and
`validation_errors` says per field what publishing needs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from decimal import Decimal
from uuid import UUID

from openoffers.kit.clock import as_utc
from openoffers.kit.errors import ValidationFailed
from openoffers.offers.schemas import (
    Frequency,
    MaxUses,
    MinQuantity,
    MinSubtotal,
    OfferDefinition,
    PerCustomer,
    RequiredItems,
    TimeOfDay,
)
from openoffers.pricing import kind_of

MAX_MONEY = Decimal(1_000_000_000)

Add = Callable[[str, str], None]


def resolve_type(definition: OfferDefinition) -> str | None:
    """`offer_type` and `offer_config.type` name the same thing; a disagreement is malformed."""
    top, nested = definition.offer_type, definition.offer_config.type
    if top and nested and top != nested:
        raise ValidationFailed.field("offer_config.type", f"must agree with offer_type ({top})")
    return top or nested


def parse_clock(text: str) -> time:
    parts = [int(p) for p in text.split(":")]
    return time(parts[0], parts[1], parts[2] if len(parts) > 2 else 0)


def _between(value: Decimal, highest: Decimal) -> bool:
    # NaN is not finite and cannot even be compared (Decimal raises): refuse it before comparing.
    return value.is_finite() and 0 <= value <= highest


def check_well_formed(definition: OfferDefinition) -> None:
    """Raise VALIDATION (400) for values no offer can have: negative or absurd money, bad percents."""
    config = definition.discount_config
    for name in ("amount", "price", "max_discount"):
        value: Decimal | None = getattr(config, name)
        if value is not None and not _between(value, MAX_MONEY):
            raise ValidationFailed.field(f"discount_config.{name}", "must be between 0 and 1000000000")
    if config.percent is not None and not _between(config.percent, Decimal(100)):
        raise ValidationFailed.field("discount_config.percent", "must be between 0 and 100")
    for index, restriction in enumerate(definition.purchase_restrictions):
        if isinstance(restriction, MinSubtotal) and not _between(restriction.amount, MAX_MONEY):
            raise ValidationFailed.field(f"purchase_restrictions[{index}].amount", "must be between 0 and 1000000000")
    for text_index, text in enumerate(definition.text_config):
        if any(t.culture.lower() == text.culture.lower() for t in definition.text_config[:text_index]):
            raise ValidationFailed.field(f"text_config[{text_index}].culture", "appears twice")


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def publish_problems(
    definition: OfferDefinition, offer_type: str | None, exponent: int, known_stores: set[UUID]
) -> dict[str, list[str]]:
    """Per field, what stops this offer from being published. Empty when it can be."""
    problems: dict[str, list[str]] = {}

    def add(path: str, problem: str) -> None:
        problems.setdefault(path, []).append(problem)

    if offer_type is None:
        add("offer_type", "is required")
    if not any(t.title.strip() for t in definition.text_config):
        add("text_config", "needs at least one text with a title")
    common = definition.common_config
    start, end = common.acquisition_start_date, common.acquisition_end_date
    if start is not None and end is not None and as_utc(end) <= as_utc(start):
        add("common_config.acquisition_end_date", "must be after acquisition_start_date")
    if (common.validity_unit is None) != (common.validity_period is None):
        add("common_config.validity_period", "validity_period and validity_unit go together")
    elif common.validity_period == 0:
        add("common_config.validity_period", "must be at least 1")
    if common.reward_store and not common.points_cost:
        add("common_config.points_cost", "a reward store offer needs a points_cost above 0")
    if offer_type is not None:
        _discount_problems(definition, offer_type, exponent, add)
    _restriction_problems(definition, exponent, known_stores, add)
    return problems


def _discount_problems(definition: OfferDefinition, offer_type: str, exponent: int, add: Add) -> None:
    config = definition.discount_config
    kind = kind_of(offer_type)
    number = kind.number
    if number is not None:
        given: Decimal | None = getattr(config, number.wire_field)
        if given is None or (given == 0 and not number.zero_allowed):
            add(f"discount_config.{number.wire_field}", f"{offer_type} needs {number.requirement}")
    if kind.buy_x_get_y:
        if not config.buy_count:
            add("discount_config.buy_count", "must be at least 1")
        if not config.get_count:
            add("discount_config.get_count", "must be at least 1")
    if config.recurrence == 0:
        add("discount_config.recurrence", "must be at least 1")
    if config.max_items == 0:
        add("discount_config.max_items", "must be at least 1")
    if config.max_discount is not None and config.max_discount == 0:
        add("discount_config.max_discount", "must be above 0 (leave it out for no cap)")
    for name in ("amount", "price", "max_discount"):
        value: Decimal | None = getattr(config, name)
        if value is not None and _decimals(value) > exponent:
            add(f"discount_config.{name}", f"has more than {exponent} decimal places for this currency")
    if config.percent is not None and _decimals(config.percent) > 2:
        add("discount_config.percent", "at most 2 decimal places (basis points)")


def _restriction_problems(definition: OfferDefinition, exponent: int, known_stores: set[UUID], add: Add) -> None:
    for index, location in enumerate(definition.location_restrictions):
        for store_id in location.store_ids:
            if store_id not in known_stores:
                add(f"location_restrictions[{index}].store_ids", f"unknown store {store_id}")
        if not location.store_ids and not location.store_tags:
            add(f"location_restrictions[{index}]", "needs store_ids or store_tags")
    for index, catalog in enumerate(definition.catalog_restrictions):
        if not catalog.item_ids and not catalog.category_ids:
            add(f"catalog_restrictions[{index}]", "needs item_ids or category_ids")
    for index, purchase in enumerate(definition.purchase_restrictions):
        path = f"purchase_restrictions[{index}]"
        if isinstance(purchase, MinSubtotal) and _decimals(purchase.amount) > exponent:
            add(f"{path}.amount", f"has more than {exponent} decimal places for this currency")
        if isinstance(purchase, MinQuantity) and purchase.quantity == 0:
            add(f"{path}.quantity", "must be at least 1")
        if isinstance(purchase, RequiredItems) and not purchase.item_ids and not purchase.category_ids:
            add(path, "needs item_ids or category_ids")
    for index, use in enumerate(definition.use_restrictions):
        path = f"use_restrictions[{index}]"
        if isinstance(use, TimeOfDay) and parse_clock(use.start) == parse_clock(use.end):
            add(path, "start and end must differ")
        if isinstance(use, MaxUses) and (use.uses == 0 or use.period_value == 0):
            add(path, "uses and period_value must be at least 1")
    seen: set[str] = set()
    for index, issuance in enumerate(definition.issuance_restrictions):
        path = f"issuance_restrictions[{index}]"
        kind = type(issuance).__name__
        if kind in seen:
            add(path, "each issuance restriction kind may appear once")
        seen.add(kind)
        if isinstance(issuance, PerCustomer) and issuance.max == 0:
            add(f"{path}.max", "must be at least 1")
        if isinstance(issuance, Frequency) and (issuance.max == 0 or issuance.period_value == 0):
            add(path, "max and period_value must be at least 1")
