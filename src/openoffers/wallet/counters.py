"""Queries on the counter rows that make issuance restrictions hold under concurrency.

Every change is a conditional update in SQL: the per-customer maximum is `issued + 1 <= max` on the
(offer, user) row, which also serializes that user's issuances of the offer (row lock on PostgreSQL,
the write lock on SQLite); the inventory is `remaining - n WHERE remaining >= n` on the offer's row.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openoffers.kit.driver import insert_ignore
from openoffers.tables.wallet import offer_inventory, user_offer_counters, user_offers


async def count_acquired(conn: AsyncConnection, retailer_id: UUID, root_offer_id: UUID) -> int:
    total = await conn.execute(
        select(func.count())
        .select_from(user_offers)
        .where(user_offers.c.retailer_id == retailer_id, user_offers.c.root_offer_id == root_offer_id)
    )
    return int(total.scalar_one())


async def claim_customer_slot(
    conn: AsyncConnection, retailer_id: UUID, root_offer_id: UUID, user_id: UUID, per_customer_max: int | None
) -> bool:
    """Count one more issuance of the offer to the user, only while it stays within the per-customer
    maximum. The update also takes the (offer, user) row lock that serializes that user's issuances."""
    await insert_ignore(
        conn,
        user_offer_counters,
        {"root_offer_id": root_offer_id, "user_id": user_id, "retailer_id": retailer_id, "issued": 0},
        ["root_offer_id", "user_id"],
    )
    conditions = [
        user_offer_counters.c.retailer_id == retailer_id,
        user_offer_counters.c.root_offer_id == root_offer_id,
        user_offer_counters.c.user_id == user_id,
    ]
    if per_customer_max is not None:
        conditions.append(user_offer_counters.c.issued + 1 <= per_customer_max)
    result = await conn.execute(
        update(user_offer_counters).where(*conditions).values(issued=user_offer_counters.c.issued + 1)
    )
    return bool(result.rowcount)


async def release_customer_slot(conn: AsyncConnection, retailer_id: UUID, root_offer_id: UUID, user_id: UUID) -> None:
    """Undo `claim_customer_slot` in the same transaction when a later check refused the copy."""
    await conn.execute(
        update(user_offer_counters)
        .where(
            user_offer_counters.c.retailer_id == retailer_id,
            user_offer_counters.c.root_offer_id == root_offer_id,
            user_offer_counters.c.user_id == user_id,
            user_offer_counters.c.issued > 0,
        )
        .values(issued=user_offer_counters.c.issued - 1)
    )


async def count_issued_since(
    conn: AsyncConnection, retailer_id: UUID, root_offer_id: UUID, user_id: UUID, since: datetime | None
) -> int:
    """Issuances of the offer to the user after `since` (the frequency window; None: ever), this
    transaction's included."""
    conditions = [
        user_offers.c.retailer_id == retailer_id,
        user_offers.c.root_offer_id == root_offer_id,
        user_offers.c.user_id == user_id,
    ]
    if since is not None:
        conditions.append(user_offers.c.acquired_at > since)
    total = await conn.execute(select(func.count()).select_from(user_offers).where(*conditions))
    return int(total.scalar_one())


async def ensure_inventory(conn: AsyncConnection, retailer_id: UUID, root_offer_id: UUID, total: int) -> None:
    """Create the offer's inventory counter on first use (copies issued before it existed count), and
    follow a changed total: remaining moves by the difference, computed in SQL."""
    already = await count_acquired(conn, retailer_id, root_offer_id)
    await insert_ignore(
        conn,
        offer_inventory,
        {"root_offer_id": root_offer_id, "retailer_id": retailer_id, "total": total, "remaining": total - already},
        ["root_offer_id"],
    )
    await conn.execute(
        update(offer_inventory)
        .where(
            offer_inventory.c.retailer_id == retailer_id,
            offer_inventory.c.root_offer_id == root_offer_id,
            offer_inventory.c.total != total,
        )
        .values(remaining=offer_inventory.c.remaining + (total - offer_inventory.c.total), total=total)
    )


async def take_inventory(conn: AsyncConnection, retailer_id: UUID, root_offer_id: UUID, quantity: int = 1) -> bool:
    """`remaining - n WHERE remaining >= n`: False when that many are not left. Never oversells."""
    result = await conn.execute(
        update(offer_inventory)
        .where(
            offer_inventory.c.retailer_id == retailer_id,
            offer_inventory.c.root_offer_id == root_offer_id,
            offer_inventory.c.remaining >= quantity,
        )
        .values(remaining=offer_inventory.c.remaining - quantity)
    )
    return bool(result.rowcount)
