"""Every offer query. Each takes the retailer id (ARCHITECTURE.md rule 8)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, case, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.tables.offers import offers
from openoffers.tables.wallet import UserOfferStatus, offer_inventory, user_offers

DRAFT, PUBLISHED, DEACTIVATED, DELETED = 0, 1, 2, 3
STATUS_NAMES = {DRAFT: "draft", PUBLISHED: "published", DEACTIVATED: "deactivated", DELETED: "deleted"}


@dataclass(frozen=True, slots=True)
class OfferRow:
    """One revision as stored. `definition` is the normalised create/update body as JSON builtins."""

    id: UUID
    retailer_id: UUID
    root_offer_id: UUID
    revision: int
    is_latest: bool
    status: int
    offer_type: str
    title: str
    reward_store: bool
    acquisition_start: datetime | None
    acquisition_end: datetime | None
    definition: dict[str, Any]
    texts: list[dict[str, Any]]
    media: list[dict[str, Any]]
    validation_errors: dict[str, list[str]]
    referenced: bool
    created_at: datetime
    updated_at: datetime


def _row(row: Any) -> OfferRow:
    return OfferRow(**{name: getattr(row, name) for name in OfferRow.__slots__})


async def insert_offer(conn: AsyncConnection, offer: OfferRow) -> None:
    await conn.execute(insert(offers).values(**{name: getattr(offer, name) for name in OfferRow.__slots__}))


async def get_offer(conn: AsyncConnection, retailer_id: UUID, offer_id: UUID) -> OfferRow | None:
    row = (
        await conn.execute(select(offers).where(offers.c.retailer_id == retailer_id, offers.c.id == offer_id))
    ).first()
    return _row(row) if row else None


async def get_latest(conn: AsyncConnection, retailer_id: UUID, root_offer_id: UUID) -> OfferRow | None:
    row = (
        await conn.execute(
            select(offers).where(
                offers.c.retailer_id == retailer_id,
                offers.c.root_offer_id == root_offer_id,
                offers.c.is_latest.is_(True),
            )
        )
    ).first()
    return _row(row) if row else None


async def revision_ids(conn: AsyncConnection, retailer_id: UUID, root_offer_id: UUID) -> list[UUID]:
    rows = await conn.execute(
        select(offers.c.id)
        .where(offers.c.retailer_id == retailer_id, offers.c.root_offer_id == root_offer_id)
        .order_by(offers.c.revision)
    )
    return [r.id for r in rows]


async def replace_definition(
    conn: AsyncConnection,
    retailer_id: UUID,
    offer_id: UUID,
    expected_updated_at: datetime,
    values: dict[str, Any],
) -> bool:
    """Update a revision in place, only if nobody changed it or issued it since we read it."""
    result = await conn.execute(
        update(offers)
        .where(
            offers.c.retailer_id == retailer_id,
            offers.c.id == offer_id,
            offers.c.is_latest.is_(True),
            offers.c.referenced.is_(False),
            offers.c.updated_at == expected_updated_at,
        )
        .values(**values)
    )
    return bool(result.rowcount)


async def retire_latest(conn: AsyncConnection, retailer_id: UUID, offer_id: UUID) -> bool:
    """Mark the latest revision as superseded; False when someone else revised it first."""
    result = await conn.execute(
        update(offers)
        .where(offers.c.retailer_id == retailer_id, offers.c.id == offer_id, offers.c.is_latest.is_(True))
        .values(is_latest=False)
    )
    return bool(result.rowcount)


async def set_status(
    conn: AsyncConnection,
    retailer_id: UUID,
    root_offer_id: UUID,
    from_statuses: Sequence[int],
    to_status: int,
    now: datetime,
) -> int:
    """Move every revision of an offer from one of `from_statuses` to `to_status`; rows changed."""
    result = await conn.execute(
        update(offers)
        .where(
            offers.c.retailer_id == retailer_id,
            offers.c.root_offer_id == root_offer_id,
            offers.c.status.in_(list(from_statuses)),
        )
        .values(status=to_status, updated_at=now)
    )
    return int(result.rowcount)


async def mark_referenced(conn: AsyncConnection, retailer_id: UUID, offer_id: UUID) -> None:
    """Called when a user offer first references a revision: later updates must revise it."""
    await conn.execute(
        update(offers)
        .where(offers.c.retailer_id == retailer_id, offers.c.id == offer_id, offers.c.referenced.is_(False))
        .values(referenced=True)
    )


async def list_latest(
    conn: AsyncConnection,
    retailer_id: UUID,
    *,
    status: int | None,
    offer_type: str | None,
    search: str | None,
    reward_store: bool | None,
    skip: int,
    take: int,
    sort: str = "-created",
) -> tuple[int, list[OfferRow]]:
    """A page of the latest revisions, newest first unless `sort` names one of `SORTS` ("-" for
    descending). Sorting by issued or redeemed counts the user offers of every revision."""
    conditions = [offers.c.retailer_id == retailer_id, offers.c.is_latest.is_(True)]
    if status is None:
        conditions.append(offers.c.status != DELETED)
    else:
        conditions.append(offers.c.status == status)
    if offer_type is not None:
        conditions.append(offers.c.offer_type == offer_type)
    if reward_store is not None:
        conditions.append(offers.c.reward_store.is_(reward_store))
    if search:
        pattern = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(func.lower(offers.c.title).like(pattern, escape="\\"))
    where = and_(*conditions)
    total = (await conn.execute(select(func.count()).select_from(offers).where(where))).scalar_one()
    query = select(offers).where(where)
    key = sort.removeprefix("-")
    if key in ("issued", "redeemed"):
        counted = (
            select(
                user_offers.c.root_offer_id,
                func.count().label("issued"),
                func.sum(case((user_offers.c.status == UserOfferStatus.REDEEMED, 1), else_=0)).label("redeemed"),
            )
            .where(user_offers.c.retailer_id == retailer_id)
            .group_by(user_offers.c.root_offer_id)
            .subquery()
        )
        query = query.outerjoin(counted, counted.c.root_offer_id == offers.c.root_offer_id)
        column: Any = func.coalesce(counted.c[key], 0)
    else:
        column = SORTS.get(key, offers.c.created_at)
    ordered = column.desc() if sort.startswith("-") or key not in SORTS else column.asc()
    rows = await conn.execute(query.order_by(ordered, offers.c.id).offset(skip).limit(take))
    return int(total), [_row(r) for r in rows]


# What `list_latest` sorts by (issued and redeemed are counted).
SORTS: dict[str, Any] = {
    "title": func.lower(offers.c.title),
    "created": offers.c.created_at,
    "updated": offers.c.updated_at,
    "type": offers.c.offer_type,
    "status": offers.c.status,
    "issued": None,
    "redeemed": None,
}


async def get_many(conn: AsyncConnection, retailer_id: UUID, offer_ids: Sequence[UUID]) -> list[OfferRow]:
    rows = await conn.execute(
        select(offers).where(offers.c.retailer_id == retailer_id, offers.c.id.in_(list(offer_ids)))
    )
    return [_row(r) for r in rows]


# Offer revisions by (retailer, id, updated_at). Every change to an offer row (definition or status)
# moves `updated_at`, so a cached entry is never stale: a changed row simply has a new key. This keeps
# the POS hot path from decoding the same offer JSON for every user offer of every Lookup.
_REVISION_CACHE_SIZE = 20_000
_revision_cache: OrderedDict[tuple[UUID, UUID, datetime], OfferRow] = OrderedDict()


async def revisions_cached(
    conn: AsyncConnection, retailer_id: UUID, wanted: Mapping[UUID, datetime]
) -> dict[UUID, OfferRow]:
    """The offer rows for `wanted` (id -> the updated_at the caller saw), from the cache when that
    version is there, else in one query."""
    found: dict[UUID, OfferRow] = {}
    missing: list[UUID] = []
    for offer_id, updated_at in wanted.items():
        cached = _revision_cache.get((retailer_id, offer_id, updated_at))
        if cached is None:
            missing.append(offer_id)
        else:
            _revision_cache.move_to_end((retailer_id, offer_id, updated_at))
            found[offer_id] = cached
    if missing:
        for row in await get_many(conn, retailer_id, missing):
            found[row.id] = row
            _revision_cache[(retailer_id, row.id, row.updated_at)] = row
        while len(_revision_cache) > _REVISION_CACHE_SIZE:
            _revision_cache.popitem(last=False)
    return found


# --------------------------------------------------------------------- counts read from the wallet
# The wallet's tables, read on purpose: how many copies of each offer were issued and redeemed, for
# fetch_offers_details and the reward store. Writes to them belong to `wallet.lifecycle` alone.


@dataclass(frozen=True, slots=True)
class OfferCounts:
    acquired: int = 0
    redeemed: int = 0
    # Copies counted against the inventory counter (None: no counter yet).
    inventory_used: int | None = None

    def remaining(self, total: int | None) -> int | None:
        if total is None:
            return None
        used = self.acquired if self.inventory_used is None else self.inventory_used
        return max(0, total - used)


async def offer_counts(
    conn: AsyncConnection, retailer_id: UUID, root_offer_ids: Sequence[UUID]
) -> dict[UUID, OfferCounts]:
    """Per root offer: user offers acquired, redeemed, and inventory used (for fetch_offers_details)."""
    roots = list(set(root_offer_ids))
    if not roots:
        return {}
    counted = await conn.execute(
        select(
            user_offers.c.root_offer_id,
            func.count().label("acquired"),
            func.sum(case((user_offers.c.status == UserOfferStatus.REDEEMED, 1), else_=0)).label("redeemed"),
        )
        .where(user_offers.c.retailer_id == retailer_id, user_offers.c.root_offer_id.in_(roots))
        .group_by(user_offers.c.root_offer_id)
    )
    acquired = {r.root_offer_id: (int(r.acquired), int(r.redeemed or 0)) for r in counted}
    inventory = await conn.execute(
        select(offer_inventory).where(
            offer_inventory.c.retailer_id == retailer_id, offer_inventory.c.root_offer_id.in_(roots)
        )
    )
    used = {r.root_offer_id: int(r.total - r.remaining) for r in inventory}
    result: dict[UUID, OfferCounts] = {}
    for root in roots:
        got, redeemed = acquired.get(root, (0, 0))
        result[root] = OfferCounts(acquired=got, redeemed=redeemed, inventory_used=used.get(root))
    return result


async def reward_store_offers(
    conn: AsyncConnection, retailer_id: UUID, now: datetime, *, skip: int, take: int
) -> tuple[int, list[OfferRow]]:
    """Latest revisions of published reward store offers that can be acquired now, newest first."""
    where = and_(
        offers.c.retailer_id == retailer_id,
        offers.c.is_latest.is_(True),
        offers.c.status == PUBLISHED,
        offers.c.reward_store.is_(True),
        or_(offers.c.acquisition_start.is_(None), offers.c.acquisition_start <= now),
        or_(offers.c.acquisition_end.is_(None), offers.c.acquisition_end >= now),
    )
    total = (await conn.execute(select(func.count()).select_from(offers).where(where))).scalar_one()
    rows = await conn.execute(
        select(offers).where(where).order_by(offers.c.created_at.desc(), offers.c.id).offset(skip).limit(take)
    )
    return int(total), [OfferRow(**{name: getattr(r, name) for name in OfferRow.__slots__}) for r in rows]
