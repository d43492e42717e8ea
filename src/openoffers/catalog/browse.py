"""Reading the catalog for people: a page of items (search by any part of an id or name), the
categories with their item counts, and the names of given ids (what the admin shows beside them)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import func, or_, select

from openoffers.kit.db import Database
from openoffers.tables.catalog import catalog_items

MAX_QUERY = 100


@dataclass(frozen=True, slots=True)
class CatalogItemRow:
    item_id: str
    name: str
    category_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ItemPage:
    total: int
    items: list[CatalogItemRow]


def _like(text: str) -> str:
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _item(row: Any) -> CatalogItemRow:
    return CatalogItemRow(row.item_id, row.name, tuple(str(c) for c in row.category_ids or ()))


async def list_items(db: Database, retailer_id: UUID, text: str, *, skip: int, take: int) -> ItemPage:
    """Items ordered by id, narrowed by any part of their id or name (any case)."""
    text = text.strip()[:MAX_QUERY]
    where = [catalog_items.c.retailer_id == retailer_id]
    if text:
        pattern = _like(text)
        where.append(
            or_(
                func.lower(catalog_items.c.item_id).like(pattern, escape="\\"),
                func.lower(catalog_items.c.name).like(pattern, escape="\\"),
            )
        )
    async with db.read() as conn:
        total = int((await conn.execute(select(func.count()).select_from(catalog_items).where(*where))).scalar_one())
        rows = await conn.execute(
            select(catalog_items).where(*where).order_by(catalog_items.c.item_id).offset(skip).limit(take)
        )
        return ItemPage(total, [_item(r) for r in rows])


async def categories(db: Database, retailer_id: UUID) -> list[tuple[str, int]]:
    """Every category named by an item, with how many items it has, by name. Categories live only on
    items (there is no category table), so this reads the item's lists; a catalog is thousands of rows."""
    counts: Counter[str] = Counter()
    async with db.read() as conn:
        result = await conn.stream(
            select(catalog_items.c.category_ids).where(catalog_items.c.retailer_id == retailer_id)
        )
        async for row in result:
            counts.update(str(c) for c in row.category_ids or ())
    return sorted(counts.items())


async def names_of(db: Database, retailer_id: UUID, item_ids: Iterable[str]) -> dict[str, str]:
    """The catalog's name of each known id among `item_ids` (unknown ids are left out)."""
    wanted = sorted({i for i in item_ids if i})
    if not wanted:
        return {}
    async with db.read() as conn:
        rows = await conn.execute(
            select(catalog_items.c.item_id, catalog_items.c.name).where(
                catalog_items.c.retailer_id == retailer_id, catalog_items.c.item_id.in_(wanted)
            )
        )
        return {r.item_id: r.name for r in rows}
