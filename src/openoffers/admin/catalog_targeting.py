"""What an offer targets, in the catalog's words: the names beside the item ids it names, the ids the
catalog does not know (a warning on the offer's page: such an offer is published but can never match
those items), and "every item" said plainly when an item offer names none."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from openoffers.catalog import browse
from openoffers.kit.db import Database
from openoffers.offers.schemas import OfferOut

_NAMING = ("items", "required_items", "min_quantity")  # restriction types that carry item or category ids


@dataclass(frozen=True, slots=True)
class Targeting:
    items: list[tuple[str, str]]  # (id, name or "") in the order the offer names them
    categories: list[tuple[str, int]]  # (id, items in it now)
    unknown_items: list[str]
    unknown_categories: list[str]
    every_item: bool  # an item offer with no catalog restriction: it discounts any item


def named_ids(offer: OfferOut) -> tuple[list[str], list[str]]:
    items: list[str] = []
    categories: list[str] = []
    for r in [*offer.catalog_restrictions, *offer.purchase_restrictions]:
        if r.get("type") in _NAMING:
            items += [str(i) for i in r.get("item_ids") or [] if str(i) not in items]
            categories += [str(c) for c in r.get("category_ids") or [] if str(c) not in categories]
    return items, categories


async def targeting(db: Database, retailer_id: UUID, offer: OfferOut) -> Targeting:
    items, categories = named_ids(offer)
    names = await browse.names_of(db, retailer_id, items)
    counts = dict(await browse.categories(db, retailer_id)) if categories else {}
    return Targeting(
        items=[(i, names.get(i, "")) for i in items],
        categories=[(c, counts.get(c, 0)) for c in categories],
        unknown_items=[i for i in items if i not in names],
        unknown_categories=[c for c in categories if c not in counts],
        every_item=offer.all_items_eligible and not offer.check_level,
    )


PICKER_ITEMS = 1000  # suggestions in a form's item picker; any other id may still be typed


async def picker(db: Database, retailer_id: UUID) -> dict[str, list[tuple[str, str]]]:
    """What a form's item and category pickers suggest: (id, label) from the catalog."""
    items = await browse.list_items(db, retailer_id, "", skip=0, take=PICKER_ITEMS)
    categories = await browse.categories(db, retailer_id)
    return {
        "items": [(i.item_id, i.name) for i in items.items],
        "categories": [(c, f"{n} item{'' if n == 1 else 's'}") for c, n in categories],
    }
