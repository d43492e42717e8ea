"""The retailer's item catalog: items with their categories, imported in bulk and upserted by item_id.

Every import (the API's, the admin UI's file, each batch of the CLI's) goes through `import_in`, which
writes one audit row for it in its transaction: how many items it imported, how many were new, and the
file's name. Never a row per item.

`categories_for` is what the POS and the rules simulator use to give check lines their categories
(earn multipliers and triggers by category, offer catalog restrictions by category).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import msgspec
from sqlalchemy import String, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.catalog.schemas import CatalogImportRequest, CatalogImportResult, CatalogItemIn
from openoffers.kit.db import Database
from openoffers.kit.driver import Query
from openoffers.kit.errors import NotFound, ValidationFailed
from openoffers.tables.catalog import catalog_items
from openoffers.tenancy import audit
from openoffers.tenancy import repository as tenancy_repo

BATCH = 500  # rows per INSERT: well inside SQLite's bound-parameter limit


@dataclass(frozen=True, slots=True)
class CatalogItem:
    item_id: str
    name: str
    category_ids: tuple[str, ...]


def normalize(item: CatalogItemIn, path: str) -> CatalogItem:
    """Ids as trimmed strings (numbers accepted), categories de-duplicated in their given order."""
    item_id = str(item.item_id).strip()
    if not item_id:
        raise ValidationFailed.field(f"{path}.item_id", "must not be blank")
    categories: list[str] = []
    for index, raw in enumerate(item.category_ids):
        category = str(raw).strip()
        if not category:
            raise ValidationFailed.field(f"{path}.category_ids[{index}]", "must not be blank")
        if category not in categories:
            categories.append(category)
    return CatalogItem(item_id, item.name.strip(), tuple(categories))


# Built once (every closing check reads its items' categories) and run on the driver (`kit.driver.Query`),
# which takes no IN list: the ids go as one parameter, a JSON array that SQLite's `json_each` opens and
# an array PostgreSQL matches with `= ANY`. Either way the primary key finds each item.
_CATEGORIES_OF = {
    "sqlite": Query(
        select(catalog_items.c.item_id, catalog_items.c.category_ids).where(
            catalog_items.c.retailer_id == bindparam("retailer_id"),
            catalog_items.c.item_id.in_(
                select(literal_column("value")).select_from(func.json_each(bindparam("item_ids", type_=String)))
            ),
        )
    ),
    "postgresql": Query(
        select(catalog_items.c.item_id, catalog_items.c.category_ids).where(
            catalog_items.c.retailer_id == bindparam("retailer_id"),
            catalog_items.c.item_id == any_(bindparam("item_ids", type_=postgresql.ARRAY(String))),
        )
    ),
}


async def categories_for(conn: AsyncConnection, retailer_id: UUID, item_ids: Iterable[str]) -> dict[str, list[str]]:
    """item_id -> its category ids, for the catalog items among `item_ids` (unknown items are absent)."""
    wanted = sorted({i for i in item_ids if i})
    if not wanted:
        return {}
    dialect = conn.dialect.name
    ids: str | list[str] = msgspec.json.encode(wanted).decode() if dialect == "sqlite" else wanted
    rows = await _CATEGORIES_OF[dialect].all(conn, {"retailer_id": retailer_id, "item_ids": ids})
    return {r.item_id: list(r.category_ids) for r in rows}


async def upsert(conn: AsyncConnection, retailer_id: UUID, items: Sequence[CatalogItem], now: datetime) -> int:
    """Insert or replace items by item_id; the last of repeated ids wins. How many distinct items."""
    latest = {item.item_id: item for item in items}
    rows = [
        {
            "retailer_id": retailer_id,
            "item_id": item.item_id,
            "name": item.name,
            "category_ids": list(item.category_ids),
            "updated_at": now,
        }
        for item in latest.values()
    ]
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        if conn.dialect.name == "postgresql":
            pg = postgresql.insert(catalog_items).values(chunk)
            await conn.execute(
                pg.on_conflict_do_update(
                    index_elements=["retailer_id", "item_id"],
                    set_={"name": pg.excluded.name, "category_ids": pg.excluded.category_ids, "updated_at": now},
                )
            )
        else:
            lite = sqlite.insert(catalog_items).values(chunk)
            await conn.execute(
                lite.on_conflict_do_update(
                    index_elements=["retailer_id", "item_id"],
                    set_={"name": lite.excluded.name, "category_ids": lite.excluded.category_ids, "updated_at": now},
                )
            )
    return len(rows)


async def import_in(
    conn: AsyncConnection,
    retailer_id: UUID,
    items: Sequence[CatalogItem],
    now: datetime,
    *,
    file: str | None = None,
    batch: int | None = None,
) -> int:
    """`upsert` plus its audit row, against the retailer (whose one catalog it is): how many items it
    imported and how many of them are new. `file` names what they came from, `batch` which part of it
    this transaction holds (the CLI's). Counting the catalog instead would cost a scan per batch."""
    known = await known_count(conn, retailer_id, items)
    imported = await upsert(conn, retailer_id, items, now)
    await record_import(conn, retailer_id, imported=imported, new=imported - known, now=now, file=file, batch=batch)
    return imported


async def known_count(conn: AsyncConnection, retailer_id: UUID, items: Sequence[CatalogItem]) -> int:
    """How many of `items` the catalog has already (what an import's audit row counts as not new)."""
    return len(await categories_for(conn, retailer_id, [item.item_id for item in items]))


async def record_import(
    conn: AsyncConnection,
    retailer_id: UUID,
    *,
    imported: int,
    new: int,
    now: datetime,
    file: str | None = None,
    batch: int | None = None,
) -> None:
    """An import's one audit row, in its transaction: how many items, how many new, from which file."""
    after: dict[str, object] = {"imported": imported, "new": new}
    if file is not None:
        after["file"] = file
    if batch is not None:
        after["batch"] = batch
    await audit.record(
        conn,
        retailer_id=retailer_id,
        object_type="catalog",
        object_id=retailer_id,
        action="imported",
        before=None,
        after=after,
        now=now,
    )


async def import_items(db: Database, request: CatalogImportRequest, now: datetime) -> CatalogImportResult:
    """api/2.0/catalog/import: all the request's items in one transaction, or none."""
    items = [normalize(item, f"items[{i}]") for i, item in enumerate(request.items)]
    async with db.write() as conn:
        count = await import_in(conn, request.retailer_id, items, now)
    return CatalogImportResult(imported=count)


async def import_batch(
    db: Database, retailer_id: UUID, items: Sequence[CatalogItem], now: datetime, *, file: str, batch: int
) -> int:
    """One batch of a bulk import (the CLI), in its own transaction; the retailer must exist."""
    async with db.write() as conn:
        if await tenancy_repo.get_retailer(conn, retailer_id) is None:
            raise NotFound("retailer not found", fields={"retailer_id": ["not found"]})
        return await import_in(conn, retailer_id, items, now, file=file, batch=batch)
