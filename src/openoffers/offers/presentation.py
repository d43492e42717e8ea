"""How an offer row reads on the wire: the Offers API's offer (`fetch_offer`), its list summary and its
inventory, in the caller's culture. Pure functions of a row; the use cases that load the rows are in
`offers.service`."""

from __future__ import annotations

from uuid import UUID

from openoffers.kit import culture, wire
from openoffers.kit.clock import iso_z
from openoffers.offers.repository import STATUS_NAMES, OfferRow
from openoffers.offers.schemas import (
    OfferDefinition,
    OfferMediaOut,
    OfferOut,
    OfferSummary,
    OfferTextOut,
)
from openoffers.pricing import CHECK_TYPES, kind_of

_DEFINITION_FIELDS = tuple(OfferDefinition.__struct_fields__)


def definition_of(row: OfferRow) -> OfferDefinition:
    """The stored definition back as Structs (for pricing, issuance and the admin UI)."""
    return wire.convert(row.definition, OfferDefinition)


def discounts_something(offer_type: str) -> bool:
    """A draft may have no type yet (""); manual fulfilment discounts nothing."""
    return bool(offer_type) and kind_of(offer_type).benefit is not None


def offer_out(row: OfferRow, wanted_culture: str | None, default_culture: str, revisions: list[UUID]) -> OfferOut:
    """fetch_offer's shape. With a culture, only the chosen text (and its media) are listed."""
    # Back through the Structs so that money is a JSON number again (the JSON column holds Decimal strings).
    d = wire.to_builtins(definition_of(row), keep_decimals=True)
    common, config = row.definition["common_config"], d["discount_config"]
    texts = row.texts
    index = culture.pick([t["culture"] for t in texts], wanted_culture, default_culture)
    chosen = texts[index] if index is not None else None
    if wanted_culture is not None:
        texts = [chosen] if chosen else []
    media = row.media
    if wanted_culture is not None and chosen is not None:
        lang = culture.language(chosen["culture"])
        media = [m for m in media if not m["culture"] or culture.language(m["culture"]) == lang]
    start, end = iso_z(row.acquisition_start), iso_z(row.acquisition_end)
    parents = revisions[: revisions.index(row.id)] if row.id in revisions else []
    return OfferOut(
        offer_type_id=row.offer_type,
        id=row.id,
        root_offer_id=row.root_offer_id,
        retailer_id=row.retailer_id,
        title=chosen["title"] if chosen else "",
        status=row.status,
        acquisition_start_date=start,
        acquisition_end_date=end,
        validity_period=common.get("validity_period"),
        validity_unit=common.get("validity_unit"),
        reward_store=row.reward_store,
        custom_data=common.get("custom_data"),
        requires_extended_data=False,
        all_items_eligible=discounts_something(row.offer_type) and not d["catalog_restrictions"],
        parent_offer_ids=parents[-1:],
        check_level=row.offer_type in CHECK_TYPES,
        offer_text=[
            OfferTextOut(
                id=UUID(t["id"]),
                offer_id=row.id,
                culture=t["culture"],
                title=t["title"],
                description=t["description"],
                terms=t["terms"],
            )
            for t in texts
        ],
        offer_media=[
            OfferMediaOut(
                id=UUID(m["id"]),
                offer_id=row.id,
                culture=m["culture"],
                uri=m["uri"],
                media_type=m["media_type"],
            )
            for m in media
        ],
        start_date=start,
        end_date=end,
        valid_after_end_date=bool(common.get("valid_after_end_date")),
        does_not_expire=bool(common.get("does_not_expire")),
        status_description=STATUS_NAMES[row.status],
        revision=row.revision,
        points_cost=common.get("points_cost"),
        exclusive=bool(d.get("exclusive")),
        stack_priority=int(d.get("stack_priority") or 0),
        discount_config={k: v for k, v in config.items() if v is not None},
        location_restrictions=d["location_restrictions"],
        catalog_restrictions=d["catalog_restrictions"],
        purchase_restrictions=d["purchase_restrictions"],
        use_restrictions=d["use_restrictions"],
        issuance_restrictions=d["issuance_restrictions"],
        validation_errors=row.validation_errors,
        created_at=iso_z(row.created_at) or "",
        updated_at=iso_z(row.updated_at) or "",
    )


def summary(row: OfferRow) -> OfferSummary:
    return OfferSummary(
        id=row.id,
        root_offer_id=row.root_offer_id,
        revision=row.revision,
        title=row.title,
        offer_type=row.offer_type,
        status=row.status,
        status_description=STATUS_NAMES[row.status],
        reward_store=row.reward_store,
        acquisition_start_date=iso_z(row.acquisition_start),
        acquisition_end_date=iso_z(row.acquisition_end),
        updated_at=iso_z(row.updated_at) or "",
    )


def inventory_total(row: OfferRow) -> int | None:
    for restriction in row.definition["issuance_restrictions"]:
        if restriction["type"] == "inventory":
            return int(restriction["total"])
    return None
